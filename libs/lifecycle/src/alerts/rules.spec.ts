import { AlertThresholds, CertificateFact, ManagedFact } from './model';
import {
  certificateExpiryAlert,
  crlStaleAlert,
  evaluateAlerts,
  formatDuration,
  renewalFailingAlert,
  renewalOverdueAlert,
} from './rules';

const MIN = 60e3;
const HOUR = 3600e3;
const DAY = 86400e3;
const NOW = Date.UTC(2030, 0, 1);
const T: AlertThresholds = { warningMs: 7 * DAY, criticalMs: DAY, renewalGraceMs: 10e3 };

const cert = (over: Partial<CertificateFact> = {}): CertificateFact => ({
  id: 'a'.repeat(64),
  serial: '01',
  issuer: 'CN=Test CA',
  name: 'www.example.com',
  notBefore: NOW - 80 * DAY,
  notAfter: NOW + 10 * DAY,
  state: 'active',
  managed: false,
  ...over,
});

const managed = (over: Partial<ManagedFact> = {}): ManagedFact => ({
  id: 'm1',
  name: 'payments',
  status: 'active',
  nextRenewalAt: NOW + HOUR,
  consecutiveFailures: 0,
  current: { id: 'c1', notBefore: NOW - DAY, notAfter: NOW + 2 * DAY },
  lifetimeMs: 3 * DAY,
  ...over,
});

describe('certificate.expiring', () => {
  it('is silent outside the warning window', () => {
    expect(certificateExpiryAlert(cert({ notAfter: NOW + 8 * DAY }), NOW, T)).toBeNull();
  });

  it('warns inside the window and turns critical at expiryCritical', () => {
    expect(certificateExpiryAlert(cert({ notAfter: NOW + 6 * DAY }), NOW, T)).toMatchObject({
      id: `certificate.expiring:${'a'.repeat(64)}`,
      severity: 'warning',
      summary: 'www.example.com expires in 6d',
    });
    expect(certificateExpiryAlert(cert({ notAfter: NOW + 2 * HOUR }), NOW, T)?.severity).toBe('critical');
    expect(certificateExpiryAlert(cert({ notAfter: NOW + DAY }), NOW, T)?.severity).toBe('critical');
  });

  it('an expired certificate that is still active and not replaced is critical', () => {
    const alert = certificateExpiryAlert(cert({ notAfter: NOW - 3 * HOUR }), NOW, T);
    expect(alert).toMatchObject({ severity: 'critical', data: { expired: true } });
    expect(alert?.summary).toBe('www.example.com expired 3h ago and has not been replaced');
  });

  it('a certificate whose names are covered by a longer-lived one (renewed elsewhere, imported again) does not alert', () => {
    expect(certificateExpiryAlert(cert({ notAfter: NOW + HOUR, sameNamesUntil: NOW + 90 * DAY }), NOW, T)).toBeNull();
    // A "successor" that expires no later covers nothing.
    expect(certificateExpiryAlert(cert({ notAfter: NOW + HOUR, sameNamesUntil: NOW + HOUR }), NOW, T)?.severity).toBe(
      'critical',
    );
  });

  it('an expired certificate abandoned for more than 30 days stops alerting', () => {
    expect(certificateExpiryAlert(cert({ notAfter: NOW - 31 * DAY }), NOW, T)).toBeNull();
  });

  it('superseded, revoked or replaced certificates never alert, even when expired', () => {
    expect(certificateExpiryAlert(cert({ state: 'superseded', notAfter: NOW - HOUR }), NOW, T)).toBeNull();
    expect(certificateExpiryAlert(cert({ state: 'revoked', notAfter: NOW + HOUR }), NOW, T)).toBeNull();
    expect(certificateExpiryAlert(cert({ replacedBy: 'b'.repeat(64), notAfter: NOW + HOUR }), NOW, T)).toBeNull();
  });

  it('scales the windows to the lifetime: a 24 h certificate warns in its last 8 h and is critical in its last 4 h', () => {
    const day = (remaining: number) => cert({ notBefore: NOW + remaining - DAY, notAfter: NOW + remaining });
    expect(certificateExpiryAlert(day(9 * HOUR), NOW, T)).toBeNull();
    expect(certificateExpiryAlert(day(7 * HOUR), NOW, T)?.severity).toBe('warning');
    expect(certificateExpiryAlert(day(4 * HOUR), NOW, T)?.severity).toBe('critical');
  });

  it.each([true, false])('short-lived certificates that rotate normally never alert (managed: %s)', (isManaged) => {
    // A 60 s certificate renewed at 2/3 of its life (40 s): at every moment the live one has
    // at least 20 s left minus jitter, and each predecessor is superseded by its successor.
    const lifetime = 60e3;
    const renewAt = (2 / 3) * lifetime;
    for (let t = 0; t < 10 * lifetime; t += 500) {
      const generation = Math.floor(t / renewAt);
      for (let g = 0; g <= generation; g++) {
        const notBefore = g * renewAt;
        const fact = cert({
          id: `gen-${g}`,
          notBefore: NOW + notBefore,
          notAfter: NOW + notBefore + lifetime,
          state: g < generation ? 'superseded' : 'active',
          managed: isManaged,
        });
        expect(certificateExpiryAlert(fact, NOW + t, T)).toBeNull();
      }
    }
  });

  it('a 5 minute ACME certificate renewed by its client at 2/3 never alerts', () => {
    const lifetime = 5 * MIN;
    // The live certificate at 2/3 of its life: 100 s left, warning window is 100 s exactly.
    const live = cert({ notBefore: NOW - (2 / 3) * lifetime + 1000, notAfter: NOW + lifetime / 3 + 1000 });
    expect(certificateExpiryAlert(live, NOW, T)).toBeNull();
    // Its predecessor, renewed without RFC 9773 `replaces`, is superseded by names.
    const old = cert({ notBefore: NOW - lifetime, notAfter: NOW, state: 'superseded' });
    expect(certificateExpiryAlert(old, NOW, T)).toBeNull();
  });

  it('a managed certificate is watched through its renewal: no warning, but critical before it lapses', () => {
    expect(certificateExpiryAlert(cert({ managed: true, notAfter: NOW + 3 * DAY }), NOW, T)).toBeNull();
    expect(certificateExpiryAlert(cert({ managed: true, notAfter: NOW + HOUR }), NOW, T)?.severity).toBe('critical');
  });
});

