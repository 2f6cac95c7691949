import { createHash, generateKeyPair, KeyObject } from 'node:crypto';
import { CaKeyAlgorithm } from './contracts';
import { PkiCrypto, PkiCryptoKey } from './crypto-provider';
import { subjectPublicKeyBits } from './encoding';

/**
 * Per-algorithm parameters for CA keys. RSA CAs sign with RSASSA-PKCS1-v1_5
 * SHA-256 (RFC 4055 / RFC 5280 §4.1.1.2, accepted everywhere); ECDSA CAs
 * sign with the hash that matches the curve strength (P-256/SHA-256,
 * P-384/SHA-384, as RFC 5480 §4 recommends).
 */
export const CA_KEY_ALGORITHMS: readonly CaKeyAlgorithm[] = [
  'ecdsa-p256',
  'ecdsa-p384',
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
];

export function isCaKeyAlgorithm(value: string): value is CaKeyAlgorithm {
  return (CA_KEY_ALGORITHMS as readonly string[]).includes(value);
}

interface AlgorithmParams {
  importParams: { name: string; namedCurve?: string; hash?: string };
  signingAlgorithm: { name: string; hash?: string };
}

export function algorithmParams(alg: CaKeyAlgorithm): AlgorithmParams {
  switch (alg) {
    case 'ecdsa-p256':
      return {
        importParams: { name: 'ECDSA', namedCurve: 'P-256' },
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      };
    case 'ecdsa-p384':
      return {
        importParams: { name: 'ECDSA', namedCurve: 'P-384' },
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
      };
    default:
      return {
        importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      };
  }
}

export interface GeneratedKey {
  pkcs8Der: Uint8Array;
  spkiDer: Uint8Array;
}

/**
 * Key generation goes through node:crypto's async API whatever the WebCrypto
 * provider is: it runs on the libuv pool, so RSA-4096 does not block the loop.
 */
export async function generateCaKey(alg: CaKeyAlgorithm): Promise<GeneratedKey> {
  const pair = await generateDerKeyPair(
    alg.startsWith('ecdsa')
      ? { type: 'ec', namedCurve: alg === 'ecdsa-p256' ? 'P-256' : 'P-384' }
      : { type: 'rsa', modulusLength: Number(alg.slice(4)) },
  );
  return { pkcs8Der: pair.privateKey, spkiDer: pair.publicKey };
}

export type KeySpec =
  { type: 'ec'; namedCurve: 'P-256' | 'P-384' } | { type: 'rsa'; modulusLength: number } | { type: 'ed25519' };

/** SPKI DER public key + PKCS#8 DER private key, generated off the event loop. */
export function generateDerKeyPair(spec: KeySpec): Promise<{ publicKey: Uint8Array; privateKey: Uint8Array }> {
  const encoding = {
    publicKeyEncoding: { type: 'spki' as const, format: 'der' as const },
    privateKeyEncoding: { type: 'pkcs8' as const, format: 'der' as const },
  };
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: Buffer, privateKey: Buffer): void =>
      err ? reject(err) : resolve({ publicKey: new Uint8Array(publicKey), privateKey: new Uint8Array(privateKey) });
    if (spec.type === 'ec') generateKeyPair('ec', { namedCurve: spec.namedCurve, ...encoding }, done);
    else if (spec.type === 'rsa')
      generateKeyPair('rsa', { modulusLength: spec.modulusLength, publicExponent: 65537, ...encoding }, done);
    else generateKeyPair('ed25519', encoding, done);
  });
}

/** Which CaKeyAlgorithm a key object is, or undefined if it is not one we sign with. */
export function caAlgorithmOfKey(key: KeyObject): CaKeyAlgorithm | undefined {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    if (d.namedCurve === 'prime256v1') return 'ecdsa-p256';
    if (d.namedCurve === 'secp384r1') return 'ecdsa-p384';
  }
  if (key.asymmetricKeyType === 'rsa') {
    const candidate = `rsa-${d.modulusLength}`;
    if (isCaKeyAlgorithm(candidate)) return candidate;
  }
  return undefined;
}

export async function importSigningKey(
  crypto: PkiCrypto,
  alg: CaKeyAlgorithm,
  pkcs8Der: Uint8Array,
): Promise<PkiCryptoKey> {
  // Non-extractable: once imported, the CA key cannot be read back out of the provider.
  return crypto.subtle.importKey('pkcs8', pkcs8Der, algorithmParams(alg).importParams, false, ['sign']);
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING. */
export function keyIdentifier(spkiDer: Uint8Array): Buffer {
  // SHA-1 is what §4.2.1.2 specifies here; it names the key, it is not a signature.
  return createHash('sha1').update(subjectPublicKeyBits(spkiDer)).digest();
}

/** The same, as hex. */
export function keyIdentifierHex(spkiDer: Uint8Array): string {
  return keyIdentifier(spkiDer).toString('hex');
}
