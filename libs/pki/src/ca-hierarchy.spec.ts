import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as x509 from './x509';
import { CaKeyAlgorithm, PkiError, StoredCaMaterial } from './contracts';
import { createCaMaterial, importCaMaterial, ImportCaInput } from './ca-hierarchy';
import { CertificateAuthority } from './certificate-authority';
import { KeySealer } from './key-sealer';
import { makeTestKey, openssl } from './spec-helpers';

const sealer = KeySealer.fromMasterKey('11'.repeat(32));
const YEAR = 365 * 24 * 3600 * 1000;

function keyPem(sealed: string): string {
  return createPrivateKey({ key: Buffer.from(sealer.unseal(sealed)), format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

describe.each<[CaKeyAlgorithm, string]>([
  ['ecdsa-p256', 'ecdsa-with-SHA256'],
  ['ecdsa-p384', 'ecdsa-with-SHA384'],
  ['rsa-2048', 'sha256WithRSAEncryption'],
  ['rsa-3072', 'sha256WithRSAEncryption'],
  ['rsa-4096', 'sha256WithRSAEncryption'], // the one slow case; kept to a single hierarchy
])('ok/%s hierarchy', (algorithm, sigAlg) => {
  let material: StoredCaMaterial;
  let root: X509Certificate;
  let intermediate: X509Certificate;
  beforeAll(async () => {
    material = await createCaMaterial(algorithm, sealer);
    root = new X509Certificate(material.rootCertPem);
    intermediate = new X509Certificate(material.intermediateCertPem);
  }, 30_000);

  it('builds a verifying root → intermediate chain', () => {
    expect(material.algorithm).toBe(algorithm);
    expect(root.checkIssued(root) && root.verify(root.publicKey)).toBe(true);
    expect(intermediate.checkIssued(root) && intermediate.verify(root.publicKey)).toBe(true);
    expect(root.ca && intermediate.ca).toBe(true);
    expect(root.subject).toMatch(/^O=Rotor\nCN=Rotor Root CA [0-9a-f]{8}$/);
    expect(intermediate.subject).toMatch(/^O=Rotor\nCN=Rotor Intermediate CA [0-9a-f]{8}$/);
  });

  it('has the RFC 5280 CA profile', () => {
    const r = new x509.X509Certificate(material.rootCertPem);
    const i = new x509.X509Certificate(material.intermediateCertPem);
    const rbc = r.getExtension(x509.BasicConstraintsExtension);
    const ibc = i.getExtension(x509.BasicConstraintsExtension);
    expect([rbc?.ca, rbc?.critical, rbc?.pathLength]).toEqual([true, true, undefined]);
    expect([ibc?.ca, ibc?.critical, ibc?.pathLength]).toEqual([true, true, 0]);
    for (const c of [r, i]) {
      const ku = c.getExtension(x509.KeyUsagesExtension);
      expect(ku?.critical).toBe(true);
      expect(ku?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    }
    const rootSki = r.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    expect(rootSki).toMatch(/^[0-9a-f]{40}$/);
    expect(i.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(rootSki);
    const years = (c: x509.X509Certificate): number => (c.notAfter.getTime() - c.notBefore.getTime()) / YEAR;
    expect(years(r)).toBeCloseTo(10, 1);
    expect(years(i)).toBeCloseTo(5, 1);
  });

  it('seals keys that match their certificates', () => {
    expect(material.rootKeySealed).toMatch(/^v1\./);
    expect(material.rootCertPem).not.toContain('PRIVATE');
    const intKey = createPrivateKey(keyPem(material.intermediateKeySealed));
    expect(intermediate.checkPrivateKey(intKey)).toBe(true);
    expect(root.checkPrivateKey(createPrivateKey(keyPem(material.rootKeySealed as string)))).toBe(true);
  });

  it('is accepted by openssl verify with the expected signature algorithm', () => {
    const res = openssl(['verify', '-CAfile', 'root.pem', 'int.pem'], {
      'root.pem': material.rootCertPem,
      'int.pem': material.intermediateCertPem,
    });
    if (!res) return; // openssl not installed: node:crypto checks above still ran
    expect(res).toEqual({ ok: true, out: expect.stringContaining('int.pem: OK') });
    expect(
      openssl(['x509', '-in', 'int.pem', '-noout', '-text'], {
        'int.pem': material.intermediateCertPem,
      })?.out,
    ).toContain(sigAlg);
  });

  it('issues a leaf that chains to the root', async () => {
    const ca = await CertificateAuthority.open(material, sealer, {
      aiaIssuerUrl: 'http://ca.test/int.pem',
      crlUrl: 'http://ca.test/crl',
    });
    const leafKey = makeTestKey({ kind: 'ec', curve: 'P-256' });
    const issued = await ca.issueForPublicKey(leafKey.spkiDer, {
      profile: 'server',
      names: { dns: ['chain.example.com'], ip: [], uri: [] },
    });
    const leaf = new X509Certificate(issued.leafPem);
    expect(leaf.checkIssued(intermediate) && leaf.verify(intermediate.publicKey)).toBe(true);
    const res = openssl(
      ['verify', '-CAfile', 'root.pem', '-untrusted', 'int.pem', '-purpose', 'sslserver', 'leaf.pem'],
      {
        'root.pem': material.rootCertPem,
        'int.pem': material.intermediateCertPem,
        'leaf.pem': issued.leafPem,
      },
    );
    if (res) expect(res.out).toContain('leaf.pem: OK');
  });
});

describe('importCaMaterial', () => {
  let a: StoredCaMaterial;
  let b: StoredCaMaterial;
  let good: ImportCaInput;
  beforeAll(async () => {
    [a, b] = await Promise.all([createCaMaterial('ecdsa-p256', sealer), createCaMaterial('ecdsa-p384', sealer)]);
    good = {
      rootCertPem: a.rootCertPem,
      intermediateCertPem: a.intermediateCertPem,
      intermediateKeyPem: keyPem(a.intermediateKeySealed),
    };
  });

  it('ok/import-without-root-key', async () => {
    const m = await importCaMaterial(good, sealer);
    expect(m.algorithm).toBe('ecdsa-p256');
    expect(m.rootKeySealed).toBeUndefined();
    expect(Buffer.from(sealer.unseal(m.intermediateKeySealed))).toEqual(
      Buffer.from(sealer.unseal(a.intermediateKeySealed)),
    );
    const ca = await CertificateAuthority.open(m, sealer, {
      aiaIssuerUrl: 'http://x/i',
      crlUrl: 'http://x/c',
    });
    expect(ca.algorithm).toBe('ecdsa-p256');
  });

  it('ok/import-with-root-key', async () => {
    const m = await importCaMaterial({ ...good, rootKeyPem: keyPem(a.rootKeySealed as string) }, sealer);
    expect(m.rootKeySealed).toMatch(/^v1\./);
  });

  // Every row has four cells: jest treats a callback with more parameters than cells as `done`-style.
  const cases: [string, () => ImportCaInput, RegExp, Date | undefined][] = [
    [
      'fail/mismatched-intermediate-key',
      () => ({ ...good, intermediateKeyPem: keyPem(b.intermediateKeySealed) }),
      /intermediate key does not match/,
      undefined,
    ],
    [
      'fail/root-key-is-intermediate-key',
      () => ({ ...good, rootKeyPem: good.intermediateKeyPem }),
      /root key does not match/,
      undefined,
    ],
    ['fail/untrusted-chain', () => ({ ...good, rootCertPem: b.rootCertPem }), /not signed by the root/, undefined],
    [
      'fail/intermediate-as-root',
      () => ({ ...good, rootCertPem: a.intermediateCertPem }),
      /not self-signed/,
      undefined,
    ],
    ['fail/expired', () => good, /not valid now/, new Date(Date.now() + 20 * YEAR)],
    [
      'fail/garbage-cert',
      () => ({ ...good, intermediateCertPem: 'hello' }),
      /intermediate certificate is not a valid PEM/,
      undefined,
    ],
    [
      'fail/garbage-key',
      () => ({
        ...good,
        intermediateKeyPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
      }),
      /not a valid PKCS#8/,
      undefined,
    ],
    [
      'fail/encrypted-key',
      () => ({
        ...good,
        intermediateKeyPem: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n',
      }),
      /encrypted/,
      undefined,
    ],
  ];
  it.each(cases)('%s → badImport', async (_n, input, message, now) => {
    const i = input();
    const err = await importCaMaterial(i, sealer, now).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PkiError);
    expect((err as PkiError).code).toBe('badImport');
    expect((err as PkiError).message).toMatch(message);
    expect((err as PkiError).message).not.toContain('PRIVATE KEY');
  });

  it('fail/not-a-ca-intermediate → badImport', async () => {
    const ca = await CertificateAuthority.open(a, sealer, {
      aiaIssuerUrl: 'http://x/i',
      crlUrl: 'http://x/c',
    });
    const leafKey = makeTestKey({ kind: 'ec', curve: 'P-256' });
    const leaf = await ca.issueForPublicKey(leafKey.spkiDer, {
      profile: 'server',
      names: { dns: ['x.example.com'], ip: [], uri: [] },
    });
    const err = await importCaMaterial(
      {
        rootCertPem: a.intermediateCertPem,
        intermediateCertPem: leaf.leafPem,
        intermediateKeyPem: leafKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
      sealer,
    ).catch((e: PkiError) => e);
    // The intermediate here is not self-signed, so that is reported first; a CA check follows it.
    expect((err as PkiError).code).toBe('badImport');
  });
});
