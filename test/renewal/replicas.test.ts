/**
 * Must show: two replicas racing over many due certificates produce exactly
 * one successor per renewal, and the work is spread over both. Two runtimes
 * share one PostgreSQL schema and either one BullMQ prefix on the real Redis
 * (job ids de-duplicate across replicas) or no Redis at all (each replica's
 * in-process queue runs every job: only the lease and the database guard
 * stand between them and a second successor).
 */
import { randomUUID } from 'node:crypto';
import type { ManagedCertificate } from '@rotor/lifecycle';
import { createTestDatabase, TestDatabase } from '@rotor/testing';
import type { Runtime } from '../../apps/server/src/runtime/runtime';
import {
  deleteRedisPrefix,
  eventually,
  managedInventory,
  openRuntime,
  REDIS_URL,
  renewalRows,
  testMasterKey,
  testPrefix,
} from './support';

jest.setTimeout(120_000);

const N = 150;

describe.each([
  ['shared BullMQ queue on Redis', true],
  ['separate in-process queues (database guard only)', false],
] as const)('two replicas, %s', (label, withRedis) => {
  let db: TestDatabase;
  const prefix = testPrefix();
  const replicas: Runtime[] = [];
  const renewedBy = [0, 0];
  const ids: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    const masterKey = testMasterKey();
    for (let i = 0; i < 2; i++) {
      const runtime = await openRuntime({
        databaseUrl: db.databaseUrl,
        redisUrl: withRedis ? REDIS_URL : undefined,
        queuePrefix: prefix,
        masterKey,
        renewalSweepInterval: '300ms',
        renewalLease: '10s',
      });
      runtime.managed.onRenewed(() => renewedBy[i]++);
      replicas.push(runtime);
    }
    // N certificates due now, stored without a queue nudge: only the sweeps find them.
    const { certificates, repository } = replicas[0].managed;
    const now = Date.now();
    for (let i = 0; i < N; i++) {
      const row: ManagedCertificate = {
        ...certificates.parse({ name: `race-${i}`, dnsNames: [`race-${i}.internal`], lifetime: '1h' }),
        id: randomUUID(),
        generation: 0,
        status: 'pending',
        nextRenewalAt: now,
        consecutiveFailures: 0,
        createdAt: now,
        updatedAt: now,
      };
      await repository.insert(row);
      ids.push(row.id);
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    await db?.drop();
    await deleteRedisPrefix(prefix);
  });

  const generations = () =>
    Promise.all(ids.map(async (id) => (await replicas[0].managed.repository.byId(id))!.generation));

  it('issue and renew every certificate exactly once, spread over both', async () => {
    for (const r of replicas) r.managed.start();
    await eventually(async () => (await generations()).every((g) => g === 1), 60_000, 'first issuance of all', 500);
    // Everything due again at once: the second round races too.
    const now = Date.now();
    for (const id of ids) await replicas[0].managed.repository.reschedule(id, 1, now, now);
    await eventually(async () => (await generations()).every((g) => g === 2), 60_000, 'renewal of all', 500);

    const rows = (await renewalRows(replicas[0].dataSource)).filter((r) => ids.includes(r.managed_id));
    expect(rows).toHaveLength(2 * N);
    const keys = new Set(rows.map((r) => `${r.managed_id}/${r.generation}`));
    expect(keys.size).toBe(2 * N);
    // Not even an orphan: no replica signed a second certificate for a generation.
    const certs = (await managedInventory(replicas[0].dataSource)).filter((c) => ids.includes(c.owner_id));
    expect(certs).toHaveLength(2 * N);
    expect(certs.filter((c) => c.state === 'active')).toHaveLength(N);
    console.log(`${label}: ${2 * N} renewals; replica A did ${renewedBy[0]}, replica B did ${renewedBy[1]}`);
    expect(renewedBy[0] + renewedBy[1]).toBe(2 * N);
    expect(renewedBy[0]).toBeGreaterThan(0);
    expect(renewedBy[1]).toBeGreaterThan(0);
  });
});
