import type { EventPublisher } from '../events';
import { Alert, AlertThresholds, EXPIRED_RETENTION_MS, FAILING_AFTER } from './model';
import type { AlertFactSource, AlertFactWindow, AlertRecord, AlertStateRepository } from './ports';
import { evaluateAlerts } from './rules';

/** An alert as operators see it: the live evaluation plus when it was first recorded. */
export interface AlertView extends Alert {
  firstSeen?: number;
}

export interface SweepResult {
  open: number;
  opened: string[];
  escalated: string[];
  resolved: string[];
}

/** Resolved alerts are kept this long as history. */
const RESOLVED_HISTORY_MS = 30 * 86400e3;

/**
 * Alerts, evaluated from the database on demand and recorded by a periodic
 * sweep. Reading needs no sweep (GET /api/v1/alerts and `rotor alerts` always
 * show the truth); the sweep only turns changes into notifications: a newly
 * opened or escalated certificate.expiring alert publishes one event, however
 * many sweeps (or replicas) see it afterwards.
 */
export class Alerts {
  constructor(
    private readonly facts: AlertFactSource,
    private readonly thresholds: AlertThresholds,
    private readonly state?: AlertStateRepository,
    private readonly events?: EventPublisher,
  ) {}

  window(now: number): AlertFactWindow {
    return {
      now,
      // The widest windows any rule can use; the rules narrow them per certificate.
      expiringWithinMs: Math.max(this.thresholds.warningMs, this.thresholds.criticalMs),
      expiredRetentionMs: EXPIRED_RETENTION_MS,
      overdueAfterMs: this.thresholds.renewalGraceMs,
      failingAfter: FAILING_AFTER,
    };
  }

  async current(now = Date.now()): Promise<Alert[]> {
    return evaluateAlerts(await this.facts.facts(this.window(now)), now, this.thresholds);
  }

  /** The live alerts with their recorded first-seen time (when the sweep has seen them). */
  async list(now = Date.now()): Promise<AlertView[]> {
    const [alerts, open] = await Promise.all([this.current(now), this.state ? this.state.open() : []]);
    const seen = new Map(open.map((r) => [r.id, r]));
    return alerts.map((a) => ({ ...a, firstSeen: seen.get(a.id)?.firstSeen }));
  }

  async sweep(now = Date.now()): Promise<SweepResult> {
    if (!this.state) throw new Error('alert sweep needs an alert state repository');
    const [alerts, openRecords] = await Promise.all([this.current(now), this.state.open()]);
    const open = new Map<string, AlertRecord>(openRecords.map((r) => [r.id, r]));
    const result: SweepResult = { open: alerts.length, opened: [], escalated: [], resolved: [] };
    const unchanged: string[] = [];
    for (const alert of alerts) {
      if (open.get(alert.id)?.severity === alert.severity) {
        unchanged.push(alert.id);
        continue;
      }
      const transition = await this.state.record(alert, now);
      if (transition === 'unchanged') continue;
      (transition === 'opened' ? result.opened : result.escalated).push(alert.id);
      await this.notify(alert, now);
    }
    await this.state.touch(unchanged, now);
    const current = new Set(alerts.map((a) => a.id));
    result.resolved = await this.state.resolve(
      [...open.keys()].filter((id) => !current.has(id)),
      now,
    );
    await this.state.prune(now - RESOLVED_HISTORY_MS);
    return result;
  }

  private async notify(alert: Alert, now: number): Promise<void> {
    // Only certificate expiry has a lifecycle event; renewal failures are published by
    // the renewal engine as they happen (renewal.failed).
    if (alert.kind !== 'certificate.expiring' || !this.events) return;
    await this.events.publish({
      type: 'certificate.expiring',
      subjectId: alert.subjectId,
      at: now,
      data: { name: alert.name, severity: alert.severity, summary: alert.summary, ...alert.data },
    });
  }
}
