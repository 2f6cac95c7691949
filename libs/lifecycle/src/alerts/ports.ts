import type { Alert, AlertFacts, AlertSeverity } from './model';

/** What the store must select; everything else is filtered by the rules. */
export interface AlertFactWindow {
  now: number;
  /** Active certificates with notAfter in (now - expiredRetentionMs, now + expiringWithinMs]. */
  expiringWithinMs: number;
  expiredRetentionMs: number;
  /** Managed certificates (not disabled) with nextRenewalAt ≤ now - overdueAfterMs, or ≥ failingAfter consecutive failures. */
  overdueAfterMs: number;
  failingAfter: number;
}

export interface AlertFactSource {
  facts(window: AlertFactWindow): Promise<AlertFacts>;
}

/** A recorded alert (the `alerts` table). */
export interface AlertRecord {
  id: string;
  kind: string;
  severity: AlertSeverity;
  subjectId: string;
  summary: string;
  firstSeen: number;
  lastSeen: number;
  resolvedAt?: number;
}

export type AlertTransition = 'opened' | 'escalated' | 'unchanged';

export interface AlertStateRepository {
  /** Open alerts (resolvedAt unset). */
  open(): Promise<AlertRecord[]>;
  /**
   * Records that `alert` holds at `now`. Conditional writes make exactly one
   * replica see 'opened' (new or reopened) or 'escalated' (warning → critical).
   */
  record(alert: Alert, now: number): Promise<AlertTransition>;
  /** Marks open alerts whose state did not change as still seen. */
  touch(ids: string[], now: number): Promise<void>;
  /** Resolves these open alerts; returns the ids this call resolved. */
  resolve(ids: string[], now: number): Promise<string[]>;
  /** Drops resolved alerts older than `before` (history kept for a while). */
  prune(before: number): Promise<number>;
}
