/**
 * Webhooks end to end on a real server: a real HTTP receiver, HMAC-signed
 * bodies, retries with backoff on the notification queue, the delivery log,
 * and the secret kept out of every response and log line. Runs on SQLite with
 * the in-process queue and on PostgreSQL with BullMQ on Redis.
 */
import { createHash, randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { AcmeTestClient, createTestDatabase, freeTcpPort, Http01Responder, TestDatabase } from '@rotor/testing';
import { verifyWebhookSignature } from '@rotor/lifecycle';
import { startLoggedRotor, LoggedRotor } from './launch';
import { eventually, WebhookReceiver } from './webhook-receiver';

jest.setTimeout(90_000);

const REDIS_URL = 'redis://127.0.0.1:6379';

describe.each([
  ['sqlite, in-process queue', 'sqlite'],
  ['postgres, BullMQ on redis', 'postgres'],
] as const)('webhooks (%s)', (_name, dialect) => {
  let db: TestDatabase;
  let http01: Http01Responder;
  let rotor: LoggedRotor;
  const prefix = `rotor-test-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    http01 = await new Http01Responder().start();
    rotor = await startLoggedRotor({
      http01Port: http01.port,
      webhookBackoff: '200ms',
      webhookAttempts: 3,
      alertSweepInterval: '300ms',
      ...(dialect === 'postgres'
        ? {
            databaseUrl: db.databaseUrl,
            redisUrl: REDIS_URL,
            queuePrefix: prefix,
          }
        : {}),
    });
  });

  afterAll(async () => {
    await rotor?.stop();
    await http01?.stop();
    await db?.drop();
    if (dialect === 'postgres') {
      const redis = new IORedis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  });

  const webhookCount = async () => (await rotor.api('GET', '/api/v1/webhooks')).body.items.length as number;

  it('ok/delivers a signed certificate.issued event, retrying until the receiver accepts', async () => {
    const receiver = await new WebhookReceiver([500, 503]).start();
    try {
      const created = await rotor.api('POST', '/api/v1/webhooks', {
        body: { url: receiver.url, events: ['certificate.issued'] },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ url: receiver.url, events: ['certificate.issued'], disabled: false });
      const secret = created.body.secret as string;
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

      const client = await AcmeTestClient.create({ directoryUrl: rotor.server.directoryUrl, agent: rotor.agent });
      expect((await client.createAccount()).status).toBe(201);
      const { certDer } = await client.issue(['127.0.0.1'], http01);

      const log = await eventually(
        async () => {
          const res = await rotor.api('GET', `/api/v1/webhooks/${created.body.id}/deliveries`);
          return res.body.items[0]?.status === 'delivered' ? res.body.items : undefined;
        },
        30_000,
        'delivery',
      );
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({
        status: 'delivered',
        attempts: 3,
        lastStatusCode: 200,
        eventType: 'certificate.issued',
      });
      expect(Date.parse(log[0].deliveredAt)).toBeGreaterThanOrEqual(Date.parse(log[0].createdAt));
      expect(log[0].lastError).toBeUndefined();

      expect(receiver.received.map((r) => r.status)).toEqual([500, 503, 200]);
      expect(receiver.received.map((r) => r.headers['rotor-delivery-attempt'])).toEqual(['1', '2', '3']);
      // Same event (same id and body) on every attempt; each attempt signed afresh.
      const bodies = new Set(receiver.received.map((r) => r.body));
      expect(bodies.size).toBe(1);
      const delivered = receiver.received[2];
      const event = JSON.parse(delivered.body);
      expect(event).toMatchObject({
        type: 'certificate.issued',
        id: expect.any(String),
        subjectId: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(new Date(event.at).toISOString()).toBe(event.at);
      expect(event.subjectId).toBe(createHash('sha256').update(certDer).digest('hex'));
      expect(delivered.headers['content-type']).toBe('application/json');
      expect(delivered.headers['rotor-event-id']).toBe(event.id);
      expect(
        verifyWebhookSignature(delivered.headers['rotor-signature'] as string, delivered.body, secret),
      ).toMatchObject({ ok: true });
      expect(
        verifyWebhookSignature(
          delivered.headers['rotor-signature'] as string,
          delivered.body,
          'whsec_wrong-secret-000000',
        ),
      ).toMatchObject({
        ok: false,
      });
      // Nothing in the request but the signature depends on the secret.
      expect(JSON.stringify(receiver.received)).not.toContain(secret);

      // The secret is shown once: never in reads, never in the logs.
      const list = await rotor.api('GET', '/api/v1/webhooks');
      const one = await rotor.api('GET', `/api/v1/webhooks/${created.body.id}`);
      const deliveries = await rotor.api('GET', `/api/v1/webhooks/${created.body.id}/deliveries`);
      for (const res of [list, one, deliveries]) {
        expect(res.status).toBe(200);
        expect(res.text).not.toContain(secret);
        expect(res.text).not.toMatch(/secret/i);
      }
      expect(rotor.logs.length).toBeGreaterThan(0);
      expect(rotor.logs.join('')).not.toContain(secret);
      expect((await rotor.api('DELETE', `/api/v1/webhooks/${created.body.id}`)).status).toBe(204);
    } finally {
      await receiver.stop();
    }
  });

  it('ok/an unreachable receiver ends "failed" after the configured attempts', async () => {
    const closedPort = await freeTcpPort();
    const created = await rotor.api('POST', '/api/v1/webhooks', {
      body: { url: `http://127.0.0.1:${closedPort}/nobody-home`, events: ['*'], secret: 'my-own-secret-0123456789' },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toBe('my-own-secret-0123456789');
    const client = await AcmeTestClient.create({ directoryUrl: rotor.server.directoryUrl, agent: rotor.agent });
    await client.createAccount();
    await client.issue(['127.0.0.1'], http01);
    const [delivery] = await eventually(
      async () => {
        const res = await rotor.api('GET', `/api/v1/webhooks/${created.body.id}/deliveries`);
        return res.body.items.length && res.body.items.every((d: { status: string }) => d.status === 'failed')
          ? res.body.items
          : undefined;
      },
      30_000,
      'failed delivery',
    );
    expect(delivery).toMatchObject({ status: 'failed', attempts: 3, eventType: 'certificate.issued' });
    expect(delivery.lastError).toMatch(/ECONNREFUSED/);
    expect(delivery.lastStatusCode).toBeUndefined();
    expect(delivery.nextAttemptAt).toBeUndefined();
    expect(rotor.logs.join('')).not.toContain('my-own-secret-0123456789');
    expect((await rotor.api('DELETE', `/api/v1/webhooks/${created.body.id}`)).status).toBe(204);
    expect((await rotor.api('GET', `/api/v1/webhooks/${created.body.id}/deliveries`)).status).toBe(404);
  });

  it('ok/the OpenAPI document lists the webhook and alert operations with their scopes', async () => {
    const doc = (await rotor.api('GET', '/api/docs', { token: null })).body;
    expect(doc.paths['/api/v1/webhooks'].post.security).toEqual([{ bearer: ['webhooks:write'] }]);
    expect(
      Object.keys(doc.paths['/api/v1/webhooks'].post.requestBody.content['application/json'].schema.properties).sort(),
    ).toEqual(['events', 'secret', 'url']);
    expect(doc.paths['/api/v1/webhooks/{id}/deliveries'].get.security).toEqual([{ bearer: ['webhooks:write'] }]);
    expect(doc.paths['/api/v1/alerts'].get.security).toEqual([{ bearer: ['alerts:read'] }]);
    expect(doc.paths['/api/v1/alerts'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'kind',
      'severity',
    ]);
  });

  describe('bad input', () => {
    // Five entries in every row: Jest treats a test function with more parameters than its row as taking `done`.
    const badCreates: [
      string,
      { body?: unknown; rawBody?: string; headers?: Record<string, string> },
      number,
      string,
      string | undefined,
    ][] = [
      ['ftp scheme', { body: { url: 'ftp://example.com/x', events: ['*'] } }, 400, 'malformed', 'url'],
      ['file scheme', { body: { url: 'file:///etc/passwd', events: ['*'] } }, 400, 'malformed', 'url'],
      ['javascript scheme', { body: { url: 'javascript:alert(1)', events: ['*'] } }, 400, 'malformed', 'url'],
      [
        'credentials in URL',
        { body: { url: 'https://admin:hunter2@example.com/', events: ['*'] } },
        400,
        'malformed',
        'url',
      ],
      ['not a URL', { body: { url: 'example.com/hook', events: ['*'] } }, 400, 'malformed', 'url'],
      [
        'URL too long',
        { body: { url: `https://example.com/${'a'.repeat(3000)}`, events: ['*'] } },
        400,
        'malformed',
        'url',
      ],
      [
        'unknown event type',
        { body: { url: 'https://example.com/', events: ['certificate.exploded'] } },
        400,
        'malformed',
        'events.0',
      ],
      ['no event types', { body: { url: 'https://example.com/', events: [] } }, 400, 'malformed', 'events'],
      ['events not a list', { body: { url: 'https://example.com/', events: '*' } }, 400, 'malformed', 'events'],
      [
        'short secret',
        { body: { url: 'https://example.com/', events: ['*'], secret: 'abc' } },
        400,
        'malformed',
        'secret',
      ],
      ['unknown field', { body: { url: 'https://example.com/', events: ['*'], disabled: true } }, 400, 'malformed', ''],
      ['missing url', { body: { events: ['*'] } }, 400, 'malformed', 'url'],
      [
        'not JSON',
        { rawBody: '{"url":', headers: { 'content-type': 'application/json' } },
        400,
        'malformed',
        undefined,
      ],
      ['JSON array', { body: [1, 2] }, 400, 'malformed', undefined],
      [
        'wrong content type',
        { rawBody: 'url=https://example.com', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
        'unsupported-media-type',
        undefined,
      ],
    ];

    it.each(badCreates)(
      'fail/create with %s → 4xx problem, nothing stored',
      async (_name, options, status, code, path) => {
        const before = await webhookCount();
        const res = await rotor.api('POST', '/api/v1/webhooks', options);
        expect(res.status).toBe(status);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.body.type).toBe(`urn:rotor:problem:${code}`);
        if (path !== undefined) expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
        expect(await webhookCount()).toBe(before);
      },
    );

    it.each([
      ['GET', '/api/v1/webhooks/not-a-uuid'],
      ['GET', '/api/v1/webhooks/00000000-0000-4000-8000-000000000000'],
      ['DELETE', '/api/v1/webhooks/00000000-0000-4000-8000-000000000000'],
      ['DELETE', `/api/v1/webhooks/${encodeURIComponent("' OR 1=1 --")}`],
      ['GET', '/api/v1/webhooks/00000000-0000-4000-8000-000000000000/deliveries'],
      ['GET', `/api/v1/webhooks/${'x'.repeat(250)}/deliveries`],
    ])('fail/%s %s → 404', async (method, path) => {
      const res = await rotor.api(method, path);
      expect(res.status).toBe(404);
      expect(res.body.type).toBe('urn:rotor:problem:not-found');
    });

    it('fail/bad deliveries query → 400', async () => {
      const created = await rotor.api('POST', '/api/v1/webhooks', {
        body: { url: 'https://example.com/x', events: ['renewal.failed'] },
      });
      for (const query of ['limit=0', 'limit=abc', 'limit=100000', 'cursor=1']) {
        const res = await rotor.api('GET', `/api/v1/webhooks/${created.body.id}/deliveries?${query}`);
        expect(res.status).toBe(400);
        expect(res.body.type).toBe('urn:rotor:problem:malformed');
      }
      expect((await rotor.api('DELETE', `/api/v1/webhooks/${created.body.id}`)).status).toBe(204);
    });

    it('fail/missing token → 401 and wrong scope → 403 on every webhook operation, nothing stored', async () => {
      const reader = await rotor.api('POST', '/api/v1/tokens', {
        body: { name: `alerts-only-${dialect}`, scopes: ['alerts:read'] },
      });
      expect(reader.status).toBe(201);
      const before = await webhookCount();
      const id = '00000000-0000-4000-8000-000000000000';
      const body = { url: 'https://example.com/', events: ['*'] };
      for (const [method, path] of [
        ['POST', '/api/v1/webhooks'],
        ['GET', '/api/v1/webhooks'],
        ['GET', `/api/v1/webhooks/${id}`],
        ['DELETE', `/api/v1/webhooks/${id}`],
        ['GET', `/api/v1/webhooks/${id}/deliveries`],
      ]) {
        const anonymous = await rotor.api(method, path, { token: null, body: method === 'POST' ? body : undefined });
        expect([method, path, anonymous.status, anonymous.body.type]).toEqual([
          method,
          path,
          401,
          'urn:rotor:problem:unauthorized',
        ]);
        const wrong = await rotor.api(method, path, {
          token: reader.body.token,
          body: method === 'POST' ? body : undefined,
        });
        expect([method, path, wrong.status, wrong.body.type]).toEqual([
          method,
          path,
          403,
          'urn:rotor:problem:forbidden',
        ]);
      }
      expect(await webhookCount()).toBe(before);
    });
  });
});
