import { expiringWindowMs } from '../inventory/status';
import {
  Alert,
  AlertFacts,
  AlertSeverity,
  AlertThresholds,
  CertificateFact,
  CrlFact,
  EXPIRED_RETENTION_MS,
  FAILING_AFTER,
  ManagedFact,
} from './model';

/**
 * The alert rules: pure functions of the facts and the clock. They alert on
 * risk, not on rotation: a superseded certificate never alerts, a managed
 * certificate is watched through its renewal (overdue / failing) and only
 * raises certificate.expiring when it is about to lapse, and every window is
 * scaled to the certificate's lifetime, so certificates that live minutes and
 * rotate on time never sit in one.
 */

/** Remaining life at or below which a certificate's expiry is critical. */
export function criticalWindowMs(cert: Pick<CertificateFact, 'notBefore' | 'notAfter'>, criticalMs: number): number {
  return Math.min(criticalMs, Math.max(0, cert.notAfter - cert.notBefore) / 6);
}

export function certificateExpiryAlert(cert: CertificateFact, now: number, t: AlertThresholds): Alert | null {
  if (cert.state !== 'active' || cert.replacedBy) return null;
  if (cert.sameNamesUntil !== undefined && cert.sameNamesUntil > cert.notAfter) return null;
  if (now - cert.notAfter > EXPIRED_RETENTION_MS) return null;
  const remaining = cert.notAfter - now;
  let severity: AlertSeverity;
  if (remaining <= criticalWindowMs(cert, t.criticalMs)) severity = 'critical';
  else if (!cert.managed && remaining <= expiringWindowMs(cert, t.warningMs)) severity = 'warning';
  else return null;
  return {
    id: `certificate.expiring:${cert.id}`,
    kind: 'certificate.expiring',
    severity,
    subjectId: cert.id,
    name: cert.name,
    summary:
      remaining <= 0
        ? `${cert.name} expired ${formatDuration(-remaining)} ago and has not been replaced`
        : `${cert.name} expires in ${formatDuration(remaining)}`,
    data: {
      serial: cert.serial,
      issuer: cert.issuer,
      notAfter: new Date(cert.notAfter).toISOString(),
      expired: remaining <= 0,
    },
  };
}

/**
 * Status "failing" alone means the last attempt failed and retries continue
 * (a transient CA or network error heals by itself); the alert needs
 * FAILING_AFTER consecutive failures, permanent ones included (they are
 * retried on a slower schedule and keep counting).
 */
export function renewalFailingAlert(managed: ManagedFact): Alert | null {
  if (managed.status === 'disabled' || managed.consecutiveFailures < FAILING_AFTER) return null;
  const error = managed.lastError ? `: ${truncate(managed.lastError, 300)}` : '';
  return {
    id: `renewal.failing:${managed.id}`,
    kind: 'renewal.failing',
    severity: 'critical',
    subjectId: managed.id,
    name: managed.name,
    summary: `renewal of ${managed.name} failed ${managed.consecutiveFailures} times in a row${error}`,
    data: {
      status: managed.status,
      consecutiveFailures: managed.consecutiveFailures,
      lastError: managed.lastError ? truncate(managed.lastError, 300) : undefined,
      notAfter: managed.current ? new Date(managed.current.notAfter).toISOString() : undefined,
    },
  };
}

/** How long after its renewal point a managed certificate may still be waiting without an alert. */
export function overdueGraceMs(managed: ManagedFact, renewalGraceMs: number): number {
  const lifetime = managed.lifetimeMs ?? (managed.current ? managed.current.notAfter - managed.current.notBefore : 0);
  return Math.max(renewalGraceMs, lifetime / 10);
}

export function renewalOverdueAlert(managed: ManagedFact, now: number, t: AlertThresholds): Alert | null {
  if (managed.status === 'disabled') return null;
  // A failing renewal is reported once, as the more specific (critical) alert.
  if (renewalFailingAlert(managed)) return null;
  const late = now - managed.nextRenewalAt;
  if (late <= overdueGraceMs(managed, t.renewalGraceMs)) return null;
  const current = managed.current;
  const severity: AlertSeverity =
    !current || current.notAfter - now <= criticalWindowMs(current, t.criticalMs) ? 'critical' : 'warning';
  return {
    id: `renewal.overdue:${managed.id}`,
    kind: 'renewal.overdue',
    severity,
    subjectId: managed.id,
    name: managed.name,
    summary: current
      ? `${managed.name} is ${formatDuration(late)} past its renewal point with no successor`
      : `${managed.name} has no certificate ${formatDuration(late)} after it was due`,
    data: {
      status: managed.status,
      renewalDueAt: new Date(managed.nextRenewalAt).toISOString(),
      notAfter: current ? new Date(current.notAfter).toISOString() : undefined,
    },
  };
}

export function crlStaleAlert(crl: CrlFact | undefined, now: number): Alert | null {
  if (!crl || now <= crl.nextUpdate) return null;
  return {
    id: 'crl.stale:crl',
    kind: 'crl.stale',
    severity: 'critical',
    subjectId: 'crl',
    name: 'CRL',
    summary: `CRL #${crl.number} passed its nextUpdate ${formatDuration(now - crl.nextUpdate)} ago (RFC 5280 §5.1.2.5)`,
    data: { number: crl.number, nextUpdate: new Date(crl.nextUpdate).toISOString() },
  };
}

const SEVERITY_ORDER: Record<AlertSeverity, number> = { critical: 0, warning: 1 };

/** Every alert that holds now, critical first. */
export function evaluateAlerts(facts: AlertFacts, now: number, t: AlertThresholds): Alert[] {
  const alerts: Alert[] = [];
  for (const cert of facts.certificates) push(alerts, certificateExpiryAlert(cert, now, t));
  for (const managed of facts.managed) {
    push(alerts, renewalFailingAlert(managed));
    push(alerts, renewalOverdueAlert(managed, now, t));
  }
  push(alerts, crlStaleAlert(facts.crl, now));
  return alerts.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      a.kind.localeCompare(b.kind) ||
      a.id.localeCompare(b.id),
  );
}

function push(list: Alert[], alert: Alert | null): void {
  if (alert) list.push(alert);
}

/** "3d 4h", "2h 5m", "45s": the two most significant units. */
export function formatDuration(ms: number): string {
  const units: [string, number][] = [
    ['d', 86400e3],
    ['h', 3600e3],
    ['m', 60e3],
    ['s', 1e3],
  ];
  const seconds = Math.max(0, Math.floor(ms / 1000)) * 1000;
  const first = units.findIndex(([, size]) => seconds >= size);
  if (first < 0) return '0s';
  return units
    .slice(first, first + 2)
    .map(([unit, size], i) => [Math.floor((i === 0 ? seconds : seconds % units[first][1]) / size), unit] as const)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join(' ');
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
