/**
 * Managed certificates through the admin API on a real Rotor (SQLite,
 * in-process engine): declare, issue, show, update, renew, delete, apply a
 * YAML manifest idempotently; scopes; and every kind of bad input refused
 * with the right problem type, storing nothing.
 */
import { startRotor, TestRotor } from '@rotor/testing';
import { eventually } from '../renewal/support';

jest.setTimeout(60_000);

const PROBLEM = 'application/problem+json';
const YAML = { 'content-type': 'application/yaml' };

const MANIFEST = `apiVersion: rotor/v1
kind: ManagedCertificate
metadata: { name: fleet-a }
spec: { dnsNames: [a.fleet.internal], lifetime: 2h }
---
apiVersion: rotor/v1
kind: ManagedCertificate
metadata: { name: fleet-b }
spec: { dnsNames: [b.fleet.internal], uris: ["spiffe://prod/b"], lifetime: 2h, profile: client }
`;

let rotor: TestRotor;

beforeAll(async () => {
  rotor = await startRotor({ renewalSweepInterval: '500ms' });
});

afterAll(async () => {
  await rotor?.stop();
});

const names = async (): Promise<string[]> =>
  ((await rotor.api('GET', '/api/v1/managed')).body.items as { name: string }[]).map((m) => m.name);

