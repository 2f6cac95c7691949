/**
 * The inventory repository on both real databases. The derived statuses are
 * computed in SQL; these tests check them against the domain's own
 * inventoryStatus() on a spread of certificates, so the two can never drift.
 */
import {
  InventoryInputError,
  LifecycleEvent,
  RecordIssuedCertificate,
  InventoryRecord,
  InventoryStatus,
  INVENTORY_STATUSES,
  inventoryStatus,
  sanKey,
} from '@rotor/lifecycle';
import { openDataSource, SqlInventoryRepository, TypeOrmCertificateRepository } from '@rotor/store';
import { createTestDatabase, TestDatabase } from '@rotor/testing';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { makeTestCertificate } from '../../libs/lifecycle/src/inventory/spec-helpers';

jest.setTimeout(60_000);

const H = 3600e3;
const D = 24 * H;
const NOW = 1_800_000_000_000;
const WARN = 7 * D;

const fingerprint = () => randomBytes(32).toString('hex');
const serial = () => `5${randomBytes(15).toString('hex')}`;

function record(overrides: Partial<InventoryRecord> = {}): InventoryRecord {
  const notAfter = overrides.notAfter ?? NOW + 30 * D;
  return {
    id: fingerprint(),
    serial: serial(),
    subject: 'CN=a.example.test',
    issuer: 'CN=Rotor Intermediate CA, O=Rotor',
    sans: { dns: ['a.example.test'], ip: [], uri: [] },
    notBefore: notAfter - 90 * D,
    notAfter,
    keyType: 'ecdsa-p256',
    source: 'import',
    state: 'active',
    endpoints: [],
    pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

/** Page through a query to the end. */
async function all(repo: SqlInventoryRepository, query: Parameters<SqlInventoryRepository['query']>[0], limit = 7) {
  const ids: string[] = [];
  let after = query.after;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await repo.query({ ...query, limit, after }, NOW, WARN);
    ids.push(...page.items.map((r) => r.id));
    if (!page.next) return ids;
    after = page.next;
  }
  throw new Error('pagination did not end');
}

const order = (records: InventoryRecord[]) =>
  [...records].sort((a, b) => a.notAfter - b.notAfter || (a.id < b.id ? -1 : 1)).map((r) => r.id);

describe.each(['sqlite', 'postgres'] as const)('inventory store on %s', (dialect) => {
  let db: TestDatabase;
  let ds: DataSource;
  let repo: SqlInventoryRepository;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    ds = await openDataSource({ databaseUrl: db.databaseUrl, sqlitePath: db.sqlitePath });
    repo = new SqlInventoryRepository(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });
  beforeEach(async () => {
    await ds.query('DELETE FROM inventory_names');
    await ds.query('DELETE FROM inventory');
  });

  it('ok/round trip of every field', async () => {
    const r = record({
      sans: {
        dns: ['a.example.test', '*.b.example.test'],
        ip: ['10.0.0.1', '2001:db8::1'],
        uri: ['spiffe://prod/payments'],
      },
      profile: 'mtls',
      source: 'acme',
      owner: { kind: 'account', id: 'acct-1' },
      replaces: fingerprint(),
      endpoints: ['a.example.test:443'],
    });
    expect(await repo.upsert(r)).toEqual({ inserted: true });
    expect(await repo.byId(r.id)).toEqual(r);
    expect(await repo.bySerial(r.serial)).toEqual(r);
    expect(await repo.byId(fingerprint())).toBeNull();
    expect(await repo.bySerial('abc')).toBeNull();
  });

  it('ok/upsert of a known certificate merges endpoints and keeps the rest', async () => {
    const r = record({ source: 'acme', owner: { kind: 'account', id: 'acct-1' }, endpoints: [] });
    await repo.upsert(r);
    const seen = { ...r, source: 'scan' as const, owner: undefined, endpoints: ['b.test:443'], updatedAt: NOW + 1 };
    expect(await repo.upsert(seen)).toEqual({ inserted: false });
    // Several endpoints at once (a concurrent scan): none is lost.
    const results = await Promise.all(
      ['c.test:443', 'd.test:443', 'e.test:8443', 'b.test:443', 'f.test:443'].map((e) =>
        repo.upsert({ ...seen, endpoints: [e] }),
      ),
    );
    expect(results.every((x) => !x.inserted)).toBe(true);
    const stored = await repo.byId(r.id);
    expect(stored).toMatchObject({ source: 'acme', owner: { kind: 'account', id: 'acct-1' }, createdAt: NOW });
    expect(stored?.endpoints).toEqual(['b.test:443', 'c.test:443', 'd.test:443', 'e.test:8443', 'f.test:443']);
    const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM inventory');
    expect(Number(n)).toBe(1);
  });

  it('ok/derived status filters agree with inventoryStatus() on a spread of certificates', async () => {
    const records: InventoryRecord[] = [];
    // Lifetimes from a minute to a year; remaining life from two days past to 60 days ahead; all three states.
    const lifetimes = [60e3, 10 * 60e3, H, 24 * H, 3 * D, 7 * D, 30 * D, 90 * D, 365 * D];
    const remainings = [
      -2 * D,
      -1,
      0,
      1,
      20e3,
      H,
      8 * H,
      8 * H + 1,
      D,
      3 * D,
      7 * D - 1,
      7 * D,
      7 * D + 1,
      10 * D,
      60 * D,
    ];
    let i = 0;
    for (const lifetime of lifetimes) {
      for (const remaining of remainings) {
        const state = (['active', 'active', 'active', 'revoked', 'superseded'] as const)[i++ % 5];
        records.push(record({ notBefore: NOW + remaining - lifetime, notAfter: NOW + remaining, state }));
      }
    }
    for (const r of records) await repo.upsert(r);

    const expected = (statuses: InventoryStatus[]) =>
      order(records.filter((r) => statuses.includes(inventoryStatus(r, NOW, WARN))));
    for (const status of INVENTORY_STATUSES) {
      expect({ status, ids: await all(repo, { status: [status] }) }).toEqual({ status, ids: expected([status]) });
      expect(await repo.count({ status: [status] }, NOW, WARN)).toBe(expected([status]).length);
    }
    for (const combo of [
      ['valid', 'expiring'],
      ['expired', 'revoked'],
      ['expiring', 'superseded', 'valid'],
    ] as InventoryStatus[][]) {
      expect(await all(repo, { status: combo })).toEqual(expected(combo));
    }
    expect(expected(['expiring']).length).toBeGreaterThan(10);
    expect(await all(repo, {})).toEqual(order(records));
    expect(await repo.count({}, NOW, WARN)).toBe(records.length);

    // expiringWithin: notAfter in (now, now + d]; without a status, only certificates still in use.
    for (const within of [0, H, 7 * D, 30 * D]) {
      const inRange = (r: InventoryRecord) => r.notAfter > NOW && r.notAfter <= NOW + within;
      expect(await all(repo, { expiringWithinMs: within })).toEqual(
        order(records.filter((r) => inRange(r) && r.state === 'active')),
      );
      expect(await repo.count({ expiringWithinMs: within }, NOW, WARN)).toBe(
        records.filter((r) => inRange(r) && r.state === 'active').length,
      );
      expect(await all(repo, { expiringWithinMs: within, status: ['superseded'] })).toEqual(
        order(records.filter((r) => inRange(r) && r.state === 'superseded')),
      );
    }
  });

  it('ok/SAN, issuer, source and owner filters', async () => {
    const a = record({ sans: { dns: ['API.example.test'.toLowerCase()], ip: ['10.0.0.1'], uri: [] }, source: 'scan' });
    const b = record({
      sans: { dns: [], ip: ['2001:db8::1'], uri: ['spiffe://prod/payments'] },
      issuer: 'CN=Other 100%_CA',
      source: 'acme',
      owner: { kind: 'account', id: 'acct-1' },
    });
    const c = record({
      sans: { dns: ['api.example.test', 'c.test'], ip: [], uri: [] },
      source: 'managed',
      owner: { kind: 'managed', id: 'm-1' },
    });
    for (const r of [a, b, c]) await repo.upsert(r);
    const ids = async (query: Parameters<typeof all>[1]) => (await all(repo, query)).sort();

    expect(await ids({ san: 'Api.Example.TEST' })).toEqual([a.id, c.id].sort());
    expect(await ids({ san: '2001:DB8:0::1' })).toEqual([b.id]);
    expect(await ids({ san: 'spiffe://prod/payments' })).toEqual([b.id]);
    expect(await ids({ san: 'spiffe://prod/PAYMENTS' })).toEqual([]);
    expect(await ids({ san: '10.0.0.1' })).toEqual([a.id]);
    expect(await ids({ san: 'nope.test' })).toEqual([]);
    // Issuer substring, case-insensitive; LIKE wildcards in the filter are literal.
    expect(await ids({ issuer: 'rotor intermediate' })).toEqual([a.id, c.id].sort());
    expect(await ids({ issuer: '100%_ca' })).toEqual([b.id]);
    expect(await ids({ issuer: '%' })).toEqual([b.id]);
    expect(await ids({ issuer: '_' })).toEqual([b.id]);
    expect(await ids({ source: 'managed' })).toEqual([c.id]);
    expect(await ids({ owner: { kind: 'account', id: 'acct-1' } })).toEqual([b.id]);
    expect(await ids({ owner: { kind: 'managed', id: 'acct-1' } })).toEqual([]);
    expect(await ids({ san: 'api.example.test', source: 'scan' })).toEqual([a.id]);
  });

  it('ok/cursors stay stable while rows are inserted before and after them', async () => {
    const base = Array.from({ length: 30 }, (_, i) => record({ notAfter: NOW + (i + 1) * D }));
    // Ties on notAfter are ordered by id.
    base.push(record({ notAfter: NOW + 10 * D }), record({ notAfter: NOW + 10 * D }));
    for (const r of base) await repo.upsert(r);
    const first = await repo.query({ limit: 12 }, NOW, WARN);
    expect(first.items.map((r) => r.id)).toEqual(order(base).slice(0, 12));
    const cursorAt = first.items[11].notAfter;

    // Inserted before the cursor: never shows up later. After it: shows up in order. Nothing repeats.
    const before = record({ notAfter: cursorAt - 1 });
    const after = record({ notAfter: cursorAt + 1 });
    await repo.upsert(before);
    await repo.upsert(after);
    const rest = await all(repo, { after: first.next }, 5);
    expect(rest).toEqual(order([...base, after]).slice(12));
    expect(rest).not.toContain(before.id);
    expect(new Set([...first.items.map((r) => r.id), ...rest]).size).toBe(base.length + 1);

    await expect(repo.query({ after: 'bm90LWEtY3Vyc29y' }, NOW, WARN)).rejects.toThrow(InventoryInputError);
    const last = await repo.query({ limit: 500 }, NOW, WARN);
    expect(last.next).toBeUndefined();
  });

  it('ok/supersede, supersedeSameNames and supersedeBySerial', async () => {
    const owner = { kind: 'account' as const, id: 'acct-1' };
    const sans = { dns: ['a.test', 'b.test'], ip: [], uri: [] };
    const old1 = record({ owner, sans, source: 'acme', notAfter: NOW + D });
    const old2 = record({
      owner,
      sans: { dns: ['b.test', 'a.test'], ip: [], uri: [] },
      source: 'acme',
      notAfter: NOW + 2 * D,
    });
    const otherOwner = record({ owner: { kind: 'account', id: 'acct-2' }, sans, source: 'acme', notAfter: NOW + D });
    const otherNames = record({ owner, sans: { dns: ['a.test'], ip: [], uri: [] }, source: 'acme', notAfter: NOW + D });
    const later = record({ owner, sans, source: 'acme', notAfter: NOW + 20 * D });
    const successor = record({ owner, sans, source: 'acme', notAfter: NOW + 10 * D });
    for (const r of [old1, old2, otherOwner, otherNames, later, successor]) await repo.upsert(r);

    const changed = await repo.supersedeSameNames(owner, sanKey(sans), successor.id, successor.notAfter, NOW + 5);
    expect(changed.sort()).toEqual([old1.id, old2.id].sort());
    expect(await repo.byId(old1.id)).toMatchObject({
      state: 'superseded',
      replacedBy: successor.id,
      updatedAt: NOW + 5,
    });
    for (const r of [otherOwner, otherNames, later, successor]) expect((await repo.byId(r.id))?.state).toBe('active');
    expect(await repo.supersedeSameNames(owner, sanKey(sans), successor.id, successor.notAfter, NOW)).toEqual([]);

    // Same-second issuances share a notAfter: the one recorded later wins.
    const twins = { dns: ['twin.test'], ip: [], uri: [] };
    const earlier = record({ owner, sans: twins, notAfter: NOW + 3 * D, createdAt: NOW });
    const later2 = record({ owner, sans: twins, notAfter: NOW + 3 * D, createdAt: NOW + 1 });
    await repo.upsert(earlier);
    await repo.upsert(later2);
    expect(await repo.supersedeSameNames(owner, sanKey(twins), later2.id, later2.notAfter, later2.createdAt)).toEqual([
      earlier.id,
    ]);
    // Two certificates can never supersede each other, whatever the order of the two updates: full ties go by id.
    for (const order of [0, 1]) {
      const sans2 = { dns: [`tie-${order}.test`], ip: [], uri: [] };
      const pair = [
        record({ owner, sans: sans2, notAfter: NOW + 3 * D }),
        record({ owner, sans: sans2, notAfter: NOW + 3 * D }),
      ];
      for (const r of pair) await repo.upsert(r);
      for (const r of order ? [...pair].reverse() : pair) {
        await repo.supersedeSameNames(owner, sanKey(sans2), r.id, r.notAfter, r.createdAt);
      }
      const states = await Promise.all(pair.map(async (r) => (await repo.byId(r.id))?.state));
      expect(states.filter((s) => s === 'active')).toHaveLength(1);
      const winner = pair[states.indexOf('active')];
      expect(winner.id).toBe([pair[0].id, pair[1].id].sort()[1]);
    }

    expect(await repo.supersede(otherNames.id, successor.id, NOW)).toBe(true);
    expect(await repo.supersede(otherNames.id, successor.id, NOW)).toBe(false);
    expect(await repo.supersede(successor.id, successor.id, NOW)).toBe(false);

    // RFC 9773: by serial, once; an already-superseded predecessor is still linked to the same successor.
    const next = record({ owner, sans, source: 'acme', notAfter: NOW + 30 * D });
    await repo.upsert(next);
    expect(await repo.supersedeBySerial(successor.serial, next.id, NOW + 9)).toBe(successor.id);
    expect(await repo.byId(successor.id)).toMatchObject({ state: 'superseded', replacedBy: next.id });
    expect((await repo.byId(next.id))?.replaces).toBe(successor.id);
    const rival = record({ owner, sans, source: 'acme', notAfter: NOW + 31 * D });
    await repo.upsert(rival);
    expect(await repo.supersedeBySerial(successor.serial, rival.id, NOW)).toBeNull();
    expect((await repo.byId(rival.id))?.replaces).toBeUndefined();
    expect(await repo.supersedeBySerial(old1.serial, old1.replacedBy ?? successor.id, NOW)).toBe(old1.id);
    // Imported certificates are not found by serial: serials are only unique per issuer.
    const imported = record({ source: 'import' });
    await repo.upsert(imported);
    expect(await repo.supersedeBySerial(imported.serial, next.id, NOW)).toBeNull();
  });

  it('ok/markRevoked touches only Rotor-issued certificates, once', async () => {
    const issued = record({ source: 'acme', state: 'superseded' });
    const foreign = record({ source: 'import', serial: issued.serial, notAfter: issued.notAfter + 1 });
    await repo.upsert(issued);
    await repo.upsert(foreign);
    expect((await repo.bySerial(issued.serial))?.id).toBe(issued.id);
    expect(await repo.markRevoked(issued.serial, NOW + 7)).toBe(true);
    expect(await repo.markRevoked(issued.serial, NOW + 8)).toBe(false);
    expect(await repo.byId(issued.id)).toMatchObject({ state: 'revoked', revokedAt: NOW + 7 });
    expect((await repo.byId(foreign.id))?.state).toBe('active');
    expect(await repo.markRevoked('ffff', NOW)).toBe(false);
  });

  it('ok/names are indexed for lookups and a long SAN set still stores', async () => {
    const dns = Array.from({ length: 100 }, (_, i) => `host-${i}-${'x'.repeat(200)}.example.test`);
    const r = record({
      sans: { dns, ip: [], uri: [`https://${'p'.repeat(3000)}`] },
      owner: { kind: 'account', id: 'a' },
    });
    await repo.upsert(r);
    expect(await all(repo, { san: dns[57].toUpperCase() })).toEqual([r.id]);
    expect(
      await repo.supersedeSameNames({ kind: 'account', id: 'a' }, sanKey(r.sans), fingerprint(), r.notAfter + 1, NOW),
    ).toEqual([r.id]);
    const [{ n }] = await ds.query(`SELECT COUNT(*) AS n FROM inventory_names WHERE inventory_id = '${r.id}'`);
    expect(Number(n)).toBe(100);
  });

  it('ok/recordIssued (managed issuance): one row, predecessor and same-name siblings superseded, one event', async () => {
    const events: LifecycleEvent[] = [];
    const record = new RecordIssuedCertificate(repo, { publish: async (e) => void events.push(e) }, () => NOW);
    const ca = await makeTestCertificate({ cn: 'Rotor Test Intermediate', ca: true });
    const issue = (notAfterDays: number) =>
      makeTestCertificate({
        dns: ['payments.internal'],
        uri: ['spiffe://prod/payments'],
        issuer: ca,
        notBefore: new Date(NOW - D),
        notAfter: new Date(NOW + notAfterDays * D),
      });
    const owner = { kind: 'managed' as const, id: 'm-payments' };
    const first = await issue(10);
    const r1 = await record.execute({ chainPem: first.pem + ca.pem, owner, profile: 'mtls', source: 'managed' });
    expect(r1.record).toMatchObject({
      id: first.fingerprint,
      source: 'managed',
      owner,
      profile: 'mtls',
      state: 'active',
    });
    expect(await repo.byId(first.fingerprint)).toEqual(r1.record);
    expect(r1.record.pem).toBe(first.pem.replace(/\n+$/, '\n') + ca.pem.replace(/\n+$/, '\n'));
    expect(events.map((e) => [e.type, e.subjectId])).toEqual([['certificate.issued', first.fingerprint]]);
    expect(JSON.stringify(events[0].data)).not.toMatch(/PRIVATE|BEGIN/);

    const second = await issue(20);
    const r2 = await record.execute({
      chainPem: second.pem + ca.pem,
      owner,
      profile: 'mtls',
      source: 'managed',
      replaces: first.fingerprint,
    });
    expect(r2.superseded).toEqual([first.fingerprint]);
    expect(await repo.byId(first.fingerprint)).toMatchObject({ state: 'superseded', replacedBy: second.fingerprint });
    expect((await repo.byId(second.fingerprint))?.replaces).toBe(first.fingerprint);
    expect(events.map((e) => e.type)).toEqual(['certificate.issued', 'certificate.renewed']);

    await record.execute({ chainPem: (await issue(30)).pem, owner, source: 'managed', event: false });
    expect(events).toHaveLength(2);
    expect((await repo.byId(second.fingerprint))?.state).toBe('superseded');
    await expect(record.execute({ chainPem: 'nope', owner, source: 'managed' })).rejects.toThrow(InventoryInputError);
  });

  it('ok/the migration backfills ACME certificates issued before the inventory existed', async () => {
    const old = await createTestDatabase(dialect);
    const options = { databaseUrl: old.databaseUrl, sqlitePath: old.sqlitePath };
    let ds2 = await openDataSource(options);
    try {
      // Back to the schema before the inventory, with certificates in it.
      await ds2.query('DROP TABLE inventory_names');
      await ds2.query('DROP TABLE inventory');
      await ds2.query(`DELETE FROM migrations WHERE name = 'Inventory1763800000000'`);
      const certs = new TypeOrmCertificateRepository(ds2);
      const cert = (serialHex: string, names: string[], notAfter: number, extra: Record<string, unknown> = {}) => ({
        id: serialHex,
        accountId: 'acct-1',
        orderId: `order-${serialHex}`,
        chainPem: `PEM ${serialHex}`,
        identifiers: names.map((value) => ({
          type: /^[\d.]+$/.test(value) ? ('ip' as const) : ('dns' as const),
          value,
        })),
        notBefore: notAfter - 30 * D,
        notAfter,
        status: 'valid' as const,
        spkiSha256: 'x',
        fingerprintSha256: fingerprint(),
        keyType: 'ecdsa-p256',
        profile: 'server',
        subject: `CN=${names[0]}`,
        issuer: 'CN=Rotor Intermediate',
        createdAt: notAfter - 30 * D,
        ...extra,
      });
      const renewedWithoutReplaces = cert('a1', ['a.test', '10.0.0.1'], NOW + D);
      const newest = cert('a2', ['10.0.0.1', 'a.test'], NOW + 2 * D);
      const predecessor = cert('b1', ['b.test'], NOW + D);
      const successor = cert('b2', ['b.test'], NOW + 3 * D, { replaces: 'aki.b1' });
      const revoked = cert('c1', ['c.test'], NOW + D);
      for (const c of [renewedWithoutReplaces, newest, predecessor, successor, revoked]) await certs.insert(c);
      await certs.markReplaced('b1', 'b2');
      await certs.revoke('c1', 1, NOW - 5);
      await ds2.destroy();

      ds2 = await openDataSource(options);
      const inventory = new SqlInventoryRepository(ds2);
      const get = async (c: { fingerprintSha256: string }) => inventory.byId(c.fingerprintSha256);
      expect(await get(newest)).toMatchObject({
        serial: 'a2',
        source: 'acme',
        owner: { kind: 'account', id: 'acct-1' },
        sans: { dns: ['a.test'], ip: ['10.0.0.1'], uri: [] },
        profile: 'server',
        state: 'active',
        pem: 'PEM a2',
        notAfter: NOW + 2 * D,
      });
      expect((await get(renewedWithoutReplaces))?.state).toBe('superseded');
      expect(await get(predecessor)).toMatchObject({ state: 'superseded', replacedBy: successor.fingerprintSha256 });
      expect(await get(successor)).toMatchObject({ state: 'active', replaces: predecessor.fingerprintSha256 });
      expect(await get(revoked)).toMatchObject({ state: 'revoked', revokedAt: NOW - 5 });
      const page = await inventory.query({ san: '10.0.0.1' }, NOW, WARN);
      expect(page.items.map((r) => r.serial).sort()).toEqual(['a1', 'a2']);
    } finally {
      await ds2.destroy();
      await old.drop();
    }
  });
});
