/**
 * Sql, the driver-level path every hot-path repository uses, on SQLite and the
 * machine's PostgreSQL: atomic batches (all or nothing, `required` rolls back),
 * errors as TypeORM QueryFailedErrors, and the column encodings the TypeORM
 * entities used to write (booleans, epoch-millisecond bigints, JSON text).
 */
import type { NewOrderRecords } from '@rotor/acme';
import {
  Sql,
  TypeOrmAccountRepository,
  TypeOrmAuthorizationRepository,
  TypeOrmNonceRepository,
  TypeOrmOrderRepository,
  openDataSource,
} from '@rotor/store';
import { createTestDatabase, TestDatabase } from '@rotor/testing';
import { randomBytes } from 'node:crypto';
import { QueryFailedError, type DataSource } from 'typeorm';

import { account, id, NOW } from './fixtures';

jest.setTimeout(30_000);

function order(accountId: string, values: string[]): NewOrderRecords {
  const orderId = id();
  return {
    order: {
      id: orderId,
      accountId,
      status: 'pending',
      identifiers: values.map((value) => ({ type: 'dns', value })),
      expires: NOW + 3600e3,
      notBefore: NOW,
      profile: 'server',
      createdAt: NOW,
      updatedAt: NOW,
    },
    authorizations: values.map((value) => {
      const authzId = id();
      return {
        id: authzId,
        accountId,
        orderId,
        identifier: { type: 'dns', value },
        wildcard: value.startsWith('*.'),
        status: 'pending',
        expires: NOW + 3600e3,
        challenges: (['http-01', 'dns-01'] as const).map((type) => ({
          id: id(),
          authorizationId: authzId,
          type,
          token: id(),
          status: 'pending' as const,
        })),
      };
    }),
  };
}

