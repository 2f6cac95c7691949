/**
 * Store tests on both real databases: the embedded SQLite file and the
 * machine's PostgreSQL. Every conditional write (the guarantees replicas rely
 * on) is exercised here, not mocked.
 */
import type { Authorization, Order } from '@rotor/acme';
import { KeySealer } from '@rotor/pki';
import {
  SqlRateLimitRepository,
  TypeOrmAccountRepository,
  TypeOrmAuthorizationRepository,
  TypeOrmCaMaterialStore,
  TypeOrmCertificateRepository,
  TypeOrmCrlStore,
  TypeOrmEabKeyRepository,
  TypeOrmNonceRepository,
  TypeOrmOrderRepository,
  openDataSource,
} from '@rotor/store';
import { createTestDatabase, TestDatabase } from '@rotor/testing';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { migrations } from '../../migrations';

import { account, id, NOW } from './fixtures';

jest.setTimeout(30_000);

function orderWithAuthz(accountId: string): { order: Order; authorizations: Authorization[] } {
  const orderId = id();
  const authzId = id();
  return {
    order: {
      id: orderId,
      accountId,
      status: 'pending',
      identifiers: [{ type: 'dns', value: 'a.example.test' }],
      expires: NOW + 3600e3,
      profile: 'server',
      createdAt: NOW,
      updatedAt: NOW,
    },
    authorizations: [
      {
        id: authzId,
        accountId,
        orderId,
        identifier: { type: 'dns', value: 'a.example.test' },
        wildcard: false,
        status: 'pending',
        expires: NOW + 3600e3,
        challenges: (['tls-alpn-01', 'http-01', 'dns-01'] as const).map((type) => ({
          id: id(),
          authorizationId: authzId,
          type,
          token: id(),
          status: 'pending' as const,
        })),
      },
    ],
  };
}

