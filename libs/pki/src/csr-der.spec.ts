import { constants, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { ParsedCsr, PkiError } from './contracts';
import { classifyKeyObject, parseCsr, ParseCsrOptions, spkiSha256 } from './csr';
import { readCsrDer } from './csr-der';
import { oidDer } from './der';
import { childrenOf, oidToString, readElement } from './der-strict';
import { csrInputToDer } from './encoding';
import { normalizeDnsName, normalizeIp, unique } from './names';
import { ImportedSpki, importSpki } from './spki';
import { makeTestKey, TestKey } from './spec-helpers';

/*
 * Equivalence of the CSR fast path (csr-der.ts) with the decoder it sits in
 * front of. The oracle is parseCsr exactly as it was before the fast path
 * (@peculiar/asn1-csr for every request), kept below verbatim; every CSR here,
 * valid, invalid, BER-encoded or fuzzed, must get the same answer from both:
 * the same ParsedCsr, or a PkiError with the same code and message.
 */

// ---- The oracle: parseCsr before the fast path (libs/pki/src/csr.ts at c50835f) ----

const ACCEPTED = 'use ECDSA P-256/P-384, RSA 2048/3072/4096 or Ed25519';

async function referenceParseCsr(input: Uint8Array | string, options: ParseCsrOptions = {}): Promise<ParsedCsr> {
  const der = csrInputToDer(input);
  let csr: CertificationRequest;
  try {
    csr = AsnConvert.parse(der, CertificationRequest);
  } catch {
    throw new PkiError('badCSR', 'CSR is not a valid DER-encoded PKCS#10 request');
  }
  const signed = csr.certificationRequestInfoRaw;
  if (!signed) throw new PkiError('badCSR', 'CSR is not a valid DER-encoded PKCS#10 request');

  // Canonical DER, so that the digest compared with the account key (RFC 8555 §11.1)
  // and the SPKI copied into the certificate are DER whatever the client sent.
  let spki: ImportedSpki;
  try {
    spki = importSpki(csr.certificationRequestInfo.subjectPKInfo);
  } catch {
    throw new PkiError('badPublicKey', `key type unknown is not accepted; ${ACCEPTED}`);
  }
  const { der: spkiDer, key } = spki;
  const keyType = classifyKeyObject(key);
  if (options.allowedKeyTypes && !options.allowedKeyTypes.includes(keyType)) {
    throw new PkiError(
      'badPublicKey',
      `key type ${keyType} is not accepted here; allowed: ${options.allowedKeyTypes.join(', ')}`,
    );
  }

  const algorithm = signatureAlgorithm(csr.signatureAlgorithm, key);
  let valid = false;
  try {
    valid = verify(
      algorithm.hash,
      new Uint8Array(signed),
      { key, ...algorithm.options },
      new Uint8Array(csr.signature),
    );
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new PkiError('badCSR', 'CSR signature is invalid');
  }

  const { names, commonName } = collectNames(csr);
  return { names, commonName, keyType, spkiDer, spkiSha256: spkiSha256(spkiDer) };
}

interface VerifyAlgorithm {
  /** Digest for node:crypto's verify(); null for Ed25519 (RFC 8032 hashes internally). */
  hash: string | null;
  options: { dsaEncoding?: 'der'; padding?: number; saltLength?: number };
}

const HASH_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithms a CSR may use, by OID: [key type that must sign it, digest]. */
const SIGNATURE_OIDS: Record<string, [KeyObject['asymmetricKeyType'], string | null]> = {
  '1.2.840.10045.4.1': ['ec', 'sha1'], // ecdsa-with-SHA1
  '1.2.840.10045.4.3.2': ['ec', 'sha256'], // RFC 5758 §3.2
  '1.2.840.10045.4.3.3': ['ec', 'sha384'],
  '1.2.840.10045.4.3.4': ['ec', 'sha512'],
  '1.2.840.113549.1.1.5': ['rsa', 'sha1'], // sha1WithRSAEncryption
  '1.2.840.113549.1.1.11': ['rsa', 'sha256'], // RFC 4055 §5
  '1.2.840.113549.1.1.12': ['rsa', 'sha384'],
  '1.2.840.113549.1.1.13': ['rsa', 'sha512'],
  '1.3.101.112': ['ed25519', null], // RFC 8410 §3
};
const RSASSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';

/**
 * Maps the CSR's signatureAlgorithm onto node:crypto parameters. node:crypto
 * picks the scheme from the key, so the algorithm must be checked against the
 * key type here: an EC key must not pass as "sha256WithRSAEncryption".
 */
function signatureAlgorithm(id: asn.AlgorithmIdentifier, key: KeyObject): VerifyAlgorithm {
  let keyType: KeyObject['asymmetricKeyType'];
  let hash: string | null;
  const options: VerifyAlgorithm['options'] = {};
  if (id.algorithm === RSASSA_PSS) {
    // RFC 4055 §3.1; node:crypto uses the message digest for MGF1 too, so both must agree.
    let params: RsaSaPssParams;
    try {
      params = id.parameters ? AsnConvert.parse(id.parameters, RsaSaPssParams) : new RsaSaPssParams();
    } catch {
      throw new PkiError('badCSR', 'CSR RSASSA-PSS parameters cannot be parsed');
    }
    keyType = 'rsa';
    hash = HASH_OIDS[params.hashAlgorithm.algorithm];
    let mgfHash: string | undefined;
    try {
      mgfHash =
        params.maskGenAlgorithm.algorithm === MGF1 && params.maskGenAlgorithm.parameters
          ? HASH_OIDS[AsnConvert.parse(params.maskGenAlgorithm.parameters, asn.AlgorithmIdentifier).algorithm]
          : undefined;
    } catch {
      mgfHash = undefined;
    }
    if (!hash || mgfHash !== hash || params.trailerField !== 1) {
      throw new PkiError('badCSR', 'CSR RSASSA-PSS parameters are not supported');
    }
    options.padding = constants.RSA_PKCS1_PSS_PADDING;
    options.saltLength = params.saltLength;
  } else if (Object.hasOwn(SIGNATURE_OIDS, id.algorithm)) {
    [keyType, hash] = SIGNATURE_OIDS[id.algorithm];
    if (keyType === 'ec') options.dsaEncoding = 'der';
  } else {
    throw new PkiError('badCSR', `CSR signature algorithm ${id.algorithm.slice(0, 64)} is not supported`);
  }
  // SHA-1 signatures are collision-prone; RFC 8555 does not require us to accept them.
  if (hash === 'sha1') {
    throw new PkiError('badCSR', 'CSR is signed with SHA-1; use SHA-256 or stronger');
  }
  if (keyType !== key.asymmetricKeyType) {
    throw new PkiError('badCSR', 'CSR signature algorithm does not match its public key');
  }
  return { hash, options };
}

const OID_CN = '2.5.4.3';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14'; // PKCS #9 (RFC 2985 §5.4.2)

/** Reads the SAN extension request plus the CN (RFC 8555 §7.4 counts both). */
function collectNames(csr: CertificationRequest): Pick<ParsedCsr, 'names' | 'commonName'> {
  const dns: string[] = [];
  const ip: string[] = [];
  const uri: string[] = [];
  let sanExts: asn.SubjectAlternativeName[];
  try {
    // Like @peculiar/x509 before: the first extensionRequest attribute's first value.
    const attribute = csr.certificationRequestInfo.attributes.find((a) => a.type === OID_EXTENSION_REQUEST);
    const extensions = attribute?.values[0] ? AsnConvert.parse(attribute.values[0], asn.Extensions) : [];
    sanExts = extensions
      .filter((e) => e.extnID === asn.id_ce_subjectAltName)
      .map((e) => AsnConvert.parse(e.extnValue.buffer, asn.SubjectAlternativeName));
  } catch {
    throw new PkiError('badCSR', 'CSR subjectAltName extension cannot be parsed');
  }
  if (sanExts.length > 1) {
    throw new PkiError('badCSR', 'CSR carries more than one subjectAltName extension');
  }
  for (const gn of sanExts[0] ?? []) {
    if (gn.dNSName !== undefined) {
      dns.push(requireDns(gn.dNSName));
    } else if (gn.iPAddress !== undefined) {
      const v = normalizeIp(gn.iPAddress);
      if (!v) throw new PkiError('badCSR', `CSR iPAddress "${gn.iPAddress}" is not a single IPv4/IPv6 address`);
      ip.push(v);
    } else if (gn.uniformResourceIdentifier !== undefined) {
      const value = gn.uniformResourceIdentifier;
      if (!URL.canParse(value)) throw new PkiError('badCSR', `CSR URI "${value}" is not a valid URI`);
      uri.push(value);
    } else {
      throw new PkiError('badCSR', `CSR subjectAltName type "${generalNameType(gn)}" is not supported`);
    }
  }

  const cns: string[] = [];
  for (const rdn of csr.certificationRequestInfo.subject) {
    for (const attribute of rdn) {
      if (attribute.type === OID_CN) cns.push(attribute.value.toString());
    }
  }
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

/** The names @peculiar/x509 uses for GeneralName choices, for error messages. */
function generalNameType(gn: asn.GeneralName): string {
  if (gn.rfc822Name !== undefined) return 'email';
  if (gn.directoryName !== undefined) return 'dn';
  if (gn.registeredID !== undefined) return 'id';
  if (gn.otherName !== undefined) return 'otherName';
  return 'unknown';
}

function requireDns(value: string): string {
  const v = normalizeDnsName(value);
  if (!v) throw new PkiError('badCSR', `CSR name "${value}" is not a valid DNS name`);
  return v;
}

// ---- End of the oracle ----

// ---- DER building blocks for hand-made requests ----

type Bytes = Uint8Array;
const cat = (...parts: Bytes[]): Bytes => new Uint8Array(Buffer.concat(parts));

/** TLV with the given length form; 'short'/'long' are DER (by size), the others BER. */
function tlv(tag: number, content: Bytes, form: 'der' | 'long1' | 'long2' | 'indefinite' = 'der'): Bytes {
  const n = content.length;
  if (form === 'indefinite') return cat(Uint8Array.of(tag, 0x80), content, Uint8Array.of(0, 0));
  if (form === 'long2' || (form === 'der' && n > 0xff)) return cat(Uint8Array.of(tag, 0x82, n >> 8, n & 0xff), content);
  if (form === 'long1' || n > 0x7f) return cat(Uint8Array.of(tag, 0x81, n), content);
  return cat(Uint8Array.of(tag, n), content);
}
const T = (tag: number, ...parts: Bytes[]): Bytes => tlv(tag, cat(...parts));
const ascii = (tag: number, text: string): Bytes => tlv(tag, new Uint8Array(Buffer.from(text, 'latin1')));
const utf8 = (text: string): Bytes => tlv(0x0c, new Uint8Array(Buffer.from(text, 'utf8')));
const bmp = (text: string): Bytes => tlv(0x1e, new Uint8Array(Buffer.from(text, 'utf16le').swap16()));
const NULL = Uint8Array.of(5, 0);
const V1 = Uint8Array.of(2, 1, 0);

const OIDS = {
  cn: '2.5.4.3',
  o: '2.5.4.10',
  c: '2.5.4.6',
  email: '1.2.840.113549.1.9.1',
  extReq: '1.2.840.113549.1.9.14',
  challengePassword: '1.2.840.113549.1.9.7',
  san: '2.5.29.17',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
};

const atv = (type: string, value: Bytes): Bytes => T(0x30, oidDer(type), value);
const rdn = (...atvs: Bytes[]): Bytes => T(0x31, ...atvs);
const nameOf = (...rdns: Bytes[]): Bytes => T(0x30, ...rdns);
const cnName = (cn: string): Bytes => nameOf(rdn(atv(OIDS.cn, ascii(0x13, cn))));
const EMPTY_NAME = Uint8Array.of(0x30, 0);

const gn = {
  dns: (v: string): Bytes => ascii(0x82, v),
  uri: (v: string): Bytes => ascii(0x86, v),
  email: (v: string): Bytes => ascii(0x81, v),
  ip: (octets: number[] | Bytes): Bytes => tlv(0x87, Uint8Array.from(octets)),
  id: (oid: string): Bytes => tlv(0x88, oidDer(oid).subarray(2)),
  dn: (name: Bytes): Bytes => T(0xa4, name),
};
const ext = (id: string, value: Bytes, critical?: Bytes): Bytes =>
  T(0x30, oidDer(id), critical ?? new Uint8Array(), tlv(0x04, value));
const sanExt = (...names: Bytes[]): Bytes => ext(OIDS.san, T(0x30, ...names));
const extReq = (...exts: Bytes[]): Bytes => T(0x30, oidDer(OIDS.extReq), T(0x31, T(0x30, ...exts)));
const attributes = (...attrs: Bytes[]): Bytes => T(0xa0, ...attrs);

interface Signer {
  key: TestKey;
  algorithm: Bytes;
  sign: (data: Bytes) => Bytes;
}

const algId = (oid: string, params?: Bytes): Bytes => T(0x30, oidDer(oid), params ?? new Uint8Array());
const SIG = {
  ecdsaSha1: '1.2.840.10045.4.1',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha384: '1.2.840.10045.4.3.3',
  ecdsaSha512: '1.2.840.10045.4.3.4',
  rsaSha256: '1.2.840.113549.1.1.11',
  rsaSha384: '1.2.840.113549.1.1.12',
  rsaSha512: '1.2.840.113549.1.1.13',
  pss: '1.2.840.113549.1.1.10',
  ed25519: '1.3.101.112',
};
const HASH_OID: Record<string, string> = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

function pssParams(hash: string, saltLength: number): Bytes {
  const hashAlg = new asn.AlgorithmIdentifier({ algorithm: HASH_OID[hash], parameters: null });
  const params = new RsaSaPssParams({
    hashAlgorithm: hashAlg,
    maskGenAlgorithm: new asn.AlgorithmIdentifier({
      algorithm: '1.2.840.113549.1.1.8',
      parameters: AsnConvert.serialize(hashAlg),
    }),
    saltLength,
  });
  return new Uint8Array(AsnConvert.serialize(params));
}

function signer(key: TestKey, variant?: string): Signer {
  const k = key.privateKey;
  const ecHash = k.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'sha384' : 'sha256';
  switch (variant ?? k.asymmetricKeyType) {
    case 'ec':
      return {
        key,
        algorithm: algId(ecHash === 'sha384' ? SIG.ecdsaSha384 : SIG.ecdsaSha256),
        sign: (d) => sign(ecHash, d, k),
      };
    case 'rsa':
      return { key, algorithm: algId(SIG.rsaSha256, NULL), sign: (d) => sign('sha256', d, k) };
    case 'rsa-sha384':
      return { key, algorithm: algId(SIG.rsaSha384, NULL), sign: (d) => sign('sha384', d, k) };
    case 'rsa-sha512-no-params':
      return { key, algorithm: algId(SIG.rsaSha512), sign: (d) => sign('sha512', d, k) };
    case 'pss-sha256':
    case 'pss-sha384': {
      const hash = variant === 'pss-sha256' ? 'sha256' : 'sha384';
      const saltLength = hash === 'sha256' ? 32 : 48;
      return {
        key,
        algorithm: algId(SIG.pss, pssParams(hash, saltLength)),
        sign: (d) => sign(hash, d, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }),
      };
    }
    case 'ed25519':
      return { key, algorithm: algId(SIG.ed25519), sign: (d) => sign(null, d, k) };
    default:
      throw new Error(`no signer for ${variant ?? k.asymmetricKeyType}`);
  }
}

interface CsrParts {
  version?: Bytes;
  subject?: Bytes;
  spki?: Bytes;
  /** The whole [0] element (or nothing, to leave it out). */
  attributes?: Bytes | null;
  /** Re-encodes the CertificationRequestInfo TLV itself (BER variants). */
  infoForm?: 'der' | 'long2' | 'indefinite';
}

function makeCsr(s: Signer, parts: CsrParts = {}): Bytes {
  const info = tlv(
    0x30,
    cat(
      parts.version ?? V1,
      parts.subject ?? EMPTY_NAME,
      parts.spki ?? s.key.spkiDer,
      parts.attributes === null ? new Uint8Array() : (parts.attributes ?? attributes()),
    ),
    parts.infoForm,
  );
  return T(0x30, info, s.algorithm, tlv(0x03, cat(Uint8Array.of(0), s.sign(info))));
}

const sanOnly = (...names: Bytes[]): CsrParts => ({ attributes: attributes(extReq(sanExt(...names))) });

// ---- The corpus ----

const keys = {
  p256: makeTestKey({ kind: 'ec', curve: 'P-256' }),
  p384: makeTestKey({ kind: 'ec', curve: 'P-384' }),
  rsa2048: makeTestKey({ kind: 'rsa', bits: 2048 }),
  rsa3072: makeTestKey({ kind: 'rsa', bits: 3072 }),
  rsa4096: makeTestKey({ kind: 'rsa', bits: 4096 }),
  ed25519: makeTestKey({ kind: 'ed25519' }),
};
const p256 = signer(keys.p256);
const rsa = signer(keys.rsa2048);

/** `fast`: whether the fast path must take it (strict DER in the shape it reads). */
interface Case {
  name: string;
  der: Bytes;
  fast: boolean;
  options?: ParseCsrOptions;
}

function corpus(): Case[] {
  const cases: Case[] = [];
  const add = (name: string, der: Bytes, fast = true, options?: ParseCsrOptions): void =>
    void cases.push({ name, der, fast, options });

  // Every key type and signature scheme, with SAN only, CN only, and both.
  const signers: [string, Signer][] = [
    ['p256', p256],
    ['p384', signer(keys.p384)],
    [
      'p256-ecdsa-sha384',
      { key: keys.p256, algorithm: algId(SIG.ecdsaSha384), sign: (d) => sign('sha384', d, keys.p256.privateKey) },
    ],
    [
      'p256-ecdsa-null-params',
      { key: keys.p256, algorithm: algId(SIG.ecdsaSha256, NULL), sign: (d) => sign('sha256', d, keys.p256.privateKey) },
    ],
    ['ed25519', signer(keys.ed25519)],
    ['rsa2048', rsa],
    ['rsa2048-sha384', signer(keys.rsa2048, 'rsa-sha384')],
    ['rsa2048-sha512-absent-params', signer(keys.rsa2048, 'rsa-sha512-no-params')],
    ['rsa2048-pss-sha256', signer(keys.rsa2048, 'pss-sha256')],
    ['rsa3072', signer(keys.rsa3072)],
    ['rsa3072-pss-sha384', signer(keys.rsa3072, 'pss-sha384')],
    ['rsa4096', signer(keys.rsa4096)],
    ['rsa4096-pss-sha256', signer(keys.rsa4096, 'pss-sha256')],
  ];
  for (const [name, s] of signers) {
    add(`${name}/san`, makeCsr(s, sanOnly(gn.dns('a.example.com'))));
    add(`${name}/cn-only`, makeCsr(s, { subject: cnName('www.example.com') }));
    add(
      `${name}/cn-and-san`,
      makeCsr(s, { subject: cnName('www.example.com'), ...sanOnly(gn.dns('api.example.com')) }),
    );
  }

  // Names.
  add('ip-sans', makeCsr(p256, sanOnly(gn.ip([192, 0, 2, 7]), gn.ip([0x20, 1, 0xd, 0xb8, ...Array(11).fill(0), 1]))));
  add(
    'ipv4-mapped-and-zero-ipv6',
    makeCsr(p256, sanOnly(gn.ip([...Array(10).fill(0), 255, 255, 192, 0, 2, 1]), gn.ip(Array(16).fill(0)))),
  );
  add('ip-san-with-netmask', makeCsr(p256, sanOnly(gn.ip([10, 0, 0, 0, 255, 0, 0, 0]))), false);
  add('ip-san-5-octets', makeCsr(p256, sanOnly(gn.ip([1, 2, 3, 4, 5]))), false);
  add('uri-san', makeCsr(p256, sanOnly(gn.dns('a.example.com'), gn.uri('spiffe://rotor/svc'))));
  add('bad-uri-san', makeCsr(p256, sanOnly(gn.uri('not a uri'))));
  add(
    'mixed-case-and-duplicate-sans',
    makeCsr(p256, sanOnly(gn.dns('WWW.Example.com'), gn.dns('www.example.com'), gn.dns('*.example.com'))),
  );
  add('invalid-dns-san', makeCsr(p256, sanOnly(gn.dns('bad_name.example.com'))));
  add('dns-san-with-control-octet', makeCsr(p256, sanOnly(gn.dns('a\x01.example.com'))), false);
  add('dns-san-latin1', makeCsr(p256, sanOnly(gn.dns('caf\xe9.example.com'))), false);
  add('empty-dns-san', makeCsr(p256, sanOnly(gn.dns(''))), false);
  add('email-san', makeCsr(p256, sanOnly(gn.email('a@example.com'))), false);
  add('registered-id-san', makeCsr(p256, sanOnly(gn.id('1.2.3.4'))), false);
  add('directory-name-san', makeCsr(p256, sanOnly(gn.dn(cnName('x')))), false);
  add('empty-san', makeCsr(p256, sanOnly()));
  add(
    'two-san-extensions',
    makeCsr(p256, { attributes: attributes(extReq(sanExt(gn.dns('a.example.com')), sanExt(gn.dns('b.example.com')))) }),
  );
  add(
    'critical-san',
    makeCsr(p256, {
      attributes: attributes(extReq(ext(OIDS.san, T(0x30, gn.dns('a.example.com')), Uint8Array.of(1, 1, 0xff)))),
    }),
  );
  const many = Array.from({ length: 100 }, (_, i) => gn.dns(`host-${i}.example.com`));
  add('100-sans', makeCsr(signer(keys.rsa4096), sanOnly(...many)));
  const tooMany = Array.from({ length: 450 }, (_, i) => gn.dns(`host-${i}.example.com`));
  add('450-sans-over-10000-octets', makeCsr(p256, sanOnly(...tooMany)), false);
  const ips = Array.from({ length: 40 }, (_, i) =>
    gn.ip(Array.from({ length: 16 }, (_, j) => ((i * 7 + j * 3) % 5 < 2 ? 0 : (i * 31 + j * 17) & 0xff))),
  );
  add('40-ipv6-sans-with-zero-runs', makeCsr(p256, sanOnly(...ips)));
  add(
    'other-extensions',
    makeCsr(p256, {
      attributes: attributes(
        extReq(
          ext(OIDS.basicConstraints, Uint8Array.of(0x30, 0), Uint8Array.of(1, 1, 0xff)),
          ext(OIDS.keyUsage, Uint8Array.of(3, 2, 5, 0xa0)),
          sanExt(gn.dns('a.example.com')),
          ext('1.3.6.1.4.1.99999.1', Uint8Array.of(0xde, 0xad, 0xbe, 0xef)),
        ),
      ),
    }),
  );

  // Subjects.
  add(
    'full-subject',
    makeCsr(p256, {
      subject: nameOf(
        rdn(atv(OIDS.c, ascii(0x13, 'DE'))),
        rdn(atv(OIDS.o, utf8('Example Org'))),
        rdn(atv(OIDS.cn, ascii(0x13, 'www.example.com'))),
        rdn(atv(OIDS.email, ascii(0x16, 'a@example.com'))),
      ),
      ...sanOnly(gn.dns('www.example.com')),
    }),
  );
  add(
    'multi-valued-rdn',
    makeCsr(p256, { subject: nameOf(rdn(atv(OIDS.o, utf8('Org')), atv(OIDS.cn, utf8('x.example.com')))) }),
  );
  add('cn-utf8', makeCsr(p256, { subject: nameOf(rdn(atv(OIDS.cn, utf8('www.example.com')))) }));
  add('cn-ia5', makeCsr(p256, { subject: nameOf(rdn(atv(OIDS.cn, ascii(0x16, 'www.example.com')))) }));
  add('cn-upper-case', makeCsr(p256, { subject: cnName('WWW.Example.COM') }));
  add('cn-ipv4', makeCsr(p256, { subject: cnName('192.0.2.9') }));
  add('cn-ipv6-text', makeCsr(p256, { subject: nameOf(rdn(atv(OIDS.cn, utf8('2001:DB8::1')))) }));
  add('cn-invalid-dns', makeCsr(p256, { subject: cnName('not a name') }));
  add(
    'two-cns',
    makeCsr(p256, {
      subject: nameOf(rdn(atv(OIDS.cn, utf8('a.example.com'))), rdn(atv(OIDS.cn, utf8('b.example.com')))),
    }),
  );
  add('cn-non-ascii-utf8', makeCsr(p256, { subject: nameOf(rdn(atv(OIDS.cn, utf8('café.example.com')))) }), false);
  add('cn-teletex', makeCsr(p256, { subject: nameOf(rdn(atv(OIDS.cn, ascii(0x14, 'www.example.com')))) }), false);
  add('cn-bmp', makeCsr(p256, { subject: nameOf(rdn(atv(OIDS.cn, bmp('www.example.com')))) }), false);
  add('cn-empty', makeCsr(p256, { subject: nameOf(rdn(atv(OIDS.cn, ascii(0x13, '')))) }), false);
  add(
    'o-non-ascii',
    makeCsr(p256, { subject: nameOf(rdn(atv(OIDS.o, utf8('Bücher'))), rdn(atv(OIDS.cn, utf8('a.example.com')))) }),
    false,
  );
  add('empty-rdn', makeCsr(p256, { subject: nameOf(T(0x31)), ...sanOnly(gn.dns('a.example.com')) }), false);

  // Attributes.
  const challenge = T(0x30, oidDer(OIDS.challengePassword), T(0x31, ascii(0x13, 'secret')));
  add(
    'challenge-password-first',
    makeCsr(p256, { attributes: attributes(challenge, extReq(sanExt(gn.dns('a.example.com')))) }),
  );
  add(
    'two-extension-requests',
    makeCsr(p256, {
      attributes: attributes(extReq(sanExt(gn.dns('a.example.com'))), extReq(sanExt(gn.dns('b.example.com')))),
    }),
  );
  add(
    'extension-request-two-values',
    makeCsr(p256, {
      attributes: attributes(T(0x30, oidDer(OIDS.extReq), T(0x31, T(0x30, sanExt(gn.dns('a.example.com'))), T(0x30)))),
    }),
    false,
  );
  add(
    'attribute-without-values',
    makeCsr(p256, {
      attributes: attributes(T(0x30, oidDer(OIDS.challengePassword), T(0x31)), extReq(sanExt(gn.dns('a.example.com')))),
    }),
    false,
  );
  add('no-attributes-element', makeCsr(p256, { subject: cnName('a.example.com'), attributes: null }), false);
  add('version-2', makeCsr(p256, { version: Uint8Array.of(2, 1, 1), ...sanOnly(gn.dns('a.example.com')) }), false);

  // Keys the policy refuses, or that do not load.
  const jwk = keys.p256.publicKey.export({ format: 'jwk' });
  const y = Buffer.from(jwk.y as string, 'base64url');
  const compressed = cat(
    keys.p256.spkiDer.subarray(0, 23),
    Uint8Array.of(2 + (y[31] & 1)),
    Buffer.from(jwk.x as string, 'base64url'),
  );
  const compressedSpki = T(
    0x30,
    keys.p256.spkiDer.subarray(2, 23),
    tlv(0x03, cat(Uint8Array.of(0), compressed.subarray(23))),
  );
  add('p256-compressed-point', makeCsr(p256, { spki: compressedSpki, ...sanOnly(gn.dns('a.example.com')) }));
  const offCurve = new Uint8Array(keys.p256.spkiDer);
  offCurve[offCurve.length - 1] ^= 1;
  add('p256-point-off-curve', makeCsr(p256, { spki: offCurve, ...sanOnly(gn.dns('a.example.com')) }));
  for (const [name, spec] of [
    ['p521', { kind: 'ec', curve: 'P-521' }],
    ['secp256k1', { kind: 'ec', curve: 'secp256k1' }],
    ['ed448', { kind: 'ed448' }],
    ['rsa1024', { kind: 'rsa', bits: 1024 }],
  ] as const) {
    add(`${name}-key`, makeCsr(p256, { spki: makeTestKey(spec).spkiDer, ...sanOnly(gn.dns('a.example.com')) }));
  }
  const e3 = makeTestKey({ kind: 'rsa', bits: 2048 });
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
  const rsaE3 = { ...pair, spkiDer: new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' })) };
  add('rsa-exponent-3', makeCsr(signer(rsaE3), sanOnly(gn.dns('a.example.com'))));
  const ed25519Null = T(
    0x30,
    algId(SIG.ed25519, NULL),
    tlv(0x03, cat(Uint8Array.of(0), keys.ed25519.spkiDer.subarray(12))),
  );
  add(
    'ed25519-key-with-null-params',
    makeCsr(signer(keys.ed25519), { spki: ed25519Null, ...sanOnly(gn.dns('a.example.com')) }),
    false,
  );
  const rsaNoParams = T(0x30, algId('1.2.840.113549.1.1.1'), keys.rsa2048.spkiDer.subarray(19));
  add('rsa-key-without-null-params', makeCsr(rsa, { spki: rsaNoParams, ...sanOnly(gn.dns('a.example.com')) }));
  add('allowed-types-narrowed', makeCsr(rsa, sanOnly(gn.dns('a.example.com'))), true, {
    allowedKeyTypes: ['ecdsa-p256'],
  });
  add('allowed-types-ok', makeCsr(rsa, sanOnly(gn.dns('a.example.com'))), true, { allowedKeyTypes: ['rsa-2048'] });

  // Signatures.
  const withAlg = (s: Signer, algorithm: Bytes, hash: string | null): Signer => ({
    ...s,
    algorithm,
    sign: (d) => sign(hash, d, s.key.privateKey),
  });
  add('ecdsa-sha1', makeCsr(withAlg(p256, algId(SIG.ecdsaSha1), 'sha1'), sanOnly(gn.dns('a.example.com'))));
  add(
    'ec-key-labelled-rsa',
    makeCsr(withAlg(p256, algId(SIG.rsaSha256, NULL), 'sha256'), sanOnly(gn.dns('a.example.com'))),
  );
  add(
    'unknown-signature-algorithm',
    makeCsr(withAlg(p256, algId('1.2.3.4'), 'sha256'), sanOnly(gn.dns('a.example.com'))),
  );
  add(
    'pss-params-garbage',
    makeCsr({ ...rsa, algorithm: algId(SIG.pss, T(0x30, Uint8Array.of(4, 1, 0))) }, sanOnly(gn.dns('a.example.com'))),
  );
  add('pss-null-params', makeCsr({ ...rsa, algorithm: algId(SIG.pss, NULL) }, sanOnly(gn.dns('a.example.com'))));
  add(
    'pss-salt-mismatch',
    makeCsr(
      {
        ...signer(keys.rsa2048, 'pss-sha256'),
        sign: (d) =>
          sign('sha256', d, { key: keys.rsa2048.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 }),
      },
      sanOnly(gn.dns('a.example.com')),
    ),
  );
  add(
    'ecdsa-with-sequence-params',
    makeCsr({ ...p256, algorithm: algId(SIG.ecdsaSha256, T(0x30)) }, sanOnly(gn.dns('a.example.com'))),
    false,
  );
  add(
    'signed-by-another-key',
    makeCsr(
      { ...p256, sign: (d) => sign('sha256', d, makeTestKey({ kind: 'ec', curve: 'P-256' }).privateKey) },
      sanOnly(gn.dns('a.example.com')),
    ),
  );
  add(
    'rsa-signed-by-e3-key',
    makeCsr({ ...rsa, sign: (d) => sign('sha256', d, e3.privateKey) }, sanOnly(gn.dns('a.example.com'))),
  );

  // BER and other encodings outside the fast path's shape: the general decoder decides.
  const base = makeCsr(p256, sanOnly(gn.dns('a.example.com')));
  const body = base.subarray(base[1] & 0x80 ? 2 + (base[1] & 0x7f) : 2);
  add('ber/trailing-octets', cat(base, Uint8Array.of(0, 0)), false);
  add('ber/outer-length-not-minimal', tlv(0x30, body, 'long2'), false);
  add('ber/outer-indefinite-length', tlv(0x30, body, 'indefinite'), false);
  add('ber/extra-element', T(0x30, body, NULL), false);
  add('ber/info-length-not-minimal', makeCsr(p256, { ...sanOnly(gn.dns('a.example.com')), infoForm: 'long2' }), false);
  add('ber/info-indefinite', makeCsr(p256, { ...sanOnly(gn.dns('a.example.com')), infoForm: 'indefinite' }), false);
  add(
    'ber/critical-true-not-ff',
    makeCsr(p256, {
      attributes: attributes(extReq(ext(OIDS.san, T(0x30, gn.dns('a.example.com')), Uint8Array.of(1, 1, 1)))),
    }),
    false,
  );
  add(
    'ber/critical-false-encoded',
    makeCsr(p256, {
      attributes: attributes(extReq(ext(OIDS.san, T(0x30, gn.dns('a.example.com')), Uint8Array.of(1, 1, 0)))),
    }),
    false,
  );
  add(
    'ber/version-not-minimal',
    makeCsr(p256, { version: Uint8Array.of(2, 2, 0, 0), ...sanOnly(gn.dns('a.example.com')) }),
    false,
  );
  add(
    'ber/oid-not-minimal',
    makeCsr(p256, {
      attributes: attributes(
        T(0x30, Uint8Array.of(6, 4, 0x2a, 0x80, 0x80, 3), T(0x31, NULL)),
        extReq(sanExt(gn.dns('a.example.com'))),
      ),
    }),
    false,
  );
  add(
    'ber/san-trailing-octets',
    makeCsr(p256, { attributes: attributes(extReq(ext(OIDS.san, cat(T(0x30, gn.dns('a.example.com')), NULL)))) }),
    false,
  );
  add(
    'ber/san-long-length',
    makeCsr(p256, { attributes: attributes(extReq(ext(OIDS.san, tlv(0x30, gn.dns('a.example.com'), 'long1')))) }),
    false,
  );
  add('ber/dns-name-constructed', makeCsr(p256, sanOnly(T(0xa2, ascii(0x16, 'a.example.com')))), false);
  const unusedBits = new Uint8Array(base);
  const [, , signatureBits] = childrenOf(base, readElement(base, 0, base.length)!)!;
  unusedBits[signatureBits.start] = 1; // the signature BIT STRING claims one unused bit
  add('ber/signature-with-unused-bits', unusedBits, false);
  add('garbage', Uint8Array.of(1, 2, 3, 4), false);
  add('empty', new Uint8Array(), false);
  add('an-integer', Uint8Array.of(0x30, 3, 2, 1, 1), false);
  return cases;
}

// ---- Running both ----

type Outcome =
  { ok: Omit<ParsedCsr, 'spkiDer'> & { spkiDer: string } } | { error: string; code?: string; message: string };

async function outcome(parse: typeof parseCsr, der: Bytes, options?: ParseCsrOptions): Promise<Outcome> {
  try {
    const r = await parse(der, options);
    return { ok: { ...r, spkiDer: Buffer.from(r.spkiDer).toString('hex') } };
  } catch (e) {
    const err = e as Error;
    return { error: err.constructor.name, code: (e as PkiError).code, message: err.message };
  }
}

const CASES = corpus();

describe('CSR fast path ≡ the @peculiar decoder (corpus)', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const expected = await outcome(referenceParseCsr, c.der, c.options);
    expect(await outcome(parseCsr, c.der, c.options)).toEqual(expected);
    expect(readCsrDer(c.der) !== undefined).toBe(c.fast);
    if ('error' in expected) expect(expected.error).toBe('PkiError');
  });

  it('the corpus holds successes and failures on the fast path', async () => {
    const fast = await Promise.all(CASES.filter((c) => c.fast).map((c) => outcome(parseCsr, c.der, c.options)));
    expect(fast.filter((o) => 'ok' in o).length).toBeGreaterThan(40);
    expect(fast.filter((o) => 'error' in o).length).toBeGreaterThan(15);
  });

  it('PEM and base64url input go through the same path', async () => {
    const der = makeCsr(p256, sanOnly(gn.dns('a.example.com')));
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    for (const input of [pem, Buffer.from(der).toString('base64url')]) {
      expect(readCsrDer(csrInputToDer(input))).toBeDefined();
      expect(await outcome(parseCsr, csrInputToDer(input))).toEqual(await outcome(referenceParseCsr, der));
    }
  });

  it('the result does not share the caller’s buffer', async () => {
    const der = makeCsr(p256, sanOnly(gn.dns('a.example.com')));
    const parsed = await parseCsr(der);
    const before = Buffer.from(parsed.spkiDer).toString('hex');
    der.fill(0);
    expect(Buffer.from(parsed.spkiDer).toString('hex')).toBe(before);
  });
});

