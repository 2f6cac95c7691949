import type { LifecycleEvent } from '../events';
import { Alert, AlertFacts, CertificateFact } from './model';
import type { AlertFactSource, AlertRecord, AlertStateRepository, AlertTransition } from './ports';
import { Alerts } from './sweep';

const HOUR = 3600e3;
const DAY = 86400e3;
const NOW = Date.UTC(2030, 0, 1);

/** The conditional writes of SqlAlertStateRepository, in memory. */
class MemoryState implements AlertStateRepository {
  rows = new Map<string, AlertRecord>();
  async open() {
    return [...this.rows.values()].filter((r) => r.resolvedAt === undefined);
  }
  async record(alert: Alert, now: number): Promise<AlertTransition> {
    const row = this.rows.get(alert.id);
    if (!row || row.resolvedAt !== undefined) {
      this.rows.set(alert.id, { ...alert, firstSeen: now, lastSeen: now });
      return 'opened';
    }
    const escalated = row.severity === 'warning' && alert.severity === 'critical';
    Object.assign(row, { severity: alert.severity, lastSeen: now });
    return escalated ? 'escalated' : 'unchanged';
  }
  async touch(ids: string[], now: number) {
    for (const id of ids) this.rows.get(id)!.lastSeen = now;
  }
  async resolve(ids: string[], now: number) {
    return ids.filter((id) => {
      const row = this.rows.get(id);
      if (!row || row.resolvedAt !== undefined) return false;
      row.resolvedAt = now;
      return true;
    });
  }
  async prune() {
    return 0;
  }
}

const cert = (notAfter: number, over: Partial<CertificateFact> = {}): CertificateFact => ({
  id: 'c1',
  serial: '0a',
  issuer: 'CN=CA',
  name: 'db.internal',
  notBefore: NOW - 60 * DAY,
  notAfter,
  state: 'active',
  managed: false,
  ...over,
});

describe('Alerts.sweep', () => {
  let facts: AlertFacts;
  let state: MemoryState;
  let events: LifecycleEvent[];
  let alerts: Alerts;

  beforeEach(() => {
    facts = { certificates: [], managed: [] };
    state = new MemoryState();
    events = [];
    const source: AlertFactSource = { facts: async () => facts };
    alerts = new Alerts(source, { warningMs: 7 * DAY, criticalMs: DAY, renewalGraceMs: 10e3 }, state, {
      publish: async (e) => void events.push(e),
    });
  });

  it('publishes certificate.expiring once when an alert opens, once when it escalates, and resolves it', async () => {
    facts.certificates = [cert(NOW + 3 * DAY)];
    expect(await alerts.sweep(NOW)).toMatchObject({ opened: ['certificate.expiring:c1'], resolved: [] });
    await alerts.sweep(NOW + 1000);
    await alerts.sweep(NOW + 2000);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'certificate.expiring', subjectId: 'c1', data: { severity: 'warning' } });

    expect(await alerts.sweep(NOW + 2 * DAY + HOUR)).toMatchObject({ escalated: ['certificate.expiring:c1'] });
    await alerts.sweep(NOW + 2 * DAY + 2 * HOUR);
    expect(events.map((e) => e.data.severity)).toEqual(['warning', 'critical']);

    // Replaced: the alert clears and stays recorded as resolved.
    facts.certificates = [cert(NOW + 3 * DAY, { state: 'superseded' })];
    expect(await alerts.sweep(NOW + 2 * DAY + 3 * HOUR)).toMatchObject({
      resolved: ['certificate.expiring:c1'],
      open: 0,
    });
    expect(state.rows.get('certificate.expiring:c1')?.resolvedAt).toBe(NOW + 2 * DAY + 3 * HOUR);
    expect(events).toHaveLength(2);
  });

  it('reopens (and notifies again) when the risk comes back after it was resolved', async () => {
    facts.certificates = [cert(NOW + 3 * DAY)];
    await alerts.sweep(NOW);
    facts.certificates = [];
    await alerts.sweep(NOW + 1000);
    facts.certificates = [cert(NOW + 3 * DAY)];
    expect(await alerts.sweep(NOW + 2000)).toMatchObject({ opened: ['certificate.expiring:c1'] });
    expect(events).toHaveLength(2);
  });

  it('records renewal and CRL alerts without publishing (the renewal engine publishes renewal.failed)', async () => {
    facts.managed = [{ id: 'm', name: 'm', status: 'active', nextRenewalAt: NOW, consecutiveFailures: 3 }];
    facts.crl = { number: 2, thisUpdate: NOW - 2 * DAY, nextUpdate: NOW - HOUR };
    expect((await alerts.sweep(NOW)).opened.sort()).toEqual(['crl.stale:crl', 'renewal.failing:m']);
    expect(events).toEqual([]);
  });

  it('lists live alerts with the time they were first recorded', async () => {
    facts.certificates = [cert(NOW + 3 * DAY)];
    expect((await alerts.list(NOW))[0].firstSeen).toBeUndefined();
    await alerts.sweep(NOW);
    expect((await alerts.list(NOW + 5000))[0]).toMatchObject({ severity: 'warning', firstSeen: NOW });
  });
});
