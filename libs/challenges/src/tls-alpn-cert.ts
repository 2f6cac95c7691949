import { randomBytes, webcrypto } from 'node:crypto';
import { x509 } from './x509';
import type { ChallengeIdentifier } from './contracts';
import { keyAuthorizationSha256 } from './key-authorization';

/** id-pe-acmeIdentifier (RFC 8737 §6.1): id-pe 31. */
export const ACME_IDENTIFIER_OID = '1.3.6.1.5.5.7.1.31';
/** The ALPN protocol name a validation handshake offers and requires (RFC 8737 §4, §6.2). */
export const ACME_TLS_ALPN_PROTOCOL = 'acme-tls/1';

export interface ChallengeCertificate {
  certPem: string;
  keyPem: string;
}

/** What goes into a tls-alpn-01 response certificate; tests vary it to build invalid ones. */
export interface AcmeCertificateSpec {
  subjectAltNames: ChallengeIdentifier[];
  /** The acmeIdentifier extension, or null to omit it. */
  acmeIdentifier: { critical: boolean; value: Uint8Array } | null;
}

/**
 * RFC 8737 §3: extnValue is the DER of `Authorization ::= OCTET STRING (SIZE (32))`,
 * i.e. tag 0x04, length 0x20, then the SHA-256 digest of the key authorization.
 */
export function encodeAcmeIdentifierValue(digest: Uint8Array): Uint8Array {
  if (digest.length !== 32) throw new TypeError('acmeIdentifier digest must be 32 bytes (SHA-256)');
  return Uint8Array.from([0x04, 0x20, ...digest]);
}

function ensureCryptoProvider(): void {
  // libs/pki may already have installed a provider (e.g. @peculiar/webcrypto); never replace it.
  try {
    x509.cryptoProvider.get();
  } catch {
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  }
}

function pem(label: string, der: ArrayBuffer): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Builds a self-signed P-256 certificate from a spec (see buildTlsAlpnChallengeCertificate). */
export async function createAcmeIdentifierCertificate(spec: AcmeCertificateSpec): Promise<ChallengeCertificate> {
  ensureCryptoProvider();
  const crypto = x509.cryptoProvider.get();
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.SubjectAlternativeNameExtension(
      spec.subjectAltNames.map((id) => ({ type: id.type === 'ip' ? 'ip' : 'dns', value: id.value })),
    ),
  ];
  if (spec.acmeIdentifier) {
    extensions.push(new x509.Extension(ACME_IDENTIFIER_OID, spec.acmeIdentifier.critical, spec.acmeIdentifier.value));
  }
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // keep the DER INTEGER positive
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: 'CN=ACME tls-alpn-01 challenge',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 7 * 24 * 3600_000),
    keys,
    signingAlgorithm: algorithm,
    extensions,
  });
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: pem('PRIVATE KEY', pkcs8) };
}

/**
 * The certificate an ACME client serves for tls-alpn-01 (RFC 8737 §3):
 * self-signed, exactly one subjectAltName equal to the identifier (iPAddress
 * for IP identifiers, RFC 8738 §6), and a critical acmeIdentifier extension
 * holding SHA-256(keyAuthorization). Used by tests and Rotor's own client side.
 */
export async function buildTlsAlpnChallengeCertificate(
  identifier: ChallengeIdentifier,
  keyAuthorization: string,
): Promise<ChallengeCertificate> {
  return createAcmeIdentifierCertificate({
    subjectAltNames: [identifier],
    acmeIdentifier: { critical: true, value: encodeAcmeIdentifierValue(keyAuthorizationSha256(keyAuthorization)) },
  });
}
