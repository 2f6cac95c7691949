import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { CaKeyAlgorithm, LeafKeyType, LeafProfile, SubjectNames } from './contracts';
import { keyIdentifier } from './ca-keys';
import { derTlv, oidDer, TAG } from './der';
import { LeafExtensionFactory, LeafProfileConfig } from './leaf-profile';
import { ipToOctets } from './names';

/**
 * TBSCertificate (RFC 5280 §4.1) for leaves, assembled from DER pieces: what
 * is the same for every leaf of a CA (version, signature algorithm, issuer,
 * and per key type + profile the basicConstraints / keyUsage / extKeyUsage
 * extensions, then AKI, AIA and CRL DP) is encoded once with
 * @peculiar/asn1-x509 when the CA opens; per issuance only serial, validity,
 * subject, SAN, SPKI and SKI are encoded, directly as DER octets (the
 * @peculiar/asn1-schema encoder costs ~0.1 ms for these few fields; it stays
 * for values outside what the direct encoders cover). This replaces
 * X509CertificateGenerator, which parses every extension and the SPKI back
 * into ASN.1 objects, re-encodes them and then re-parses the signed result:
 * that round trip, not the signature, was most of the cost of an issuance.
 *
 * The output is the same DER the generator produced for the same inputs
 * (leaf-template.spec.ts compares them byte for byte).
 */

const VERSION_V3 = derTlv(TAG.context(0), [Uint8Array.of(TAG.integer, 1, 2)]); // [0] EXPLICIT INTEGER 2
const OID_CN = '2.5.4.3';
const OID_CN_DER = oidDer(OID_CN);
const SAN_DER = oidDer(asn.id_ce_subjectAltName);
const SKI_DER = oidDer(asn.id_ce_subjectKeyIdentifier);
const CRITICAL = Uint8Array.of(0x01, 0x01, 0xff); // BOOLEAN TRUE; FALSE is the default and omitted (X.690 §11.5)
const EMPTY_NAME = Uint8Array.of(TAG.sequence, 0);

/** RFC 5758 §3.2 (ECDSA, no parameters) and RFC 4055 §5 (RSA PKCS#1 v1.5, NULL parameters). */
const SIGNATURE_ALGORITHMS: Record<CaKeyAlgorithm, { oid: string; params?: null; hash: 'sha256' | 'sha384' }> = {
  'ecdsa-p256': { oid: '1.2.840.10045.4.3.2', hash: 'sha256' },
  'ecdsa-p384': { oid: '1.2.840.10045.4.3.3', hash: 'sha384' },
  'rsa-2048': { oid: '1.2.840.113549.1.1.11', params: null, hash: 'sha256' },
  'rsa-3072': { oid: '1.2.840.113549.1.1.11', params: null, hash: 'sha256' },
  'rsa-4096': { oid: '1.2.840.113549.1.1.11', params: null, hash: 'sha256' },
};

export interface LeafTemplateConfig extends LeafProfileConfig {
  algorithm: CaKeyAlgorithm;
  /** DER Name of the issuing CA (the intermediate's subject). */
  issuerNameDer: Uint8Array;
}

export interface LeafTbsInput {
  /** Positive serial number octets (RFC 5280 §4.1.2.2), first octet < 0x80. */
  serial: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** Subject CN; undefined means an empty subject (names only in the SAN). */
  commonName?: string;
  spkiDer: Uint8Array;
  keyType: LeafKeyType;
  profile: LeafProfile;
  names: SubjectNames;
}

export class LeafTemplate {
  /** DER AlgorithmIdentifier, used both inside the TBS and after it (§4.1.1.2 requires they match). */
  readonly signatureAlgorithmDer: Uint8Array;
  /** Hash for node:crypto's sign(). */
  readonly hash: 'sha256' | 'sha384';
  private readonly afterSerial: Uint8Array;
  private readonly heads = new Map<string, Uint8Array[]>();
  private readonly tail: Uint8Array[];

  constructor(config: LeafTemplateConfig) {
    const alg = SIGNATURE_ALGORITHMS[config.algorithm];
    this.hash = alg.hash;
    this.signatureAlgorithmDer = encode(new asn.AlgorithmIdentifier({ algorithm: alg.oid, parameters: alg.params }));
    this.afterSerial = concat([this.signatureAlgorithmDer, config.issuerNameDer]);
    const extensions = new LeafExtensionFactory(config);
    for (const profile of ['server', 'client', 'mtls'] as const) {
      for (const rsa of [false, true]) {
        this.heads.set(`${profile}|${rsa}`, extensions.head(rsa ? 'rsa-2048' : 'ecdsa-p256', profile));
      }
    }
    this.tail = extensions.tailDer();
  }

