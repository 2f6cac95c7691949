import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import * as x509 from './x509';
import { IssueOptions, LeafProfile, PkiError, StoredCaMaterial, SubjectNames } from './contracts';
import { createCaMaterial } from './ca-hierarchy';
import { CertificateAuthority, CertificateAuthorityOptions, generateLeafKeyPair } from './certificate-authority';
import { usePkiCrypto } from './crypto-provider';
import { parseCsr } from './csr';
import { KeySealer } from './key-sealer';
import { makeCsrDer, makeTestKey, TestKeySpec } from './spec-helpers';

const sealer = KeySealer.fromMasterKey('22'.repeat(32));
const HOUR = 3600_000;
const NOW = new Date('2030-01-01T00:00:00Z');
const opts: CertificateAuthorityOptions = {
  aiaIssuerUrl: 'http://rotor.test/ca/intermediate.pem',
  crlUrl: 'http://rotor.test/ca/crl',
  now: () => NOW,
};
const names = (dns: string[], ip: string[] = [], uri: string[] = []): SubjectNames => ({
  dns,
  ip,
  uri,
});

let material: StoredCaMaterial;
let ca: CertificateAuthority;
beforeAll(async () => {
  material = await createCaMaterial('ecdsa-p256', sealer, {
    now: new Date('2029-12-01T00:00:00Z'),
  });
  ca = await CertificateAuthority.open(material, sealer, opts);
});

const p256 = makeTestKey({ kind: 'ec', curve: 'P-256' });

