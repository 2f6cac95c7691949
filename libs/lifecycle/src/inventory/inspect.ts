// @peculiar/x509 resolves its providers through tsyringe, which needs the Reflect polyfill first.
import 'reflect-metadata';
import { createHash, KeyObject, X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { InventoryInputError } from './errors';
import type { InventoryOwner, InventoryRecord, InventorySource, SubjectAltNames } from './model';
import { canonicalIp } from './names';
import { certificatesFromPem, derToPem } from './pem';

/** What a certificate says about itself: the facts an inventory record is built from. */
export interface CertificateFacts {
  /** Lower-case hex SHA-256 of the DER: the inventory id. */
  fingerprint: string;
  serial: string;
  subject: string;
  issuer: string;
  sans: SubjectAltNames;
  notBefore: number;
  notAfter: number;
  keyType: string;
  der: Uint8Array;
  pem: string;
}

/** Parses one DER certificate; anything X.509 cannot read is `malformed`. */
export function inspectCertificate(der: Uint8Array, label = 'the certificate'): CertificateFacts {
  let cert: x509.X509Certificate;
  let node: NodeX509;
  try {
    cert = new x509.X509Certificate(der);
    node = new NodeX509(Buffer.from(der));
  } catch {
    throw new InventoryInputError('malformed', `${label} is not a parsable X.509 certificate`);
  }
  return {
    fingerprint: createHash('sha256').update(der).digest('hex'),
    // DER INTEGERs carry a 00 octet to stay positive; the serial is the number, not its encoding.
    serial: cert.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''),
    subject: cert.subject,
    issuer: cert.issuer,
    sans: subjectAltNames(cert),
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
    keyType: keyTypeOf(node),
    der,
    pem: derToPem(der),
  };
}

/** Every certificate of a PEM bundle, parsed; the whole bundle is refused if any part is unusable. */
export function inspectPemBundle(text: string): CertificateFacts[] {
  return certificatesFromPem(text).map((der, i) => inspectCertificate(der, `certificate ${i + 1}`));
}

/** DNS (lower-case), IP (canonical text) and URI names of the subjectAltName extension (RFC 5280 §4.2.1.6). */
function subjectAltNames(cert: x509.X509Certificate): SubjectAltNames {
  const sans: SubjectAltNames = { dns: [], ip: [], uri: [] };
  let items: readonly { type: string; value: string }[];
  try {
    items = cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
  } catch {
    throw new InventoryInputError('malformed', 'the subjectAltName extension cannot be parsed');
  }
  for (const { type, value } of items) {
    if (type === 'dns') sans.dns.push(value.toLowerCase());
    else if (type === 'ip') sans.ip.push(canonicalIp(value) ?? value);
    else if (type === 'url') sans.uri.push(value);
    // Other name forms (email, directoryName, otherName) are not what TLS endpoints are found by.
  }
  return { dns: unique(sans.dns), ip: unique(sans.ip), uri: unique(sans.uri) };
}

const unique = (values: string[]) => [...new Set(values)];

/** The same classification Rotor's CA uses (ecdsa-p256, rsa-2048, ed25519…), wider for foreign certificates. */
export function keyTypeOf(cert: NodeX509): string {
  let key: KeyObject;
  try {
    key = cert.publicKey;
  } catch {
    return 'unknown'; // an algorithm OpenSSL cannot load
  }
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curves: Record<string, string> = { prime256v1: 'p256', secp384r1: 'p384', secp521r1: 'p521' };
      const curve = details.namedCurve ?? 'unknown';
      return `ecdsa-${curves[curve] ?? curve.toLowerCase()}`;
    }
    case 'rsa':
      return `rsa-${details.modulusLength ?? 0}`;
    case 'rsa-pss':
      return `rsa-pss-${details.modulusLength ?? 0}`;
    case 'ed25519':
    case 'ed448':
      return key.asymmetricKeyType;
    default:
      return key.asymmetricKeyType ?? 'unknown';
  }
}

export interface DraftOptions {
  source: InventorySource;
  owner?: InventoryOwner;
  profile?: string;
  /** host:port endpoints the certificate was seen at. */
  endpoints?: string[];
  /** The rest of the chain as served or issued (appended to the record's PEM after the leaf). */
  chain?: Uint8Array[];
  now: number;
}

/** A new, active inventory record for a parsed certificate. */
export function draftRecord(facts: CertificateFacts, options: DraftOptions): InventoryRecord {
  return {
    id: facts.fingerprint,
    serial: facts.serial,
    subject: facts.subject,
    issuer: facts.issuer,
    sans: facts.sans,
    notBefore: facts.notBefore,
    notAfter: facts.notAfter,
    keyType: facts.keyType,
    profile: options.profile,
    source: options.source,
    owner: options.owner,
    state: 'active',
    endpoints: options.endpoints ?? [],
    pem: facts.pem + (options.chain ?? []).map(derToPem).join(''),
    createdAt: options.now,
    updatedAt: options.now,
  };
}
