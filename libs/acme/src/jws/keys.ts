import { createHash, createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, importJWK, type CryptoKey, type JWK } from 'jose';
import { Problems } from '../problem';
import type { PublicJwk } from '../model';

const SUPPORTED_KTY = new Set(['EC', 'RSA', 'OKP']);
const SUPPORTED_CRV: Record<string, Set<string>> = {
  EC: new Set(['P-256', 'P-384', 'P-521']),
  OKP: new Set(['Ed25519']),
};
const PUBLIC_MEMBERS: Record<string, string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  RSA: ['kty', 'n', 'e'],
  OKP: ['kty', 'crv', 'x'],
};
const MIN_RSA_BITS = 2048;

/**
 * Validates an embedded "jwk" header and returns only its public members.
 * A JWK carrying private material ("d", "p", …) is refused: the client must
 * never send its private key (and we must never store one).
 */
export function publicJwkFrom(value: unknown): PublicJwk {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw Problems.malformed('"jwk" must be a JSON object');
  }
  const jwk = value as Record<string, unknown>;
  const kty = jwk.kty;
  if (typeof kty !== 'string' || !SUPPORTED_KTY.has(kty)) {
    throw Problems.badPublicKey('account key type must be EC, RSA or OKP (Ed25519)');
  }
  if ('d' in jwk || 'p' in jwk || 'k' in jwk) throw Problems.malformed('"jwk" must be a public key');
  const crvs = SUPPORTED_CRV[kty];
  if (crvs && (typeof jwk.crv !== 'string' || !crvs.has(jwk.crv))) {
    throw Problems.badPublicKey(`unsupported curve for ${kty} account key`);
  }
  const members = PUBLIC_MEMBERS[kty];
  const out: PublicJwk = { kty };
  for (const name of members) {
    if (typeof jwk[name] !== 'string' || !/^[A-Za-z0-9_-]+$/.test(jwk[name] as string)) {
      throw Problems.malformed(`"jwk" member "${name}" is missing or not base64url`);
    }
    out[name] = jwk[name];
  }
  if (kty === 'RSA' && Buffer.from(out.n as string, 'base64url').length * 8 < MIN_RSA_BITS - 7) {
    throw Problems.badPublicKey(`RSA account keys must be at least ${MIN_RSA_BITS} bits`);
  }
  // §6.2: e.g. an EC point that is not on the curve is a bad public key, not a bad algorithm.
  try {
    createPublicKey({ key: out as never, format: 'jwk' });
  } catch {
    throw Problems.badPublicKey(`"jwk" is not a valid ${kty} public key`);
  }
  return out;
}

/** RFC 7638 thumbprint (SHA-256, base64url). */
export function jwkThumbprint(jwk: PublicJwk): Promise<string> {
  return calculateJwkThumbprint(jwk as JWK, 'sha256');
}

/**
 * Imported keys are cached by thumbprint: importing is the dominant cost of
 * verifying an ES256 signature, and account keys repeat on every request.
 */
export class PublicKeyCache {
  private readonly keys = new Map<string, CryptoKey>();
  constructor(private readonly maxEntries = 10_000) {}

  async get(jwk: PublicJwk, thumbprint: string, alg: string): Promise<CryptoKey> {
    const cacheKey = `${alg}|${thumbprint}`;
    const hit = this.keys.get(cacheKey);
    if (hit) return hit;
    let key: CryptoKey;
    try {
      key = (await importJWK(jwk as JWK, alg)) as CryptoKey;
    } catch {
      throw Problems.badSignatureAlgorithm(`algorithm ${alg} does not fit the ${jwk.kty} key`);
    }
    if (this.keys.size >= this.maxEntries) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(cacheKey, key);
    return key;
  }
}

const spkiDigests = new Map<string, string | undefined>();
const MAX_SPKI_DIGESTS = 2_000;

/**
 * base64url SHA-256 of the key's SubjectPublicKeyInfo: compares an account key with a CSR or certificate key.
 * Memoised (bounded, least recently used out first): import + SPKI export cost ~0.3 ms and the
 * same account key comes back on every finalize and revocation.
 */
export function jwkSpkiSha256(jwk: PublicJwk): string | undefined {
  const id = JSON.stringify(
    Object.keys(jwk)
      .sort()
      .map((name) => [name, jwk[name]]),
  );
  if (spkiDigests.has(id)) {
    const hit = spkiDigests.get(id);
    spkiDigests.delete(id);
    spkiDigests.set(id, hit);
    return hit;
  }
  let digest: string | undefined;
  try {
    const der = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'der' });
    digest = createHash('sha256').update(der).digest('base64url');
  } catch {
    digest = undefined;
  }
  if (spkiDigests.size >= MAX_SPKI_DIGESTS) spkiDigests.delete(spkiDigests.keys().next().value as string);
  spkiDigests.set(id, digest);
  return digest;
}
