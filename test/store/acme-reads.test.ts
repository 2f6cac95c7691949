/**
 * The single-statement reads of the ACME hot path (authorization + challenges
 * in one JOIN, certificate by serial in plain SQL) return exactly what was
 * written, on SQLite and on the machine's PostgreSQL.
 */
import type { Authorization, IssuedCertificateRecord, Order } from '@rotor/acme';
import {
  TypeOrmAccountRepository,
  TypeOrmAuthorizationRepository,
  TypeOrmCertificateRepository,
  TypeOrmOrderRepository,
  openDataSource,
} from '@rotor/store';
import { createTestDatabase, TestDatabase } from '@rotor/testing';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

import { id, NOW } from './fixtures';

jest.setTimeout(30_000);

function authorization(accountId: string, orderId: string, value: string, wildcard: boolean): Authorization {
  const authzId = id();
  // Stored in an order the read must not depend on; read back as http-01, dns-01, tls-alpn-01.
  const types = wildcard ? (['dns-01'] as const) : (['tls-alpn-01', 'dns-01', 'http-01'] as const);
  return {
    id: authzId,
    accountId,
    orderId,
    identifier: { type: 'dns', value },
    wildcard,
    status: 'pending',
    expires: NOW + 3600e3,
    challenges: types.map((type) => ({ id: id(), authorizationId: authzId, type, token: id(), status: 'pending' })),
  };
}

const sorted = (a: Authorization): Authorization => ({
  ...a,
  challenges: [...a.challenges].sort(
    (x, y) =>
      ['http-01', 'dns-01', 'tls-alpn-01'].indexOf(x.type) - ['http-01', 'dns-01', 'tls-alpn-01'].indexOf(y.type),
  ),
});

describe.each(['sqlite', 'postgres'] as const)('ACME reads on %s', (dialect) => {
  let db: TestDatabase;
  let ds: DataSource;
  let accountId: string;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    ds = await openDataSource({ databaseUrl: db.databaseUrl, sqlitePath: db.sqlitePath });
    accountId = id();
    await new TypeOrmAccountRepository(ds).insert({
      id: accountId,
      status: 'valid',
      jwk: { kty: 'EC', crv: 'P-256', x: id(), y: id() },
      thumbprint: id(),
      contact: [],
      termsOfServiceAgreed: true,
      createdAt: NOW,
    });
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('ok/authorizations-with-challenges-in-one-statement', async () => {
    const orderId = id();
    const order: Order = {
      id: orderId,
      accountId,
      status: 'pending',
      identifiers: [
        { type: 'dns', value: 'b.example.test' },
        { type: 'dns', value: 'a.example.test' },
        { type: 'dns', value: '*.a.example.test' },
      ],
      expires: NOW + 3600e3,
      profile: 'server',
      createdAt: NOW,
      updatedAt: NOW,
    };
    const authzs = [
      authorization(accountId, orderId, 'b.example.test', false),
      authorization(accountId, orderId, 'a.example.test', false),
      authorization(accountId, orderId, 'a.example.test', true),
    ];
    await new TypeOrmOrderRepository(ds).insertWithAuthorizations({ order, authorizations: authzs });
    const repo = new TypeOrmAuthorizationRepository(ds);
    const error = { type: 'urn:ietf:params:acme:error:dns', detail: 'NXDOMAIN', status: 400 };
    const failed = authzs[1].challenges.find((c) => c.type === 'dns-01')?.id as string;
    expect(await repo.transitionChallenge(failed, ['pending'], 'invalid', { validated: NOW, error })).toBe(true);
    const expected = authzs.map(sorted);
    const dns = expected[1].challenges.find((c) => c.id === failed) as (typeof expected)[0]['challenges'][0];
    Object.assign(dns, { status: 'invalid', validated: NOW, error });

    // Ordered by identifier value; the two authorizations for a.example.test keep their challenges apart.
    const byOrder = await repo.byOrder(orderId);
    expect(byOrder.map((a) => a.identifier.value)).toEqual(['a.example.test', 'a.example.test', 'b.example.test']);
    expect(new Set(byOrder.map((a) => a.id))).toEqual(new Set(authzs.map((a) => a.id)));
    for (const a of byOrder) expect(a).toEqual(expected.find((e) => e.id === a.id));

    for (const a of expected) {
      expect(await repo.byId(a.id)).toEqual(a);
      expect(await repo.byChallengeId(a.challenges[a.challenges.length - 1].id)).toEqual(a);
    }
    expect(await repo.byId('nope')).toBeNull();
    expect(await repo.byChallengeId('nope')).toBeNull();
    expect(await repo.byOrder('nope')).toEqual([]);
  });

  it('ok/authorization-without-challenges-is-still-found', async () => {
    const authz = authorization(accountId, id(), 'c.example.test', false);
    await ds.query(
      dialect === 'postgres'
        ? 'INSERT INTO authorizations (id, account_id, order_id, identifier_type, identifier_value, wildcard, status, expires) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)'
        : 'INSERT INTO authorizations (id, account_id, order_id, identifier_type, identifier_value, wildcard, status, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [authz.id, accountId, authz.orderId, 'dns', 'c.example.test', false, 'valid', String(authz.expires)],
    );
    expect(await new TypeOrmAuthorizationRepository(ds).byId(authz.id)).toEqual({
      ...authz,
      status: 'valid',
      challenges: [],
    });
  });

  it('ok/certificate-round-trip', async () => {
    const repo = new TypeOrmCertificateRepository(ds);
    const record: IssuedCertificateRecord = {
      id: randomBytes(17).toString('hex'),
      accountId,
      orderId: id(),
      chainPem: '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n',
      identifiers: [
        { type: 'dns', value: 'a.example.test' },
        { type: 'ip', value: '192.0.2.1' },
      ],
      notBefore: NOW,
      notAfter: NOW + 86_400_000,
      status: 'valid',
      spkiSha256: id(),
      fingerprintSha256: randomBytes(32).toString('hex'),
      keyType: 'ecdsa-p256',
      profile: 'default',
      subject: 'CN=a.example.test',
      issuer: 'O=Rotor, CN=Rotor Intermediate CA',
      replaces: 'aki.serial',
      createdAt: NOW,
    };
    await repo.insert(record);
    expect(await repo.byId(record.id)).toEqual(record);
    expect(await repo.revoke(record.id, 4, NOW + 5)).toBe(true);
    expect(await repo.markReplaced(record.id, 'abcd')).toBe(true);
    expect(await repo.byId(record.id)).toEqual({
      ...record,
      status: 'revoked',
      revokedAt: NOW + 5,
      revocationReason: 4,
      replacedBy: 'abcd',
    });
    expect(await repo.byId('00')).toBeNull();
  });
});
