import { randomBytes } from 'node:crypto';
import type { IdentifierPolicy } from './identifiers';
import type { AcmeLinker } from './links';
import type { ChallengeType, IssuedCertificateRecord } from './model';
import type {
  AccountRepository,
  AuthorizationRepository,
  CertificateRepository,
  Clock,
  EabKeyRepository,
  NonceRepository,
  OrderRepository,
} from './ports';
import type { Identifier } from './problem';

/** A certificate profile offered in the directory's meta.profiles (draft-ietf-acme-profiles). */
export interface ProfilePolicy {
  description: string;
  /** Which extended key usages: server (serverAuth), client (clientAuth), mtls (both). */
  usage: 'server' | 'client' | 'mtls';
  /** Lifetime when the order names no notAfter. */
  lifetimeMs: number;
}

export interface AcmePolicy {
  identifiers: IdentifierPolicy;
  orderLifetimeMs: number;
  authzLifetimeMs: number;
  maxCertLifetimeMs: number;
  nonceLifetimeMs: number;
  eabRequired: boolean;
  termsOfService?: string;
  profiles: Record<string, ProfilePolicy>;
  defaultProfile: string;
}

/** What finalize learns from a CSR (the adapter over libs/pki produces it). */
export interface CsrSummary {
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
  spkiSha256: string;
  /**
   * The issuer's own parsed form, handed back to `issue` so a CSR is parsed
   * and its signature verified once per finalize. Opaque to the domain.
   */
  parsed?: unknown;
}

/** Certificate facts revokeCert and ARI need from a DER certificate. */
export interface CertificateSummary {
  serialHex: string;
  spkiSha256: string;
  issuedByUs: boolean;
}

/** The CA as the ACME layer sees it; errors surface as AcmeProblems (badCSR, badPublicKey, …). */
export interface CertificateIssuer {
  /** RFC 9773: base64url of the issuing CA's key identifier (AKI of our leaves). */
  readonly authorityKeyIdB64url: string;
  inspectCsr(der: Uint8Array): Promise<CsrSummary>;
  inspectCertificate(der: Uint8Array): Promise<CertificateSummary>;
  /** Signs the CSR (DER), reusing `inspected` when the caller already inspected it. */
  issue(
    csr: { der: Uint8Array; inspected?: CsrSummary },
    request: {
      identifiers: Identifier[];
      usage: ProfilePolicy['usage'];
      profile: string;
      notBefore?: number;
      notAfter: number;
    },
  ): Promise<Omit<IssuedCertificateRecord, 'accountId' | 'orderId' | 'createdAt' | 'status' | 'identifiers'>>;
}

/** Runs challenge validation out of band (in-process runner or queue). */
export interface ValidationScheduler {
  schedule(challengeId: string): Promise<void>;
}

/** Told when the set of revoked certificates changed (the CRL is regenerated). */
export interface RevocationListener {
  revoked(serialHex: string): Promise<void>;
}

export interface ChallengeValidationPort {
  validate(request: {
    type: ChallengeType;
    identifier: Identifier;
    token: string;
    keyAuthorization: string;
  }): Promise<{ ok: true } | { ok: false; problem: { type: string; detail: string } }>;
}

/** Everything a use case may touch, injected once by the app. */
export interface AcmeContext {
  accounts: AccountRepository;
  orders: OrderRepository;
  authorizations: AuthorizationRepository;
  certificates: CertificateRepository;
  eabKeys: EabKeyRepository;
  nonces: NonceRepository;
  issuer: CertificateIssuer;
  validator: ChallengeValidationPort;
  scheduler: ValidationScheduler;
  revocations: RevocationListener;
  linker: AcmeLinker;
  clock: Clock;
  policy: AcmePolicy;
}

/** 96-bit random ids: unguessable, short in URLs. */
export function newId(): string {
  return randomBytes(12).toString('base64url');
}

/** 128-bit random challenge tokens (RFC 8555 §8.1 requires at least 128 bits of entropy). */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}
