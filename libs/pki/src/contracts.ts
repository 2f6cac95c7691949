/**
 * The contract the rest of Rotor uses from libs/pki. libs/pki is domain code:
 * it imports no framework (no Nest, TypeORM, BullMQ) and no other Rotor lib.
 */

/** Key algorithms Rotor can create CA keys with. */
export type CaKeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

/** Key types accepted in leaf CSRs (issue #2: weaker keys are rejected). */
export type LeafKeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ed25519';

/** Leaf profiles: which extended key usages the certificate carries. */
export type LeafProfile = 'server' | 'client' | 'mtls';

export interface SubjectNames {
  dns: string[];
  ip: string[];
  uri: string[];
}

/** What PKI errors mean; callers map these to their own protocol's errors. */
export type PkiErrorCode =
  | 'badCSR' // CSR cannot be parsed, signature invalid, or content out of policy
  | 'badPublicKey' // key type/size not accepted
  | 'badValidity' // requested notBefore/notAfter outside policy
  | 'caUnavailable' // CA material missing or cannot be unsealed
  | 'badImport'; // CA import material is inconsistent

export class PkiError extends Error {
  constructor(
    readonly code: PkiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PkiError';
  }
}

/** A parsed and verified CSR (signature checked, key policy enforced). */
export interface ParsedCsr {
  names: SubjectNames;
  /** Subject common name, if the CSR carries one. */
  commonName?: string;
  keyType: LeafKeyType;
  /** DER SubjectPublicKeyInfo. */
  spkiDer: Uint8Array;
  /** base64url(SHA-256(SPKI DER)): compares a CSR key with an account key. */
  spkiSha256: string;
}

/** Persisted form of the CA hierarchy: keys are sealed (AES-256-GCM), never plain. */
export interface StoredCaMaterial {
  algorithm: CaKeyAlgorithm;
  rootCertPem: string;
  /** Absent when an imported hierarchy came without the root key (only the intermediate signs). */
  rootKeySealed?: string;
  intermediateCertPem: string;
  intermediateKeySealed: string;
}

/** Where CA material lives; libs/store implements it on the database. */
export interface CaMaterialStore {
  load(): Promise<StoredCaMaterial | null>;
  save(material: StoredCaMaterial): Promise<void>;
}

export interface IssuedCertificate {
  /** Lower-case hex, no leading zeros beyond what the DER integer holds. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  leafPem: string;
  /** leaf + intermediate, PEM, as served with application/pem-certificate-chain. */
  chainPem: string;
  /** base64url(SHA-256(leaf SPKI DER)). */
  spkiSha256: string;
  /** hex SHA-256 of the leaf DER. */
  fingerprintSha256: string;
  keyType: LeafKeyType;
  names: SubjectNames;
  subject: string;
  issuer: string;
}

export interface IssueOptions {
  profile: LeafProfile;
  /** Names that go into the SAN extension; must already be authorised by the caller. */
  names: SubjectNames;
  notBefore?: Date;
  notAfter?: Date;
}

export type RevocationReason = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 8 | 9 | 10;

export interface RevokedEntry {
  serialHex: string;
  revokedAt: Date;
  reason: RevocationReason;
}