  tbs(input: LeafTbsInput): Uint8Array {
    const head = this.heads.get(`${input.profile}|${input.keyType.startsWith('rsa')}`);
    if (!head) throw new Error(`unknown leaf profile ${input.profile}`);
    const extensions = derTlv(TAG.sequence, [
      ...head,
      // RFC 5280 §4.2.1.6: with an empty subject the SAN MUST be critical.
      subjectAltName(input, input.commonName === undefined),
      // RFC 5280 §4.2.1.2: SubjectKeyIdentifier ::= KeyIdentifier (OCTET STRING) inside extnValue.
      derTlv(TAG.sequence, [
        SKI_DER,
        derTlv(TAG.octetString, [derTlv(TAG.octetString, [keyIdentifier(input.spkiDer)])]),
      ]),
      ...this.tail,
    ]);
    return derTlv(TAG.sequence, [
      VERSION_V3,
      derTlv(TAG.integer, [input.serial]),
      this.afterSerial,
      validity(input.notBefore, input.notAfter),
      subjectName(input.commonName),
      input.spkiDer,
      derTlv(TAG.context(3), [extensions]),
    ]);
  }
}

/** X.509 string choice as @peculiar/x509's Name does it: PrintableString when possible, else UTF8String. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const ASCII = /^[\x00-\x7f]*$/;

function subjectName(commonName: string | undefined): Uint8Array {
  if (commonName === undefined) return EMPTY_NAME;
  if (!ASCII.test(commonName)) return encodedSubjectName(commonName);
  // Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue), RFC 5280 §4.1.2.4.
  const value = derTlv(PRINTABLE.test(commonName) ? TAG.printableString : TAG.utf8String, [latin1(commonName)]);
  return derTlv(TAG.sequence, [derTlv(TAG.set, [derTlv(TAG.sequence, [OID_CN_DER, value])])]);
}

function encodedSubjectName(commonName: string): Uint8Array {
  const value = PRINTABLE.test(commonName)
    ? new asn.AttributeValue({ printableString: commonName })
    : new asn.AttributeValue({ utf8String: commonName });
  return encode(
    new asn.Name([new asn.RelativeDistinguishedName([new asn.AttributeTypeAndValue({ type: OID_CN, value })])]),
  );
}

/** GeneralNames (RFC 5280 §4.2.1.6): dNSName [2] and URI [6] IA5String, iPAddress [7] octets. */
function subjectAltName(input: LeafTbsInput, critical: boolean): Uint8Array {
  const { dns, ip, uri } = input.names;
  if (!dns.every((n) => ASCII.test(n)) || !uri.every((n) => ASCII.test(n))) {
    return extension(asn.id_ce_subjectAltName, critical, new asn.SubjectAlternativeName(san(input)));
  }
  const names = [
    ...dns.map((n) => derTlv(TAG.contextPrimitive(2), [latin1(n)])),
    ...ip.map((n) => derTlv(TAG.contextPrimitive(7), [ipToOctets(n)])),
    ...uri.map((n) => derTlv(TAG.contextPrimitive(6), [latin1(n)])),
  ];
  const value = derTlv(TAG.octetString, [derTlv(TAG.sequence, names)]);
  return derTlv(TAG.sequence, critical ? [SAN_DER, CRITICAL, value] : [SAN_DER, value]);
}

/**
 * RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050, both
 * YY(YY)MMDDHHMMSSZ without fractions (@peculiar/asn1-x509's Time drops the
 * milliseconds too). Years before 1950 take the ASN.1 encoder.
 */
function validity(notBefore: Date, notAfter: Date): Uint8Array {
  const from = time(notBefore);
  const to = time(notAfter);
  if (!from || !to) return encode(new asn.Validity({ notBefore, notAfter }));
  return derTlv(TAG.sequence, [from, to]);
}

function time(date: Date): Uint8Array | undefined {
  const year = date.getUTCFullYear();
  if (!(year >= 1950 && year <= 9999)) return undefined;
  const two = (n: number): string => String(n).padStart(2, '0');
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  return year <= 2049
    ? derTlv(TAG.utcTime, [latin1(`${two(year % 100)}${rest}`)])
    : derTlv(TAG.generalizedTime, [latin1(`${year}${rest}`)]);
}

function latin1(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

function san(input: LeafTbsInput): asn.GeneralName[] {
  return [
    ...input.names.dns.map((dNSName) => new asn.GeneralName({ dNSName })),
    ...input.names.ip.map((iPAddress) => new asn.GeneralName({ iPAddress })),
    ...input.names.uri.map((uniformResourceIdentifier) => new asn.GeneralName({ uniformResourceIdentifier })),
  ];
}

function extension(extnID: string, critical: boolean, value: object): Uint8Array {
  return encode(new asn.Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) }));
}

function encode(value: object): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(value));
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
