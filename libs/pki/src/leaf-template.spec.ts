import { X509Certificate } from 'node:crypto';
import * as x509 from './x509';
import { CaKeyAlgorithm, LeafProfile, StoredCaMaterial, SubjectNames } from './contracts';
import { algorithmParams, importSigningKey, keyIdentifierHex } from './ca-keys';
import { createCaMaterial } from './ca-hierarchy';
import { CertificateAuthority, CertificateAuthorityOptions } from './certificate-authority';
import { getPkiCrypto, PkiCryptoKey } from './crypto-provider';
import { parseCsr } from './csr';
import { derChildren, readTlv } from './der';
import { derToPem } from './encoding';
import { KeySealer } from './key-sealer';
import { LeafExtensionFactory, leafSubject } from './leaf-profile';
import { makeCsrDer, makeTestKey, openssl, TestKeySpec } from './spec-helpers';

/**
 * The issuance fast path (LeafTemplate + node:crypto) must produce the same
 * certificate content X509CertificateGenerator produced before it: for each
 * issued leaf we rebuild the certificate with the generator from the same
 * serial, validity, key, names and profile, and compare the TBSCertificate and
 * signatureAlgorithm DER byte for byte. ECDSA signatures are randomised, so the
 * signatures themselves are checked by verification instead.
 */

const sealer = KeySealer.fromMasterKey('44'.repeat(32));
const opts: CertificateAuthorityOptions = {
  aiaIssuerUrl: 'http://rotor.test/ca/intermediate.pem',
  crlUrl: 'http://rotor.test/ca/crl',
};
const n = (dns: string[], ip: string[] = [], uri: string[] = []): SubjectNames => ({ dns, ip, uri });

interface OpenCa {
  material: StoredCaMaterial;
  ca: CertificateAuthority;
  generatorKey: PkiCryptoKey;
  extensions: LeafExtensionFactory;
}

async function openCa(algorithm: CaKeyAlgorithm, now?: Date): Promise<OpenCa> {
  const material = await createCaMaterial(algorithm, sealer, { now });
  const ca = await CertificateAuthority.open(material, sealer, { ...opts, now: now && (() => now) });
  const pkcs8 = sealer.unseal(material.intermediateKeySealed);
  const generatorKey = await importSigningKey(getPkiCrypto(), algorithm, pkcs8);
  const intermediate = new x509.X509Certificate(material.intermediateCertPem);
  const extensions = new LeafExtensionFactory({
    authorityKeyIdHex: intermediate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId as string,
    aiaIssuerUrl: opts.aiaIssuerUrl,
    crlUrl: opts.crlUrl,
  });
  return { material, ca, generatorKey, extensions };
}

/** What X509CertificateGenerator makes of the same inputs (the pre-fast-path code, verbatim). */
async function generatorLeaf(
  env: OpenCa,
  leaf: x509.X509Certificate,
  spkiDer: Uint8Array,
  profile: LeafProfile,
  names: SubjectNames,
  keyType: Parameters<LeafExtensionFactory['build']>[0]['keyType'],
): Promise<x509.X509Certificate> {
  const commonName = leafSubject(names);
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: leaf.serialNumber,
      subject: commonName ? new x509.Name([{ CN: [commonName] }]) : undefined,
      issuer: new x509.X509Certificate(env.material.intermediateCertPem).subjectName,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      publicKey: spkiDer,
      signingKey: env.generatorKey,
      signingAlgorithm: algorithmParams(env.material.algorithm).signingAlgorithm,
      extensions: env.extensions.build({ spkiDer, keyType, profile, names, hasSubject: commonName !== undefined }),
    },
    getPkiCrypto(),
  );
}

/** [tbsCertificate, signatureAlgorithm] DER of a certificate. */
function signedParts(der: Uint8Array): Buffer[] {
  const [tbs, alg, sig] = derChildren(der, readTlv(der, 0));
  expect(sig.tag).toBe(0x03);
  return [tbs, alg].map((t) => Buffer.from(der.subarray(t.offset, t.end)));
}

function expectOpensslVerifies(env: OpenCa, leafPem: string, purpose: string, atTime?: Date): void {
  const args = ['verify', '-CAfile', 'root.pem', '-untrusted', 'int.pem', '-purpose', purpose];
  if (atTime) args.push('-attime', String(Math.floor(atTime.getTime() / 1000)));
  const res = openssl([...args, 'leaf.pem'], {
    'root.pem': env.material.rootCertPem,
    'int.pem': env.material.intermediateCertPem,
    'leaf.pem': leafPem,
  });
  if (!res) return; // openssl not installed: the node:crypto checks still ran
  expect(res.out).toMatch(/leaf\.pem: OK/);
  expect(res.ok).toBe(true);
}

