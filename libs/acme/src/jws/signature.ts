import { constants, createPublicKey, KeyObject, verify } from 'node:crypto';
import type { PublicJwk } from '../model';
import { Problems } from '../problem';
import type { FlattenedJws } from './flattened-jws';

/**
 * JWS signature verification (RFC 7515 §5.2) for account keys with node:crypto.
 *
 * jose's flattenedVerify re-parsed the protected header (our verifier has
 * already done every check it made: shape, alg allow-list, no "crit"/"b64",
 * no unprotected header) and then went through WebCrypto, whose algorithm
 * normalisation and job dispatch cost about as much as the ECDSA verification
 * itself. Here the signature is checked directly against a KeyObject that is
 * imported once per account key and cached.
 */

interface AlgorithmRule {
  keyType: 'ec' | 'rsa' | 'ed25519';
  /** Digest for node:crypto; null for EdDSA (RFC 8032 hashes internally). */
  hash: string | null;
  /** ES*: the curve (RFC 7518 §3.4) and the fixed R||S signature length. */
  curve?: string;
  signatureLength?: number;
  /** PS*: salt length = digest length (RFC 7518 §3.5). */
  pssSaltLength?: number;
}

const RULES: Record<string, AlgorithmRule> = {
  ES256: { keyType: 'ec', hash: 'sha256', curve: 'prime256v1', signatureLength: 64 },
  ES384: { keyType: 'ec', hash: 'sha384', curve: 'secp384r1', signatureLength: 96 },
  ES512: { keyType: 'ec', hash: 'sha512', curve: 'secp521r1', signatureLength: 132 },
  RS256: { keyType: 'rsa', hash: 'sha256' },
  RS384: { keyType: 'rsa', hash: 'sha384' },
  RS512: { keyType: 'rsa', hash: 'sha512' },
  PS256: { keyType: 'rsa', hash: 'sha256', pssSaltLength: 32 },
  PS384: { keyType: 'rsa', hash: 'sha384', pssSaltLength: 48 },
  PS512: { keyType: 'rsa', hash: 'sha512', pssSaltLength: 64 },
  EdDSA: { keyType: 'ed25519', hash: null },
  Ed25519: { keyType: 'ed25519', hash: null }, // RFC 9864 fully specified name
};

/** RFC 7518 §3.3/§3.5: RSA keys of 2048 bits or more. */
const MIN_RSA_BITS = 2048;

/** Key details per imported key: KeyObject#asymmetricKeyDetails builds a new object on every read. */
const keyDetails = new WeakMap<KeyObject, { namedCurve?: string; modulusLength?: number }>();

function detailsOf(key: KeyObject): { namedCurve?: string; modulusLength?: number } {
  let details = keyDetails.get(key);
  if (!details) {
    details = key.asymmetricKeyDetails ?? {};
    keyDetails.set(key, details);
  }
  return details;
}

/** The rule for `alg` if it fits `key`; a badSignatureAlgorithm problem otherwise (RFC 8555 §6.2). */
function ruleFor(alg: string, key: KeyObject): AlgorithmRule {
  const rule = Object.hasOwn(RULES, alg) ? RULES[alg] : undefined;
  const details = detailsOf(key);
  const fits =
    rule !== undefined &&
    rule.keyType === key.asymmetricKeyType &&
    (rule.curve === undefined || rule.curve === details.namedCurve) &&
    (rule.keyType !== 'rsa' || (details.modulusLength ?? 0) >= MIN_RSA_BITS);
  if (!fits) {
    throw Problems.badSignatureAlgorithm(`algorithm ${alg} does not fit the ${jwkTypeOf(key)} key`);
  }
  return rule;
}

function jwkTypeOf(key: KeyObject): string {
  return key.asymmetricKeyType === 'ec' ? 'EC' : key.asymmetricKeyType === 'rsa' ? 'RSA' : 'OKP';
}

/**
 * Verifies the signature of a flattened JWS whose header has already been
 * validated. Throws badSignatureAlgorithm when `alg` does not fit the key;
 * returns false when the signature does not verify.
 */
export function verifyJwsSignature(jws: FlattenedJws, alg: string, key: KeyObject): boolean {
  const rule = ruleFor(alg, key);
  // RFC 7515 §5.2 step 8: the JWS Signing Input is ASCII(protected || '.' || payload).
  const input = Buffer.from(`${jws.protected}.${jws.payload}`, 'latin1');
  const signature = Buffer.from(jws.signature, 'base64url');
  if (rule.signatureLength !== undefined && signature.length !== rule.signatureLength) return false;
  try {
    if (rule.keyType === 'ec') {
      // JWS ECDSA signatures are R||S (RFC 7518 §3.4), not DER.
      return verify(rule.hash, input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    if (rule.pssSaltLength !== undefined) {
      return verify(
        rule.hash,
        input,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: rule.pssSaltLength },
        signature,
      );
    }
    if (rule.keyType === 'rsa') {
      return verify(rule.hash, input, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    }
    return verify(null, input, key, signature);
  } catch {
    return false;
  }
}

/**
 * Imported account keys, least recently used evicted first. Keyed by the RFC
 * 7638 thumbprint, which covers exactly the public members we keep
 * (publicJwkFrom drops everything else), so one thumbprint is one key.
 * Importing a JWK costs about as much as verifying a signature with it, and
 * every request of an account repeats the same key.
 */
export class AccountKeyCache {
  private readonly keys = new Map<string, KeyObject>();

  constructor(private readonly maxEntries = 10_000) {}

  get(jwk: PublicJwk, thumbprint: string): KeyObject {
    const hit = this.keys.get(thumbprint);
    if (hit) {
      // Map iteration order is insertion order: re-inserting marks it most recently used.
      this.keys.delete(thumbprint);
      this.keys.set(thumbprint, hit);
      return hit;
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch {
      throw Problems.badPublicKey(`"jwk" is not a valid ${jwk.kty} public key`);
    }
    if (this.keys.size >= this.maxEntries) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(thumbprint, key);
    return key;
  }

  get size(): number {
    return this.keys.size;
  }
}
