import { createPublicKey, JsonWebKey, KeyObject } from 'node:crypto';
import * as x509 from './x509';
import { LeafKeyType, ParsedCsr, PkiError } from './contracts';
import { getPkiCrypto } from './crypto-provider';
import { b64url, csrInputToDer, sha256 } from './encoding';
import { normalizeDnsName, normalizeIp, unique } from './names';

/**
 * PKCS#10 (RFC 2986) checks for ACME finalize (RFC 8555 §7.4): the CSR must be
 * well formed, self-signed by the key it carries, and that key must be of an
 * accepted type (issue #2: weak keys are rejected).
 *
 * Key policy decisions:
 * - ECDSA P-256 and P-384; P-521 is rejected (not in LeafKeyType, and like
 *   Let's Encrypt we keep the set small; browsers' TLS stacks favour P-256/384).
 * - RSA modulus exactly 2048, 3072 or 4096 bits (Let's Encrypt's set; matches
 *   LeafKeyType one to one), public exponent odd and >= 65537.
 * - Ed25519. Everything else (RSA-PSS-only keys, DSA, Ed448, X25519,
 *   secp256k1, ...) is refused.
 */

const ACCEPTED = 'use ECDSA P-256/P-384, RSA 2048/3072/4096 or Ed25519';

export interface ParseCsrOptions {
  /** Narrows the default accepted set (e.g. a profile that forbids RSA). */
  allowedKeyTypes?: readonly LeafKeyType[];
}

export async function parseCsr(input: Uint8Array | string, options: ParseCsrOptions = {}): Promise<ParsedCsr> {
  const der = csrInputToDer(input);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch {
    throw new PkiError('badCSR', 'CSR is not a valid DER-encoded PKCS#10 request');
  }

  const spkiDer = new Uint8Array(csr.publicKey.rawData);
  const keyType = classifySpki(spkiDer);
  if (options.allowedKeyTypes && !options.allowedKeyTypes.includes(keyType)) {
    throw new PkiError(
      'badPublicKey',
      `key type ${keyType} is not accepted here; allowed: ${options.allowedKeyTypes.join(', ')}`,
    );
  }

  // SHA-1 signatures are collision-prone; RFC 8555 does not require us to accept them.
  const hash = (csr.signatureAlgorithm as { hash?: { name?: string } }).hash?.name;
  if (hash && hash.toUpperCase() === 'SHA-1') {
    throw new PkiError('badCSR', 'CSR is signed with SHA-1; use SHA-256 or stronger');
  }
  let valid = false;
  try {
    valid = await csr.verify(getPkiCrypto());
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new PkiError('badCSR', 'CSR signature is invalid');
  }

  const { names, commonName } = collectNames(csr);
  return { names, commonName, keyType, spkiDer, spkiSha256: spkiSha256(spkiDer) };
}

/** Reads the SAN extension request plus the CN (RFC 8555 §7.4 counts both). */
function collectNames(csr: x509.Pkcs10CertificateRequest): Pick<ParsedCsr, 'names' | 'commonName'> {
  const dns: string[] = [];
  const ip: string[] = [];
  const uri: string[] = [];
  let sanExts: x509.SubjectAlternativeNameExtension[];
  try {
    sanExts = csr.getExtensions('2.5.29.17').map((e) => new x509.SubjectAlternativeNameExtension(e.rawData));
  } catch {
    throw new PkiError('badCSR', 'CSR subjectAltName extension cannot be parsed');
  }
  if (sanExts.length > 1) {
    throw new PkiError('badCSR', 'CSR carries more than one subjectAltName extension');
  }
  for (const gn of sanExts[0]?.names.items ?? []) {
    if (gn.type === 'dns') {
      dns.push(requireDns(gn.value));
    } else if (gn.type === 'ip') {
      const v = normalizeIp(gn.value);
      if (!v) throw new PkiError('badCSR', `CSR iPAddress "${gn.value}" is not a single IPv4/IPv6 address`);
      ip.push(v);
    } else if (gn.type === 'url') {
      if (!URL.canParse(gn.value)) throw new PkiError('badCSR', `CSR URI "${gn.value}" is not a valid URI`);
      uri.push(gn.value);
    } else {
      throw new PkiError('badCSR', `CSR subjectAltName type "${gn.type}" is not supported`);
    }
  }

  const cns = csr.subjectName.getField('CN');
  if (cns.length > 1) {
    throw new PkiError('badCSR', 'CSR subject has more than one common name');
  }
  let commonName: string | undefined;
  if (cns.length === 1) {
    commonName = cns[0];
    const asIp = normalizeIp(commonName);
    if (asIp) ip.push(asIp);
    else dns.push(requireDns(commonName));
  }
  return { names: { dns: unique(dns), ip: unique(ip), uri: unique(uri) }, commonName };
}

function requireDns(value: string): string {
  const v = normalizeDnsName(value);
  if (!v) throw new PkiError('badCSR', `CSR name "${value}" is not a valid DNS name`);
  return v;
}

/** Classifies a DER SubjectPublicKeyInfo against the leaf key policy above. */
export function classifySpki(spkiDer: Uint8Array): LeafKeyType {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  } catch {
    throw rejectKey('unknown');
  }
  return classifyKeyObject(key);
}

export function classifyKeyObject(key: KeyObject): LeafKeyType {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (details.namedCurve === 'prime256v1') return 'ecdsa-p256';
      if (details.namedCurve === 'secp384r1') return 'ecdsa-p384';
      throw rejectKey(`ecdsa-${details.namedCurve ?? 'unknown-curve'}`);
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      const e = details.publicExponent ?? 0n;
      if (e < 65537n || e % 2n === 0n) {
        throw new PkiError('badPublicKey', `RSA public exponent ${e} is not accepted; use 65537`);
      }
      if (bits === 2048 || bits === 3072 || bits === 4096) return `rsa-${bits}` as LeafKeyType;
      throw rejectKey(`rsa-${bits}`);
    }
    case 'ed25519':
      return 'ed25519';
    default:
      throw rejectKey(key.asymmetricKeyType ?? 'unknown');
  }
}

function rejectKey(kind: string): PkiError {
  return new PkiError('badPublicKey', `key type ${kind} is not accepted; ${ACCEPTED}`);
}

/** base64url(SHA-256(SPKI DER)). */
export function spkiSha256(spkiDer: Uint8Array): string {
  return b64url(sha256(spkiDer));
}

/**
 * The same digest for a JOSE public JWK, so a CSR key can be compared with an
 * ACME account key (RFC 8555 §11.1: the account key must not be certified).
 */
export function jwkSpkiSha256(jwk: JsonWebKey): string {
  const spki = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
  return spkiSha256(new Uint8Array(spki));
}
