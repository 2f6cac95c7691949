import { createPublicKey, generateKeyPairSync, KeyObject, webcrypto } from 'node:crypto';
import { FlattenedSign } from 'jose';
import { AcmeProblem } from '../problem';
import type { PublicJwk } from '../model';
import { AccountKeyCache, verifyJwsSignature } from './signature';
import type { FlattenedJws } from './flattened-jws';

type Pair = { privateKey: KeyObject; publicKey: KeyObject };
const pairs: Record<string, Pair> = {
  p256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  p384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  p521: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ed25519: generateKeyPairSync('ed25519'),
};

/** A JWS made by jose (the reference implementation) over WebCrypto. */
async function joseJws(alg: string, pair: Pair): Promise<FlattenedJws> {
  const jws = await new FlattenedSign(new TextEncoder().encode('{"hello":"acme"}'))
    .setProtectedHeader({ alg, nonce: 'n', url: 'https://rotor.test/x' })
    .sign(await toCryptoKey(alg, pair.privateKey));
  return jws as FlattenedJws;
}

async function toCryptoKey(alg: string, key: KeyObject): Promise<webcrypto.CryptoKey> {
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const params = alg.startsWith('ES')
    ? { name: 'ECDSA', namedCurve: curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : 'P-521' }
    : alg.startsWith('RS')
      ? { name: 'RSASSA-PKCS1-v1_5', hash: `SHA-${alg.slice(2)}` }
      : alg.startsWith('PS')
        ? { name: 'RSA-PSS', hash: `SHA-${alg.slice(2)}` }
        : { name: 'Ed25519' };
  return webcrypto.subtle.importKey('pkcs8', pkcs8, params, false, ['sign']);
}

const CASES: [string, keyof typeof pairs][] = [
  ['ES256', 'p256'],
  ['ES384', 'p384'],
  ['ES512', 'p521'],
  ['RS256', 'rsa'],
  ['RS384', 'rsa'],
  ['RS512', 'rsa'],
  ['PS256', 'rsa'],
  ['PS384', 'rsa'],
  ['PS512', 'rsa'],
  ['EdDSA', 'ed25519'],
  ['Ed25519', 'ed25519'],
];

describe('verifyJwsSignature (node:crypto) agrees with jose', () => {
  it.each(CASES)('ok/%s', async (alg, kind) => {
    const jws = await joseJws(alg, pairs[kind]);
    expect(verifyJwsSignature(jws, alg, pairs[kind].publicKey)).toBe(true);
  });

  it.each(CASES)('fail/%s-tampered-payload', async (alg, kind) => {
    const jws = await joseJws(alg, pairs[kind]);
    const tampered = { ...jws, payload: Buffer.from('{"hello":"acmf"}').toString('base64url') };
    expect(verifyJwsSignature(tampered, alg, pairs[kind].publicKey)).toBe(false);
  });

  it('fail/signed-by-another-key', async () => {
    const jws = await joseJws('ES256', pairs.p256);
    expect(verifyJwsSignature(jws, 'ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey)).toBe(false);
  });

  it('fail/es256-with-der-signature', async () => {
    // RFC 7518 §3.4: R||S, 64 octets; a DER ECDSA-Sig-Value must not be accepted.
    const jws = await joseJws('ES256', pairs.p256);
    const raw = Buffer.from(jws.signature, 'base64url');
    const int = (b: Buffer): Buffer => (b[0] & 0x80 ? Buffer.concat([Buffer.of(0), b]) : b);
    const [r, s] = [int(raw.subarray(0, 32)), int(raw.subarray(32))];
    const der = Buffer.concat([Buffer.of(0x30, r.length + s.length + 4, 2, r.length), r, Buffer.of(2, s.length), s]);
    expect(verifyJwsSignature({ ...jws, signature: der.toString('base64url') }, 'ES256', pairs.p256.publicKey)).toBe(
      false,
    );
  });

  it('fail/empty-signature', async () => {
    const jws = await joseJws('EdDSA', pairs.ed25519);
    expect(verifyJwsSignature({ ...jws, signature: '' }, 'EdDSA', pairs.ed25519.publicKey)).toBe(false);
  });

  it.each<[string, keyof typeof pairs]>([
    ['RS256', 'p256'],
    ['ES384', 'p256'], // RFC 7518 §3.4: the curve is fixed by the algorithm
    ['ES256', 'p384'],
    ['ES256', 'rsa'],
    ['PS256', 'ed25519'],
    ['EdDSA', 'p256'],
    ['HS256', 'p256'],
    ['none', 'rsa'],
  ])('fail/%s-does-not-fit-a-%s-key → badSignatureAlgorithm', async (alg, kind) => {
    const jws = await joseJws('ES256', pairs.p256);
    let error: unknown;
    try {
      verifyJwsSignature(jws, alg, pairs[kind].publicKey);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AcmeProblem);
    expect((error as AcmeProblem).errorType).toBe('badSignatureAlgorithm');
  });

  it('fail/rsa-1024-key → badSignatureAlgorithm', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() => verifyJwsSignature({ protected: '', payload: '', signature: '' }, 'RS256', weak)).toThrow(AcmeProblem);
  });
});

describe('AccountKeyCache', () => {
  const jwkOf = (pair: Pair): PublicJwk => pair.publicKey.export({ format: 'jwk' }) as PublicJwk;

  it('ok/imports-once-per-thumbprint', () => {
    const cache = new AccountKeyCache(10);
    const first = cache.get(jwkOf(pairs.p256), 't1');
    expect(cache.get(jwkOf(pairs.p256), 't1')).toBe(first);
    expect(first.equals(createPublicKey(pairs.p256.publicKey.export({ type: 'spki', format: 'pem' })))).toBe(true);
  });

  it('ok/evicts-the-least-recently-used', () => {
    const cache = new AccountKeyCache(2);
    const a = cache.get(jwkOf(pairs.p256), 'a');
    cache.get(jwkOf(pairs.p384), 'b');
    expect(cache.get(jwkOf(pairs.p256), 'a')).toBe(a); // a is now the most recent
    cache.get(jwkOf(pairs.ed25519), 'c'); // evicts b
    expect(cache.size).toBe(2);
    expect(cache.get(jwkOf(pairs.p256), 'a')).toBe(a);
    expect(cache.get(jwkOf(pairs.p384), 'b')).not.toBe(undefined); // re-imported
  });

  it('fail/invalid-jwk → badPublicKey', () => {
    const cache = new AccountKeyCache();
    expect(() => cache.get({ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }, 'bad')).toThrow(
      expect.objectContaining({ errorType: 'badPublicKey' }),
    );
    expect(cache.size).toBe(0);
  });
});
