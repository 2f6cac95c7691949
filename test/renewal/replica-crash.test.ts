/**
 * Scale-out: killing one replica mid-renewal loses nothing. A real `rotor
 * start` process (from dist/) renews slow-to-generate RSA-3072 certificates
 * on PostgreSQL + BullMQ; it is SIGKILLed while it holds leases. A second
 * replica started afterwards finishes every renewal once the dead one's
 * leases expire, with exactly one successor each; whatever the dead replica
 * had signed but not committed ends up superseded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTestDatabase, freeTcpPort, TestDatabase, tempDir } from '@rotor/testing';
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

const N = 24;
const REPO = resolve(__dirname, '..', '..');
const CLI = join(REPO, 'dist', 'apps', 'cli', 'src', 'main.js');

describe('a replica killed mid-renewal', () => {
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  let survivor: Runtime | undefined;
  const prefix = testPrefix();
  const masterKey = testMasterKey();
  const dataDir = tempDir();
  let output = '';

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it first)`);
    db = await createTestDatabase('postgres');
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await survivor?.close();
    await db?.drop();
    await deleteRedisPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing: the other replica finishes after the leases expire', async () => {
    const port = await freeTcpPort();
    child = spawn(process.execPath, [CLI, 'start', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], {
      env: {
        PATH: process.env.PATH,
        ROTOR_DATABASE_URL: db.databaseUrl,
        ROTOR_REDIS_URL: REDIS_URL,
        ROTOR_QUEUE_PREFIX: prefix,
        ROTOR_MASTER_KEY: masterKey,
        ROTOR_RENEWAL_SWEEP_INTERVAL: '300ms',
        ROTOR_RENEWAL_LEASE: '5s',
        ROTOR_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await eventually(() => output.includes('Rotor is running'), 30_000, `the replica to start (${output})`);

    // The test process writes the declarations straight to the database, as `rotor managed create` would.
    const admin = await openRuntime({ databaseUrl: db.databaseUrl, masterKey });
    const ids: string[] = [];
    try {
      for (let i = 0; i < N; i++) {
        const created = await admin.managed.certificates.create({
          name: `slow-${i}`,
          dnsNames: [`slow-${i}.internal`],
          keyType: 'rsa-3072',
          lifetime: '1h',
        });
        ids.push(created.id);
      }
      const childPid = child.pid!;
      // Kill it while it holds leases on rows it has not committed yet.
      const held = await eventually(
        async () => {
          const rows: { id: string }[] = await admin.dataSource.query(
            `SELECT id FROM managed_certificates WHERE lease_owner LIKE $1 AND lease_until > $2 AND generation = 0`,
            [`%:${childPid}:%`, Date.now()],
          );
          const committed = (await renewalRows(admin.dataSource)).filter((r) => ids.includes(r.managed_id)).length;
          // Mid-run: some renewals committed, others under way.
          return rows.length >= 2 && committed >= 2 ? rows.map((r) => r.id) : undefined;
        },
        30_000,
        'the replica to hold leases',
        25,
      );
      child.kill('SIGKILL');
      await new Promise((done) => child!.once('exit', done));
      const stranded = (await Promise.all(held.map((id) => admin.managed.repository.byId(id)))).filter(
        (r) => r!.generation === 0 && r!.leaseOwner?.includes(`:${childPid}:`),
      );
      expect(stranded.length).toBeGreaterThan(0);
      const doneByChild = (await renewalRows(admin.dataSource)).filter((r) => ids.includes(r.managed_id)).length;
      console.log(`killed the replica holding ${stranded.length} leases; it had committed ${doneByChild} of ${N}`);
    } finally {
      await admin.close();
    }

    survivor = await openRuntime({
      databaseUrl: db.databaseUrl,
      redisUrl: REDIS_URL,
      queuePrefix: prefix,
      masterKey,
      renewalSweepInterval: '300ms',
      renewalLease: '5s',
    });
    survivor.managed.start();
    const repo = survivor.managed.repository;
    await eventually(
      async () => (await Promise.all(ids.map(async (id) => (await repo.byId(id))!.generation))).every((g) => g === 1),
      60_000,
      'every certificate issued after the crash',
      500,
    );

    const rows = (await renewalRows(survivor.dataSource)).filter((r) => ids.includes(r.managed_id));
    expect(rows).toHaveLength(N);
    expect(new Set(rows.map((r) => r.managed_id)).size).toBe(N);
    const certs = (await managedInventory(survivor.dataSource)).filter((c) => ids.includes(c.owner_id));
    // Exactly one certificate in force per managed certificate; anything the dead replica signed is superseded.
    expect(certs.filter((c) => c.state === 'active')).toHaveLength(N);
    for (const id of ids) {
      const row = (await repo.byId(id))!;
      expect(certs.find((c) => c.id === row.currentId)?.state).toBe('active');
    }
    console.log(`orphans from the killed replica (signed, never committed, now superseded): ${certs.length - N}`);
  });
});
