import { constants, sign } from 'node:crypto';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { PkiError } from './contracts';
import { jwkSpkiSha256, parseCsr, spkiSha256 } from './csr';
import { derToPem } from './encoding';
import { makeCsrDer, makeTestKey, tamperCsr, TestKey, TestKeySpec } from './spec-helpers';

async function expectPkiError(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(PkiError);
  await p.catch((err: PkiError) => {
    expect(err.code).toBe(code);
    if (message) expect(err.message).toMatch(message);
  });
}

describe('parseCsr key policy', () => {
  it.each<[string, TestKeySpec, string]>([
    ['ok/p256', { kind: 'ec', curve: 'P-256' }, 'ecdsa-p256'],
    ['ok/p384', { kind: 'ec', curve: 'P-384' }, 'ecdsa-p384'],
    ['ok/rsa-2048', { kind: 'rsa', bits: 2048 }, 'rsa-2048'],
    ['ok/ed25519', { kind: 'ed25519' }, 'ed25519'],
  ])('%s', async (_n, spec, keyType) => {
    const key = makeTestKey(spec);
    const csr = await parseCsr(await makeCsrDer(key, { dns: ['a.example.com'] }));
    expect(csr.keyType).toBe(keyType);
    expect(Buffer.from(csr.spkiDer)).toEqual(Buffer.from(key.spkiDer));
    expect(csr.spkiSha256).toBe(spkiSha256(key.spkiDer));
  });

  it.each<[string, TestKeySpec, RegExp]>([
    ['fail/rsa-1024', { kind: 'rsa', bits: 1024 }, /key type rsa-1024 is not accepted; use ECDSA P-256\/P-384/],
    ['fail/rsa-2056', { kind: 'rsa', bits: 2056 }, /rsa-2056/],
    ['fail/p521', { kind: 'ec', curve: 'P-521' }, /ecdsa-secp521r1/],
    ['fail/secp256k1', { kind: 'ec', curve: 'secp256k1' }, /ecdsa-secp256k1/],
  ])('%s → badPublicKey', async (_n, spec, message) => {
    const key = makeTestKey(spec);
    // The CSR's signature does not matter: key policy is checked first, so we
    // can sign unsupported curves with a throwaway P-256 CSR and swap the SPKI.
    const der =
      spec.kind === 'rsa' ? await makeCsrDer(key, { dns: ['a.example.com'] }) : await csrWithForeignSpki(key.spkiDer);
    await expectPkiError(parseCsr(der), 'badPublicKey', message);
  });

  it('fail/ed448 → badPublicKey', async () => {
    await expectPkiError(
      parseCsr(await csrWithForeignSpki(makeTestKey({ kind: 'ed448' }).spkiDer)),
      'badPublicKey',
      /ed448/,
    );
  });

  it('fail/not-in-allowed-types', async () => {
    const der = await makeCsrDer(makeTestKey({ kind: 'ed25519' }), { dns: ['a.example.com'] });
    await expectPkiError(parseCsr(der, { allowedKeyTypes: ['ecdsa-p256'] }), 'badPublicKey');
  });
});

describe('parseCsr structure and names', () => {
  const key = makeTestKey({ kind: 'ec', curve: 'P-256' });

  it('ok/names-normalised-and-cn-merged', async () => {
    const der = await makeCsrDer(
      key,
      {
        dns: ['WWW.Example.com', 'api.example.com'],
        ip: ['2001:DB8:0:0:0:0:0:1', '192.0.2.7'],
        uri: ['spiffe://rotor/svc'],
      },
      'www.example.com',
    );
    const csr = await parseCsr(der);
    expect(csr.commonName).toBe('www.example.com');
    expect(csr.names).toEqual({
      dns: ['www.example.com', 'api.example.com'],
      ip: ['2001:db8::1', '192.0.2.7'],
      uri: ['spiffe://rotor/svc'],
    });
  });

  it('ok/cn-only-ip', async () => {
    const csr = await parseCsr(await makeCsrDer(key, {}, '192.0.2.9'));
    expect(csr.names).toEqual({ dns: [], ip: ['192.0.2.9'], uri: [] });
  });

  it.each([
    ['ok/base64url-input', (d: Uint8Array) => Buffer.from(d).toString('base64url')],
    ['ok/pem-input', (d: Uint8Array) => derToPem(d, 'CERTIFICATE REQUEST')],
  ])('%s', async (_n, encode) => {
    const der = await makeCsrDer(key, { dns: ['a.example.com'] });
    expect((await parseCsr(encode(der))).names.dns).toEqual(['a.example.com']);
  });

  it('fail/csr-bad-signature', async () => {
    const der = tamperCsr(await makeCsrDer(key, { dns: ['a.example.com'] }));
    await expectPkiError(parseCsr(der), 'badCSR', /signature is invalid/);
  });

  it.each([
    ['fail/csr-garbage', new Uint8Array([1, 2, 3, 4])],
    ['fail/csr-empty', new Uint8Array()],
    ['fail/csr-a-certificate-not-a-csr', new Uint8Array(Buffer.from('3003020101', 'hex'))],
  ])('%s → badCSR', async (_n, der) => {
    await expectPkiError(parseCsr(der), 'badCSR');
  });

  it('fail/csr-invalid-dns-name', async () => {
    await expectPkiError(
      parseCsr(await makeCsrDer(key, { dns: ['bad_name.example.com'] })),
      'badCSR',
      /not a valid DNS name/,
    );
  });
});

