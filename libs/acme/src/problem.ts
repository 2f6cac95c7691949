/**
 * ACME problem documents (RFC 8555 §6.7, RFC 7807). One type, one factory per
 * error URN; exactly one place (the server's problem filter) serialises them.
 */

export const ACME_ERROR_PREFIX = 'urn:ietf:params:acme:error:';

export type AcmeErrorType =
  | 'accountDoesNotExist'
  | 'alreadyReplaced'
  | 'alreadyRevoked'
  | 'badCSR'
  | 'badNonce'
  | 'badPublicKey'
  | 'badRevocationReason'
  | 'badSignatureAlgorithm'
  | 'caa'
  | 'compound'
  | 'connection'
  | 'dns'
  | 'externalAccountRequired'
  | 'incorrectResponse'
  | 'invalidContact'
  | 'invalidProfile'
  | 'malformed'
  | 'orderNotReady'
  | 'rateLimited'
  | 'rejectedIdentifier'
  | 'serverInternal'
  | 'tls'
  | 'unauthorized'
  | 'unsupportedContact'
  | 'unsupportedIdentifier'
  | 'userActionRequired';

export interface Identifier {
  type: 'dns' | 'ip';
  value: string;
}

export interface ProblemDocument {
  type: string;
  detail: string;
  status: number;
  identifier?: Identifier;
  subproblems?: ProblemDocument[];
  algorithms?: string[];
}

export class AcmeProblem extends Error {
  constructor(
    readonly errorType: AcmeErrorType,
    readonly detail: string,
    readonly status: number,
    readonly extra: {
      identifier?: Identifier;
      subproblems?: AcmeProblem[];
      /** badSignatureAlgorithm: the algorithms the server accepts (RFC 8555 §6.2). */
      algorithms?: string[];
      /** Seconds; the server sends it as a Retry-After header (rateLimited, §6.6). */
      retryAfter?: number;
      /** Extra response headers, e.g. Location on onlyReturnExisting. */
      headers?: Record<string, string>;
      /**
       * The internal reason; logged server-side, never serialised to clients
       * (see smallstep's hidden error cause).
       */
      cause?: unknown;
    } = {},
  ) {
    super(detail);
    this.name = 'AcmeProblem';
  }

  /**
   * RFC 8555 §6.7.1: "identifier" appears only in subproblems, never at the top
   * level; a problem about one identifier is a top-level problem with one subproblem.
   */
  toDocument(): ProblemDocument {
    const doc = this.document();
    if (this.extra.identifier && !this.extra.subproblems?.length) doc.subproblems = [this.document(true)];
    return doc;
  }

  private document(asSubproblem = false): ProblemDocument {
    const doc: ProblemDocument = {
      type: ACME_ERROR_PREFIX + this.errorType,
      detail: this.detail,
      status: this.status,
    };
    if (asSubproblem && this.extra.identifier) doc.identifier = this.extra.identifier;
    if (this.extra.algorithms) doc.algorithms = this.extra.algorithms;
    if (this.extra.subproblems?.length) doc.subproblems = this.extra.subproblems.map((p) => p.document(true));
    return doc;
  }
}

type Extra = AcmeProblem['extra'];
const make =
  (type: AcmeErrorType, status: number) =>
  (detail: string, extra?: Extra): AcmeProblem =>
    new AcmeProblem(type, detail, status, extra);

/** Factories with the status codes Rotor uses for each type. */
export const Problems = {
  accountDoesNotExist: make('accountDoesNotExist', 400),
  alreadyReplaced: make('alreadyReplaced', 409), // RFC 9773 §5
  alreadyRevoked: make('alreadyRevoked', 400),
  badCSR: make('badCSR', 400),
  badNonce: make('badNonce', 400),
  badPublicKey: make('badPublicKey', 400),
  badRevocationReason: make('badRevocationReason', 400),
  badSignatureAlgorithm: make('badSignatureAlgorithm', 400),
  compound: make('compound', 400),
  externalAccountRequired: make('externalAccountRequired', 403),
  invalidContact: make('invalidContact', 400),
  invalidProfile: make('invalidProfile', 400),
  malformed: make('malformed', 400),
  notFound: (detail: string) => new AcmeProblem('malformed', detail, 404),
  methodNotAllowed: (detail: string) => new AcmeProblem('malformed', detail, 405),
  unsupportedMediaType: (detail: string) => new AcmeProblem('malformed', detail, 415),
  orderNotReady: make('orderNotReady', 403),
  rateLimited: make('rateLimited', 429),
  rejectedIdentifier: make('rejectedIdentifier', 400),
  serverInternal: make('serverInternal', 500),
  unauthorized: make('unauthorized', 403),
  /** RFC 8555 §7.3.6: a deactivated (or revoked) account's requests get 401. */
  accountNotValid: (status: string) => new AcmeProblem('unauthorized', `account is ${status}`, 401),
  unsupportedContact: make('unsupportedContact', 400),
  unsupportedIdentifier: make('unsupportedIdentifier', 400),
  /** A validation failure stored on a challenge (status is informational there). */
  validation: (type: AcmeErrorType, detail: string, identifier?: Identifier) =>
    new AcmeProblem(type, detail, 403, { identifier }),
} as const;

/**
 * Several identifiers failed: one problem with subproblems (RFC 8555 §6.7.1).
 * A single failure is returned as itself.
 */
export function combineProblems(problems: AcmeProblem[], detail: string): AcmeProblem {
  if (problems.length === 1) return problems[0];
  const types = new Set(problems.map((p) => p.errorType));
  const [only] = types;
  const top = types.size === 1 ? only : 'compound';
  return new AcmeProblem(top, detail, problems[0].status, { subproblems: problems });
}
