import type { ManagedStatus } from '../alerts/model';

/**
 * Managed certificates: declared by name (API, CLI or a YAML manifest),
 * issued and renewed by Rotor, which also holds the key (sealed at rest).
 * Each renewal is one "generation": generation n+1 replaces generation n, and
 * the renewals log has at most one row per (managed certificate, generation).
 */
export type ManagedProfile = 'server' | 'client' | 'mtls';
export const MANAGED_PROFILES: readonly ManagedProfile[] = ['server', 'client', 'mtls'];

export type ManagedKeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ed25519';
export const MANAGED_KEY_TYPES: readonly ManagedKeyType[] = [
  'ecdsa-p256',
  'ecdsa-p384',
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
  'ed25519',
];

/**
 * pending: not issued yet; active: current and renewing on schedule;
 * failing: the last attempt failed (retries continue); disabled: not renewed.
 * (Declared with the alert facts, which read the same column.)
 */
export type { ManagedStatus };

/** The canonical, validated spec (what is stored and compared; see spec.ts). */
export interface ManagedSpec {
  dnsNames: string[];
  ips: string[];
  uris: string[];
  profile: ManagedProfile;
  keyType: ManagedKeyType;
  /** Canonical duration text, e.g. "1h", "90s". */
  lifetime: string;
  lifetimeMs: number;
  /** Fraction of the lifetime after notBefore at which renewal is due. */
  renewAt: number;
  /** ± this fraction of the lifetime is added to the renewal point (deterministic per generation). */
  jitter: number;
  /** Keep the same key across renewals (default: a new key each time). */
  reuseKey: boolean;
}

/** A spec with its name and subscribers: one document of a manifest, one API body. */
export interface ManagedDeclaration {
  name: string;
  spec: ManagedSpec;
  /** Who receives this certificate once delivery exists (proxies); kept, not used yet. */
  subscribers: string[];
}

export interface ManagedCertificate extends ManagedDeclaration {
  id: string;
  generation: number;
  /** Inventory id (SHA-256 fingerprint) of the certificate in force. */
  currentId?: string;
  /** The private key, sealed (never leaves the store unsealed except to sign or serve). */
  keySealed?: string;
  status: ManagedStatus;
  nextRenewalAt: number;
  leaseOwner?: string;
  leaseUntil?: number;
  consecutiveFailures: number;
  lastError?: string;
  lastRenewedAt?: number;
  createdAt: number;
  updatedAt: number;
}

/** One committed renewal (one generation). */
export interface RenewalRecord {
  managedId: string;
  generation: number;
  inventoryId: string;
  previousId?: string;
  createdAt: number;
  durationMs: number;
}

/** A managed certificate as operators see it: no key material, RFC 3339 times. */
export interface ManagedView {
  id: string;
  name: string;
  dnsNames: string[];
  ips: string[];
  uris: string[];
  profile: ManagedProfile;
  keyType: ManagedKeyType;
  lifetime: string;
  renewAt: number;
  jitter: number;
  reuseKey: boolean;
  subscribers: string[];
  status: ManagedStatus;
  generation: number;
  currentId: string | null;
  nextRenewalAt: string;
  lastRenewedAt: string | null;
  consecutiveFailures: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function toManagedView(m: ManagedCertificate): ManagedView {
  const { lifetimeMs: _lifetimeMs, ...spec } = m.spec;
  return {
    id: m.id,
    name: m.name,
    ...spec,
    subscribers: m.subscribers,
    status: m.status,
    generation: m.generation,
    currentId: m.currentId ?? null,
    nextRenewalAt: new Date(m.nextRenewalAt).toISOString(),
    lastRenewedAt: iso(m.lastRenewedAt),
    consecutiveFailures: m.consecutiveFailures,
    lastError: m.lastError ?? null,
    createdAt: new Date(m.createdAt).toISOString(),
    updatedAt: new Date(m.updatedAt).toISOString(),
  };
}
