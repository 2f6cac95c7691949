/**
 * The alert-state, event-log, delivery and webhook repositories on both real
 * databases: the conditional writes that make replicas notify once, the
 * delivery claim that runs each attempt once, and secrets sealed at rest.
 */
import { KeySealer } from '@rotor/pki';
import type { Alert } from '@rotor/lifecycle';
import {
  openDataSource,
  SqlAlertStateRepository,
  SqlDeliveryRepository,
  SqlEventLog,
  SqlWebhookRepository,
} from '@rotor/store';
import { createTestDatabase, TestDatabase } from '@rotor/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';

jest.setTimeout(60_000);

const NOW = 1_800_000_000_000;
const sealer = KeySealer.fromMasterKey(randomBytes(32).toString('hex'));

const alert = (severity: Alert['severity'], id = 'certificate.expiring:abc'): Alert => ({
  id,
  kind: 'certificate.expiring',
  severity,
  subjectId: 'abc',
  name: 'a.example',
  summary: 'a.example expires in 2h',
  data: {},
});

describe.each(['sqlite', 'postgres'] as const)('notification store on %s', (dialect) => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let state: SqlAlertStateRepository;
  let webhooks: SqlWebhookRepository;
  let log: SqlEventLog;
  let deliveries: SqlDeliveryRepository;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    dataSource = await openDataSource({ databaseUrl: db.databaseUrl, sqlitePath: db.sqlitePath });
    state = new SqlAlertStateRepository(dataSource);
    webhooks = new SqlWebhookRepository(dataSource, sealer);
    log = new SqlEventLog(dataSource);
    deliveries = new SqlDeliveryRepository(dataSource, sealer);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('alert transitions: opened once (even when two replicas race), escalated once, resolved, reopened', async () => {
    const race = await Promise.all([state.record(alert('warning'), NOW), state.record(alert('warning'), NOW)]);
    expect(race.sort()).toEqual(['opened', 'unchanged']);
    expect(await state.record(alert('warning'), NOW + 1)).toBe('unchanged');
    const escalations = await Promise.all([
      state.record(alert('critical'), NOW + 2),
      state.record(alert('critical'), NOW + 2),
    ]);
    expect(escalations.sort()).toEqual(['escalated', 'unchanged']);
    await state.touch(['certificate.expiring:abc'], NOW + 3);
    expect(await state.open()).toEqual([
      expect.objectContaining({
        id: 'certificate.expiring:abc',
        severity: 'critical',
        firstSeen: NOW,
        lastSeen: NOW + 3,
      }),
    ]);
    expect(await state.resolve(['certificate.expiring:abc', 'no-such'], NOW + 4)).toEqual(['certificate.expiring:abc']);
    expect(await state.resolve(['certificate.expiring:abc'], NOW + 5)).toEqual([]);
    expect(await state.open()).toEqual([]);
    expect(await state.record(alert('warning'), NOW + 6)).toBe('opened');
    expect((await state.open())[0]).toMatchObject({ firstSeen: NOW + 6, severity: 'warning' });
    await state.resolve(['certificate.expiring:abc'], NOW + 7);
    expect(await state.prune(NOW + 8)).toBe(1);
  });

  it('webhook secrets are sealed at rest and never selected with the webhook', async () => {
    const id = randomUUID();
    const secret = `whsec_${randomBytes(16).toString('hex')}`;
    await webhooks.insert(
      { id, url: 'https://hooks.example/x', events: ['*'], createdAt: NOW, disabled: false },
      secret,
    );
    const raw = await dataSource.query('SELECT * FROM webhooks');
    expect(JSON.stringify(raw)).not.toContain(secret);
    expect(JSON.stringify(await webhooks.list())).not.toContain(secret);
    expect(await webhooks.byId(id)).toEqual({
      id,
      url: 'https://hooks.example/x',
      events: ['*'],
      createdAt: NOW,
      disabled: false,
    });
    expect(await webhooks.secret(id)).toBe(secret);
    expect((await webhooks.active()).map((w) => w.id)).toContain(id);
  });

  it('events with deliveries: stored together, each attempt claimed once, lost ones found and postponed once', async () => {
    const hook = randomUUID();
    await webhooks.insert(
      { id: hook, url: 'http://127.0.0.1:9/x', events: ['certificate.issued'], createdAt: NOW, disabled: false },
      'whsec_0123456789abcdef',
    );
    const event = {
      id: randomUUID(),
      type: 'certificate.issued' as const,
      subjectId: 'f'.repeat(64),
      data: { serial: '01' },
      at: NOW,
    };
    const [deliveryId] = await log.append(event, [hook]);
    const attempt = await deliveries.forAttempt(deliveryId);
    expect(attempt).toMatchObject({
      url: 'http://127.0.0.1:9/x',
      secret: 'whsec_0123456789abcdef',
      event: { ...event },
      delivery: { status: 'pending', attempts: 0, webhookId: hook, eventType: 'certificate.issued' },
    });

    const claims = await Promise.all([
      deliveries.claim(deliveryId, 1, NOW + 100, NOW),
      deliveries.claim(deliveryId, 1, NOW + 100, NOW),
    ]);
    expect(claims.sort()).toEqual([false, true]);
    await deliveries.attemptFailed(
      deliveryId,
      { statusCode: 500, error: 'HTTP 500', nextAttemptAt: NOW + 1000, final: false },
      NOW + 10,
    );
    expect(await deliveries.lost(NOW + 999, 10)).toEqual([]);
    expect(await deliveries.lost(NOW + 1000, 10)).toEqual([{ id: deliveryId, attempts: 1 }]);
    const postpones = await Promise.all([
      deliveries.postpone(deliveryId, 1, NOW + 5000),
      deliveries.postpone(deliveryId, 1, NOW + 5000),
    ]);
    expect(postpones.sort()).toEqual([false, true]);
    expect(await deliveries.claim(deliveryId, 2, NOW + 6000, NOW + 20)).toBe(true);
    await deliveries.delivered(deliveryId, 204, NOW + 30);
    expect(await deliveries.list(hook, 10)).toEqual([
      expect.objectContaining({
        id: deliveryId,
        status: 'delivered',
        attempts: 2,
        lastStatusCode: 204,
        deliveredAt: NOW + 30,
      }),
    ]);
    expect(await deliveries.claim(deliveryId, 3, NOW + 6000, NOW + 40)).toBe(false);

    // Deleting the webhook takes its delivery log along.
    expect(await webhooks.delete(hook)).toBe(true);
    expect(await webhooks.delete(hook)).toBe(false);
    expect(await deliveries.count(hook)).toBe(0);
    expect(await log.prune(NOW + 1)).toBeGreaterThanOrEqual(1);
  });
});
