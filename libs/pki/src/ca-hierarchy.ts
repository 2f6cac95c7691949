import { createPrivateKey, createPublicKey, KeyObject, randomBytes, sign, verify, X509Certificate } from 'node:crypto';
import * as x509 from './x509';
import { CaKeyAlgorithm, PkiError, StoredCaMaterial } from './contracts';
import { algorithmParams, caAlgorithmOfKey, generateCaKey, importSigningKey, keyIdentifierHex } from './ca-keys';
import { getPkiCrypto } from './crypto-provider';
import { KeySealer } from './key-sealer';

/**
 * Creation and import of the two-level hierarchy Rotor signs with: an offline-
 * capable root and an intermediate that signs leaves and CRLs.
 */

const YEAR_MS = 365 * 24 * 3600 * 1000;
/** CA certificates are backdated an hour so relying parties with slow clocks accept them. */
const CA_BACKDATE_MS = 3600 * 1000;
export const ROOT_LIFETIME_MS = 10 * YEAR_MS;
export const INTERMEDIATE_LIFETIME_MS = 5 * YEAR_MS;

export interface CreateCaOptions {
  now?: Date;
}

export async function createCaMaterial(
  algorithm: CaKeyAlgorithm = 'ecdsa-p256',
  sealer: KeySealer,
  options: CreateCaOptions = {},
): Promise<StoredCaMaterial> {
  const crypto = getPkiCrypto();
  const now = truncateToSecond(options.now ?? new Date());
  const notBefore = new Date(now.getTime() - CA_BACKDATE_MS);
  const { signingAlgorithm } = algorithmParams(algorithm);
  const suffix = randomBytes(4).toString('hex');
  const [rootKey, intKey] = await Promise.all([generateCaKey(algorithm), generateCaKey(algorithm)]);
  const rootSigner = await importSigningKey(crypto, algorithm, rootKey.pkcs8Der);
  const rootSki = keyIdentifierHex(rootKey.spkiDer);
  const intSki = keyIdentifierHex(intKey.spkiDer);
  const rootName = new x509.Name([{ O: ['Rotor'] }, { CN: [`Rotor Root CA ${suffix}`] }]);
  const intName = new x509.Name([{ O: ['Rotor'] }, { CN: [`Rotor Intermediate CA ${suffix}`] }]);
  const caUsages = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;

  // RFC 5280 §4.2.1.9 / §4.2.1.3: CA certs carry critical basicConstraints and keyUsage.
  // AKI is optional on a self-signed root (§4.2.1.1), so the root only has SKI.
  const root = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialHex(),
      subject: rootName,
      issuer: rootName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + ROOT_LIFETIME_MS),
      publicKey: rootKey.spkiDer,
      signingKey: rootSigner,
      signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(caUsages, true),
        new x509.SubjectKeyIdentifierExtension(rootSki),
      ],
    },
    crypto,
  );
  // pathLenConstraint 0: the intermediate may sign only end-entity certificates.
  const intermediate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialHex(),
      subject: intName,
      issuer: rootName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + INTERMEDIATE_LIFETIME_MS),
      publicKey: intKey.spkiDer,
      signingKey: rootSigner,
      signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(caUsages, true),
        new x509.SubjectKeyIdentifierExtension(intSki),
        new x509.AuthorityKeyIdentifierExtension(rootSki),
      ],
    },
    crypto,
  );
  return {
    algorithm,
    rootCertPem: root.toString('pem') + '\n',
    rootKeySealed: sealer.seal(rootKey.pkcs8Der),
    intermediateCertPem: intermediate.toString('pem') + '\n',
    intermediateKeySealed: sealer.seal(intKey.pkcs8Der),
  };
}

export interface ImportCaInput {
  rootCertPem: string;
  intermediateCertPem: string;
  /** Unencrypted PKCS#8 PEM (PKCS#1 / SEC1 PEM is accepted too and re-encoded). */
  intermediateKeyPem: string;
  rootKeyPem?: string;
}

