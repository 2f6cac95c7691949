import { flattenedVerify } from 'jose';
import type { EabKey, PublicJwk } from '../model';
import { Problems } from '../problem';
import { EAB_MAC_ALGORITHMS } from './algorithms';
import { decodeBase64urlJson, decodeProtectedHeader, parseFlattenedJws } from './flattened-jws';

/**
 * Verifies an externalAccountBinding (RFC 8555 §7.3.4): a JWS whose protected
 * header has a MAC "alg", the EAB key id as "kid" and the newAccount URL, whose
 * payload is the account's public JWK, MACed with the pre-shared key. This is
 * the only place a MAC algorithm is accepted.
 */
export async function verifyExternalAccountBinding(
  binding: unknown,
  expected: { url: string; accountJwk: PublicJwk },
  findKey: (kid: string) => Promise<EabKey | null>,
): Promise<EabKey> {
  const jws = parseFlattenedJws(binding);
  const header = decodeProtectedHeader(jws);
  if (typeof header.alg !== 'string' || !(EAB_MAC_ALGORITHMS as readonly string[]).includes(header.alg)) {
    throw Problems.malformed(`externalAccountBinding must use one of ${EAB_MAC_ALGORITHMS.join(', ')}`);
  }
  if ('nonce' in header) throw Problems.malformed('externalAccountBinding must not carry a nonce');
  if (header.url !== expected.url)
    throw Problems.unauthorized('externalAccountBinding "url" must be the newAccount URL');
  if (typeof header.kid !== 'string' || header.kid.length > 128) {
    throw Problems.malformed('externalAccountBinding "kid" is missing');
  }
  const key = await findKey(header.kid);
  if (!key || key.revoked) throw Problems.unauthorized('unknown external account key');
  if (key.boundAccountId) throw Problems.unauthorized('external account key was already used');
  try {
    await flattenedVerify(jws, key.hmacKey, { algorithms: [header.alg] });
  } catch {
    throw Problems.unauthorized('externalAccountBinding signature is invalid');
  }
  const payload = decodeBase64urlJson(jws.payload, 'externalAccountBinding payload');
  if (!sameJwk(payload, expected.accountJwk)) {
    throw Problems.unauthorized('externalAccountBinding payload is not the account key');
  }
  return key;
}

export function sameJwk(candidate: unknown, jwk: PublicJwk): boolean {
  if (typeof candidate !== 'object' || candidate === null) return false;
  const other = candidate as Record<string, unknown>;
  return Object.keys(jwk).every((name) => other[name] === jwk[name]);
}
