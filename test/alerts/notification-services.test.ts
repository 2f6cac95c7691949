/**
 * The notification pipeline without the HTTP server: events stored with their
 * deliveries, delivered through the real job queue (in process on SQLite,
 * BullMQ on the real Redis with PostgreSQL) to a real HTTP receiver, and
 * deliveries whose job never reached the queue (Redis down) sent by the
 * lost-delivery sweep, exactly once even when two replicas sweep together.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import { loadConfig, RotorConfig } from '@rotor/config';
import { BullMqJobQueue, InProcessJobQueue, JobQueue, QUEUES } from '@rotor/jobs';
import { StoredEventPublisher, verifyWebhookSignature } from '@rotor/lifecycle';
import { createLogger, RotorMetrics } from '@rotor/observability';
import { KeySealer } from '@rotor/pki';
import { openDataSource, SqlDeliveryRepository, SqlEventLog, SqlWebhookRepository } from '@rotor/store';
import { createTestDatabase, TestDatabase, tempDir } from '@rotor/testing';
import type { DataSource } from 'typeorm';
import { NotificationServices } from '../../apps/server/src/notifications/notification-services';
import { eventually, WebhookReceiver } from './webhook-receiver';

jest.setTimeout(60_000);

const REDIS_URL = 'redis://127.0.0.1:6379';
const logger = createLogger('silent');
const SUBJECT = 'ab'.repeat(32);

describe.each([
  ['sqlite, in-process queue', 'sqlite'],
  ['postgres, BullMQ on redis', 'postgres'],
] as const)('notification services (%s)', (_name, dialect) => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let config: RotorConfig;
  const prefix = `rotor-test-${randomBytes(4).toString('hex')}`;
  const sealer = KeySealer.fromMasterKey(randomBytes(32).toString('base64'));
  const queues: JobQueue[] = [];
  const services: NotificationServices[] = [];

  const liveQueue = (): JobQueue => {
    const queue =
      dialect === 'postgres'
        ? new BullMqJobQueue({ url: REDIS_URL, prefix, logger })
        : new InProcessJobQueue({ logger });
    queues.push(queue);
    return queue;
  };
  const replica = (queue: JobQueue) => {
    const s = new NotificationServices({
      config,
      logger,
      dataSource,
      sealer,
      queue,
      metrics: new RotorMetrics({ defaultMetrics: false }),
    });
    services.push(s);
    return s;
  };

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    dataSource = await openDataSource({ databaseUrl: db.databaseUrl, sqlitePath: db.sqlitePath });
    config = loadConfig({ dataDir: tempDir(), webhookBackoff: '150ms', webhookAttempts: 4, logLevel: 'silent' }, {});
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await Promise.all(queues.map((q) => q.close()));
    await dataSource?.destroy();
    await db?.drop();
    if (dialect === 'postgres') {
      const redis = new IORedis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  });

  it('ok/publish → stored event + delivery → queue → signed POST, retried after a 502', async () => {
    const receiver = await new WebhookReceiver([502]).start();
    try {
      const live = replica(liveQueue());
      const hookId = randomUUID();
      const secret = `whsec_${randomBytes(24).toString('base64url')}`;
      await live.webhooks.insert(
        { id: hookId, url: receiver.url, events: ['certificate.renewed'], createdAt: Date.now(), disabled: false },
        secret,
      );
      // An event type the webhook did not ask for creates no delivery.
      await live.publisher.publish({ type: 'certificate.revoked', subjectId: SUBJECT, data: {}, at: Date.now() });
      await live.publisher.publish({
        type: 'certificate.renewed',
        subjectId: SUBJECT,
        data: { name: 'payments' },
        at: Date.now(),
      });

      const [delivery] = await eventually(
        async () => {
          const list = await live.deliveries.list(hookId, 10);
          return list[0]?.status === 'delivered' ? list : undefined;
        },
        20_000,
        'delivery',
      );
      expect(delivery).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 200 });
      expect(receiver.received.map((r) => r.status)).toEqual([502, 200]);
      const last = receiver.received[1];
      expect(JSON.parse(last.body)).toMatchObject({
        type: 'certificate.renewed',
        subjectId: SUBJECT,
        data: { name: 'payments' },
      });
      expect(verifyWebhookSignature(last.headers['rotor-signature'] as string, last.body, secret).ok).toBe(true);
      // Only the event somebody subscribed to was stored.
      expect(await live.eventLog.count()).toBe(1);
      await live.webhooks.delete(hookId);
    } finally {
      await receiver.stop();
    }
  });

  it('ok/a delivery whose job never reached Redis is sent by the sweep, once across two replicas', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      // A replica whose Redis is unreachable: the event and its delivery are stored, the job is not.
      const deadQueue = new BullMqJobQueue({ url: 'redis://127.0.0.1:1', prefix, logger, enqueueTimeoutMs: 300 });
      queues.push(deadQueue);
      const failures: unknown[] = [];
      const cut = {
        webhooks: new SqlWebhookRepository(dataSource, sealer),
        deliveries: new SqlDeliveryRepository(dataSource, sealer),
        publisher: new StoredEventPublisher(
          new SqlWebhookRepository(dataSource, sealer),
          new SqlEventLog(dataSource),
          {
            schedule: (job) =>
              deadQueue.enqueue(QUEUES.notification, job, { jobId: `${job.deliveryId}.${job.attempt}` }),
          },
          (error) => failures.push(error),
        ),
      };
      const hookId = randomUUID();
      await cut.webhooks.insert(
        { id: hookId, url: receiver.url, events: ['*'], createdAt: Date.now(), disabled: false },
        'whsec_sweep-test-0123456789',
      );
      await cut.publisher.publish({
        type: 'renewal.failed',
        subjectId: SUBJECT,
        data: { error: 'CA unavailable' },
        at: Date.now(),
      });
      expect(failures).toHaveLength(1);
      const [pending] = await cut.deliveries.list(hookId, 10);
      expect(pending).toMatchObject({ status: 'pending', attempts: 0 });

      // Not yet overdue: the sweep leaves it to its (lost) job.
      const a = replica(liveQueue());
      const b = replica(liveQueue());
      await a.sweep(Date.now());
      expect((await a.deliveries.list(hookId, 10))[0].attempts).toBe(0);

      // A minute later two replicas sweep at once: one of them re-queues it, and it is delivered once.
      const later = Date.now() + 61_000;
      await Promise.all([a.sweep(later), b.sweep(later)]);
      await eventually(
        async () => (await a.deliveries.list(hookId, 10))[0].status === 'delivered',
        20_000,
        'resent delivery',
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(receiver.received).toHaveLength(1);
      expect(JSON.parse(receiver.received[0].body)).toMatchObject({
        type: 'renewal.failed',
        data: { error: 'CA unavailable' },
      });
      expect((await a.deliveries.list(hookId, 10))[0]).toMatchObject({ attempts: 1, status: 'delivered' });
    } finally {
      await receiver.stop();
    }
  });
});
