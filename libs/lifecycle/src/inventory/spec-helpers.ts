/**
 * Test-only helpers (imported by *.spec.ts, tests under test/ and the
 * inventory benchmark, never by production code): certificates with chosen
 * keys, names and validity, self-signed or signed by a test issuer.
 */
import 'reflect-metadata';
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

export type TestCertKey = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'ed25519';

export interface TestCertOptions {
  key?: TestCertKey;
  cn?: string;
  dns?: string[];
  ip?: string[];
  uri?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Hex serial; random by default. */
  serial?: string;
  /** Signs with this issuer instead of self-signing. */
  issuer?: TestCertificate;
  ca?: boolean;
}

export interface TestCertificate {
  der: Uint8Array;
  pem: string;
  /** PKCS#8 PEM of the certificate's key (for a TLS server in tests). */
  keyPem: string;
  fingerprint: string;
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
  algorithm: webcrypto.EcKeyGenParams | webcrypto.RsaHashedKeyGenParams | webcrypto.Algorithm;
}

const ALGORITHMS: Record<TestCertKey, TestCertificate['algorithm']> = {
  'ec-p256': { name: 'ECDSA', namedCurve: 'P-256' } as webcrypto.EcKeyGenParams,
  'ec-p384': { name: 'ECDSA', namedCurve: 'P-384' } as webcrypto.EcKeyGenParams,
  'rsa-2048': {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  } as webcrypto.RsaHashedKeyGenParams,
  ed25519: { name: 'Ed25519' },
};

const signing = (algorithm: TestCertificate['algorithm']) =>
  algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : algorithm;

export async function makeTestCertificate(options: TestCertOptions = {}): Promise<TestCertificate> {
  const algorithm = ALGORITHMS[options.key ?? 'ec-p256'];
  const keys = (await webcrypto.subtle.generateKey(algorithm as never, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const names: x509.JsonGeneralNames = [
    ...(options.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(options.uri ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  const extensions: x509.Extension[] = names.length ? [new x509.SubjectAlternativeNameExtension(names)] : [];
  if (options.ca) extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
  const subject = `CN=${options.cn ?? options.dns?.[0] ?? 'rotor-test'}`;
  const issuer = options.issuer;
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: options.serial ?? `01${randomBytes(15).toString('hex')}`,
      subject,
      issuer: issuer ? issuer.cert.subject : subject,
      notBefore: options.notBefore ?? new Date(now - 3600e3),
      notAfter: options.notAfter ?? new Date(now + 30 * 86400e3),
      publicKey: keys.publicKey,
      signingKey: issuer ? issuer.keys.privateKey : keys.privateKey,
      signingAlgorithm: signing(issuer ? issuer.algorithm : algorithm),
      extensions,
    },
    webcrypto as never,
  );
  const der = new Uint8Array(cert.rawData);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    der,
    pem: cert.toString('pem') + '\n',
    keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`,
    fingerprint: createHash('sha256').update(der).digest('hex'),
    cert,
    keys,
    algorithm,
  };
}
