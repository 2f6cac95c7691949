/**
 * Must show: Redis stopped, or flushed, across a renewal point. The database
 * holds every due time and the sweep re-enqueues what the queue lost, so
 * after Redis is back every due renewal happens — and none twice: one row per
 * (managed certificate, generation) in `renewals`, one certificate per
 * generation in the inventory. A private redis-server (no persistence, so a
 * restart comes back empty) keeps the shared one undisturbed.
 */
import { QUEUES } from '@rotor/jobs';
import { createTestDatabase, TestDatabase } from '@rotor/testing';
import type { Runtime } from '../../apps/server/src/runtime/runtime';
import { eventually, managedInventory, openRuntime, PrivateRedis, renewalRows, sleep, testMasterKey } from './support';

jest.setTimeout(90_000);

const N = 20;

describe('renewals across a Redis outage (PostgreSQL + BullMQ)', () => {
  let db: TestDatabase;
  let redis: PrivateRedis;
  let runtime: Runtime;
  const ids: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    redis = await PrivateRedis.start();
    runtime = await openRuntime({
      databaseUrl: db.databaseUrl,
      redisUrl: redis.url,
      masterKey: testMasterKey(),
      // The sweep enqueues what falls due within one interval (delayed until due): 2 s leaves a
      // window wide enough to stop or flush Redis while the jobs wait in it, even on a loaded machine.
      renewalSweepInterval: '2s',
      renewalLease: '5s',
    });
    runtime.managed.start();
    for (let i = 0; i < N; i++) {
      const created = await runtime.managed.certificates.create({
        name: `svc-${i}`,
        dnsNames: [`svc-${i}.internal`],
        lifetime: '1h',
      });
      ids.push(created.id);
    }
    await eventually(async () => (await generations()).every((g) => g === 1), 30_000, 'first issuance of all');
  });

  afterAll(async () => {
    await runtime?.close();
    await redis?.stop();
    await db?.drop();
  });

  const generations = async () =>
    Promise.all(ids.map(async (id) => (await runtime.managed.repository.byId(id))!.generation));

  /** Makes every certificate due at `at` (as its renewal point would). */
  const dueAt = async (at: number) => {
    for (const id of ids) {
      const row = (await runtime.managed.repository.byId(id))!;
      await runtime.managed.repository.reschedule(id, row.generation, at, Date.now());
    }
  };

  /** Waits until the sweep has put every renewal job into Redis (delayed until due). */
  const queued = () =>
    eventually(async () => (await runtime.queue.stats(QUEUES.renewal)).delayed >= N, 15_000, 'jobs in Redis', 50);

  const expectExactlyOnce = async (generation: number) => {
    const rows = (await renewalRows(runtime.dataSource)).filter((r) => ids.includes(r.managed_id));
    expect(rows).toHaveLength(N * generation);
    for (const id of ids) {
      expect(rows.filter((r) => r.managed_id === id).map((r) => r.generation)).toEqual([...Array(generation).keys()]);
    }
    // One certificate per generation: no second successor was even issued.
    expect((await managedInventory(runtime.dataSource)).filter((c) => ids.includes(c.owner_id))).toHaveLength(
      N * generation,
    );
    const active = (await managedInventory(runtime.dataSource)).filter(
      (c) => ids.includes(c.owner_id) && c.state === 'active',
    );
    expect(active).toHaveLength(N);
  };

  it('Redis stopped across the renewal point: everything due is renewed once it is back', async () => {
    const renewalPoint = Date.now() + 4_000;
    await dueAt(renewalPoint);
    await queued();
    await redis.stop(); // the queued jobs die with it (no persistence)
    await sleep(Math.max(0, renewalPoint - Date.now()) + 2_000);
    expect(await generations()).toEqual(ids.map(() => 1)); // nothing can run without Redis…
    await redis.start(); // …an empty Redis comes back
    await eventually(
      async () => (await generations()).every((g) => g === 2),
      40_000,
      'every due renewal after Redis returns',
    );
    await expectExactlyOnce(2);
  });

  it('Redis flushed between enqueue and the renewal point: everything due is renewed, once', async () => {
    const renewalPoint = Date.now() + 4_000;
    await dueAt(renewalPoint);
    await queued();
    await redis.flush();
    expect((await runtime.queue.stats(QUEUES.renewal)).delayed).toBe(0);
    await eventually(
      async () => (await generations()).every((g) => g === 3),
      40_000,
      'every due renewal after the flush',
    );
    expect(Date.now()).toBeGreaterThanOrEqual(renewalPoint);
    await expectExactlyOnce(3);
  });
});
