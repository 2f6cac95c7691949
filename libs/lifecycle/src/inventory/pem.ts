import { InventoryInputError } from './errors';

/** One PEM block (RFC 7468): its label and decoded DER. */
export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const BEGIN = /-----BEGIN ([A-Z0-9 ]{1,64})-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** RFC 7468 §5 labels for certificates; anything else is refused. */
const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE']);

/**
 * Every PEM block in `text`, in order. Text between blocks (comments, `openssl
 * x509 -text` output) is allowed, as RFC 7468 §5.2 explanatory text.
 */
export function parsePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BEGIN)) {
    const label = match[1];
    const start = (match.index ?? 0) + match[0].length;
    const endMarker = `-----END ${label}-----`;
    const end = text.indexOf(endMarker, start);
    if (end < 0)
      throw new InventoryInputError('malformed', `PEM block ${blocks.length + 1} (${label}) has no END line`);
    const body = text.slice(start, end).replace(/\s+/g, '');
    // Encapsulated headers (RFC 1421 "Proc-Type: …") only occur in encrypted legacy keys.
    if (!BASE64.test(body) || body.length % 4 !== 0 || body.length === 0) {
      throw new InventoryInputError('malformed', `PEM block ${blocks.length + 1} (${label}) is not valid base64`);
    }
    blocks.push({ label, der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return blocks;
}

/**
 * The DER of each certificate in a PEM bundle. Refuses the whole input when
 * it holds no certificate or anything other than certificates (a private
 * key, a CSR…): such material must not be stored, and is never echoed.
 */
export function certificatesFromPem(text: string): Uint8Array[] {
  const blocks = parsePemBlocks(text);
  if (blocks.length === 0)
    throw new InventoryInputError('malformed', 'no PEM certificate found (expected -----BEGIN CERTIFICATE-----)');
  const other = blocks.findIndex((b) => !CERTIFICATE_LABELS.has(b.label));
  if (other >= 0) {
    const label = blocks[other].label;
    const what = label.includes('PRIVATE KEY')
      ? 'a private key'
      : label.includes('REQUEST')
        ? 'a certificate signing request'
        : `a ${label} block`;
    throw new InventoryInputError(
      'rejected',
      `PEM block ${other + 1} is ${what}, not a certificate; only certificates are accepted (nothing was stored)`,
    );
  }
  return blocks.map((b) => b.der);
}

export function derToPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}