describe.each(['sqlite', 'postgres'] as const)('Sql on %s', (dialect) => {
  let db: TestDatabase;
  let ds: DataSource;
  let sql: Sql;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    ds = await openDataSource({ databaseUrl: db.databaseUrl, sqlitePath: db.sqlitePath });
    sql = new Sql(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const nonceCount = async (prefix: string): Promise<number> =>
    Number((await sql.one<{ n: unknown }>('SELECT COUNT(*) AS n FROM nonces WHERE value LIKE ?', [`${prefix}%`]))?.n);

  it('ok/batch-commits-all-and-returns-each-statements-rows', async () => {
    const p = id();
    const results = await sql.batch([
      { sql: 'INSERT INTO nonces (value, expires) VALUES (?, ?)', params: [`${p}1`, NOW] },
      { sql: 'INSERT INTO nonces (value, expires) VALUES (?, ?) RETURNING value', params: [`${p}2`, NOW] },
    ]);
    expect(results).toEqual([[], [{ value: `${p}2` }]]);
    expect(await nonceCount(p)).toBe(2);
  });

  it('ok/batch-rolls-back-when-a-required-statement-touches-nothing', async () => {
    const p = id();
    const results = await sql.batch([
      { sql: 'INSERT INTO nonces (value, expires) VALUES (?, ?)', params: [`${p}1`, NOW] },
      { sql: 'DELETE FROM nonces WHERE value = ? RETURNING value', params: [`${p}-missing`], required: true },
    ]);
    expect(results).toBeNull();
    expect(await nonceCount(p)).toBe(0);
  });

  it('err/batch-rolls-back-on-error-with-a-query-failed-error', async () => {
    const p = id();
    await expect(
      sql.batch([
        { sql: 'INSERT INTO nonces (value, expires) VALUES (?, ?)', params: [`${p}1`, NOW] },
        { sql: 'INSERT INTO nonces (value, expires) VALUES (?, ?)', params: [`${p}1`, NOW] },
      ]),
    ).rejects.toBeInstanceOf(QueryFailedError);
    expect(await nonceCount(p)).toBe(0);
    // The connection (SQLite) or pooled client (PostgreSQL) is usable afterwards.
    expect(await sql.rows('SELECT 1 AS one', [])).toEqual([{ one: 1 }]);
  });

  it('err/statement-errors-are-query-failed-errors', async () => {
    await expect(sql.rows('SELECT nope FROM nonces', [])).rejects.toBeInstanceOf(QueryFailedError);
    await expect(sql.one('SELEC 1', [])).rejects.toBeInstanceOf(QueryFailedError);
    const accounts = new TypeOrmAccountRepository(ds);
    const a = account();
    await accounts.insert(a);
    await expect(accounts.insert(account({ thumbprint: a.thumbprint }))).rejects.toBeInstanceOf(QueryFailedError);
  });

  it('ok/concurrent-batches-and-statements-do-not-interleave', async () => {
    // Many batches and single statements in flight at once: every batch lands whole.
    const p = id();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => [
        sql
          .batch([
            { sql: 'INSERT INTO nonces (value, expires) VALUES (?, ?)', params: [`${p}a${i}`, NOW] },
            { sql: 'INSERT INTO nonces (value, expires) VALUES (?, ?)', params: [`${p}a${i}`, NOW] },
          ])
          .catch(() => 'failed'),
        sql.rows('INSERT INTO nonces (value, expires) VALUES (?, ?)', [`${p}b${i}`, NOW]),
      ]).flat(),
    );
    expect(await nonceCount(`${p}a`)).toBe(0);
    expect(await nonceCount(`${p}b`)).toBe(20);
  });

  it('ok/write-together-is-atomic', async () => {
    const accounts = new TypeOrmAccountRepository(ds);
    const orders = new TypeOrmOrderRepository(ds);
    const a = account();
    await accounts.insert(a);
    const records = order(a.id, ['a.example.test', '*.b.example.test']);
    await orders.insertWithAuthorizations(records);
    // The same challenge ids again under a new order: the whole order is refused, nothing of it lands.
    const again = order(a.id, ['c.example.test']);
    again.authorizations[0].challenges[0].id = records.authorizations[0].challenges[0].id;
    await expect(orders.insertWithAuthorizations(again)).rejects.toBeInstanceOf(QueryFailedError);
    expect(await orders.byId(again.order.id)).toBeNull();
    expect(await new TypeOrmAuthorizationRepository(ds).byOrder(again.order.id)).toEqual([]);

    expect(await orders.byId(records.order.id)).toEqual({
      ...records.order,
      notAfter: undefined,
      replaces: undefined,
      error: undefined,
      csr: undefined,
      certificateId: undefined,
    });
    const authzs = await new TypeOrmAuthorizationRepository(ds).byOrder(records.order.id);
    expect(authzs.map((z) => [z.identifier.value, z.wildcard, z.challenges.length])).toEqual([
      ['*.b.example.test', true, 2],
      ['a.example.test', false, 2],
    ]);
  });

  it('ok/columns-are-encoded-as-the-typeorm-entities-wrote-them', async () => {
    const accounts = new TypeOrmAccountRepository(ds);
    const a = account();
    await accounts.insert(a);
    const raw = await sql.one<Record<string, unknown>>(
      'SELECT terms_of_service_agreed, created_at, jwk, eab_key_id FROM accounts WHERE id = ?',
      [a.id],
    );
    expect(raw).toEqual({
      terms_of_service_agreed: dialect === 'postgres' ? true : 1,
      created_at: dialect === 'postgres' ? String(NOW) : NOW,
      jwk: JSON.stringify(a.jwk),
      eab_key_id: null,
    });
    if (dialect === 'sqlite') {
      // Epoch milliseconds are stored as INTEGER, not text or real.
      const types = await sql.one('SELECT typeof(created_at) AS t FROM accounts WHERE id = ?', [a.id]);
      expect(types).toEqual({ t: 'integer' });
    }
  });

  it('ok/account-update-changes-only-what-the-patch-sets', async () => {
    const accounts = new TypeOrmAccountRepository(ds);
    const a = account();
    await accounts.insert(a);
    const jwk = { kty: 'EC', crv: 'P-256', x: id(), y: id() };
    await accounts.update(a.id, { jwk, thumbprint: 'new-thumbprint-' + a.id });
    expect(await accounts.byId(a.id)).toEqual({ ...a, jwk, thumbprint: 'new-thumbprint-' + a.id, eabKeyId: undefined });
    await accounts.update(a.id, { contact: ['mailto:b@example.test'] });
    expect(await accounts.byId(a.id)).toMatchObject({ status: 'valid', jwk, contact: ['mailto:b@example.test'] });
  });

  it('ok/nonce-batches-insert-in-one-statement-and-each-nonce-is-single-use', async () => {
    const nonces = new TypeOrmNonceRepository(ds);
    const values = Array.from({ length: 64 }, () => randomBytes(16).toString('base64url'));
    await nonces.insertMany(values, NOW + 1000);
    const consumed = await Promise.all([...values, ...values].map((v) => nonces.consume(v, NOW)));
    expect(consumed.filter(Boolean)).toHaveLength(64);
    expect(await nonces.consume(values[0], NOW)).toBe(false);
  });
});