/**
 * Imports an operator-supplied hierarchy after checking it is usable: the
 * intermediate chains to the (self-signed) root, both are CAs, the keys match
 * their certificates and nothing is expired. Messages never include key bytes.
 */
export async function importCaMaterial(
  input: ImportCaInput,
  sealer: KeySealer,
  now: Date = new Date(),
): Promise<StoredCaMaterial> {
  const root = parseCert(input.rootCertPem, 'root certificate');
  const intermediate = parseCert(input.intermediateCertPem, 'intermediate certificate');
  if (!root.checkIssued(root) || !root.verify(root.publicKey)) {
    throw new PkiError('badImport', 'root certificate is not self-signed');
  }
  if (!intermediate.checkIssued(root) || !intermediate.verify(root.publicKey)) {
    throw new PkiError('badImport', 'intermediate certificate is not signed by the root certificate');
  }
  for (const [label, cert] of [
    ['root', root],
    ['intermediate', intermediate],
  ] as const) {
    if (!cert.ca) {
      throw new PkiError('badImport', `${label} certificate is not a CA (basicConstraints cA is not true)`);
    }
    const usage = new x509.X509Certificate(cert.raw).getExtension(x509.KeyUsagesExtension);
    if (usage && (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
      throw new PkiError('badImport', `${label} certificate keyUsage lacks keyCertSign (RFC 5280 §4.2.1.3)`);
    }
    if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) {
      throw new PkiError('badImport', `${label} certificate is not valid now (${cert.validFrom} .. ${cert.validTo})`);
    }
  }

  const intKey = parsePrivateKey(input.intermediateKeyPem, 'intermediate key');
  const algorithm = caAlgorithmOfKey(intKey);
  if (!algorithm) {
    throw new PkiError('badImport', 'intermediate key must be ECDSA P-256/P-384 or RSA 2048/3072/4096');
  }
  assertKeyMatches(intKey, intermediate, 'intermediate');
  let rootKeySealed: string | undefined;
  if (input.rootKeyPem) {
    const rootKey = parsePrivateKey(input.rootKeyPem, 'root key');
    assertKeyMatches(rootKey, root, 'root');
    rootKeySealed = sealer.seal(pkcs8(rootKey));
  }
  // Prove the provider in use can load the key for signing before we accept it.
  await importSigningKey(getPkiCrypto(), algorithm, pkcs8(intKey)).catch(() => {
    throw new PkiError('badImport', `intermediate key cannot be loaded for ${algorithm} signing`);
  });
  return {
    algorithm,
    rootCertPem: root.toString(),
    rootKeySealed,
    intermediateCertPem: intermediate.toString(),
    intermediateKeySealed: sealer.seal(pkcs8(intKey)),
  };
}

function parseCert(pem: string, label: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new PkiError('badImport', `${label} is not a valid PEM certificate`);
  }
}

function parsePrivateKey(pem: string, label: string): KeyObject {
  if (pem.includes('ENCRYPTED')) {
    throw new PkiError('badImport', `${label} is encrypted; provide an unencrypted PKCS#8 PEM`);
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // The underlying error may quote input; never pass it on.
    throw new PkiError('badImport', `${label} is not a valid PKCS#8 PEM private key`);
  }
}

/** Signs and verifies a fresh message: the only proof that key and certificate belong together. */
function assertKeyMatches(key: KeyObject, cert: X509Certificate, label: string): void {
  const message = randomBytes(32);
  const hash = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  let ok = false;
  try {
    const signature = sign(hash, message, key);
    ok = verify(hash, message, createPublicKey(cert.publicKey.export({ type: 'spki', format: 'pem' })), signature);
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new PkiError('badImport', `${label} key does not match the ${label} certificate's public key`);
  }
}

function pkcs8(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ type: 'pkcs8', format: 'der' }));
}

/** 128 random bits in 17 octets, first octet 0x01..0x7f: positive, fixed length (RFC 5280 §4.1.2.2). */
export function randomSerialHex(): string {
  const bytes = randomBytes(17);
  bytes[0] = (bytes[0] % 0x7f) + 1;
  return bytes.toString('hex');
}

export function truncateToSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