// ---- Fuzzing ----

/** mulberry32: a seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(der: Bytes, rnd: () => number): Bytes {
  const at = Math.floor(rnd() * der.length);
  const out = new Uint8Array(der);
  switch (Math.floor(rnd() * 6)) {
    case 0:
      return der.subarray(0, at); // truncation
    case 1:
      for (let i = 1 + Math.floor(rnd() * 3); i > 0; i--)
        out[Math.floor(rnd() * der.length)] ^= 1 << Math.floor(rnd() * 8);
      return out;
    case 2:
      out[at] = Math.floor(rnd() * 256);
      return out;
    case 3:
      return cat(der.subarray(0, at), Uint8Array.of(Math.floor(rnd() * 256)), der.subarray(at));
    case 4:
      return cat(der.subarray(0, at), der.subarray(at + 1));
    default:
      // A length octet: at a random element header reached by walking the encoding.
      out[headerOffsets(der)[Math.floor(rnd() * headerOffsets(der).length)] + 1] = Math.floor(rnd() * 256);
      return out;
  }
}

/** Offsets of every element header, walking into constructed elements (best effort on any input). */
function headerOffsets(der: Bytes): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number): void => {
    for (let at = start; at < end;) {
      const el = readElement(der, at, end);
      if (!el) return;
      out.push(at);
      if (el.tag & 0x20) walk(el.start, el.end);
      at = el.end;
    }
  };
  walk(0, der.length);
  return out.length ? out : [0];
}

