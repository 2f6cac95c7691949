import { statSync } from 'node:fs';
import { join } from 'node:path';
import { startRotor, TestRotor } from '@rotor/testing';

const PROBLEM = 'application/problem+json';

describe('admin API: authentication, errors, OpenAPI', () => {
  let rotor: TestRotor;
  const tokenCount = async () => (await rotor.api('GET', '/api/v1/tokens')).body.items.length as number;

  beforeAll(async () => {
    rotor = await startRotor();
  });
  afterAll(async () => rotor.stop());

  it('ok/bootstrap admin token is written 0600 and works', async () => {
    expect(rotor.adminToken).toMatch(/^rotor_[A-Za-z0-9_-]{43}$/);
    expect(statSync(join(rotor.config.dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
    const res = await rotor.api('GET', '/api/v1/tokens');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([expect.objectContaining({ name: 'bootstrap-admin', scopes: ['admin'] })]);
    expect(res.text).not.toContain(rotor.adminToken);
    expect(res.text).not.toMatch(/digest/);
  });

  it('ok/openapi document lists the operations with their scopes', async () => {
    const res = await rotor.api('GET', '/api/docs', { token: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.paths['/api/v1/tokens'].post.security).toEqual([{ bearer: ['admin'] }]);
    expect(
      res.body.paths['/api/v1/tokens'].post.requestBody.content['application/json'].schema.properties.scopes,
    ).toBeDefined();
    expect(res.body.paths['/api/v1/tokens/{id}'].delete.parameters[0]).toMatchObject({ name: 'id', in: 'path' });
  });

  it('ok/token lifecycle: create with a scope, use, revoke', async () => {
    const created = await rotor.api('POST', '/api/v1/tokens', { body: { name: 'reader', scopes: ['alerts:read'] } });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^rotor_/);
    // A non-admin token cannot manage tokens.
    const forbidden = await rotor.api('GET', '/api/v1/tokens', { token: created.body.token });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ type: 'urn:rotor:problem:forbidden', status: 403 });
    expect(forbidden.body.detail).toContain('"admin"');
    expect((await rotor.api('DELETE', '/api/v1/tokens/reader')).status).toBe(204);
    expect((await rotor.api('DELETE', '/api/v1/tokens/reader')).status).toBe(404);
    const revoked = await rotor.api('GET', '/api/v1/tokens', { token: created.body.token });
    expect(revoked.status).toBe(401);
  });

  it('ok/expiring token is refused once expired', async () => {
    const created = await rotor.api('POST', '/api/v1/tokens', {
      body: { name: 'short', scopes: ['admin'], expiresInMs: 300 },
    });
    expect(created.status).toBe(201);
    expect((await rotor.api('GET', '/api/v1/tokens', { token: created.body.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 400));
    expect((await rotor.api('GET', '/api/v1/tokens', { token: created.body.token })).status).toBe(401);
  });

  it.each([
    ['fail/no-authorization', { token: null }],
    ['fail/basic-scheme', { token: null, headers: { authorization: 'Basic YTpi' } }],
    ['fail/unknown-token', { token: `rotor_${'A'.repeat(43)}` }],
    ['fail/not-a-token', { token: 'x'.repeat(5000) }],
    ['fail/sql-in-token', { token: "rotor_' OR 1=1 --" }],
  ])('%s → 401 with WWW-Authenticate', async (_name, options) => {
    const res = await rotor.api('GET', '/api/v1/tokens', options);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toContain(PROBLEM);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="rotor"');
    expect(res.body.type).toBe('urn:rotor:problem:unauthorized');
    expect(res.text).not.toContain(rotor.adminToken);
  });

  const badCreates: [string, { body?: unknown; rawBody?: string; headers?: Record<string, string> }, number, string][] =
    [
      [
        'fail/wrong-content-type',
        { rawBody: '{"name":"a","scopes":["admin"]}', headers: { 'content-type': 'text/plain' } },
        415,
        'unsupported-media-type',
      ],
      ['fail/invalid-json', { rawBody: '{"name":', headers: { 'content-type': 'application/json' } }, 400, 'malformed'],
      ['fail/json-array', { body: [] }, 400, 'malformed'],
      ['fail/unknown-scope', { body: { name: 'a', scopes: ['root'] } }, 400, 'malformed'],
      ['fail/no-scopes', { body: { name: 'a', scopes: [] } }, 400, 'malformed'],
      ['fail/extra-field', { body: { name: 'a', scopes: ['admin'], digest: 'x' } }, 400, 'malformed'],
      ['fail/bad-name', { body: { name: '../../etc', scopes: ['admin'] } }, 400, 'malformed'],
      ['fail/negative-expiry', { body: { name: 'a', scopes: ['admin'], expiresInMs: -1 } }, 400, 'malformed'],
      ['fail/duplicate-name', { body: { name: 'bootstrap-admin', scopes: ['admin'] } }, 409, 'conflict'],
    ];
  it.each(badCreates)('%s → 4xx problem, nothing stored', async (_name, options, status, code) => {
    const before = await tokenCount();
    const res = await rotor.api('POST', '/api/v1/tokens', options);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toContain(PROBLEM);
    expect(res.body.type).toBe(`urn:rotor:problem:${code}`);
    expect(await tokenCount()).toBe(before);
  });

  it('fail/field errors name the path', async () => {
    const res = await rotor.api('POST', '/api/v1/tokens', { body: { name: 'a', scopes: ['admin', 'root'] } });
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'scopes.1' })]);
  });

  it('fail/unknown api route → 404 problem in the API shape', async () => {
    const res = await rotor.api('GET', '/api/v1/no-such-thing');
    expect(res.status).toBe(404);
    expect(res.body.type).toBe('urn:rotor:problem:not-found');
  });

  it('fail/oversized body → 413 problem, never 500', async () => {
    const res = await rotor.api('POST', '/api/v1/tokens', {
      rawBody: 'x'.repeat(70 * 1024),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(413);
    expect(res.body.type).toBe('urn:rotor:problem:too-large');
  });
});
