import { Problems } from '../problem';

/** A request body in the flattened JSON serialization (RFC 7515 §7.2.2), not yet verified. */
export interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
}

export interface ProtectedHeader {
  alg?: unknown;
  nonce?: unknown;
  url?: unknown;
  jwk?: unknown;
  kid?: unknown;
  [name: string]: unknown;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

export function decodeBase64urlJson(value: string, what: string): unknown {
  if (!B64URL.test(value)) throw Problems.malformed(`${what} is not base64url`);
  try {
    return JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw Problems.malformed(`${what} is not valid JSON`);
  }
}

/**
 * Checks the shape RFC 8555 §6.2 requires: flattened serialization, exactly one
 * signature, no unprotected header.
 */
export function parseFlattenedJws(body: unknown): FlattenedJws {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw Problems.malformed('request body must be a JWS in flattened JSON serialization');
  }
  const jws = body as Record<string, unknown>;
  if ('signatures' in jws) throw Problems.malformed('JWS must use the flattened JSON serialization (one signature)');
  if ('header' in jws) throw Problems.malformed('JWS must not have an unprotected header (RFC 8555 §6.2)');
  for (const field of ['protected', 'payload', 'signature'] as const) {
    if (typeof jws[field] !== 'string') throw Problems.malformed(`JWS "${field}" must be a string`);
    if (!B64URL.test(jws[field] as string)) throw Problems.malformed(`JWS "${field}" is not base64url`);
  }
  return { protected: jws.protected as string, payload: jws.payload as string, signature: jws.signature as string };
}

export function decodeProtectedHeader(jws: FlattenedJws): ProtectedHeader {
  const header = decodeBase64urlJson(jws.protected, 'JWS protected header');
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw Problems.malformed('JWS protected header must be a JSON object');
  }
  return header as ProtectedHeader;
}

/** An empty payload is a POST-as-GET (RFC 8555 §6.3). */
export function decodePayload(jws: FlattenedJws): unknown {
  if (jws.payload === '') return undefined;
  return decodeBase64urlJson(jws.payload, 'JWS payload');
}