describe('managed certificates API', () => {
  it('ok/declare, issue, show, update, renew, delete', async () => {
    const created = await rotor.api('POST', '/api/v1/managed', {
      body: { name: 'web', dnsNames: ['web.internal'], ips: ['10.0.0.5', '2001:DB8::1'], lifetime: '1h' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'web',
      ips: ['10.0.0.5', '2001:db8::1'],
      profile: 'server',
      keyType: 'ecdsa-p256',
      lifetime: '1h',
      status: 'pending',
    });
    const issued = await eventually(
      async () => {
        const shown = await rotor.api('GET', '/api/v1/managed/web');
        return shown.body.generation === 1 && shown.body;
      },
      15_000,
      'issuance',
    );
    expect(issued.current).toMatchObject({ keyType: 'ecdsa-p256' });
    expect(issued.renewals).toHaveLength(1);
    expect(JSON.stringify(issued)).not.toMatch(/PRIVATE KEY|keySealed|v1\./);
    const cert = await rotor.api('GET', `/api/v1/certificates/${issued.currentId}`);
    expect(cert.body).toMatchObject({ source: 'managed', owner: { kind: 'managed', id: issued.id }, state: 'active' });

    const same = await rotor.api('PUT', '/api/v1/managed/web', {
      body: { dnsNames: ['web.internal'], ips: ['10.0.0.5', '2001:db8::1'], lifetime: '1h' },
    });
    expect(same).toMatchObject({ status: 200, body: { changed: false } });
    const changed = await rotor.api('PUT', '/api/v1/managed/web', {
      body: { name: 'web', dnsNames: ['web.internal', 'www.internal'], lifetime: '1h' },
    });
    expect(changed).toMatchObject({ status: 200, body: { changed: true, dnsNames: ['web.internal', 'www.internal'] } });
    await eventually(
      async () => (await rotor.api('GET', '/api/v1/managed/web')).body.generation === 2,
      15_000,
      're-issue',
    );

    expect((await rotor.api('POST', '/api/v1/managed/web/renew')).status).toBe(202);
    await eventually(
      async () => (await rotor.api('GET', '/api/v1/managed/web')).body.generation === 3,
      15_000,
      'renewal',
    );

    expect((await rotor.api('DELETE', '/api/v1/managed/web')).status).toBe(204);
    expect((await rotor.api('GET', '/api/v1/managed/web')).status).toBe(404);
    // The certificate it had stays tracked until it expires.
    expect((await rotor.api('GET', `/api/v1/certificates/${issued.currentId}`)).status).toBe(200);
  });

  it('ok/a 253-character name works in paths', async () => {
    const name = `${'n'.repeat(249)}.xyz`;
    expect((await rotor.api('POST', '/api/v1/managed', { body: { name, dnsNames: ['long.internal'] } })).status).toBe(
      201,
    );
    expect((await rotor.api('GET', `/api/v1/managed/${name}`)).body.name).toBe(name);
    expect((await rotor.api('DELETE', `/api/v1/managed/${name}`)).status).toBe(204);
  });

  it("ok/lists with a cursor, including Rotor's own certificate", async () => {
    for (const n of ['page-1', 'page-2', 'page-3']) {
      expect(
        (await rotor.api('POST', '/api/v1/managed', { body: { name: n, dnsNames: [`${n}.internal`] } })).status,
      ).toBe(201);
    }
    const first = await rotor.api('GET', '/api/v1/managed?limit=2');
    expect(first.body.items).toHaveLength(2);
    const rest = await rotor.api('GET', `/api/v1/managed?limit=500&after=${first.body.next}`);
    const all = [...first.body.items, ...rest.body.items].map((m: { name: string }) => m.name);
    expect(all).toEqual(expect.arrayContaining(['page-1', 'page-2', 'page-3', 'rotor-server']));
    expect(new Set(all).size).toBe(all.length);
    for (const n of ['page-1', 'page-2', 'page-3']) await rotor.api('DELETE', `/api/v1/managed/${n}`);
  });

  it('ok/apply is idempotent, dry-run changes nothing, prune deletes', async () => {
    const dry = await rotor.api('POST', '/api/v1/apply?dryRun=true', { rawBody: MANIFEST, headers: YAML });
    expect(dry.body).toEqual({
      items: [
        { name: 'fleet-a', action: 'created' },
        { name: 'fleet-b', action: 'created' },
      ],
      dryRun: true,
    });
    expect(await names()).not.toContain('fleet-a');
    const first = await rotor.api('POST', '/api/v1/apply', { rawBody: MANIFEST, headers: YAML });
    expect(first.body.items.map((i: { action: string }) => i.action)).toEqual(['created', 'created']);
    const before = (await rotor.api('GET', '/api/v1/managed/fleet-b')).body;
    const second = await rotor.api('POST', '/api/v1/apply', { rawBody: MANIFEST, headers: YAML });
    expect(second.body.items).toEqual([
      { name: 'fleet-a', action: 'unchanged' },
      { name: 'fleet-b', action: 'unchanged' },
    ]);
    const after = (await rotor.api('GET', '/api/v1/managed/fleet-b')).body;
    expect(after.updatedAt).toBe(before.updatedAt);
    // JSON is accepted too (one document here), and prune removes what the manifest no longer names.
    const json = {
      apiVersion: 'rotor/v1',
      kind: 'ManagedCertificate',
      metadata: { name: 'fleet-a' },
      spec: { dnsNames: ['a.fleet.internal'], lifetime: '2h' },
    };
    const pruned = await rotor.api('POST', '/api/v1/apply?prune=true', { body: json });
    expect(pruned.body.items).toEqual([
      { name: 'fleet-a', action: 'unchanged' },
      { name: 'fleet-b', action: 'deleted' },
    ]);
    expect(await names()).toEqual(expect.arrayContaining(['fleet-a', 'rotor-server']));
    expect(await names()).not.toContain('fleet-b');
  });

  it('ok/scopes: managed:read may read, not write', async () => {
    const token = (await rotor.api('POST', '/api/v1/tokens', { body: { name: 'reader', scopes: ['managed:read'] } }))
      .body.token as string;
    expect((await rotor.api('GET', '/api/v1/managed', { token })).status).toBe(200);
    const refused = await rotor.api('POST', '/api/v1/managed', {
      token,
      body: { name: 'x', dnsNames: ['x.internal'] },
    });
    expect(refused.status).toBe(403);
    expect((await rotor.api('GET', '/api/v1/managed', { token: null })).status).toBe(401);
  });

  const json = (body: unknown) => ({ body });
  it.each([
    [
      'fail/not-json',
      { rawBody: 'name: x', headers: { 'content-type': 'text/plain' } },
      415,
      'unsupported-media-type',
      undefined,
    ],
    [
      'fail/invalid-json',
      { rawBody: '{"name": ', headers: { 'content-type': 'application/json' } },
      400,
      'malformed',
      undefined,
    ],
    ['fail/not-an-object', json(['web']), 400, 'malformed', ''],
    ['fail/missing-name', json({ dnsNames: ['a.internal'] }), 400, 'malformed', 'name'],
    ['fail/unknown-field', json({ name: 'u', dnsName: ['a.internal'] }), 400, 'malformed', ''],
    [
      'fail/invalid-duration',
      json({ name: 'd', dnsNames: ['a.internal'], lifetime: '5 minutes' }),
      400,
      'malformed',
      'lifetime',
    ],
    [
      'fail/lifetime-too-short',
      json({ name: 'd', dnsNames: ['a.internal'], lifetime: '59s' }),
      422,
      'rejected',
      'lifetime',
    ],
    [
      'fail/lifetime-over-max',
      json({ name: 'd', dnsNames: ['a.internal'], lifetime: '91d' }),
      422,
      'rejected',
      'lifetime',
    ],
    ['fail/no-names', json({ name: 'n' }), 422, 'rejected', 'dnsNames'],
    ['fail/bad-dns', json({ name: 'n', dnsNames: ['ok.internal', '-bad.internal'] }), 422, 'rejected', 'dnsNames[1]'],
    ['fail/wildcard', json({ name: 'n', dnsNames: ['*.internal.example'] }), 422, 'rejected', 'dnsNames[0]'],
    ['fail/garbage-ip', json({ name: 'n', ips: ['10.0.0.300'] }), 422, 'rejected', 'ips[0]'],
    ['fail/multicast-ip', json({ name: 'n', ips: ['ff02::1'] }), 422, 'rejected', 'ips[0]'],
    ['fail/uri-scheme', json({ name: 'n', uris: ['http://a.internal/'] }), 422, 'rejected', 'uris[0]'],
    ['fail/spiffe-without-path', json({ name: 'n', uris: ['spiffe://prod'] }), 422, 'rejected', 'uris[0]'],
    ['fail/bad-name', json({ name: 'Web Server', dnsNames: ['a.internal'] }), 422, 'rejected', 'name'],
    [
      'fail/bad-key-type',
      json({ name: 'k', dnsNames: ['a.internal'], keyType: 'dsa-1024' }),
      400,
      'malformed',
      'keyType',
    ],
    ['fail/reserved-name', json({ name: 'rotor-server', dnsNames: ['a.internal'] }), 409, 'conflict', undefined],
  ])('%s', async (_label, request, status, type, path) => {
    const before = await names();
    const response = await rotor.api('POST', '/api/v1/managed', request as object);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.body.type).toBe(`urn:rotor:problem:${type}`);
    if (path !== undefined) expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await names()).toEqual(before);
  });

  it('fail/too-many-sans', async () => {
    const before = await names();
    const dnsNames = Array.from({ length: 101 }, (_, i) => `n${i}.internal`);
    const response = await rotor.api('POST', '/api/v1/managed', { body: { name: 'wide', dnsNames } });
    expect(response).toMatchObject({ status: 422, body: { type: 'urn:rotor:problem:rejected' } });
    expect(response.body.errors[0].message).toMatch(/101 names; at most 100/);
    expect(await names()).toEqual(before);
  });

  it('fail/duplicate-name is a conflict and keeps the first', async () => {
    expect(
      (await rotor.api('POST', '/api/v1/managed', { body: { name: 'dup', dnsNames: ['one.internal'] } })).status,
    ).toBe(201);
    const again = await rotor.api('POST', '/api/v1/managed', { body: { name: 'dup', dnsNames: ['two.internal'] } });
    expect(again).toMatchObject({ status: 409, body: { type: 'urn:rotor:problem:conflict' } });
    expect((await rotor.api('GET', '/api/v1/managed/dup')).body.dnsNames).toEqual(['one.internal']);
    await rotor.api('DELETE', '/api/v1/managed/dup');
  });

  it.each([
    ['GET', '/api/v1/managed/nobody'],
    ['PUT', '/api/v1/managed/nobody'],
    ['DELETE', '/api/v1/managed/nobody'],
    ['POST', '/api/v1/managed/nobody/renew'],
    ['GET', '/api/v1/managed/%2e%2e%2fetc'],
    ['GET', `/api/v1/managed/${'x'.repeat(260)}`],
  ])('fail/unknown-name %s %s → 404', async (method, path) => {
    const response = await rotor.api(method, path, method === 'PUT' ? { body: { dnsNames: ['a.internal'] } } : {});
    expect(response.status).toBe(404);
    expect(response.body.type).toBe('urn:rotor:problem:not-found');
  });

  it('fail/update: name mismatch, out of policy, reserved', async () => {
    await rotor.api('POST', '/api/v1/managed', { body: { name: 'stay', dnsNames: ['stay.internal'] } });
    const mismatch = await rotor.api('PUT', '/api/v1/managed/stay', {
      body: { name: 'other', dnsNames: ['a.internal'] },
    });
    expect(mismatch).toMatchObject({ status: 400, body: { type: 'urn:rotor:problem:malformed' } });
    const policy = await rotor.api('PUT', '/api/v1/managed/stay', { body: { dnsNames: ['a..internal'] } });
    expect(policy).toMatchObject({ status: 422, body: { errors: [{ path: 'dnsNames[0]' }] } });
    expect((await rotor.api('GET', '/api/v1/managed/stay')).body.dnsNames).toEqual(['stay.internal']);
    expect(
      (await rotor.api('PUT', '/api/v1/managed/rotor-server', { body: { dnsNames: ['evil.internal'] } })).status,
    ).toBe(409);
    expect((await rotor.api('DELETE', '/api/v1/managed/rotor-server')).status).toBe(409);
    await rotor.api('DELETE', '/api/v1/managed/stay');
  });

  it.each([
    ['fail/bad-yaml', 'kind: [', YAML, 400, 'malformed', /YAML syntax error at line/],
    ['fail/yaml-not-documents', '- 1\n- 2\n', YAML, 400, 'malformed', /a document must be a mapping/],
    [
      'fail/duplicate-names',
      MANIFEST.replace('name: fleet-b', 'name: fleet-a'),
      YAML,
      422,
      'rejected',
      /declared twice/,
    ],
    [
      'fail/out-of-policy',
      MANIFEST.replace('spiffe://prod/b', 'gopher://b'),
      YAML,
      422,
      'rejected',
      /scheme \\"gopher\\"/,
    ],
    [
      'fail/invalid-duration',
      MANIFEST.replace('lifetime: 2h', 'lifetime: 2 hours'),
      YAML,
      400,
      'malformed',
      /not a duration/,
    ],
    ['fail/reserved', MANIFEST.replace('name: fleet-b', 'name: rotor-server'), YAML, 422, 'rejected', /own HTTPS/],
    ['fail/media-type', MANIFEST, { 'content-type': 'text/plain' }, 415, 'unsupported-media-type', /yaml/],
  ])('apply %s: nothing changes', async (_label, text, headers, status, type, message) => {
    await rotor.api('DELETE', '/api/v1/managed/fleet-a');
    const before = await names();
    const response = await rotor.api('POST', '/api/v1/apply?prune=true', { rawBody: text, headers });
    expect(response.status).toBe(status);
    expect(response.body.type).toBe(`urn:rotor:problem:${type}`);
    expect(JSON.stringify(response.body)).toMatch(message);
    expect(await names()).toEqual(before);
  });

  it("ok/Rotor's own certificate is loaded from the database after a restart, not issued again", async () => {
    const serialOf = async () => {
      const own = (await rotor.api('GET', '/api/v1/managed/rotor-server')).body;
      return { generation: own.generation, serial: own.current.serial };
    };
    const before = await serialOf();
    rotor = await rotor.restart();
    expect(await serialOf()).toEqual(before);
  });

  it('fail/apply with a bad query', async () => {
    const response = await rotor.api('POST', '/api/v1/apply?prune=yes', { rawBody: MANIFEST, headers: YAML });
    expect(response).toMatchObject({ status: 400, body: { type: 'urn:rotor:problem:malformed' } });
  });
});
