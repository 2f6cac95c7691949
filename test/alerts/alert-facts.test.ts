/**
 * SqlAlertFactSource on both real databases, evaluated by the alert rules:
 * the expiring window, lineage and same-names coverage, managed renewals
 * overdue and failing, and a stale CRL, read from rows written by the
 * inventory, managed-certificate and CRL repositories themselves.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Alerts, InventoryRecord, ManagedCertificate, sanKey } from '@rotor/lifecycle';
import {
  openDataSource,
  SqlAlertFactSource,
  SqlCertificateMetricsSource,
  SqlInventoryRepository,
  SqlManagedCertificateRepository,
  TypeOrmCrlStore,
} from '@rotor/store';
import { createTestDatabase, TestDatabase } from '@rotor/testing';
import type { DataSource } from 'typeorm';

jest.setTimeout(60_000);

const MIN = 60e3;
const HOUR = 3600e3;
const DAY = 86400e3;
const NOW = Date.now();

function cert(name: string, notBefore: number, notAfter: number, over: Partial<InventoryRecord> = {}): InventoryRecord {
  const sans = { dns: [name], ip: [], uri: [] };
  return {
    id: randomBytes(32).toString('hex'),
    serial: `5${randomBytes(15).toString('hex')}`,
    subject: `CN=${name}`,
    issuer: 'CN=Facts CA',
    sans,
    notBefore,
    notAfter,
    keyType: 'ecdsa-p256',
    source: 'import',
    state: 'active',
    endpoints: [],
    pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    createdAt: NOW,
    updatedAt: NOW,
    ...over,
  };
}

function managed(name: string, over: Partial<ManagedCertificate> = {}): ManagedCertificate {
  return {
    id: randomUUID(),
    name,
    spec: {
      dnsNames: [`${name}.facts.test`],
      ips: [],
      uris: [],
      profile: 'server',
      keyType: 'ecdsa-p256',
      lifetime: '1d',
      lifetimeMs: DAY,
      renewAt: 0.667,
      jitter: 0.05,
      reuseKey: false,
    },
    subscribers: [],
    generation: 1,
    status: 'active',
    nextRenewalAt: NOW + HOUR,
    consecutiveFailures: 0,
    createdAt: NOW,
    updatedAt: NOW,
    ...over,
  };
}

describe.each(['sqlite', 'postgres'] as const)('alert facts on %s', (dialect) => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    dataSource = await openDataSource({ databaseUrl: db.databaseUrl, sqlitePath: db.sqlitePath });
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('finds exactly the certificates, renewals and CRL at risk', async () => {
    const inventory = new SqlInventoryRepository(dataSource);
    const managedRepo = new SqlManagedCertificateRepository(dataSource);
    const soon = cert('soon.facts.test', NOW - 60 * DAY, NOW + 2 * HOUR);
    const warn = cert('warn.facts.test', NOW - 80 * DAY, NOW + 5 * DAY);
    const healthy = cert('healthy.facts.test', NOW - DAY, NOW + 60 * DAY);
    const shortLived = cert('short.facts.test', NOW - 10 * MIN, NOW + 50 * MIN);
    const superseded = cert('old.facts.test', NOW - 60 * DAY, NOW + HOUR, { state: 'superseded' });
    const abandoned = cert('gone.facts.test', NOW - 90 * DAY, NOW - 40 * DAY);
    // Renewed outside Rotor and imported again: the old one is covered by the new one.
    const renewedOld = cert('renewed.facts.test', NOW - 60 * DAY, NOW + HOUR);
    const renewedNew = cert('renewed.facts.test', NOW - HOUR, NOW + 90 * DAY);
    // CN-only certificates share the empty SAN key and must not cover each other.
    const cnOnlyOld = cert('x', NOW - 60 * DAY, NOW + HOUR, {
      sans: { dns: [], ip: [], uri: [] },
      subject: 'CN=Legacy A',
    });
    const cnOnlyNew = cert('y', NOW - HOUR, NOW + 90 * DAY, {
      sans: { dns: [], ip: [], uri: [] },
      subject: 'CN=Legacy B',
    });
    for (const r of [
      soon,
      warn,
      healthy,
      shortLived,
      superseded,
      abandoned,
      renewedOld,
      renewedNew,
      cnOnlyOld,
      cnOnlyNew,
    ]) {
      await inventory.upsert({ ...r, sanKey: sanKey(r.sans) } as InventoryRecord);
    }

    const overdue = managed('overdue', { nextRenewalAt: NOW - 6 * HOUR });
    const failing = managed('failing', {
      status: 'failing',
      consecutiveFailures: 4,
      lastError: 'the CA refused: lifetime exceeds the maximum',
    });
    const once = managed('once', { status: 'failing', consecutiveFailures: 1, nextRenewalAt: NOW + 5000 });
    const disabled = managed('disabled', { status: 'disabled', consecutiveFailures: 9, nextRenewalAt: NOW - 10 * DAY });
    const onTime = managed('on-time', { nextRenewalAt: NOW - 1000 });
    for (const m of [overdue, failing, once, disabled, onTime]) expect(await managedRepo.insert(m)).toBe(true);

    await new TypeOrmCrlStore(dataSource).publish({
      number: 7,
      der: new Uint8Array([1, 2, 3]),
      thisUpdate: NOW - 2 * DAY,
      nextUpdate: NOW - HOUR,
    });

    const alerts = new Alerts(new SqlAlertFactSource(dataSource), {
      warningMs: 7 * DAY,
      criticalMs: DAY,
      renewalGraceMs: 10e3,
    });
    const found = (await alerts.current(NOW)).map((a) => [a.id, a.severity]);
    expect(found).toEqual(
      [
        [`certificate.expiring:${cnOnlyOld.id}`, 'critical'],
        [`certificate.expiring:${soon.id}`, 'critical'],
        ['crl.stale:crl', 'critical'],
        [`renewal.failing:${failing.id}`, 'critical'],
        [`renewal.overdue:${overdue.id}`, 'critical'],
        [`certificate.expiring:${warn.id}`, 'warning'],
      ].sort((a, b) => (a[1] === b[1] ? a[0].localeCompare(b[0]) : a[1] === 'critical' ? -1 : 1)),
    );

    // The metrics source sees every active certificate not abandoned, and the managed renewals.
    const snapshot = await new SqlCertificateMetricsSource(dataSource, 100).snapshot(NOW);
    expect(snapshot.expirations.map((s) => s.name).sort()).toEqual(
      ['soon', 'warn', 'healthy', 'short', 'renewed', 'renewed']
        .map((n) => `${n}.facts.test`)
        .concat(['Legacy A', 'Legacy B'])
        .sort(),
    );
    expect(snapshot.renewals.map((s) => s.name).sort()).toEqual(['failing', 'on-time', 'once', 'overdue']);
    expect(snapshot.dropped).toBe(0);
    const capped = await new SqlCertificateMetricsSource(dataSource, 3).snapshot(NOW);
    // The soonest three (50 min, then the two expiring in an hour).
    expect(capped.expirations.map((s) => s.name).sort()).toEqual([
      'Legacy A',
      'renewed.facts.test',
      'short.facts.test',
    ]);
    // Five certificates, and one of the four managed renewal series.
    expect(capped.dropped).toBe(5 + 1);
  });
});