describe('leaf profile', () => {
  it.each<[string, TestKeySpec, LeafProfile, string[], number]>([
    [
      'ok/p256-server',
      { kind: 'ec', curve: 'P-256' },
      'server',
      ['1.3.6.1.5.5.7.3.1'],
      x509.KeyUsageFlags.digitalSignature,
    ],
    [
      'ok/p384-client',
      { kind: 'ec', curve: 'P-384' },
      'client',
      ['1.3.6.1.5.5.7.3.2'],
      x509.KeyUsageFlags.digitalSignature,
    ],
    [
      'ok/ed25519-mtls',
      { kind: 'ed25519' },
      'mtls',
      ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'],
      x509.KeyUsageFlags.digitalSignature,
    ],
    [
      'ok/rsa2048-server',
      { kind: 'rsa', bits: 2048 },
      'server',
      ['1.3.6.1.5.5.7.3.1'],
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    ],
  ])('%s', async (_n, spec, profile, ekus, usages) => {
    const key = makeTestKey(spec);
    const csr = await parseCsr(await makeCsrDer(key, { dns: ['www.example.com'] }));
    const issued = await ca.issueFromCsr(csr, {
      profile,
      names: names(['www.example.com', 'api.example.com'], ['192.0.2.1']),
    });
    const cert = new x509.X509Certificate(issued.leafPem);

    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual(ekus);
    const ku = cert.getExtension(x509.KeyUsagesExtension);
    expect([ku?.usages, ku?.critical]).toEqual([usages, true]);
    const bc = cert.getExtension(x509.BasicConstraintsExtension);
    expect([bc?.ca, bc?.critical]).toEqual([false, true]);
    // SAN content is exactly the requested names, not the CSR's.
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.names.toJSON()).toEqual([
      { type: 'dns', value: 'www.example.com' },
      { type: 'dns', value: 'api.example.com' },
      { type: 'ip', value: '192.0.2.1' },
    ]);
    expect(san?.critical).toBe(false);
    expect(cert.subject).toBe('CN=www.example.com');
    expect(issued.keyType).toBe(csr.keyType);
    expect(issued.spkiSha256).toBe(csr.spkiSha256);
    const node = new X509Certificate(issued.leafPem);
    expect(node.verify(new X509Certificate(material.intermediateCertPem).publicKey)).toBe(true);
  });

  it('ok/serial-128-bit-positive-and-unique', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const issued = await ca.issueForPublicKey(p256.spkiDer, {
        profile: 'server',
        names: names(['s.example.com']),
      });
      const octets = Buffer.from(issued.serialHex, 'hex');
      // RFC 5280 §4.1.2.2: positive, at most 20 octets; ours is 17 with a non-zero, non-sign first octet.
      expect(octets.length).toBe(17);
      expect(octets[0]).toBeGreaterThan(0);
      expect(octets[0]).toBeLessThan(0x80);
      expect(issued.serialHex).toBe(new X509Certificate(issued.leafPem).serialNumber.toLowerCase());
      serials.add(issued.serialHex);
    }
    expect(serials.size).toBe(20);
  });

  it('ok/aki-equals-intermediate-ski-and-aia-crl-present', async () => {
    const issued = await ca.issueForPublicKey(p256.spkiDer, {
      profile: 'server',
      names: names(['a.example.com']),
    });
    const cert = new x509.X509Certificate(issued.leafPem);
    const ski = new x509.X509Certificate(material.intermediateCertPem).getExtension(
      x509.SubjectKeyIdentifierExtension,
    )?.keyId;
    expect(cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(ski);
    expect(ca.intermediateAkiB64url).toBe(Buffer.from(ski as string, 'hex').toString('base64url'));
    expect(cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
    expect(cert.getExtension(x509.AuthorityInfoAccessExtension)?.caIssuers.map((g) => g.value)).toEqual([
      opts.aiaIssuerUrl,
    ]);
    expect(cert.getExtension(x509.CRLDistributionPointsExtension)?.distributionPoints).toHaveLength(1);
    expect(issued.chainPem).toBe(issued.leafPem + ca.intermediatePem);
    expect(issued.fingerprintSha256).toBe(createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex'));
    expect(issued.issuer).toBe(new x509.X509Certificate(material.intermediateCertPem).subject);
  });

  it('ok/ip-only-has-empty-subject-and-critical-san', async () => {
    const issued = await ca.issueForPublicKey(p256.spkiDer, {
      profile: 'server',
      names: names([], ['2001:DB8::0:1', '10.0.0.1']),
    });
    const cert = new x509.X509Certificate(issued.leafPem);
    expect(cert.subject).toBe('');
    expect(issued.names.ip).toEqual(['2001:db8::1', '10.0.0.1']);
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.critical).toBe(true); // RFC 5280 §4.2.1.6
    expect(san?.names.toJSON()).toEqual([
      { type: 'ip', value: '2001:db8::1' },
      { type: 'ip', value: '10.0.0.1' },
    ]);
  });

  it('ok/cn-skips-names-longer-than-64', async () => {
    const long = `${'a'.repeat(60)}.example.com`;
    const issued = await ca.issueForPublicKey(p256.spkiDer, {
      profile: 'server',
      names: names([long, 'short.example.com']),
    });
    expect(issued.subject).toBe('CN=short.example.com');
  });

  it('ok/uri-san', async () => {
    const issued = await ca.issueForPublicKey(p256.spkiDer, {
      profile: 'mtls',
      names: names(['svc.example.com'], [], ['spiffe://rotor/ns/svc']),
    });
    expect(new X509Certificate(issued.leafPem).subjectAltName).toBe('DNS:svc.example.com, URI:spiffe://rotor/ns/svc');
  });

  it.each([
    ['fail/no-names', names([]), 'badCSR'],
    ['fail/bad-dns-name', names(['exa mple.com']), 'badCSR'],
    ['fail/bad-ip', names([], ['300.1.1.1']), 'badCSR'],
  ])('%s', async (_n, n, code) => {
    await expect(ca.issueForPublicKey(p256.spkiDer, { profile: 'server', names: n })).rejects.toMatchObject({ code });
  });

  it('fail/weak-key-for-issueForPublicKey', async () => {
    const weak = makeTestKey({ kind: 'rsa', bits: 1024 });
    await expect(
      ca.issueForPublicKey(weak.spkiDer, { profile: 'server', names: names(['a.example.com']) }),
    ).rejects.toMatchObject({
      code: 'badPublicKey',
    });
  });
});

