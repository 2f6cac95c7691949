import { CsrFields, CsrGeneralName, CsrNames, CsrSignatureAlgorithm } from './csr-fields';
import {
  childrenOf,
  Element,
  elementEquals,
  isPlainTree,
  oidToString,
  printableAscii,
  readElement,
} from './der-strict';
import { oidDer, TAG } from './der';
import { ipFromOctets } from './names';
import { importSpkiDer } from './spki';

/**
 * The CSR fast path: reads a PKCS#10 request (RFC 2986 §4) that is strict DER
 * in the shape ACME clients send, without building an ASN.1 object tree.
 *
 *   CertificationRequest ::= SEQUENCE {
 *     certificationRequestInfo  CertificationRequestInfo,
 *     signatureAlgorithm        AlgorithmIdentifier,          -- RFC 5280 §4.1.1.2
 *     signature                 BIT STRING }
 *   CertificationRequestInfo ::= SEQUENCE {
 *     version        INTEGER { v1(0) },
 *     subject        Name,                                     -- RFC 5280 §4.1.2.4
 *     subjectPKInfo  SubjectPublicKeyInfo,                     -- RFC 5280 §4.1.2.7
 *     attributes     [0] IMPLICIT SET OF Attribute }           -- extensionRequest: RFC 2985 §5.4.2
 *
 * It is not a second decoder with its own verdicts: for anything outside that
 * shape (BER, other string or GeneralName types, more than MAX_LENGTH
 * octets, malformed input) it returns undefined and parseCsr decodes the
 * input with @peculiar/asn1-csr as before, which then decides every error.
 * Within the shape it yields exactly what that decoder yields
 * (csr-der.spec.ts compares them field by field and by fuzzing).
 */

/**
 * asn1js, under @peculiar/asn1-csr, refuses inputs of more than 10,000
 * ASN.1 nodes. Each node takes at least one octet of its own (its tag; BIT
 * and OCTET STRING contents are decoded once more, but those octets are no
 * node's tag in the outer tree), so up to 10,000 octets never reach that
 * limit. Larger requests (hundreds of names) take the general path.
 */
const MAX_LENGTH = 10_000;

const OID = {
  commonName: oidDer('2.5.4.3'),
  extensionRequest: oidDer('1.2.840.113549.1.9.14'),
  subjectAltName: oidDer('2.5.29.17'),
  rsassaPss: oidDer('1.2.840.113549.1.1.10'),
  rsaEncryption: oidDer('1.2.840.113549.1.1.1'),
};
const VERSION_1 = Uint8Array.of(TAG.integer, 1, 0);
const CRITICAL = Uint8Array.of(TAG.boolean, 1, 0xff); // DER: TRUE is 0xff, FALSE (the default) is omitted
const GN = { dNSName: TAG.contextPrimitive(2), uri: TAG.contextPrimitive(6), iPAddress: TAG.contextPrimitive(7) };

/** The request's fields, or undefined when it is not in the shape read here. */
export function readCsrDer(der: Uint8Array): CsrFields | undefined {
  try {
    return read(der);
  } catch {
    return undefined; // not expected; the general decoder then reports whatever is wrong
  }
}

function read(der: Uint8Array): CsrFields | undefined {
  if (der.length > MAX_LENGTH) return undefined;
  const top = readElement(der, 0, der.length);
  if (!top || top.tag !== TAG.sequence || top.end !== der.length || !isPlainTree(der, top)) return undefined;
  // From here on every element is known to be well-formed strict TAG.
  const [info, sigAlg, sig, ...extra] = children(der, top);
  if (!info || !sigAlg || !sig || extra.length) return undefined;
  if (info.tag !== TAG.sequence || sig.tag !== TAG.bitString) return undefined;
  const signatureAlgorithm = algorithmOf(der, sigAlg);
  if (!signatureAlgorithm) return undefined;

  const [version, subject, spki, attributes, ...more] = children(der, info);
  if (!version || !elementEquals(der, version, VERSION_1) || more.length) return undefined;
  if (subject?.tag !== TAG.sequence || spki?.tag !== TAG.sequence || attributes?.tag !== TAG.context(0))
    return undefined;
  if (!isSubjectPublicKeyInfo(der, spki)) return undefined;
  const commonNames = commonNamesOf(der, subject);
  const subjectAltNames = commonNames && subjectAltNamesOf(der, attributes);
  if (!commonNames || !subjectAltNames) return undefined;

  const names: CsrNames = { subjectAltNames, commonNames };
  const spkiDer = copy(der, spki.offset, spki.end);
  return {
    signed: der.subarray(info.offset, info.end),
    signatureAlgorithm,
    signature: der.subarray(sig.start + 1, sig.end), // after the unused-bits octet (0 here)
    importKey: () => importSpkiDer(spkiDer),
    names: () => names,
  };
}

function children(der: Uint8Array, el: Element): Element[] {
  return childrenOf(der, el) ?? []; // cannot be undefined once isPlainTree has passed
}

/**
 * AlgorithmIdentifier (RFC 5280 §4.1.1.2) of the signature: parameters absent
 * or NULL; an RSASSA-PSS SEQUENCE of parameters is passed on as DER (RFC 4055 §3.1).
 */
