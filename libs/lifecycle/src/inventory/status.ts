import type { InventoryRecord, InventoryStatus } from './model';

/**
 * When a certificate counts as "expiring": inside the configured warning
 * window, but never earlier than its last third of life. A 24-hour ACME
 * certificate is then "expiring" only in its last 8 hours, and short-lived
 * certificates that rotate normally never sit in the window (alert on risk,
 * not on every normal rotation).
 */
export function expiringWindowMs(record: Pick<InventoryRecord, 'notBefore' | 'notAfter'>, warningMs: number): number {
  return Math.min(warningMs, Math.max(0, record.notAfter - record.notBefore) / 3);
}

/** The status operators see, derived from the stored state and the clock. */
export function inventoryStatus(
  record: Pick<InventoryRecord, 'state' | 'notBefore' | 'notAfter'>,
  now: number,
  warningMs: number,
): InventoryStatus {
  if (record.state === 'revoked') return 'revoked';
  if (record.state === 'superseded') return 'superseded';
  if (record.notAfter <= now) return 'expired';
  if (isExpiring(record, now, warningMs)) return 'expiring';
  return 'valid';
}

/**
 * remaining ≤ min(warning, lifetime / 3), written as `3 × remaining ≤ lifetime` so that it is exact in
 * integer milliseconds and reads the same as the SQL the store runs (see SqlInventoryRepository).
 */
function isExpiring(record: Pick<InventoryRecord, 'notBefore' | 'notAfter'>, now: number, warningMs: number): boolean {
  const remaining = record.notAfter - now;
  return remaining <= warningMs && 3 * remaining <= record.notAfter - record.notBefore;
}
