import { createPublicKey, KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn from '@peculiar/asn1-x509';

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
