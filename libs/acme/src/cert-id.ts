import { Problems } from './problem';

/**
 * RFC 9773 §4.1 CertID: base64url(AKI keyIdentifier) "." base64url(serial DER
 * integer content octets). Rotor stores serials as lower-case hex.
 */
export interface ParsedCertId {
  authorityKeyId: string;
  serialHex: string;
}

const PART = /^[A-Za-z0-9_-]+$/;

export function parseCertId(certId: unknown): ParsedCertId {
  if (typeof certId !== 'string' || certId.length > 200) throw Problems.malformed('CertID must be a string');
  const parts = certId.split('.');
  if (parts.length !== 2 || !PART.test(parts[0]) || !PART.test(parts[1])) {
    throw Problems.malformed('CertID must be base64url(AKI) "." base64url(serial) (RFC 9773 §4.1)');
  }
  const serial = Buffer.from(parts[1], 'base64url');
  if (serial.length === 0 || serial.length > 21) throw Problems.malformed('CertID serial has a bad length');
  return { authorityKeyId: parts[0], serialHex: serialHexFromBytes(serial) };
}

export function serialHexFromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString('hex')
    .replace(/^(00)+(?=.)/, '');
}
