import type { InventoryState } from '../inventory/model';

/**
 * Alerts: what is at risk right now. They are derived from the database (the
 * source of truth) by pure rules (rules.ts); the `alerts` table only records
 * when each one opened and resolved, so notifications fire once per
 * transition instead of on every sweep.
 */
export type AlertKind = 'certificate.expiring' | 'renewal.overdue' | 'renewal.failing' | 'crl.stale';
export const ALERT_KINDS: readonly AlertKind[] = [
  'certificate.expiring',
  'renewal.overdue',
  'renewal.failing',
  'crl.stale',
];

export type AlertSeverity = 'warning' | 'critical';
export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['warning', 'critical'];

export interface Alert {
  /** `<kind>:<subjectId>`: one alert per thing at risk. */
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  /** Inventory id (certificates), managed certificate id (renewals) or "crl". */
  subjectId: string;
  /** Display name: managed name, first SAN or subject CN. */
  name: string;
  summary: string;
  /** Public facts only (dates, serials, error summaries); never key material or secrets. */
  data: Record<string, unknown>;
}

/** Where the rules draw their lines. */
export interface AlertThresholds {
  /** The "expiring" window (config expiryWarning), shortened to lifetime/3 per certificate. */
  warningMs: number;
  /** At or below this remaining life (config expiryCritical), shortened to lifetime/6, an alert is critical. */
  criticalMs: number;
  /** Least slack before a missed renewal point counts as overdue (2 × renewalSweepInterval). */
  renewalGraceMs: number;
}

/**
 * An active certificate that is expired and still not replaced stays critical
 * for this long; after that it is treated as abandoned (a decommissioned host)
 * and drops out of alerts and metrics, so old clutter cannot bury fresh risk.
 * Revoke or delete it to clear it sooner.
 */
export const EXPIRED_RETENTION_MS = 30 * 86400e3;

/** Consecutive failed renewals that make a managed certificate "failing". */
export const FAILING_AFTER = 3;

export interface CertificateFact {
  id: string;
  serial: string;
  issuer: string;
  name: string;
  notBefore: number;
  notAfter: number;
  state: InventoryState;
  replacedBy?: string;
  /**
   * Latest notAfter of another active certificate for exactly the same names
   * (tracked without an owner: imported or scanned). A certificate renewed
   * outside Rotor and imported again leaves no lineage; its names are covered.
   */
  sameNamesUntil?: number;
  /** Owned by a managed certificate: the renewal engine watches it (renewal.* alerts). */
  managed: boolean;
}

export type ManagedStatus = 'pending' | 'active' | 'failing' | 'disabled';

export interface ManagedFact {
  id: string;
  name: string;
  status: ManagedStatus;
  nextRenewalAt: number;
  consecutiveFailures: number;
  lastError?: string;
  /** The current certificate's validity, when there is one. */
  current?: { id: string; notBefore: number; notAfter: number };
  /** Declared lifetime, when the spec says. */
  lifetimeMs?: number;
}

export interface CrlFact {
  number: number;
  thisUpdate: number;
  nextUpdate: number;
}

/** Candidate rows the store selected cheaply (see AlertFactSource); the rules decide. */
export interface AlertFacts {
  certificates: CertificateFact[];
  managed: ManagedFact[];
  crl?: CrlFact;
}
