import type { ManagedCertificate, ManagedDeclaration, ManagedKeyType, ManagedProfile, RenewalRecord } from './model';
import type { SubjectAltNames } from '../inventory/model';

/** A row due for renewal, as the sweep needs it. */
export interface DueRenewal {
  id: string;
  generation: number;
  nextRenewalAt: number;
}

/** What a successful renewal commits (one transaction; see ManagedCertificateRepository.commitRenewal). */
export interface RenewalCommit {
  id: string;
  /** The generation renewed; the row moves to generation + 1. */
  generation: number;
  leaseOwner: string;
  /** The spec text the certificate was issued for: if it changed meanwhile, renew again at once. */
  specText: string;
  inventoryId: string;
  previousId?: string;
  keySealed: string;
  nextRenewalAt: number;
  now: number;
  durationMs: number;
}

export interface RenewalFailure {
  id: string;
  generation: number;
  leaseOwner: string;
  error: string;
  now: number;
  /** Set when the queue gave up: the next attempt is then scheduled through the database. */
  nextRenewalAt?: number;
}

export interface ManagedPage {
  items: ManagedCertificate[];
  /** Cursor (the last name) for the next page. */
  next?: string;
}

/** Storage for managed certificates and their renewal log; libs/store implements it on SQLite and PostgreSQL. */
export interface ManagedCertificateRepository {
  /** Stores a new managed certificate; false when the name is taken. */
  insert(record: ManagedCertificate): Promise<boolean>;
  byId(id: string): Promise<ManagedCertificate | null>;
  byName(name: string): Promise<ManagedCertificate | null>;
  /** Ordered by name; `after` is the last name of the previous page. */
  list(options: { after?: string; limit: number }): Promise<ManagedPage>;
  /**
   * Replaces the declaration. `nextRenewalAt`, when given, moves the renewal
   * point (a spec change renews soon). False when the row is gone.
   */
  updateDeclaration(
    id: string,
    declaration: ManagedDeclaration,
    nextRenewalAt: number | undefined,
    now: number,
  ): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Makes the current generation due at `at` (force renew); false when the generation moved on. */
  reschedule(id: string, generation: number, at: number, now: number): Promise<boolean>;
  /** Rows due at or before `before`, not disabled, soonest first. */
  due(before: number, limit: number): Promise<DueRenewal[]>;
  /**
   * Takes the row's lease for `generation` if nobody holds a live one:
   * UPDATE … SET lease_owner, lease_until WHERE id AND generation AND
   * (lease_until IS NULL OR lease_until < now). Returns the row when claimed.
   */
  claim(
    id: string,
    generation: number,
    owner: string,
    now: number,
    leaseUntil: number,
  ): Promise<ManagedCertificate | null>;
  /**
   * In one transaction: INSERT the renewals row (its (managed_id, generation)
   * key is the guard) and move the row to generation + 1 with the new
   * certificate and key, status active, no failures, lease released — WHERE
   * id AND generation. False (and nothing changed) when another worker
   * already committed this generation or the row is gone.
   */
  commitRenewal(commit: RenewalCommit): Promise<boolean>;
  /** Gives the lease back without other changes (the job found nothing to do). */
  release(id: string, generation: number, owner: string): Promise<void>;
  /** Counts a failed attempt and releases the lease; returns the failure count, or null if the lease was lost. */
  recordFailure(failure: RenewalFailure): Promise<number | null>;
  /** The renewal log of one managed certificate, newest first. */
  renewals(managedId: string, limit: number): Promise<RenewalRecord[]>;
}

/** A key pair Rotor generated: the private key as PKCS#8 PEM, the public key as SPKI DER. */
export interface GeneratedKey {
  privateKeyPkcs8Pem: string;
  spkiDer: Uint8Array;
}

export interface LeafRequest {
  spkiDer: Uint8Array;
  names: SubjectAltNames;
  profile: ManagedProfile;
  notBefore: number;
  notAfter: number;
}

/** What the CA returned, with the facts the inventory needs (so no re-parsing). */
export interface SignedLeaf {
  /** Lower-case hex SHA-256 of the leaf DER (the inventory id). */
  fingerprint: string;
  serial: string;
  subject: string;
  issuer: string;
  notBefore: number;
  notAfter: number;
  keyType: string;
  /** Leaf then intermediate. */
  chainPem: string;
}

/** The CA as the renewal engine needs it; the server implements it with libs/pki. */
export interface LeafSigner {
  generateKey(keyType: ManagedKeyType): Promise<GeneratedKey>;
  /** The SPKI and key type of a stored private key (reuseKey). */
  publicKeyOf(privateKeyPkcs8Pem: string): { spkiDer: Uint8Array; keyType: string };
  issue(request: LeafRequest): Promise<SignedLeaf>;
}

/**
 * Thrown by a LeafSigner when signing failed. `permanent`: retrying cannot
 * help (the spec asks for something the CA refuses, the key cannot be read).
 */
export class LeafSigningError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'LeafSigningError';
  }
}

/** Seals private keys at rest (libs/pki KeySealer fits). */
export interface KeySealerPort {
  seal(plaintext: Uint8Array): string;
  unseal(sealed: string): Uint8Array;
}

/** Starts a renewal soon after a change (create, spec update, force); the sweep would find it anyway. */
export interface RenewalTrigger {
  trigger(due: DueRenewal): Promise<void>;
}