function algorithmOf(der: Uint8Array, el: Element): CsrSignatureAlgorithm | undefined {
  if (el.tag !== TAG.sequence) return undefined;
  const [oid, params, ...extra] = children(der, el);
  const algorithm = oid && oidToString(der, oid);
  if (!algorithm || extra.length) return undefined;
  if (!params) return { algorithm };
  if (params.tag === TAG.null) return { algorithm, parameters: null };
  if (params.tag === TAG.sequence && elementEquals(der, oid, OID.rsassaPss)) {
    return { algorithm, parameters: copy(der, params.offset, params.end).buffer as ArrayBuffer };
  }
  return undefined;
}

/**
 * SEQUENCE { SEQUENCE { OID, parameters }, BIT STRING } with parameters
 * absent, a curve OID (RFC 5480 §2.1.1) or, for rsaEncryption, NULL (RFC 3279
 * §2.3.1). NULL elsewhere is left to the general decoder, which reads it as
 * "no parameters": an Ed25519 key with NULL gets the canonical SPKI there.
 */
function isSubjectPublicKeyInfo(der: Uint8Array, el: Element): boolean {
  const [algorithm, key, ...extra] = children(der, el);
  if (algorithm?.tag !== TAG.sequence || key?.tag !== TAG.bitString || extra.length) return false;
  const [oid, params, ...more] = children(der, algorithm);
  if (oid?.tag !== TAG.oid || more.length) return false;
  return !params || params.tag === TAG.oid || (params.tag === TAG.null && elementEquals(der, oid, OID.rsaEncryption));
}

/** Name (RFC 5280 §4.1.2.4): the commonName values, undefined for attribute values other than ASCII strings. */
function commonNamesOf(der: Uint8Array, name: Element): string[] | undefined {
  const out: string[] = [];
  for (const rdn of children(der, name)) {
    const attributes = rdn.tag === TAG.set ? children(der, rdn) : [];
    if (!attributes.length) return undefined;
    for (const atv of attributes) {
      const [type, value, ...extra] = atv.tag === TAG.sequence ? children(der, atv) : [];
      if (type?.tag !== TAG.oid || !value || extra.length || !isDirectoryText(value)) return undefined;
      if (elementEquals(der, type, OID.commonName)) out.push(printableAscii(der, value.start, value.end)!);
    }
  }
  return out;
}

/** UTF8String, PrintableString or IA5String, non-empty (isPlainTree has checked the octets are ASCII). */
function isDirectoryText(el: Element): boolean {
  return (el.tag === TAG.utf8String || el.tag === TAG.printableString || el.tag === TAG.ia5String) && el.end > el.start;
}

/**
 * The subjectAltName extensions (RFC 5280 §4.2.1.6) of the first
 * extensionRequest attribute (RFC 2985 §5.4.2), which must hold exactly one
 * value; other attributes may hold any plain values.
 */
function subjectAltNamesOf(der: Uint8Array, attributes: Element): CsrGeneralName[][] | undefined {
  let request: Element | undefined;
  for (const attribute of children(der, attributes)) {
    const [type, values, ...extra] = attribute.tag === TAG.sequence ? children(der, attribute) : [];
    if (type?.tag !== TAG.oid || values?.tag !== TAG.set || values.end === values.start || extra.length) {
      return undefined;
    }
    if (!request && elementEquals(der, type, OID.extensionRequest)) {
      const [value, ...others] = children(der, values);
      if (value.tag !== TAG.sequence || others.length) return undefined;
      request = value;
    }
  }
  const out: CsrGeneralName[][] = [];
  for (const extension of request ? children(der, request) : []) {
    // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    const parts = extension.tag === TAG.sequence ? children(der, extension) : [];
    const [id, critical, value] = parts.length === 2 ? [parts[0], undefined, parts[1]] : parts;
    if (id?.tag !== TAG.oid || value?.tag !== TAG.octetString || parts.length > 3) return undefined;
    if (critical && !elementEquals(der, critical, CRITICAL)) return undefined;
    if (elementEquals(der, id, OID.subjectAltName)) {
      const names = generalNames(der, value);
      if (!names) return undefined;
      out.push(names);
    }
  }
  return out;
}

/** GeneralNames in the extnValue: dNSName and URI as ASCII, iPAddress of 4 or 16 octets. */
function generalNames(der: Uint8Array, extnValue: Element): CsrGeneralName[] | undefined {
  const seq = readElement(der, extnValue.start, extnValue.end);
  if (!seq || seq.tag !== TAG.sequence || seq.end !== extnValue.end || !isPlainTree(der, seq)) return undefined;
  const out: CsrGeneralName[] = [];
  for (const gn of children(der, seq)) {
    if (gn.tag === GN.dNSName || gn.tag === GN.uri) {
      const value = gn.end > gn.start ? printableAscii(der, gn.start, gn.end) : undefined;
      if (value === undefined) return undefined;
      out.push({ kind: gn.tag === GN.dNSName ? 'dns' : 'uri', value });
    } else if (gn.tag === GN.iPAddress && (gn.end - gn.start === 4 || gn.end - gn.start === 16)) {
      out.push({ kind: 'ip', value: ipFromOctets(der.subarray(gn.start, gn.end))! });
    } else {
      return undefined;
    }
  }
  return out;
}

/** A copy, so the result does not keep (or share) the caller's buffer. */
function copy(der: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(der.subarray(start, end));
}
