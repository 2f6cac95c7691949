import { constants, createPublicKey, JsonWebKey, KeyObject, verify } from 'node:crypto';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { LeafKeyType, ParsedCsr, PkiError } from './contracts';
import { readCsrDer } from './csr-der';
import { CsrFields, CsrNames, CsrSignatureAlgorithm } from './csr-fields';
import { decodeCsrWithPeculiar } from './csr-peculiar';
import { b64url, csrInputToDer, sha256 } from './encoding';
import { normalizeDnsName, normalizeIp, unique } from './names';
import { ImportedSpki } from './spki';

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
 *
 * The CSR is decoded by the strict DER fast path (csr-der.ts) when it is in
 * the shape clients send, else by @peculiar/asn1-csr (csr-peculiar.ts), and
 * its signature checked with node:crypto on the CertificationRequestInfo
 * bytes exactly as received (RFC 2986 §4.2), using the same KeyObject the key
 * policy inspected.
 */

const ACCEPTED = 'use ECDSA P-256/P-384, RSA 2048/3072/4096 or Ed25519';

export interface ParseCsrOptions {
  /** Narrows the default accepted set (e.g. a profile that forbids RSA). */
  allowedKeyTypes?: readonly LeafKeyType[];
}

export async function parseCsr(input: Uint8Array | string, options: ParseCsrOptions = {}): Promise<ParsedCsr> {
  const der = csrInputToDer(input);
  const csr: CsrFields = readCsrDer(der) ?? decodeCsrWithPeculiar(der);

  let spki: ImportedSpki;
  try {
    spki = csr.importKey();
  } catch {
    throw rejectKey('unknown');
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
    valid = verify(algorithm.hash, csr.signed, { key, ...algorithm.options }, csr.signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new PkiError('badCSR', 'CSR signature is invalid');
  }

  const { names, commonName } = collectNames(csr.names());
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
function signatureAlgorithm(id: CsrSignatureAlgorithm, key: KeyObject): VerifyAlgorithm {
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

/** The SAN extension request plus the CN (RFC 8555 §7.4 counts both). */
function collectNames({ subjectAltNames, commonNames }: CsrNames): Pick<ParsedCsr, 'names' | 'commonName'> {
  const dns: string[] = [];
  const ip: string[] = [];
  const uri: string[] = [];
  if (subjectAltNames.length > 1) {
    throw new PkiError('badCSR', 'CSR carries more than one subjectAltName extension');
  }
  for (const gn of subjectAltNames[0] ?? []) {
    if (gn.kind === 'dns') {
      dns.push(requireDns(gn.value));
    } else if (gn.kind === 'ip') {
      const v = normalizeIp(gn.value);
      if (!v) throw new PkiError('badCSR', `CSR iPAddress "${gn.value}" is not a single IPv4/IPv6 address`);
      ip.push(v);
    } else if (gn.kind === 'uri') {
      if (!URL.canParse(gn.value)) throw new PkiError('badCSR', `CSR URI "${gn.value}" is not a valid URI`);
      uri.push(gn.value);
    } else {
      throw new PkiError('badCSR', `CSR subjectAltName type "${gn.type}" is not supported`);
    }
  }

  if (commonNames.length > 1) {
    throw new PkiError('badCSR', 'CSR subject has more than one common name');
  }
  let commonName: string | undefined;
  if (commonNames.length === 1) {
    commonName = commonNames[0];
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
  return classifyKeyObject(publicKeyOf(spkiDer));
}

function publicKeyOf(spkiDer: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  } catch {
    throw rejectKey('unknown');
  }
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
