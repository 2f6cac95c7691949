/**
 * The inventory through the admin API on a real Rotor: certificates issued
 * over ACME appear with their owner, profile and names; renewals supersede
 * their predecessors (with and without RFC 9773 `replaces`); revocation
 * shows; PEM imports are tracked; and every kind of bad input is refused
 * with the right problem and stores nothing.
 */
import { createHash, X509Certificate } from 'node:crypto';
import {
  AcmeTestClient,
  b64u,
  certIdOf,
  ChallTestSrv,
  createTestDatabase,
  Http01Responder,
  startChallTestSrv,
  startRotor,
  TestDatabase,
  TestRotor,
} from '@rotor/testing';
import { makeTestCertificate } from '../../libs/lifecycle/src/inventory/spec-helpers';

jest.setTimeout(60_000);

const PROBLEM = 'application/problem+json';
const NAMES = ['inv-a.test', 'inv-b.test', 'inv-renew.test', 'inv-revoke.test'];
const DAY = 86400e3;

let dns: ChallTestSrv;
let http01: Http01Responder;
let rotor: TestRotor;
let client: AcmeTestClient;
let accountId: string;

const fingerprintOf = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');
const serialOf = (der: Uint8Array) =>
  new X509Certificate(Buffer.from(der)).serialNumber.toLowerCase().replace(/^(00)+/, '');
const list = async (query = '') => rotor.api('GET', `/api/v1/certificates${query}`);
const total = async () => (await list('?count=true&limit=1')).body.total as number;
const bySan = async (san: string) =>
  (await list(`?san=${encodeURIComponent(san)}&status=valid,expiring,expired,revoked,superseded`)).body.items;

beforeAll(async () => {
  dns = await startChallTestSrv();
  for (const name of NAMES) await dns.addA(name, ['127.0.0.1']);
  http01 = await new Http01Responder().start();
});

afterAll(async () => {
  await http01?.stop();
  await dns?.stop();
});