/** The request with its CertificationRequestInfo replaced and signed again: mutations the signature does not catch. */
function resigned(s: Signer, info: Bytes): Bytes {
  return T(0x30, info, s.algorithm, tlv(0x03, cat(Uint8Array.of(0), s.sign(info))));
}

const FUZZ_BASES: [string, Signer, CsrParts][] = [
  [
    'p256-cn-san',
    p256,
    { subject: cnName('www.example.com'), ...sanOnly(gn.dns('api.example.com'), gn.ip([192, 0, 2, 1])) },
  ],
  [
    'ed25519-full',
    signer(keys.ed25519),
    {
      subject: nameOf(rdn(atv(OIDS.o, utf8('Org'))), rdn(atv(OIDS.cn, utf8('a.example.com')))),
      attributes: attributes(
        T(0x30, oidDer(OIDS.challengePassword), T(0x31, ascii(0x13, 'pw'))),
        extReq(
          ext(OIDS.keyUsage, Uint8Array.of(3, 2, 7, 0x80), Uint8Array.of(1, 1, 0xff)),
          sanExt(gn.dns('b.example.com'), gn.uri('https://x/')),
        ),
      ),
    },
  ],
  [
    'rsa2048-pss',
    signer(keys.rsa2048, 'pss-sha256'),
    sanOnly(
      gn.dns('c.example.com'),
      gn.ip(
        Array(16)
          .fill(0)
          .map((_, i) => (i > 12 ? i : 0)),
      ),
    ),
  ],
];

