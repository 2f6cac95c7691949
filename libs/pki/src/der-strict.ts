/**
 * Strict DER reading (ITU-T X.690 §8 and the DER restrictions of §10/§11) for
 * the CSR fast path (csr-der.ts). Strict means each element is in the one
 * encoding DER allows: definite lengths in the fewest octets (§10.1, §8.1.3),
 * low tag numbers, constructed elements filled exactly by their children.
 *
 * Nothing here throws on bad input: a function answers undefined / false for
 * anything outside that shape, and the caller hands the whole input to the
 * general decoder (@peculiar/asn1-schema), which decides as it always has.
 */

import { TAG } from './der';

export interface Element {
  tag: number;
  /** Offset of the tag octet. */
  offset: number;
  /** Offset of the first content octet. */
  start: number;
  /** Offset just past the element. */
  end: number;
}

/**
 * The element at `offset`, which must end by `limit`. Lengths up to 0xffff
 * (two length octets): the fast path only takes inputs far shorter than that.
 */
export function readElement(der: Uint8Array, offset: number, limit: number): Element | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = der[offset];
  if ((tag & 0x1f) === 0x1f) return undefined; // high-tag-number form (§8.1.2.4): not used in a CSR
  let length = der[offset + 1];
  let start = offset + 2;
  if (length === 0x80) return undefined; // indefinite form: BER only (§10.1)
  if (length > 0x80) {
    const count = length - 0x80;
    if (count > 2 || start + count > limit) return undefined;
    length = count === 1 ? der[start] : der[start] * 256 + der[start + 1];
    // §10.1: the fewest length octets; the long form only from 128 on.
    if (length < 0x80 || (count === 2 && length < 0x100)) return undefined;
    start += count;
  }
  if (start + length > limit) return undefined;
  return { tag, offset, start, end: start + length };
}

/** The elements directly inside a constructed element; they must fill it exactly. */
export function childrenOf(der: Uint8Array, parent: Element): Element[] | undefined {
  const out: Element[] = [];
  for (let at = parent.start; at < parent.end;) {
    const child = readElement(der, at, parent.end);
    if (!child) return undefined;
    out.push(child);
    at = child.end;
  }
  return out;
}

/** Nesting well beyond any CSR (its deepest part, the RSASSA-PSS parameters, is 6 levels below the top). */
const MAX_DEPTH = 16;

/**
 * Whether `el` and everything inside it is strict DER made only of the types
 * a CSR uses, each with content the general decoder accepts as is: SEQUENCE,
 * SET and context-specific constructed elements; BOOLEAN, minimal INTEGER,
 * BIT STRING without unused bits, OCTET STRING, NULL, minimal OBJECT
 * IDENTIFIER, printable-ASCII UTF8String / PrintableString / IA5String, and
 * context-specific primitives (GeneralName choices). OCTET and BIT STRING
 * contents are opaque here, as they are to an ASN.1 schema.
 */
export function isPlainTree(der: Uint8Array, el: Element, depth = 0): boolean {
  const { tag, start, end } = el;
  const length = end - start;
  if (tag & 0x20) {
    if (tag !== TAG.sequence && tag !== TAG.set && (tag & 0xe0) !== 0xa0) return false;
    if (depth >= MAX_DEPTH) return false;
    const children = childrenOf(der, el);
    return children !== undefined && children.every((c) => isPlainTree(der, c, depth + 1));
  }
  switch (tag) {
    case TAG.boolean:
      return length === 1;
    case TAG.integer:
      // §8.3.2: the first nine bits are not all zeros or all ones.
      return (
        length > 0 &&
        !(length > 1 && der[start] === 0x00 && !(der[start + 1] & 0x80)) &&
        !(length > 1 && der[start] === 0xff && der[start + 1] & 0x80)
      );
    case TAG.bitString:
      return length > 0 && der[start] === 0; // whole octets only: keys and signatures
    case TAG.octetString:
      return true;
    case TAG.null:
      return length === 0;
    case TAG.oid:
      return oidToString(der, el) !== undefined;
    case TAG.utf8String:
    case TAG.printableString:
    case TAG.ia5String:
      return printableAscii(der, start, end) !== undefined;
    default:
      return (tag & 0xe0) === 0x80; // [n] IMPLICIT primitive
  }
}

/**
 * Dotted text of an OBJECT IDENTIFIER (§8.19), the way asn1js prints it;
 * undefined unless every subidentifier is minimally encoded (§8.19.2) and
 * below 2^49 (seven octets), far above any arc in use.
 */
export function oidToString(der: Uint8Array, el: Element): string | undefined {
  if (el.tag !== TAG.oid || el.end === el.start) return undefined;
  const arcs: number[] = [];
  let value = 0;
  let octets = 0;
  for (let i = el.start; i < el.end; i++) {
    const b = der[i];
    if (octets === 0 && b === 0x80) return undefined; // leading 0x80: not minimal
    if (++octets > 7) return undefined;
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(value);
      value = 0;
      octets = 0;
    }
  }
  if (octets !== 0) return undefined; // last subidentifier unterminated
  // §8.19.4: the first subidentifier packs the first two arcs.
  const first = arcs[0];
  const head = first < 40 ? `0.${first}` : first < 80 ? `1.${first - 40}` : `2.${first - 80}`;
  return arcs.length === 1 ? head : `${head}.${arcs.slice(1).join('.')}`;
}

/** Content octets as text when all are printable ASCII (0x20-0x7e), else undefined. */
export function printableAscii(der: Uint8Array, start: number, end: number): string | undefined {
  for (let i = start; i < end; i++) {
    if (der[i] < 0x20 || der[i] > 0x7e) return undefined;
  }
  return Buffer.from(der.buffer, der.byteOffset + start, end - start).toString('latin1');
}

/** Whether the element's whole encoding equals `expected` (e.g. a known OID TLV). */
export function elementEquals(der: Uint8Array, el: Element, expected: Uint8Array): boolean {
  if (el.end - el.offset !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) {
    if (der[el.offset + i] !== expected[i]) return false;
  }
  return true;
}
