import { createHash } from 'node:crypto';

/** Small encoding helpers shared by the PKI modules (no ASN.1 library needed). */

export function b64url(data: Uint8Array | ArrayBuffer): string {
  return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('base64url');
}

export function sha256(data: Uint8Array | ArrayBuffer): Buffer {
  return createHash('sha256')
    .update(data instanceof ArrayBuffer ? new Uint8Array(data) : data)
    .digest();
}

export function toUint8(data: ArrayBuffer | Uint8Array): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

/**
 * Decodes the first PEM block (optionally of a given label, e.g.
 * `CERTIFICATE REQUEST`) to DER. Returns undefined when there is none.
 */
export function pemToDer(pem: string, label?: string): Uint8Array | undefined {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) {
    if (!label || m[1] === label) {
      return new Uint8Array(Buffer.from(m[2].replace(/\s+/g, ''), 'base64'));
    }
  }
  return undefined;
}

export function derToPem(der: Uint8Array | ArrayBuffer, label: string): string {
  const b64 = Buffer.from(toUint8(der)).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * CSR input in whatever shape it arrives: RFC 8555 §7.4 sends base64url DER in
 * the finalize payload; the CLI may pass PEM; tests pass bytes.
 */
export function csrInputToDer(input: string | Uint8Array): Uint8Array {
  if (typeof input !== 'string') {
    return input;
  }
  if (input.includes('-----BEGIN')) {
    return pemToDer(input, 'CERTIFICATE REQUEST') ?? pemToDer(input, 'NEW CERTIFICATE REQUEST') ?? new Uint8Array();
  }
  return new Uint8Array(Buffer.from(input.trim(), 'base64url'));
}

/**
 * Canonical serial text: lower-case hex of the positive integer without
 * leading zero octets. Lets callers compare serials produced by different
 * parsers (Node prints upper case, some keep the DER sign octet).
 */
export function normalizeSerialHex(hex: string): string {
  const clean = hex.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(clean)) {
    throw new Error('serial number must be hexadecimal');
  }
  const stripped = clean.replace(/^0+/, '');
  if (stripped === '') {
    return '00';
  }
  return stripped.length % 2 === 1 ? `0${stripped}` : stripped;
}

/** DER INTEGER (tag 0x02) for a non-negative value, e.g. the CRL number. */
export function derNonNegativeInteger(value: bigint): Uint8Array {
  if (value < 0n) {
    throw new RangeError('value must be non-negative');
  }
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let content = Buffer.from(hex, 'hex');
  if (content[0] & 0x80) {
    content = Buffer.concat([Buffer.from([0]), content]);
  }
  if (content.length > 127) {
    throw new RangeError('integer too large');
  }
  return new Uint8Array(Buffer.concat([Buffer.from([0x02, content.length]), content]));
}

/** Reads one DER TLV header at `offset`; enough for walking a SubjectPublicKeyInfo. */
function readTlv(der: Uint8Array, offset: number): { tag: number; start: number; end: number } {
  const tag = der[offset];
  let len = der[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count < 1 || count > 3) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < count; i++) len = (len << 8) | der[start + i];
    start += count;
  }
  if (start + len > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + len };
}

/**
 * The subjectPublicKey BIT STRING contents (without the unused-bits octet) of
 * a DER SubjectPublicKeyInfo: the input to RFC 5280 §4.2.1.2 method (1).
 */
export function subjectPublicKeyBits(spkiDer: Uint8Array): Uint8Array {
  const outer = readTlv(spkiDer, 0);
  const algorithm = readTlv(spkiDer, outer.start);
  const bits = readTlv(spkiDer, algorithm.end);
  if (outer.tag !== 0x30 || algorithm.tag !== 0x30 || bits.tag !== 0x03) {
    throw new Error('not a SubjectPublicKeyInfo');
  }
  return spkiDer.subarray(bits.start + 1, bits.end);
}