describe.each(['sqlite', 'postgres'] as const)('store on %s', (dialect) => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    ds = await openDataSource({ databaseUrl: db.databaseUrl, sqlitePath: db.sqlitePath });
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('ok/migrations-are-idempotent-on-reopen', async () => {
    const again = await openDataSource({ databaseUrl: db.databaseUrl, sqlitePath: db.sqlitePath });
    const rows = await again.query('SELECT name FROM migrations ORDER BY timestamp');
    await again.destroy();
    // Each migration ran exactly once, in order, whatever the number of opens.
    expect(rows.map((r: { name: string }) => r.name)).toEqual(migrations.map((m) => new m().name));
  });

  it('ok/account-round-trip-and-unique-thumbprint', async () => {
    const accounts = new TypeOrmAccountRepository(ds);
    const a = account();
    await accounts.insert(a);
    expect(await accounts.byId(a.id)).toEqual({ ...a, eabKeyId: undefined });
    expect((await accounts.byThumbprint(a.thumbprint))?.id).toBe(a.id);
    await expect(accounts.insert(account({ thumbprint: a.thumbprint }))).rejects.toThrow();
    await accounts.update(a.id, { status: 'deactivated', contact: [] });
    expect(await accounts.byId(a.id)).toMatchObject({ status: 'deactivated', contact: [] });
  });

  it('ok/order-with-authorizations-and-conditional-transitions', async () => {
    const accounts = new TypeOrmAccountRepository(ds);
    const orders = new TypeOrmOrderRepository(ds);
    const authzs = new TypeOrmAuthorizationRepository(ds);
    const a = account();
    await accounts.insert(a);
    const records = orderWithAuthz(a.id);
    await orders.insertWithAuthorizations(records);

    const [authz] = await authzs.byOrder(records.order.id);
    expect(authz.identifier).toEqual({ type: 'dns', value: 'a.example.test' });
    expect(authz.challenges.map((c) => c.type)).toEqual(['http-01', 'dns-01', 'tls-alpn-01']);
    const challengeId = authz.challenges[0].id;
    expect((await authzs.byChallengeId(challengeId))?.id).toBe(authz.id);

    // Two replicas race on the same transition: exactly one wins.
    const results = await Promise.all([
      authzs.transitionChallenge(challengeId, ['pending'], 'processing'),
      authzs.transitionChallenge(challengeId, ['pending'], 'processing'),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await authzs.listProcessingChallenges(10)).toEqual([expect.objectContaining({ id: challengeId })]);
    const error = { type: 'urn:ietf:params:acme:error:connection', detail: 'refused', status: 400 };
    expect(await authzs.transitionChallenge(challengeId, ['processing'], 'invalid', { error })).toBe(true);
    expect((await authzs.byId(authz.id))?.challenges[0].error).toEqual(error);

    expect(await orders.transition(records.order.id, ['ready'], 'processing')).toBe(false);
    expect(await orders.transition(records.order.id, ['pending'], 'processing', { csr: 'abc' }, NOW)).toBe(true);
    expect(await orders.listProcessing(NOW + 1, 10)).toEqual([
      expect.objectContaining({ id: records.order.id, csr: 'abc' }),
    ]);
    expect(await orders.listIdsByAccount(a.id, { limit: 10, now: NOW })).toEqual([records.order.id]);
    expect(await orders.listIdsByAccount(a.id, { after: records.order.id, limit: 10, now: NOW })).toEqual([]);
    expect(await orders.listIdsByAccount(a.id, { limit: 10, now: NOW + 7200e3 })).toEqual([]); // expired
  });

  it('ok/account lookup redeems the nonce in the same call, whatever it finds', async () => {
    const nonces = new TypeOrmNonceRepository(ds);
    const accounts = new TypeOrmAccountRepository(ds);
    const a = account();
    await accounts.insert(a);
    await nonces.insertMany(['redeem-0000000000001', 'redeem-0000000000002', 'redeem-0000000000003'], NOW + 1000);
    const found = await accounts.byIdRedeemingNonce(a.id, 'redeem-0000000000001', NOW);
    expect(found.nonceValid).toBe(true);
    expect(found.account).toEqual(await accounts.byId(a.id));
    expect(await accounts.byIdRedeemingNonce(a.id, 'redeem-0000000000001', NOW)).toEqual({
      nonceValid: false,
      account: found.account,
    });
    expect(await accounts.byIdRedeemingNonce('no-such-account', 'redeem-0000000000002', NOW)).toEqual({
      nonceValid: true,
      account: null,
    });
    expect(await nonces.consume('redeem-0000000000002', NOW)).toBe(false); // consumed even without an account
    expect((await accounts.byIdRedeemingNonce(a.id, 'redeem-0000000000003', NOW + 1000)).nonceValid).toBe(false);
  });

  it('ok/nonces-are-single-use-and-expire', async () => {
    const nonces = new TypeOrmNonceRepository(ds);
    await nonces.insertMany(['nonce-live-0000000001'], NOW + 1000);
    await nonces.insertMany(['nonce-dead-0000000001'], NOW - 1);
    const [first, second] = await Promise.all([
      nonces.consume('nonce-live-0000000001', NOW),
      nonces.consume('nonce-live-0000000001', NOW),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(await nonces.consume('nonce-dead-0000000001', NOW)).toBe(false);
    expect(await nonces.consume('never-issued-000000001', NOW)).toBe(false);
    await nonces.insertMany(['nonce-old-00000000001'], NOW - 5);
    expect(await nonces.purgeExpired(NOW)).toBeGreaterThanOrEqual(1);
  });

  it('ok/token-bucket-limits-and-refills', async () => {
    const limits = new SqlRateLimitRepository(ds);
    const key = `ip:${id()}`;
    const takes = [];
    for (let i = 0; i < 4; i++) takes.push(await limits.take(key, 1, 3, NOW));
    expect(takes.slice(0, 3)).toEqual([0, 0, 0]);
    expect(takes[3]).toBeGreaterThanOrEqual(1);
    expect(await limits.take(key, 1, 3, NOW + 1500)).toBe(0); // 1.5 tokens refilled
    expect(await limits.take(key, 1, 3, NOW + 1600)).toBeGreaterThan(0);
  });

  it('ok/token-bucket-takes-several-tokens-only-when-all-are-there', async () => {
    const limits = new SqlRateLimitRepository(ds);
    const key = `ip:${id()}`;
    expect(await limits.take(key, 1, 10, NOW, 4)).toBe(0); // a new bucket starts full: 6 left
    expect(await limits.take(key, 1, 10, NOW, 4)).toBe(0); // 2 left
    expect(await limits.take(key, 1, 10, NOW, 4)).toBe(2); // 2 short at 1 token/s
    expect(await limits.take(key, 1, 10, NOW, 2)).toBe(0); // the refused take changed nothing
    expect(await limits.take(key, 1, 10, NOW, 1)).toBeGreaterThan(0);
    expect(await limits.take(key, 1, 10, NOW + 3000, 3)).toBe(0); // refilled 3
  });

  it('ok/certificate-revoke-and-replace-are-conditional', async () => {
    const certs = new TypeOrmCertificateRepository(ds);
    const serial = randomBytes(16).toString('hex');
    await certs.insert({
      id: serial,
      accountId: 'acct',
      orderId: 'ord',
      chainPem: 'PEM',
      identifiers: [{ type: 'ip', value: '127.0.0.1' }],
      notBefore: NOW,
      notAfter: NOW + 86400e3,
      status: 'valid',
      spkiSha256: 'spki',
      fingerprintSha256: 'fp',
      keyType: 'ecdsa-p256',
      profile: 'server',
      subject: '',
      issuer: 'CN=Rotor',
      createdAt: NOW,
    });
    expect((await certs.byId(serial))?.identifiers).toEqual([{ type: 'ip', value: '127.0.0.1' }]);
    expect(await certs.revoke(serial, 4, NOW)).toBe(true);
    expect(await certs.revoke(serial, 1, NOW)).toBe(false);
    expect(await certs.listRevoked()).toContainEqual({ id: serial, revokedAt: NOW, revocationReason: 4 });
    expect(await certs.markReplaced(serial, 'next1')).toBe(true);
    expect(await certs.markReplaced(serial, 'next2')).toBe(false);
  });

  it('ok/eab-keys-are-sealed-and-bind-once', async () => {
    const sealer = KeySealer.fromMasterKey(randomBytes(32).toString('base64'));
    const eab = new TypeOrmEabKeyRepository(ds, sealer);
    const hmacKey = randomBytes(32);
    await eab.create({ id: 'kid-1', hmacKey, allowedDnsSuffixes: ['example.test'], createdAt: NOW });
    const [row] = await ds.query("SELECT hmac_key_sealed FROM eab_keys WHERE id = 'kid-1'");
    expect(row.hmac_key_sealed).not.toContain(hmacKey.toString('base64'));
    expect(Buffer.from((await eab.byId('kid-1'))!.hmacKey)).toEqual(hmacKey);
    expect(await eab.bind('kid-1', 'acct-1')).toBe(true);
    expect(await eab.bind('kid-1', 'acct-2')).toBe(false);
    expect((await eab.list())[0]).toMatchObject({ id: 'kid-1', boundAccountId: 'acct-1' });
  });

  it('ok/ca-material-first-writer-wins-and-crl-numbers-are-unique', async () => {
    const ca = new TypeOrmCaMaterialStore(ds);
    const material = (n: string) => ({
      algorithm: 'ecdsa-p256' as const,
      rootCertPem: `root-${n}`,
      intermediateCertPem: `int-${n}`,
      intermediateKeySealed: `sealed-${n}`,
    });
    const [a, b] = await Promise.all([ca.saveIfAbsent(material('a')), ca.saveIfAbsent(material('b'))]);
    expect(a).toEqual(b);
    const crls = new TypeOrmCrlStore(ds);
    expect(await crls.publish({ number: 1, der: Buffer.from('one'), thisUpdate: NOW, nextUpdate: NOW + 1 })).toBe(true);
    expect(await crls.publish({ number: 1, der: Buffer.from('two'), thisUpdate: NOW, nextUpdate: NOW + 1 })).toBe(
      false,
    );
    expect((await crls.latest())?.der.toString()).toBe('one');
  });
});
