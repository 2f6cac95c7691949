import { createPublicKey, KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';
import { TAG } from './der';
import { childrenOf, readElement } from './der-strict';

/**
 * A parsed SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) turned into canonical DER
 * and a node:crypto KeyObject.
 *
 * OpenSSL 3 decodes an SPKI through its generic decoder chain, which costs
 * about twice as much as importing the same key from its components. For the
 * common CSR keys (named-curve ECDSA P-256/P-384, Ed25519) the key is imported
 * from a JWK built from the point, and the DER is the fixed algorithm prefix
 * (encoded once by @peculiar/asn1-x509) followed by the key bits: for these
 * key types the DER encoding is fully determined by curve and point.
 * Everything else takes the general path.
 *
 * importSpkiDer does the same for an SPKI that is already strict DER (the CSR
 * fast path, csr-der.ts, has checked it), keeping its octets: re-encoding
 * strict DER gives them back unchanged. It also imports the RSA keys the leaf
 * policy accepts from a JWK (OpenSSL's SPKI decoder costs ~10x more there).
 */

interface FastKind {
  /** DER of everything before the key octets (SEQUENCE, AlgorithmIdentifier, BIT STRING header). */
  prefix: Uint8Array;
  keyLength: number;
  /** EC: only the uncompressed form (0x04 || X || Y, SEC 1 §2.3.3); compressed points take the general path. */
  uncompressedPoint: boolean;
  jwk: (key: Buffer) => { kty: string; crv: string; x: string; y?: string };
}

const EC_PUBLIC_KEY = '1.2.840.10045.2.1'; // RFC 5480 §2.1.1
const ED25519 = '1.3.101.112'; // RFC 8410 §3

function prefixFor(algorithm: asn.AlgorithmIdentifier, keyLength: number): Uint8Array {
  const der = new Uint8Array(
    AsnConvert.serialize(new asn.SubjectPublicKeyInfo({ algorithm, subjectPublicKey: new ArrayBuffer(keyLength) })),
  );
  return der.slice(0, der.length - keyLength);
}

function ecKind(curveOid: string, crv: string, coordinate: number): [string, FastKind] {
  // ECParameters namedCurve (RFC 5480 §2.1.1): the curve OID's TLV, taken from an encoded AlgorithmIdentifier.
  const parameters = AsnConvert.serialize(new asn.AlgorithmIdentifier({ algorithm: curveOid })).slice(2);
  const algorithm = new asn.AlgorithmIdentifier({ algorithm: EC_PUBLIC_KEY, parameters });
  return [
    `${EC_PUBLIC_KEY}|${Buffer.from(parameters).toString('hex')}`,
    {
      prefix: prefixFor(algorithm, 1 + 2 * coordinate),
      keyLength: 1 + 2 * coordinate,
      uncompressedPoint: true,
      jwk: (point) => ({
        kty: 'EC',
        crv,
        x: point.subarray(1, 1 + coordinate).toString('base64url'),
        y: point.subarray(1 + coordinate).toString('base64url'),
      }),
    },
  ];
}

const FAST = new Map<string, FastKind>([
  ecKind('1.2.840.10045.3.1.7', 'P-256', 32),
  ecKind('1.3.132.0.34', 'P-384', 48),
  [
    `${ED25519}|`,
    {
      prefix: prefixFor(new asn.AlgorithmIdentifier({ algorithm: ED25519 }), 32),
      keyLength: 32,
      uncompressedPoint: false,
      jwk: (key) => ({ kty: 'OKP', crv: 'Ed25519', x: key.toString('base64url') }),
    },
  ],
]);

export interface ImportedSpki {
  /** Canonical DER of the SubjectPublicKeyInfo. */
  der: Uint8Array;
  key: KeyObject;
}

/** Throws (any error) when the key cannot be loaded; callers map that to their own error. */
export function importSpki(spki: asn.SubjectPublicKeyInfo): ImportedSpki {
  const params = spki.algorithm.parameters;
  const fast = FAST.get(`${spki.algorithm.algorithm}|${params ? Buffer.from(params).toString('hex') : ''}`);
  const bits = Buffer.from(spki.subjectPublicKey);
  if (fast && bits.length === fast.keyLength && (!fast.uncompressedPoint || bits[0] === 0x04)) {
    const key = createPublicKey({ key: fast.jwk(bits), format: 'jwk' });
    return { der: new Uint8Array(Buffer.concat([fast.prefix, bits])), key };
  }
  const der = new Uint8Array(AsnConvert.serialize(spki));
  return { der, key: createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }) };
}