const CASES: [string, TestKeySpec, LeafProfile, SubjectNames][] = [
  ['p256-server-dns', { kind: 'ec', curve: 'P-256' }, 'server', n(['www.example.com', 'api.example.com'])],
  ['p384-client-dns-ip', { kind: 'ec', curve: 'P-384' }, 'client', n(['c.example.com'], ['192.0.2.1', '2001:db8::1'])],
  ['ed25519-mtls-uri', { kind: 'ed25519' }, 'mtls', n(['svc.example.com'], [], ['spiffe://rotor/ns/svc'])],
  ['rsa2048-server-keyEncipherment', { kind: 'rsa', bits: 2048 }, 'server', n(['rsa.example.com'])],
  ['p256-ip-only-empty-subject-critical-san', { kind: 'ec', curve: 'P-256' }, 'server', n([], ['10.0.0.1', '::1'])],
  ['p256-wildcard-cn-utf8string', { kind: 'ec', curve: 'P-256' }, 'server', n(['*.example.com', 'example.com'])],
  [
    'p256-long-first-name-not-cn',
    { kind: 'ec', curve: 'P-256' },
    'mtls',
    n([`${'a'.repeat(60)}.example.com`, 'short.example.com']),
  ],
  [
    'p256-many-names-long-form-lengths',
    { kind: 'ec', curve: 'P-256' },
    'server',
    n(
      Array.from({ length: 30 }, (_, i) => `host-${i}.example.com`),
      ['::ffff:192.0.2.1', '2001:db8:0:1::1', '0.0.0.0'],
      ['https://x.example/a'],
    ),
  ],
  // Non-ASCII URIs are left to the ASN.1 encoder.
  [
    'p256-non-ascii-uri',
    { kind: 'ec', curve: 'P-256' },
    'mtls',
    n(['u.example.com'], [], ['https://例え.example/パス']),
  ],
];

describe.each<CaKeyAlgorithm>(['ecdsa-p256', 'ecdsa-p384', 'rsa-2048'])('fast path = generator, CA %s', (alg) => {
  let env: OpenCa;
  beforeAll(async () => {
    env = await openCa(alg);
  }, 30_000);

  it.each(CASES)('ok/%s', async (_name, spec, profile, names) => {
    const key = makeTestKey(spec);
    const csr = await parseCsr(await makeCsrDer(key, { dns: ['csr.example.com'] }));
    const issued = await env.ca.issueFromCsr(csr, { profile, names });
    const leaf = new x509.X509Certificate(issued.leafPem);
    const reference = await generatorLeaf(env, leaf, csr.spkiDer, profile, issued.names, csr.keyType);

    const ours = new Uint8Array(leaf.rawData);
    expect(signedParts(ours)).toEqual(signedParts(new Uint8Array(reference.rawData)));
    // The fields IssuedCertificate reports are those of the certificate.
    expect(issued.serialHex).toBe(reference.serialNumber.toLowerCase());
    expect(issued.subject).toBe(reference.subject);
    expect(issued.issuer).toBe(reference.issuer);
    expect([issued.notBefore, issued.notAfter]).toEqual([reference.notBefore, reference.notAfter]);

    // Both signatures verify under the intermediate key, with node:crypto and openssl.
    const intermediate = new X509Certificate(env.material.intermediateCertPem);
    const node = new X509Certificate(issued.leafPem);
    expect(node.verify(intermediate.publicKey)).toBe(true);
    expect(node.checkIssued(intermediate)).toBe(true);
    expect(new X509Certificate(derToPem(reference.rawData, 'CERTIFICATE')).verify(intermediate.publicKey)).toBe(true);
    expect(await leaf.verify({ publicKey: intermediate.publicKey.export({ type: 'spki', format: 'der' }) })).toBe(true);
    expectOpensslVerifies(env, issued.leafPem, profile === 'client' ? 'sslclient' : 'sslserver');

    // Spot checks that do not depend on the reference: the extensions the profile promises.
    const ski = leaf.getExtension(x509.SubjectKeyIdentifierExtension);
    expect(ski?.keyId).toBe(keyIdentifierHex(csr.spkiDer));
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.critical).toBe(leaf.subject === '');
    expect(leaf.extensions.map((e) => [e.type, e.critical])).toEqual([
      ['2.5.29.19', true], // basicConstraints
      ['2.5.29.15', true], // keyUsage
      ['2.5.29.37', false], // extKeyUsage
      ['2.5.29.17', leaf.subject === ''], // subjectAltName
      ['2.5.29.14', false], // subjectKeyIdentifier
      ['2.5.29.35', false], // authorityKeyIdentifier
      ['1.3.6.1.5.5.7.1.1', false], // authorityInfoAccess
      ['2.5.29.31', false], // cRLDistributionPoints
    ]);
  });
});

describe('fast path = generator across the 2050 UTCTime/GeneralizedTime switch (RFC 5280 §4.1.2.5)', () => {
  it('ok/notAfter-2050-generalized-time', async () => {
    const now = new Date('2049-12-31T12:00:00Z');
    const env = await openCa('ecdsa-p256', new Date('2048-01-01T00:00:00Z'));
    const ca = await CertificateAuthority.open(env.material, sealer, { ...opts, now: () => now });
    const key = makeTestKey({ kind: 'ec', curve: 'P-256' });
    const issued = await ca.issueForPublicKey(key.spkiDer, { profile: 'server', names: n(['y2050.example.com']) });
    expect(issued.notAfter.toISOString()).toBe('2050-01-01T12:00:00.000Z');
    const leaf = new x509.X509Certificate(issued.leafPem);
    const reference = await generatorLeaf(env, leaf, key.spkiDer, 'server', issued.names, 'ecdsa-p256');
    expect(signedParts(new Uint8Array(leaf.rawData))).toEqual(signedParts(new Uint8Array(reference.rawData)));
    expect(Buffer.from(leaf.rawData).includes(Buffer.from('20500101120000Z'))).toBe(true); // GeneralizedTime
    expectOpensslVerifies(env, issued.leafPem, 'sslserver', now);
  });
});