describe('CSR fast path ≡ the @peculiar decoder (fuzzing)', () => {
  it.each(FUZZ_BASES)(
    '%s: random damage to the request',
    async (_n, s, parts) => {
      const base = makeCsr(s, parts);
      const [info, , sig] = childrenOf(base, readElement(base, 0, base.length)!)!;
      const signedPart = Buffer.from(base.subarray(info.offset, info.end));
      const signature = Buffer.from(base.subarray(sig.start, sig.end));
      const rnd = prng(0x5eed ^ base.length);
      for (let i = 0; i < 400; i++) {
        const der = mutate(base, rnd);
        const got = await outcome(parseCsr, der);
        expect([i, got]).toEqual([i, await outcome(referenceParseCsr, der)]);
        if ('error' in got) {
          expect(got.error).toBe('PkiError');
        } else {
          // Accepted only with the signed octets and their signature intact (e.g. octets appended after the request).
          expect(Buffer.from(der).includes(signedPart) && Buffer.from(der).includes(signature)).toBe(true);
        }
      }
    },
    120_000,
  );

  it.each(FUZZ_BASES)(
    '%s: damage inside the signed part, signed again',
    async (_n, s, parts) => {
      const base = makeCsr(s, parts);
      const [info] = childrenOf(base, readElement(base, 0, base.length)!)!;
      const infoDer = base.subarray(info.offset, info.end);
      const rnd = prng(0xc0ffee ^ base.length);
      let accepted = 0;
      let fast = 0;
      for (let i = 0; i < 400; i++) {
        const der = resigned(s, mutate(infoDer, rnd));
        if (readCsrDer(der)) fast++;
        const got = await outcome(parseCsr, der);
        expect([i, got]).toEqual([i, await outcome(referenceParseCsr, der)]);
        if ('error' in got) expect(got.error).toBe('PkiError');
        else accepted++;
      }
      // Some damage leaves a valid, different request; a good share of it is read by the fast path.
      expect(accepted).toBeGreaterThan(0);
      expect(fast).toBeGreaterThan(40);
    },
    120_000,
  );
});

describe('strict DER pieces against asn1js', () => {
  it('OBJECT IDENTIFIER text matches asn1js for random arcs', () => {
    const rnd = prng(42);
    for (let i = 0; i < 2000; i++) {
      const arcs = [Math.floor(rnd() * 3), Math.floor(rnd() * 40)];
      for (let n = Math.floor(rnd() * 8); n > 0; n--)
        arcs.push(Math.floor(rnd() ** 4 * 2 ** (1 + Math.floor(rnd() * 48))));
      const der = oidDer(arcs.join('.'));
      const viaAsn1js = AsnConvert.parse(T(0x30, der), asn.AlgorithmIdentifier).algorithm;
      expect(oidToString(der, readElement(der, 0, der.length)!)).toBe(viaAsn1js);
      expect(viaAsn1js).toBe(arcs.join('.'));
    }
  });
});