describe('renewal.failing', () => {
  it('fires at three consecutive failures, with the last error', () => {
    expect(renewalFailingAlert(managed({ consecutiveFailures: 2 }))).toBeNull();
    expect(renewalFailingAlert(managed({ consecutiveFailures: 3, lastError: 'CA refused: bad SAN' }))).toMatchObject({
      id: 'renewal.failing:m1',
      severity: 'critical',
      summary: 'renewal of payments failed 3 times in a row: CA refused: bad SAN',
      data: { consecutiveFailures: 3, lastError: 'CA refused: bad SAN' },
    });
  });

  it('a single failed attempt (status failing, retries continue) does not alert; disabled certificates never do', () => {
    expect(renewalFailingAlert(managed({ status: 'failing', consecutiveFailures: 1 }))).toBeNull();
    expect(renewalFailingAlert(managed({ status: 'failing', consecutiveFailures: 3 }))?.severity).toBe('critical');
    expect(renewalFailingAlert(managed({ status: 'disabled', consecutiveFailures: 9 }))).toBeNull();
  });

  it('truncates long errors', () => {
    const alert = renewalFailingAlert(managed({ consecutiveFailures: 5, lastError: 'x'.repeat(1000) }));
    expect((alert?.data.lastError as string).length).toBe(300);
  });
});

describe('renewal.overdue', () => {
  it('waits out the grace: max(renewal grace, 10% of lifetime)', () => {
    // lifetime 3 d → grace 7.2 h
    expect(renewalOverdueAlert(managed({ nextRenewalAt: NOW - 7 * HOUR }), NOW, T)).toBeNull();
    expect(renewalOverdueAlert(managed({ nextRenewalAt: NOW - 8 * HOUR }), NOW, T)).toMatchObject({
      id: 'renewal.overdue:m1',
      severity: 'warning',
      summary: 'payments is 8h past its renewal point with no successor',
    });
  });

  it('is critical when the current certificate is about to lapse or there is none', () => {
    const late = { nextRenewalAt: NOW - 2 * DAY };
    expect(
      renewalOverdueAlert(
        managed({ ...late, current: { id: 'c', notBefore: NOW - 3 * DAY + HOUR, notAfter: NOW + HOUR } }),
        NOW,
        T,
      )?.severity,
    ).toBe('critical');
    expect(renewalOverdueAlert(managed({ ...late, current: undefined, status: 'pending' }), NOW, T)?.severity).toBe(
      'critical',
    );
  });

  it('a short-lived managed certificate renewing on time is never overdue', () => {
    const short = managed({ lifetimeMs: 60e3, current: { id: 'c', notBefore: NOW - 40e3, notAfter: NOW + 20e3 } });
    expect(renewalOverdueAlert({ ...short, nextRenewalAt: NOW - 5e3 }, NOW, T)).toBeNull();
  });

  it('is not reported twice when the renewal is already failing, nor for disabled certificates', () => {
    expect(renewalOverdueAlert(managed({ nextRenewalAt: NOW - 2 * DAY, consecutiveFailures: 4 }), NOW, T)).toBeNull();
    expect(renewalOverdueAlert(managed({ nextRenewalAt: NOW - 2 * DAY, status: 'disabled' }), NOW, T)).toBeNull();
  });
});

describe('crl.stale', () => {
  it('fires once nextUpdate has passed', () => {
    expect(crlStaleAlert(undefined, NOW)).toBeNull();
    expect(crlStaleAlert({ number: 4, thisUpdate: NOW - DAY, nextUpdate: NOW + 1 }, NOW)).toBeNull();
    expect(crlStaleAlert({ number: 4, thisUpdate: NOW - 2 * DAY, nextUpdate: NOW - HOUR }, NOW)).toMatchObject({
      id: 'crl.stale:crl',
      severity: 'critical',
    });
  });
});

describe('evaluateAlerts', () => {
  it('lists critical alerts first', () => {
    const alerts = evaluateAlerts(
      {
        certificates: [cert({ id: 'w', notAfter: NOW + 5 * DAY }), cert({ id: 'c', notAfter: NOW + HOUR })],
        managed: [managed({ consecutiveFailures: 3 })],
        crl: { number: 1, thisUpdate: 0, nextUpdate: NOW - 1 },
      },
      NOW,
      T,
    );
    expect(alerts.map((a) => [a.severity, a.id])).toEqual([
      ['critical', 'certificate.expiring:c'],
      ['critical', 'crl.stale:crl'],
      ['critical', 'renewal.failing:m1'],
      ['warning', 'certificate.expiring:w'],
    ]);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45e3, '45s'],
    [2 * HOUR + 5 * MIN, '2h 5m'],
    [3 * DAY + 4 * HOUR + 59 * MIN, '3d 4h'],
    [DAY + 30e3, '1d'],
  ])('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