describe('jwkSpkiSha256', () => {
  it('ok/matches-spki-digest-for-the-same-key', () => {
    for (const spec of [
      { kind: 'ec', curve: 'P-256' },
      { kind: 'rsa', bits: 2048 },
      { kind: 'ed25519' },
    ] as TestKeySpec[]) {
      const key = makeTestKey(spec);
      const jwk = key.publicKey.export({ format: 'jwk' });
      expect(jwkSpkiSha256(jwk)).toBe(spkiSha256(key.spkiDer));
    }
  });
});

/**
 * A P-256 CSR whose SPKI is replaced by `spki` (re-encoding the outer lengths),
 * for key types WebCrypto cannot sign with.
 */
async function csrWithForeignSpki(spki: Uint8Array): Promise<Uint8Array> {
  const base = makeTestKey({ kind: 'ec', curve: 'P-256' });
  const der = Buffer.from(await makeCsrDer(base, { dns: ['a.example.com'] }));
  const at = der.indexOf(Buffer.from(base.spkiDer));
  // CertificationRequestInfo = SEQ { version, subject, spki, attributes }; rebuild it.
  const cri = parseTlv(der, parseTlv(der, 0).contentStart);
  const body = Buffer.concat([
    der.subarray(cri.contentStart, at),
    spki,
    der.subarray(at + base.spkiDer.length, cri.end),
  ]);
  const rest = der.subarray(cri.end, parseTlv(der, 0).end);
  return new Uint8Array(tlv(0x30, Buffer.concat([tlv(0x30, body), rest])));
}

function parseTlv(buf: Buffer, offset: number): { contentStart: number; end: number } {
  let len = buf[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = buf.readUIntBE(offset + 2, n);
    start += n;
  }
  return { contentStart: start, end: start + len };
}

function tlv(tag: number, content: Buffer): Buffer {
  const len = content.length;
  const header =
    len < 0x80
      ? Buffer.from([tag, len])
      : len < 0x100
        ? Buffer.from([tag, 0x81, len])
        : Buffer.from([tag, 0x82, len >> 8, len & 0xff]);
  return Buffer.concat([header, content]);
}