describe('validity policy', () => {
  const base: IssueOptions = { profile: 'server', names: names(['v.example.com']) };
  it.each<[string, Partial<IssueOptions>, number, number]>([
    ['ok/default-24h-backdated-1min', {}, NOW.getTime() - 60_000, NOW.getTime() + 24 * HOUR],
    [
      'ok/explicit-window',
      { notBefore: new Date(NOW.getTime() + HOUR), notAfter: new Date(NOW.getTime() + 48 * HOUR) },
      NOW.getTime() + HOUR,
      NOW.getTime() + 48 * HOUR,
    ],
    [
      'ok/only-notAfter',
      { notAfter: new Date(NOW.getTime() + 7 * 24 * HOUR) },
      NOW.getTime() - 60_000,
      NOW.getTime() + 7 * 24 * HOUR,
    ],
    [
      'ok/exactly-max-lifetime',
      { notAfter: new Date(NOW.getTime() + 90 * 24 * HOUR) },
      NOW.getTime() - 60_000,
      NOW.getTime() + 90 * 24 * HOUR,
    ],
    [
      'ok/milliseconds-truncated',
      { notAfter: new Date(NOW.getTime() + HOUR + 999) },
      NOW.getTime() - 60_000,
      NOW.getTime() + HOUR,
    ],
  ])('%s', async (_n, extra, nb, na) => {
    const issued = await ca.issueForPublicKey(p256.spkiDer, { ...base, ...extra });
    expect([issued.notBefore.getTime(), issued.notAfter.getTime()]).toEqual([nb, na]);
    const cert = new X509Certificate(issued.leafPem);
    expect([new Date(cert.validFrom).getTime(), new Date(cert.validTo).getTime()]).toEqual([nb, na]);
  });

  it.each<[string, Partial<IssueOptions>, RegExp]>([
    [
      'fail/notAfter-before-notBefore',
      { notBefore: new Date(NOW.getTime() + HOUR), notAfter: NOW },
      /later than notBefore/,
    ],
    ['fail/notAfter-equals-notBefore', { notBefore: NOW, notAfter: NOW }, /later than notBefore/],
    ['fail/lifetime-over-max', { notAfter: new Date(NOW.getTime() + 91 * 24 * HOUR) }, /maximum of 90 days/],
    [
      'fail/beyond-intermediate',
      { notBefore: new Date('2034-11-01T00:00:00Z'), notAfter: new Date('2034-12-25T00:00:00Z') },
      /intermediate's notAfter/,
    ],
    [
      'fail/before-intermediate',
      { notBefore: new Date('2029-01-01T00:00:00Z'), notAfter: new Date('2029-01-02T00:00:00Z') },
      /intermediate's notBefore/,
    ],
  ])('%s → badValidity', async (_n, extra, message) => {
    const err = await ca.issueForPublicKey(p256.spkiDer, { ...base, ...extra }).catch((e: PkiError) => e);
    expect(err).toBeInstanceOf(PkiError);
    expect([(err as PkiError).code, (err as PkiError).message]).toEqual([
      'badValidity',
      expect.stringMatching(message),
    ]);
  });
});

describe('open / keys / providers', () => {
  it('fail/open-with-wrong-sealer → caUnavailable', async () => {
    const other = KeySealer.fromMasterKey('33'.repeat(32));
    await expect(CertificateAuthority.open(material, other, opts)).rejects.toMatchObject({
      code: 'caUnavailable',
    });
  });

  it('fail/open-with-mismatched-algorithm → caUnavailable', async () => {
    await expect(CertificateAuthority.open({ ...material, algorithm: 'rsa-2048' }, sealer, opts)).rejects.toMatchObject(
      { code: 'caUnavailable' },
    );
  });

  it.each(['ecdsa-p256', 'ed25519', 'rsa-2048'] as const)('ok/generateLeafKeyPair-%s', async (keyType) => {
    const pair = await generateLeafKeyPair(keyType);
    expect(pair.privateKeyPkcs8Pem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const issued = await ca.issueForPublicKey(pair.spkiDer, {
      profile: 'server',
      names: names(['self.example.com']),
    });
    expect(issued.keyType).toBe(keyType);
    expect(new X509Certificate(issued.leafPem).checkPrivateKey(createPrivateKey(pair.privateKeyPkcs8Pem))).toBe(true);
  });

  it('ok/issueForPublicKey-accepts-a-CryptoKey', async () => {
    const key = await globalThis.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ]);
    const issued = await ca.issueForPublicKey(key.publicKey, {
      profile: 'client',
      names: names(['ck.example.com']),
    });
    expect(issued.keyType).toBe('ecdsa-p256');
  });

  it('ok/peculiar-provider-issues-and-parses', async () => {
    usePkiCrypto('peculiar');
    try {
      const pca = await CertificateAuthority.open(material, sealer, opts);
      const csr = await parseCsr(await makeCsrDer(p256, { dns: ['pec.example.com'] }));
      const issued = await pca.issueFromCsr(csr, { profile: 'server', names: csr.names });
      expect(
        new X509Certificate(issued.leafPem).verify(new X509Certificate(material.intermediateCertPem).publicKey),
      ).toBe(true);
    } finally {
      usePkiCrypto('native');
    }
  });
});
