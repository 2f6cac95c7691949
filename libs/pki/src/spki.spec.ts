import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { importSpki, importSpkiDer } from './spki';
import { makeTestKey, TestKeySpec } from './spec-helpers';

const parse = (der: Uint8Array): asn.SubjectPublicKeyInfo => AsnConvert.parse(der, asn.SubjectPublicKeyInfo);

describe('importSpki', () => {
  it.each<[string, TestKeySpec]>([
    ['ok/p256 (JWK path)', { kind: 'ec', curve: 'P-256' }],
    ['ok/p384 (JWK path)', { kind: 'ec', curve: 'P-384' }],
    ['ok/ed25519 (JWK path)', { kind: 'ed25519' }],
    ['ok/rsa-2048 (DER path)', { kind: 'rsa', bits: 2048 }],
    ['ok/p521 (DER path)', { kind: 'ec', curve: 'P-521' }],
  ])('%s: canonical DER and the same key as node:crypto decodes', (_n, spec) => {
    const key = makeTestKey(spec);
    const imported = importSpki(parse(key.spkiDer));
    expect(Buffer.from(imported.der)).toEqual(Buffer.from(key.spkiDer));
    expect(imported.key.equals(key.publicKey)).toBe(true);
  });

  it('ok/compressed-point-takes-the-general-path', () => {
    const key = makeTestKey({ kind: 'ec', curve: 'P-256' });
    const jwk = key.publicKey.export({ format: 'jwk' });
    const y = Buffer.from(jwk.y as string, 'base64url');
    const compressed = Buffer.concat([Buffer.of(2 + (y[31] & 1)), Buffer.from(jwk.x as string, 'base64url')]);
    const spki = parse(key.spkiDer);
    spki.subjectPublicKey = new Uint8Array(compressed).buffer;
    const imported = importSpki(spki);
    expect(imported.key.equals(key.publicKey)).toBe(true);
    expect(Buffer.from(imported.der)).toEqual(Buffer.from(AsnConvert.serialize(spki)));
  });

  it('fail/point-not-on-the-curve', () => {
    const spki = parse(makeTestKey({ kind: 'ec', curve: 'P-256' }).spkiDer);
    const bits = new Uint8Array(spki.subjectPublicKey);
    bits[64] ^= 1;
    spki.subjectPublicKey = bits.buffer;
    expect(() => importSpki(spki)).toThrow();
    // The general path rejects it too: both paths accept the same keys.
    expect(() =>
      createPublicKey({ key: Buffer.from(AsnConvert.serialize(spki)), format: 'der', type: 'spki' }),
    ).toThrow();
  });

  it('fail/ed25519-with-parameters-takes-the-general-path', () => {
    const spki = parse(makeTestKey({ kind: 'ed25519' }).spkiDer);
    spki.algorithm.parameters = null; // NULL parameters: RFC 8410 §3 says absent
    let key;
    try {
      key = importSpki(spki).key;
    } catch {
      key = undefined;
    }
    // Whatever OpenSSL decides, the JWK shortcut was not taken: it would have dropped the parameters.
    if (key) expect(Buffer.from(AsnConvert.serialize(spki)).includes(Buffer.of(0x05, 0x00))).toBe(true);
  });
});

describe('importSpkiDer (strict DER in, as received)', () => {
  const rsaE3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey;
  it.each<[string, Uint8Array]>([
    ['p256 (JWK)', makeTestKey({ kind: 'ec', curve: 'P-256' }).spkiDer],
    ['p384 (JWK)', makeTestKey({ kind: 'ec', curve: 'P-384' }).spkiDer],
    ['ed25519 (JWK)', makeTestKey({ kind: 'ed25519' }).spkiDer],
    ['rsa-2048 (JWK)', makeTestKey({ kind: 'rsa', bits: 2048 }).spkiDer],
    ['rsa-3072 (JWK)', makeTestKey({ kind: 'rsa', bits: 3072 }).spkiDer],
    ['rsa-1024 (DER: outside the policy)', makeTestKey({ kind: 'rsa', bits: 1024 }).spkiDer],
    ['rsa e=3 (DER: outside the policy)', new Uint8Array(rsaE3.export({ type: 'spki', format: 'der' }))],
    ['p521 (DER)', makeTestKey({ kind: 'ec', curve: 'P-521' }).spkiDer],
    ['ed448 (DER)', makeTestKey({ kind: 'ed448' }).spkiDer],
  ])('%s: same DER and key as importSpki', (_n, der) => {
    const general = importSpki(parse(der));
    const direct = importSpkiDer(der);
    expect(Buffer.from(direct.der)).toEqual(Buffer.from(general.der));
    expect(direct.key.equals(general.key)).toBe(true);
    expect(direct.key.asymmetricKeyDetails).toEqual(general.key.asymmetricKeyDetails);
  });

  it('fail/point-not-on-the-curve', () => {
    const der = new Uint8Array(makeTestKey({ kind: 'ec', curve: 'P-256' }).spkiDer);
    der[der.length - 1] ^= 1;
    expect(() => importSpkiDer(der)).toThrow();
  });
});