/** As importSpki, for an SPKI that is strict DER; `spkiDer` becomes the result's `der`. */
export function importSpkiDer(spkiDer: Uint8Array): ImportedSpki {
  for (const fast of FAST.values()) {
    if (
      spkiDer.length === fast.prefix.length + fast.keyLength &&
      startsWith(spkiDer, fast.prefix) &&
      (!fast.uncompressedPoint || spkiDer[fast.prefix.length] === 0x04)
    ) {
      const bits = Buffer.from(spkiDer.buffer, spkiDer.byteOffset + fast.prefix.length, fast.keyLength);
      return { der: spkiDer, key: createPublicKey({ key: fast.jwk(bits), format: 'jwk' }) };
    }
  }
  const rsa = rsaJwk(spkiDer);
  if (rsa) return { der: spkiDer, key: createPublicKey({ key: rsa, format: 'jwk' }) };
  return { der: spkiDer, key: createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' }) };
}

/** AlgorithmIdentifier rsaEncryption with NULL parameters (RFC 8017 Appendix A.1, RFC 3279 §2.3.1). */
const RSA_ALGORITHM = new Uint8Array(
  AsnConvert.serialize(new asn.AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.1', parameters: null })),
);

/**
 * n and e of an rsaEncryption SPKI, as a JWK, when the key is one the leaf
 * policy accepts: modulus of 2048/3072/4096 bits, odd; exponent odd, at
 * least 65537, at most four octets. Any other RSA key (which the policy then
 * rejects, or OpenSSL refuses) takes the DER path, as it always has.
 * RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 Appendix A.1.1).
 */
function rsaJwk(spkiDer: Uint8Array): { kty: 'RSA'; n: string; e: string } | undefined {
  const outer = readElement(spkiDer, 0, spkiDer.length);
  if (!outer || outer.tag !== TAG.sequence || outer.end !== spkiDer.length) return undefined;
  const [algorithm, bits, ...extra] = childrenOf(spkiDer, outer) ?? [];
  if (!algorithm || bits?.tag !== TAG.bitString || extra.length) return undefined;
  if (
    algorithm.end - algorithm.offset !== RSA_ALGORITHM.length ||
    !startsWith(spkiDer.subarray(algorithm.offset), RSA_ALGORITHM)
  ) {
    return undefined;
  }
  if (spkiDer[bits.start] !== 0) return undefined; // unused bits
  const key = readElement(spkiDer, bits.start + 1, bits.end);
  if (!key || key.tag !== TAG.sequence || key.end !== bits.end) return undefined;
  const [n, e, ...rest] = childrenOf(spkiDer, key) ?? [];
  if (n?.tag !== TAG.integer || e?.tag !== TAG.integer || rest.length) return undefined;
  const modulus = unsignedOctets(spkiDer, n.start, n.end);
  const exponent = unsignedOctets(spkiDer, e.start, e.end);
  if (!modulus || !exponent || exponent.length > 4 || !(modulus[modulus.length - 1] & 1)) return undefined;
  const bitLength = modulus.length * 8 - Math.clz32(modulus[0]) + 24;
  if (bitLength !== 2048 && bitLength !== 3072 && bitLength !== 4096) return undefined;
  const eValue = exponent.reduce((v, b) => v * 256 + b, 0);
  if (eValue < 65537 || eValue % 2 === 0) return undefined;
  return { kty: 'RSA', n: modulus.toString('base64url'), e: exponent.toString('base64url') };
}

/** The magnitude of a positive, minimally encoded INTEGER (X.690 §8.3), without the sign octet. */
function unsignedOctets(der: Uint8Array, start: number, end: number): Buffer | undefined {
  if (end <= start || der[start] & 0x80) return undefined; // empty or negative
  if (der[start] === 0) {
    if (end - start === 1 || !(der[start + 1] & 0x80)) return undefined; // zero, or not minimal
    start += 1;
  }
  return Buffer.from(der.buffer, der.byteOffset + start, end - start);
}

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}
