/**
 * The few DER (X.690) primitives the fast paths need around what
 * @peculiar/asn1-schema encodes: wrapping already-encoded elements in a
 * SEQUENCE / context tag, and finding the raw bytes of an element inside a
 * structure (signatures are over the bytes exactly as received, RFC 2986 §4.2).
 */

/** Universal tag octets (X.690 §8.1.2, X.680 §8.4) and the context-specific forms used in certificates and CSRs. */
export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
  /** [n] IMPLICIT/EXPLICIT, constructed, context-specific. */
  context: (n: number): number => 0xa0 | n,
  /** [n] IMPLICIT, primitive, context-specific (e.g. GeneralName choices). */
  contextPrimitive: (n: number): number => 0x80 | n,
} as const;

/** Definite-form length octets (X.690 §8.1.3). */
function lengthOctets(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/** One TLV whose value is the concatenation of `parts` (each already DER). */
export function derTlv(tag: number, parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const len = lengthOctets(length);
  const out = new Uint8Array(1 + len.length + length);
  out[0] = tag;
  out.set(len, 1);
  let at = 1 + len.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** BIT STRING with no unused bits (a signature value, RFC 5280 §4.1.1.3). */
export function derBitString(bytes: Uint8Array): Uint8Array {
  return derTlv(TAG.bitString, [Uint8Array.of(0), bytes]);
}

export interface Tlv {
  tag: number;
  /** Offset of the tag octet. */
  offset: number;
  /** Offset of the first content octet. */
  start: number;
  /** Offset just past the element. */
  end: number;
}

/** Reads the TLV header at `offset` (definite lengths only, as DER requires). */
export function readTlv(der: Uint8Array, offset: number, limit = der.length): Tlv {
  if (offset + 2 > limit) throw new Error('truncated DER');
  const tag = der[offset];
  if ((tag & 0x1f) === 0x1f) throw new Error('high tag numbers are not used here');
  let len = der[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count < 1 || count > 3 || start + count > limit) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + der[start + i];
    start += count;
  }
  if (start + len > limit) throw new Error('truncated DER');
  return { tag, offset, start, end: start + len };
}

/** The elements directly inside a constructed TLV. */
export function derChildren(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end;) {
    const child = readTlv(der, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** DER of an OBJECT IDENTIFIER from its dotted text (X.690 §8.19). */
export function oidDer(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const subids = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)];
  const content: number[] = [];
  for (const id of subids) {
    const groups = [id & 0x7f];
    for (let v = Math.floor(id / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    content.push(...groups);
  }
  return derTlv(TAG.oid, [Uint8Array.from(content)]);
}
