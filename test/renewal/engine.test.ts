/**
 * The renewal engine without the HTTP listener, on SQLite with the in-process
 * queue and on PostgreSQL with BullMQ on the real Redis: first issuance,
 * renewal with a new key (or the same one), supersession in the inventory,
 * the database guard against a second successor, spec changes and failures.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { ManagedError, NO_EVENTS, RenewalFailedError, RenewalProcessor } from '@rotor/lifecycle';
import { KeySealer } from '@rotor/pki';
import { createTestDatabase, TestDatabase } from '@rotor/testing';
import { PkiLeafSigner } from '../../apps/server/src/runtime/leaf-signer';
import type { Runtime } from '../../apps/server/src/runtime/runtime';
import {
  count,
  deleteRedisPrefix,
  eventually,
  managedInventory,
  openRuntime,
  REDIS_URL,
  renewalRows,
  testMasterKey,
  testPrefix,
} from './support';

jest.setTimeout(60_000);

const spkiOf = (pem: string) =>
  createHash('sha256')
    .update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');

describe.each([
  ['sqlite, in-process queue', 'sqlite'],
  ['postgres, BullMQ', 'postgres'],
] as const)('renewal engine (%s)', (_label, dialect) => {
  let db: TestDatabase;
  let runtime: Runtime;
  const prefix = testPrefix();
  const masterKey = testMasterKey();

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    runtime = await openRuntime({
      databaseUrl: db.databaseUrl,
      redisUrl: dialect === 'postgres' ? REDIS_URL : undefined,
      queuePrefix: prefix,
      masterKey,
      renewalSweepInterval: '500ms',
      renewalLease: '10s',
    });
    runtime.managed.start();
  });

  afterAll(async () => {
    await runtime?.close();
    await db?.drop();
    await deleteRedisPrefix(prefix);
  });

  const generationOf = async (name: string) => (await runtime.managed.repository.byName(name))?.generation ?? -1;

  it('issues a new managed certificate, then renews it with a new key and supersedes the old one', async () => {
    const { certificates } = runtime.managed;
    const created = await certificates.create({
      name: 'payments',
      dnsNames: ['payments.internal', 'Payments.Internal'],
      ips: ['10.0.0.7'],
      uris: ['spiffe://prod/payments'],
      profile: 'mtls',
      lifetime: '1h',
    });
    expect(created).toMatchObject({ status: 'pending', generation: 0 });
    await eventually(async () => (await generationOf('payments')) === 1, 15_000, 'first issuance');

    const first = (await runtime.managed.repository.byName('payments'))!;
    expect(first).toMatchObject({ status: 'active', consecutiveFailures: 0 });
    expect(first.keySealed).toMatch(/^v1\./);
    const firstCert = (await runtime.inventory.byId(first.currentId!))!;
    expect(firstCert).toMatchObject({ source: 'managed', state: 'active', owner: { kind: 'managed', id: first.id } });
    expect(firstCert.sans).toEqual({ dns: ['payments.internal'], ip: ['10.0.0.7'], uri: ['spiffe://prod/payments'] });
    expect(firstCert.notAfter - firstCert.notBefore).toBe(3600e3);
    // Renewal point: 2/3 of the lifetime ± 5 %.
    const point = (first.nextRenewalAt - firstCert.notBefore) / 3600e3;
    expect(point).toBeGreaterThanOrEqual(2 / 3 - 0.05);
    expect(point).toBeLessThanOrEqual(2 / 3 + 0.05);
    // The key is sealed: its PEM is not in the row.
    expect(first.keySealed).not.toContain('PRIVATE KEY');

    await certificates.renew('payments');
    await eventually(async () => (await generationOf('payments')) === 2, 15_000, 'forced renewal');
    const second = (await runtime.managed.repository.byName('payments'))!;
    const secondCert = (await runtime.inventory.byId(second.currentId!))!;
    expect(secondCert.replaces).toBe(first.currentId);
    expect(spkiOf(secondCert.pem)).not.toBe(spkiOf(firstCert.pem));
    expect(await runtime.inventory.byId(first.currentId!)).toMatchObject({
      state: 'superseded',
      replacedBy: second.currentId,
    });
    const counted = (await runtime.metrics.renewals.get()).values.find((v) => v.labels.result === 'success');
    expect(counted?.value).toBeGreaterThanOrEqual(2);
    const history = await certificates.history('payments');
    expect(history.map((r) => [r.generation, r.inventoryId, r.previousId])).toEqual([
      [1, second.currentId, first.currentId],
      [0, first.currentId, undefined],
    ]);
  });

  it('keeps the key across renewals with reuseKey', async () => {
    await runtime.managed.certificates.create({
      name: 'sticky',
      dnsNames: ['sticky.internal'],
      reuseKey: true,
      lifetime: '1h',
    });
    await eventually(async () => (await generationOf('sticky')) === 1, 15_000, 'first issuance');
    const before = (await runtime.managed.repository.byName('sticky'))!;
    await runtime.managed.certificates.renew('sticky');
    await eventually(async () => (await generationOf('sticky')) === 2, 15_000, 'renewal');
    const after = (await runtime.managed.repository.byName('sticky'))!;
    expect(after.keySealed).toBe(before.keySealed);
    const [a, b] = await Promise.all([
      runtime.inventory.byId(before.currentId!),
      runtime.inventory.byId(after.currentId!),
    ]);
    expect(spkiOf(b!.pem)).toBe(spkiOf(a!.pem));
    expect(b!.serial).not.toBe(a!.serial);
  });

  it('lets exactly one of two concurrent runs of the same renewal through', async () => {
    const { certificates, processor, repository } = runtime.managed;
    await runtime.managed.stop(); // no sweep either
    try {
      // Stored without the queue nudge create() sends: only the two runs below compete.
      const declaration = certificates.parse({ name: 'contended', dnsNames: ['contended.internal'], lifetime: '1h' });
      const now = Date.now();
      const row = {
        ...declaration,
        id: '00000000-0000-4000-8000-000000000002',
        generation: 0,
        status: 'pending' as const,
        nextRenewalAt: now,
        consecutiveFailures: 0,
        createdAt: now,
        updatedAt: now,
      };
      await repository.insert(row);
      // Another worker's processor: same database, its own lease owner.
      const rival = new RenewalProcessor(
        {
          repository,
          inventory: runtime.inventory,
          signer: new PkiLeafSigner(runtime.ca),
          sealer: KeySealer.fromMasterKey(masterKey),
          events: NO_EVENTS,
        },
        { owner: 'rival', leaseMs: 10_000 },
      );
      const request = { managedId: row.id, generation: 0, dueAt: row.nextRenewalAt };
      const outcomes = await Promise.all([
        processor.renew(request, { attempt: 1, maxAttempts: 5 }),
        rival.renew(request, { attempt: 1, maxAttempts: 5 }),
      ]);
      const kinds = outcomes.map((o) => o.kind).sort();
      // The loser either found the lease taken or the generation already moved on.
      expect(kinds[1]).toBe('renewed');
      expect(['busy', 'skipped']).toContain(kinds[0]);
      // A retry of the finished job is a no-op.
      expect(await processor.renew(request, { attempt: 2, maxAttempts: 5 })).toEqual({
        kind: 'skipped',
        reason: 'stale',
      });
      await eventually(async () => (await generationOf('contended')) === 1, 15_000, 'the one successor');
      expect((await renewalRows(runtime.dataSource)).filter((r) => r.managed_id === row.id)).toHaveLength(1);
      expect((await managedInventory(runtime.dataSource)).filter((r) => r.owner_id === row.id)).toHaveLength(1);
    } finally {
      runtime.managed.start();
    }
  });

  it('re-issues soon after a change of names, not after a change of schedule only', async () => {
    const { certificates, repository } = runtime.managed;
    await certificates.create({ name: 'moving', dnsNames: ['a.internal'], lifetime: '1h' });
    await eventually(async () => (await generationOf('moving')) === 1, 15_000, 'first issuance');
    const { changed } = await certificates.update('moving', { dnsNames: ['a.internal'], lifetime: '1h', renewAt: 0.5 });
    expect(changed).toBe(true);
    expect((await repository.byName('moving'))!.generation).toBe(1);
    await certificates.update('moving', { dnsNames: ['a.internal', 'b.internal'], lifetime: '1h', renewAt: 0.5 });
    await eventually(async () => (await generationOf('moving')) === 2, 15_000, 're-issue after the name change');
    const row = (await repository.byName('moving'))!;
    expect((await runtime.inventory.byId(row.currentId!))!.sans.dns).toEqual(['a.internal', 'b.internal']);
    expect(
      await certificates.update('moving', { dnsNames: ['a.internal', 'b.internal'], lifetime: '1h', renewAt: 0.5 }),
    ).toMatchObject({
      changed: false,
    });
  });

  it('records a failure the CA will not get over: failing, backed off, lease released, event published', async () => {
    const { repository, processor } = runtime.managed;
    const events: { type: string; data: Record<string, unknown> }[] = [];
    const original = runtime.events;
    runtime.events = { publish: async (e) => void events.push(e) };
    await runtime.managed.stop();
    try {
      const now = Date.now();
      // Stored directly: the API would refuse a lifetime beyond the CA's maximum.
      const spec = {
        ...(await runtime.managed.certificates.parse({ name: 'doomed', dnsNames: ['doomed.internal'] })).spec,
        lifetime: '3650d',
        lifetimeMs: 3650 * 86400e3,
      };
      const id = '00000000-0000-4000-8000-000000000001';
      await repository.insert({
        id,
        name: 'doomed',
        spec,
        subscribers: [],
        generation: 0,
        status: 'pending',
        nextRenewalAt: now,
        consecutiveFailures: 0,
        createdAt: now,
        updatedAt: now,
      });
      const error = await processor
        .renew({ managedId: id, generation: 0, dueAt: now }, { attempt: 1, maxAttempts: 5 })
        .catch((e) => e);
      expect(error).toBeInstanceOf(RenewalFailedError);
      expect(error).toMatchObject({ permanent: true, final: true });
      const row = (await repository.byId(id))!;
      expect(row).toMatchObject({ status: 'failing', consecutiveFailures: 1, generation: 0 });
      expect(row.leaseOwner).toBeUndefined();
      expect(row.lastError).toMatch(/lifetime exceeds the maximum/);
      expect(row.nextRenewalAt).toBeGreaterThan(now);
      expect(events.map((e) => e.type)).toEqual(['renewal.failed']);
      expect(events[0].data).toMatchObject({ name: 'doomed', consecutiveFailures: 1, permanent: true });
      expect(await count(runtime.dataSource, `SELECT COUNT(*) AS n FROM renewals WHERE managed_id = '${id}'`)).toBe(0);
      await repository.delete(id);
    } finally {
      runtime.events = original;
      runtime.managed.start();
    }
  });

  it('refuses duplicates and reserved names', async () => {
    const { certificates } = runtime.managed;
    await expect(certificates.create({ name: 'payments', dnsNames: ['x.internal'] })).rejects.toMatchObject({
      code: 'conflict',
    });
    await expect(certificates.create({ name: 'rotor-server', dnsNames: ['x.internal'] })).rejects.toBeInstanceOf(
      ManagedError,
    );
    await expect(certificates.delete('nope')).rejects.toMatchObject({ code: 'not-found' });
  });
});