describe.each(['sqlite', 'postgres'] as const)('on %s', (dialect) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    rotor = await startRotor({ databaseUrl: db.databaseUrl, http01Port: http01.port, dnsResolver: dns.dnsResolver });
    client = await AcmeTestClient.create({ directoryUrl: rotor.directoryUrl, agent: rotor.agent });
    expect((await client.createAccount()).status).toBe(201);
    accountId = (client.accountUrl as string).split('/').pop() as string;
  });

  afterAll(async () => {
    await rotor?.stop();
    await db?.drop();
  });

  describe('ACME issuance is recorded', () => {
    it('ok/an issued certificate shows up with owner, profile, SANs and status', async () => {
      const issued = await client.issue(['inv-a.test', 'inv-b.test'], http01, { profile: 'mtls' });
      const id = fingerprintOf(issued.certDer);
      const items = await bySan('INV-B.test');
      expect(items).toEqual([
        expect.objectContaining({
          id,
          serial: serialOf(issued.certDer),
          status: 'valid',
          state: 'active',
          source: 'acme',
          profile: 'mtls',
          owner: { kind: 'account', id: accountId },
          sans: { dns: ['inv-a.test', 'inv-b.test'], ip: [], uri: [] },
          keyType: 'ecdsa-p256',
          notAfter: new Date(new X509Certificate(Buffer.from(issued.certDer)).validTo).toISOString(),
        }),
      ]);
      expect(items[0].issuer).toMatch(/CN=/);
      expect(items[0].pem).toBeUndefined(); // lists stay small; show carries the PEM

      // show by fingerprint (also as openssl prints it) and by serial.
      for (const key of [id, id.toUpperCase().match(/../g)!.join(':'), serialOf(issued.certDer)]) {
        const shown = await rotor.api('GET', `/api/v1/certificates/${encodeURIComponent(key)}`);
        expect(shown.status).toBe(200);
        expect(shown.body).toMatchObject({ id, source: 'acme' });
        expect(shown.body.pem).toBe(issued.chainPem);
      }
    });

    it('ok/renewals supersede the predecessor, with and without RFC 9773 replaces', async () => {
      const first = await client.issue(['inv-renew.test'], http01);
      // A client renewing without `replaces`: same account, same names → the older one is superseded.
      const second = await client.issue(['inv-renew.test'], http01);
      // With `replaces`: linked both ways.
      const third = await client.issue(['inv-renew.test'], http01, { replaces: certIdOf(second.certDer) });
      const [a, b, c] = [first, second, third].map((i) => fingerprintOf(i.certDer));
      const rows = Object.fromEntries((await bySan('inv-renew.test')).map((r: { id: string }) => [r.id, r]));
      expect(rows[a]).toMatchObject({ status: 'superseded', replacedBy: b });
      expect(rows[b]).toMatchObject({ status: 'superseded', replacedBy: c });
      expect(rows[c]).toMatchObject({ status: 'valid', replaces: b, replacedBy: null });
      const active = await list('?san=inv-renew.test&status=valid,expiring');
      expect(active.body.items.map((r: { id: string }) => r.id)).toEqual([c]);
    });

    it('ok/revocation marks the certificate revoked', async () => {
      const issued = await client.issue(['inv-revoke.test'], http01);
      const dir = await client.directory();
      expect((await client.post(dir.revokeCert, { certificate: b64u(issued.certDer), reason: 4 })).status).toBe(200);
      const shown = await rotor.api('GET', `/api/v1/certificates/${fingerprintOf(issued.certDer)}`);
      expect(shown.body).toMatchObject({ status: 'revoked', state: 'revoked' });
      expect(Date.parse(shown.body.revokedAt)).toBeGreaterThan(Date.now() - 60e3);
      expect((await list('?status=revoked')).body.items.map((r: { id: string }) => r.id)).toContain(
        fingerprintOf(issued.certDer),
      );
    });
  });

  describe('import', () => {
    it('ok/JSON import of a certificate near expiry, then the same again, then a raw PEM bundle', async () => {
      const soon = await makeTestCertificate({
        dns: ['legacy.example.test'],
        uri: ['spiffe://prod/payments'],
        ip: ['192.0.2.7'],
        cn: 'Legacy',
        notBefore: new Date(Date.now() - 88 * DAY),
        notAfter: new Date(Date.now() + 2 * DAY),
        key: 'rsa-2048',
      });
      const before = await total();
      const created = await rotor.api('POST', '/api/v1/certificates/import', { body: { pem: soon.pem } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ imported: 1, known: 0 });
      expect(created.body.items[0]).toMatchObject({
        id: soon.fingerprint,
        status: 'expiring',
        source: 'import',
        keyType: 'rsa-2048',
        owner: null,
        sans: { dns: ['legacy.example.test'], ip: ['192.0.2.7'], uri: ['spiffe://prod/payments'] },
        inserted: true,
      });
      const again = await rotor.api('POST', '/api/v1/certificates/import', { body: { pem: soon.pem } });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ imported: 0, known: 1 });
      expect(await total()).toBe(before + 1);

      const ca = await makeTestCertificate({ cn: 'Example Issuing CA', ca: true, key: 'ec-p384' });
      const leaf = await makeTestCertificate({ dns: ['bundle.example.test'], issuer: ca, key: 'ed25519' });
      const raw = await rotor.api('POST', '/api/v1/certificates/import', {
        rawBody: `# leaf\n${leaf.pem}# issuer\n${ca.pem}`,
        headers: { 'content-type': 'application/x-pem-file' },
      });
      expect(raw.status).toBe(201);
      expect(raw.body.items.map((r: { id: string; keyType: string }) => [r.id, r.keyType])).toEqual([
        [leaf.fingerprint, 'ed25519'],
        [ca.fingerprint, 'ecdsa-p384'],
      ]);

      // Filters over the imported ones.
      expect((await list('?status=expiring&source=import')).body.items.map((r: { id: string }) => r.id)).toEqual([
        soon.fingerprint,
      ]);
      expect((await list('?expiringWithin=3d&source=import')).body.items.map((r: { id: string }) => r.id)).toEqual([
        soon.fingerprint,
      ]);
      expect((await list('?san=spiffe://prod/payments')).body.items.map((r: { id: string }) => r.id)).toEqual([
        soon.fingerprint,
      ]);
      // The CA is self-signed: its issuer is its own name.
      expect((await list('?issuer=example%20issuing')).body.items.map((r: { id: string }) => r.id).sort()).toEqual(
        [leaf.fingerprint, ca.fingerprint].sort(),
      );
    });

    it('ok/pagination with limit and next is complete and ordered by notAfter', async () => {
      const all = (await list('?limit=500&status=valid,expiring,expired,revoked,superseded')).body.items;
      const seen: { id: string; notAfter: string }[] = [];
      let after = '';
      for (let i = 0; i < 100; i++) {
        const page = await list(`?limit=2&status=valid,expiring,expired,revoked,superseded${after}`);
        expect(page.status).toBe(200);
        seen.push(...page.body.items);
        if (!page.body.next) break;
        after = `&after=${page.body.next}`;
      }
      expect(seen.map((r) => r.id)).toEqual(all.map((r: { id: string }) => r.id));
      expect(seen.length).toBeGreaterThan(4);
      const times = seen.map((r) => Date.parse(r.notAfter));
      expect([...times].sort((x, y) => x - y)).toEqual(times);
    });
  });

  describe('bad input stores nothing', () => {
    let key: Awaited<ReturnType<typeof makeTestCertificate>>;
    beforeAll(async () => {
      key = await makeTestCertificate({ dns: ['bad.example.test'], key: 'ed25519' });
    });

    const imports: [
      string,
      () => { body?: unknown; rawBody?: string; headers?: Record<string, string> },
      number,
      string,
    ][] = [
      [
        'fail/malformed-pem',
        () => ({ body: { pem: '-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n' } }),
        400,
        'malformed',
      ],
      [
        'fail/pem-not-x509',
        () => ({ body: { pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' } }),
        400,
        'malformed',
      ],
      ['fail/unterminated-pem', () => ({ body: { pem: key.pem.slice(0, 200) } }), 400, 'malformed'],
      ['fail/not-pem', () => ({ body: { pem: 'hello, inventory' } }), 400, 'malformed'],
      ['fail/empty-pem', () => ({ body: { pem: '' } }), 400, 'malformed'],
      ['fail/pem-not-a-string', () => ({ body: { pem: ['x'] } }), 400, 'malformed'],
      ['fail/extra-field', () => ({ body: { pem: key.pem, owner: 'me' } }), 400, 'malformed'],
      ['fail/json-array', () => ({ body: [key.pem] }), 400, 'malformed'],
      [
        'fail/invalid-json',
        () => ({ rawBody: '{"pem":', headers: { 'content-type': 'application/json' } }),
        400,
        'malformed',
      ],
      [
        'fail/raw-pem-garbage',
        () => ({ rawBody: 'garbage', headers: { 'content-type': 'application/x-pem-file' } }),
        400,
        'malformed',
      ],
      [
        'fail/text-plain',
        () => ({ rawBody: key.pem, headers: { 'content-type': 'text/plain' } }),
        415,
        'unsupported-media-type',
      ],
      ['fail/private-key', () => ({ body: { pem: key.keyPem } }), 422, 'rejected'],
      ['fail/certificate-with-its-private-key', () => ({ body: { pem: key.pem + key.keyPem } }), 422, 'rejected'],
      [
        'fail/raw-private-key',
        () => ({ rawBody: key.keyPem, headers: { 'content-type': 'application/x-pem-file' } }),
        422,
        'rejected',
      ],
      [
        'fail/csr',
        () => ({
          body: {
            pem: `-----BEGIN CERTIFICATE REQUEST-----\n${key.keyPem.split('\n')[1]}\n-----END CERTIFICATE REQUEST-----\n`,
          },
        }),
        422,
        'rejected',
      ],
      ['fail/101-certificates', () => ({ body: { pem: key.pem.repeat(101) } }), 422, 'rejected'],
      [
        'fail/oversized-body',
        () => ({ rawBody: 'x'.repeat(70 * 1024), headers: { 'content-type': 'application/x-pem-file' } }),
        413,
        'too-large',
      ],
    ];

    it.each(imports)('%s → %i', async (_name, options, status, code) => {
      const before = await total();
      const res = await rotor.api('POST', '/api/v1/certificates/import', options());
      expect({ status: res.status, type: res.body.type }).toEqual({ status, type: `urn:rotor:problem:${code}` });
      expect(res.headers['content-type']).toContain(PROBLEM);
      // Key material sent by mistake never comes back.
      const keyBody = key.keyPem.split('\n').slice(1, -2).join('');
      expect(res.text).not.toContain(keyBody.slice(0, 24));
      expect(res.text).not.toContain('PRIVATE KEY-----');
      expect(await total()).toBe(before);
    });

    it('ok/exactly 100 certificates are accepted', async () => {
      const res = await rotor.api('POST', '/api/v1/certificates/import', { body: { pem: key.pem.repeat(100) } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ imported: 1, known: 0 }); // duplicates within one request count once
    });

    it.each([
      ['fail/status-unknown', '?status=fresh'],
      ['fail/status-one-bad-in-list', '?status=valid,nope'],
      ['fail/duration-no-number', '?expiringWithin=soon'],
      ['fail/duration-negative', '?expiringWithin=-7d'],
      ['fail/duration-unit', '?expiringWithin=7w'],
      ['fail/duration-huge', '?expiringWithin=99999999999d'],
      ['fail/cursor-garbage', '?after=not-a-cursor'],
      ['fail/cursor-tampered', `?after=${Buffer.from('1.zz').toString('base64url')}`],
      ['fail/limit-0', '?limit=0'],
      ['fail/limit-501', '?limit=501'],
      ['fail/limit-not-a-number', '?limit=ten'],
      ['fail/limit-fraction', '?limit=1.5'],
      ['fail/source-unknown', '?source=ldap'],
      ['fail/owner-malformed', '?owner=root'],
      ['fail/unknown-parameter', '?expiring=7d'],
      ['fail/empty-san', '?san='],
    ])('%s → 400 malformed', async (_name, query) => {
      const res = await list(query);
      expect({ status: res.status, type: res.body.type }).toEqual({ status: 400, type: 'urn:rotor:problem:malformed' });
      expect(res.headers['content-type']).toContain(PROBLEM);
      expect(res.body.errors?.[0]?.path).toMatch(/^query/);
    });

    it.each(['0'.repeat(64), 'ffff', 'not-hex', '%27%20OR%201%3D1', 'a'.repeat(99)])(
      'fail/unknown id %s → 404',
      async (id) => {
        const res = await rotor.api('GET', `/api/v1/certificates/${id}`);
        expect({ status: res.status, type: res.body.type }).toEqual({
          status: 404,
          type: 'urn:rotor:problem:not-found',
        });
      },
    );

    it('fail/authentication and scopes', async () => {
      const before = await total();
      const pem = (await makeTestCertificate({ dns: ['scoped.example.test'] })).pem;
      for (const token of [null, 'rotor_nope', `rotor_${'A'.repeat(43)}`]) {
        for (const [method, path] of [
          ['GET', '/api/v1/certificates'],
          ['GET', `/api/v1/certificates/${'0'.repeat(64)}`],
          ['POST', '/api/v1/certificates/import'],
        ]) {
          const res = await rotor.api(method, path, { token, body: method === 'POST' ? { pem } : undefined });
          expect({ status: res.status, type: res.body.type }).toEqual({
            status: 401,
            type: 'urn:rotor:problem:unauthorized',
          });
        }
      }
      const token = async (name: string, scopes: string[]) =>
        (await rotor.api('POST', '/api/v1/tokens', { body: { name, scopes } })).body.token as string;
      const alerts = await token('inv-alerts', ['alerts:read']);
      const reader = await token('inv-reader', ['inventory:read']);
      const writer = await token('inv-writer', ['inventory:write']);
      for (const res of [
        await rotor.api('GET', '/api/v1/certificates', { token: alerts }),
        await rotor.api('GET', `/api/v1/certificates/${'0'.repeat(64)}`, { token: alerts }),
        await rotor.api('POST', '/api/v1/certificates/import', { token: reader, body: { pem } }),
      ]) {
        expect({ status: res.status, type: res.body.type }).toEqual({
          status: 403,
          type: 'urn:rotor:problem:forbidden',
        });
      }
      expect(await total()).toBe(before);
      expect((await rotor.api('GET', '/api/v1/certificates', { token: reader })).status).toBe(200);
      // inventory:write implies inventory:read.
      expect((await rotor.api('GET', '/api/v1/certificates', { token: writer })).status).toBe(200);
      expect((await rotor.api('POST', '/api/v1/certificates/import', { token: writer, body: { pem } })).status).toBe(
        201,
      );
    });

    it('ok/openapi documents the inventory operations and their scopes', async () => {
      const doc = (await rotor.api('GET', '/api/docs', { token: null })).body;
      expect(doc.paths['/api/v1/certificates'].get.security).toEqual([{ bearer: ['inventory:read'] }]);
      expect(doc.paths['/api/v1/certificates/{id}'].get.security).toEqual([{ bearer: ['inventory:read'] }]);
      const post = doc.paths['/api/v1/certificates/import'].post;
      expect(post.security).toEqual([{ bearer: ['inventory:write'] }]);
      expect(Object.keys(post.requestBody.content)).toEqual(
        expect.arrayContaining(['application/json', 'application/x-pem-file']),
      );
      expect(doc.paths['/api/v1/certificates'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
        expect.arrayContaining(['status', 'san', 'issuer', 'expiringWithin', 'after', 'limit']),
      );
    });
  });
});