describe('parseCsr signature algorithms (verified with node:crypto)', () => {
  const ec = makeTestKey({ kind: 'ec', curve: 'P-256' });
  const rsa = makeTestKey({ kind: 'rsa', bits: 2048 });
  const sanExt = (...names: asn.GeneralName[]): asn.Extension =>
    new asn.Extension({
      extnID: asn.id_ce_subjectAltName,
      extnValue: new OctetString(AsnConvert.serialize(new asn.SubjectAlternativeName(names))),
    });
  const dnsSan = sanExt(new asn.GeneralName({ dNSName: 'a.example.com' }));

  /** A CSR built field by field and signed with node:crypto, for shapes the generator cannot make. */
  function forgeCsr(
    key: TestKey,
    algorithm: asn.AlgorithmIdentifier,
    sign: (data: Buffer) => Buffer,
    extensions: asn.Extension[] = [dnsSan],
  ): Uint8Array {
    const cri = new CertificationRequestInfo({
      subjectPKInfo: AsnConvert.parse(key.spkiDer, asn.SubjectPublicKeyInfo),
      attributes: new Attributes([
        new asn.Attribute({
          type: '1.2.840.113549.1.9.14',
          values: [AsnConvert.serialize(new asn.Extensions(extensions))],
        }),
      ]),
    });
    const criDer = Buffer.from(AsnConvert.serialize(cri));
    const csr = new CertificationRequest({
      certificationRequestInfo: cri,
      signatureAlgorithm: algorithm,
      signature: new Uint8Array(sign(criDer)).buffer,
    });
    return new Uint8Array(AsnConvert.serialize(csr));
  }
  const alg = (oid: string, parameters?: ArrayBuffer | null): asn.AlgorithmIdentifier =>
    new asn.AlgorithmIdentifier({ algorithm: oid, parameters });
  const ecdsa = (hash: string) => (d: Buffer) => sign(hash, d, ec.privateKey);

  it('ok/forged-ecdsa-sha384-on-p256', async () => {
    const csr = await parseCsr(forgeCsr(ec, alg('1.2.840.10045.4.3.3'), ecdsa('sha384')));
    expect([csr.keyType, csr.names.dns]).toEqual(['ecdsa-p256', ['a.example.com']]);
  });

  it('ok/rsassa-pss-sha256', async () => {
    const params = new RsaSaPssParams({
      hashAlgorithm: new asn.AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1', parameters: null }),
      maskGenAlgorithm: new asn.AlgorithmIdentifier({
        algorithm: '1.2.840.113549.1.1.8',
        parameters: AsnConvert.serialize(
          new asn.AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1', parameters: null }),
        ),
      }),
      saltLength: 32,
    });
    const der = forgeCsr(rsa, alg('1.2.840.113549.1.1.10', AsnConvert.serialize(params)), (d) =>
      sign('sha256', d, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
    );
    expect((await parseCsr(der)).keyType).toBe('rsa-2048');
  });

  it.each<[string, () => Uint8Array, RegExp]>([
    ['fail/ecdsa-sha1', () => forgeCsr(ec, alg('1.2.840.10045.4.1'), ecdsa('sha1')), /SHA-1/],
    [
      'fail/rsa-sha1',
      () => forgeCsr(rsa, alg('1.2.840.113549.1.1.5', null), (d) => sign('sha1', d, rsa.privateKey)),
      /SHA-1/,
    ],
    // node:crypto picks the scheme from the key: the label must be checked against it.
    [
      'fail/ec-key-labelled-rsa',
      () => forgeCsr(ec, alg('1.2.840.113549.1.1.11', null), ecdsa('sha256')),
      /does not match its public key/,
    ],
    ['fail/unknown-signature-algorithm', () => forgeCsr(ec, alg('1.2.3.4'), ecdsa('sha256')), /not supported/],
    [
      'fail/pss-params-garbage',
      () => forgeCsr(rsa, alg('1.2.840.113549.1.1.10', new Uint8Array([4, 1, 0]).buffer), () => Buffer.alloc(256)),
      /RSASSA-PSS/,
    ],
    [
      'fail/signed-with-another-key',
      () =>
        forgeCsr(ec, alg('1.2.840.10045.4.3.2'), (d) =>
          sign('sha256', d, makeTestKey({ kind: 'ec', curve: 'P-256' }).privateKey),
        ),
      /signature is invalid/,
    ],
    [
      'fail/two-san-extensions',
      () => forgeCsr(ec, alg('1.2.840.10045.4.3.2'), ecdsa('sha256'), [dnsSan, dnsSan]),
      /more than one subjectAltName/,
    ],
    [
      'fail/email-san',
      () =>
        forgeCsr(ec, alg('1.2.840.10045.4.3.2'), ecdsa('sha256'), [
          sanExt(new asn.GeneralName({ rfc822Name: 'a@example.com' })),
        ]),
      /type "email" is not supported/,
    ],
    [
      'fail/ip-san-with-netmask',
      () =>
        forgeCsr(ec, alg('1.2.840.10045.4.3.2'), ecdsa('sha256'), [
          sanExt(new asn.GeneralName({ iPAddress: '10.0.0.0/8' })),
        ]),
      /not a single IPv4\/IPv6 address/,
    ],
  ])('%s → badCSR', async (_n, make, message) => {
    await expectPkiError(parseCsr(make()), 'badCSR', message);
  });

  it('ok/spki-digest-is-of-the-der-re-encoding', async () => {
    const der = forgeCsr(ec, alg('1.2.840.10045.4.3.2'), ecdsa('sha256'));
    expect((await parseCsr(der)).spkiSha256).toBe(spkiSha256(ec.spkiDer));
  });
});
