/**
 * Alerts on a real server, read through GET /api/v1/alerts and `rotor alerts`
 * (the CLI opening the same database): a certificate imported with a near
 * expiry raises certificate.expiring (critical), notifies a webhook once
 * however many sweeps see it, and clears when a renewed certificate replaces
 * it; a managed certificate whose renewal keeps failing raises
 * renewal.failing and clears once a renewal succeeds. Bad input is refused.
 */
import { main } from '../../apps/cli/src/main';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { createTestDatabase, startRotor, TestDatabase, TestRotor } from '@rotor/testing';
import { makeTestCertificate } from '../../libs/lifecycle/src/inventory/spec-helpers';
import { eventually, WebhookReceiver } from './webhook-receiver';

jest.setTimeout(90_000);

const REDIS_URL = 'redis://127.0.0.1:6379';
const DAY = 86400e3;
const HOUR = 3600e3;

/** Runs the CLI in process (the same main() bin/rotor.js runs), capturing stdout and stderr. */
async function rotorCli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe.each([
  ['sqlite, in-process queue', 'sqlite'],
  ['postgres, BullMQ on redis', 'postgres'],
] as const)('alerts (%s)', (_name, dialect) => {
  let rotor: TestRotor;
  let receiver: WebhookReceiver;
  let db: TestDatabase;
  const prefix = `rotor-test-${randomBytes(4).toString('hex')}`;
  /** Where the CLI finds the same database as the server. */
  let store: string[];

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    db = await createTestDatabase(dialect);
    // maxCertLifetime 1d: a managed certificate declared elsewhere with a longer lifetime is refused by the CA.
    rotor = await startRotor({
      alertSweepInterval: '200ms',
      renewalSweepInterval: '1s',
      maxCertLifetime: '1d',
      ...(dialect === 'postgres' ? { databaseUrl: db.databaseUrl, redisUrl: REDIS_URL, queuePrefix: prefix } : {}),
    });
    store = ['--data-dir', rotor.config.dataDir, ...(db.databaseUrl ? ['--database-url', db.databaseUrl] : [])];
  });
  afterAll(async () => {
    await rotor?.stop();
    await receiver?.stop();
    await db?.drop();
    if (dialect === 'postgres') {
      const redis = new IORedis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  });

  const alerts = async (query = '') => {
    const res = await rotor.api('GET', `/api/v1/alerts${query}`);
    expect(res.status).toBe(200);
    return res.body as { items: Array<Record<string, any>>; counts: { critical: number; warning: number } }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const cli = (...args: string[]) => rotorCli('alerts', ...store, ...args);

  it('ok/an imported certificate expiring in 2 hours alerts (critical), once, and clears when replaced', async () => {
    const hook = await rotor.api('POST', '/api/v1/webhooks', {
      body: { url: receiver.url, events: ['certificate.expiring'] },
    });
    expect(hook.status).toBe(201);

    const soon = await makeTestCertificate({
      dns: ['billing.alerts.test'],
      notBefore: new Date(Date.now() - 60 * DAY),
      notAfter: new Date(Date.now() + 2 * HOUR),
    });
    // Healthy neighbours: a long-lived certificate far from expiry, and a short-lived one early in its life.
    const healthy = await makeTestCertificate({
      dns: ['healthy.alerts.test'],
      notAfter: new Date(Date.now() + 60 * DAY),
    });
    const young = await makeTestCertificate({
      dns: ['short.alerts.test'],
      notBefore: new Date(Date.now() - 10 * 60e3),
      notAfter: new Date(Date.now() + 50 * 60e3),
    });
    // In its warning window (5 days left of 90), not yet critical.
    const warning = await makeTestCertificate({
      dns: ['warn.alerts.test'],
      notBefore: new Date(Date.now() - 85 * DAY),
      notAfter: new Date(Date.now() + 5 * DAY),
    });
    const imported = await rotor.api('POST', '/api/v1/certificates/import', {
      body: { pem: soon.pem + healthy.pem + young.pem + warning.pem },
    });
    expect(imported.status).toBe(201);

    const list = await alerts();
    const mine = list.items.filter((a) => String(a.name).endsWith('.alerts.test'));
    expect(mine).toEqual([
      expect.objectContaining({
        id: `certificate.expiring:${soon.fingerprint}`,
        kind: 'certificate.expiring',
        severity: 'critical',
        subjectId: soon.fingerprint,
        name: 'billing.alerts.test',
        summary: expect.stringMatching(/^billing\.alerts\.test expires in 1h 5\dm$/),
        data: expect.objectContaining({ notAfter: new Date(soon.cert.notAfter).toISOString(), expired: false }),
      }),
      expect.objectContaining({
        id: `certificate.expiring:${warning.fingerprint}`,
        severity: 'warning',
        name: 'warn.alerts.test',
      }),
    ]);
    expect((await alerts('?severity=critical')).items.map((a) => a.subjectId)).toContain(soon.fingerprint);
    expect((await alerts('?severity=critical')).items.map((a) => a.subjectId)).not.toContain(warning.fingerprint);
    expect((await alerts('?kind=crl.stale')).items).toEqual([]);

    // The CLI reads the same database and agrees.
    const json = await cli('--json');
    expect(json.code).toBe(0);
    const cliAlerts = JSON.parse(json.stdout).items.filter((a: { name: string }) => a.name.endsWith('.alerts.test'));
    expect(cliAlerts.map((a: { id: string; severity: string }) => [a.id, a.severity])).toEqual(
      mine.map((a) => [a.id, a.severity]),
    );
    const text = await cli();
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^CRITICAL +certificate\.expiring +billing\.alerts\.test\tbilling\.alerts\.test expires in 1h 5\dm$/m,
    );
    expect(text.stdout).toMatch(/^WARNING +certificate\.expiring +warn\.alerts\.test\t/m);
    expect((await cli('--severity', 'critical')).stdout).not.toContain('warn.alerts.test');
    expect((await cli('--fail-on', 'critical')).code).toBe(3);
    expect((await cli('--fail-on', 'warning', '--json')).code).toBe(3);

    // The sweep records the alert and notifies once, however many sweeps see it.
    await eventually(
      async () => (await alerts()).items.find((a) => a.subjectId === soon.fingerprint)?.firstSeen,
      10_000,
      'sweep',
    );
    await new Promise((r) => setTimeout(r, 1500));
    const expiring = (subject: string) =>
      receiver.received
        .map((r) => JSON.parse(r.body))
        .filter((e) => e.type === 'certificate.expiring' && e.subjectId === subject);
    await eventually(
      async () => expiring(soon.fingerprint).length === 1 && expiring(warning.fingerprint).length === 1,
      10_000,
      'webhooks',
    );
    expect(expiring(soon.fingerprint)).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          severity: 'critical',
          name: 'billing.alerts.test',
          serial: expect.any(String),
        }),
      }),
    ]);
    expect(expiring(healthy.fingerprint)).toEqual([]);

    // Replaced by a renewed certificate for the same names: the alert clears.
    const renewed = await makeTestCertificate({
      dns: ['billing.alerts.test'],
      notAfter: new Date(Date.now() + 90 * DAY),
    });
    expect((await rotor.api('POST', '/api/v1/certificates/import', { body: { pem: renewed.pem } })).status).toBe(201);
    await eventually(
      async () => !(await alerts()).items.some((a) => a.subjectId === soon.fingerprint),
      10_000,
      'alert cleared',
    );
    expect((await cli('--fail-on', 'critical')).code).toBe(0);
    expect((await cli('--fail-on', 'warning')).code).toBe(3);
    await new Promise((r) => setTimeout(r, 600));
    expect(expiring(soon.fingerprint)).toHaveLength(1);
  });

  it('ok/a managed certificate whose renewal keeps failing alerts (critical) until it is fixed and renewed', async () => {
    const hook = await rotor.api('POST', '/api/v1/webhooks', {
      body: { url: receiver.url, events: ['renewal.failed'] },
    });
    expect(hook.status).toBe(201);
    // Declared by a CLI configured for 30-day certificates; this server's CA signs at most 1 day.
    process.env.ROTOR_MAX_CERT_LIFETIME = '30d';
    let created: Awaited<ReturnType<typeof rotorCli>>;
    try {
      created = await rotorCli(
        'managed',
        'create',
        'doomed',
        '--dns',
        'doomed.alerts.test',
        '--lifetime',
        '30d',
        ...store,
        '--json',
      );
    } finally {
      delete process.env.ROTOR_MAX_CERT_LIFETIME;
    }
    expect(created.code).toBe(0);
    const managedId = JSON.parse(created.stdout).id as string;

    // One failed attempt is not an alert (status failing, retries continue)…
    await eventually(
      async () => (await rotor.api('GET', '/api/v1/managed/doomed')).body.consecutiveFailures >= 1,
      20_000,
      'first failure',
    );
    // …three in a row are.
    const failing = await eventually(
      async () => (await alerts()).items.find((a) => a.id === `renewal.failing:${managedId}`),
      40_000,
      'renewal.failing alert',
    );
    expect(failing).toMatchObject({
      kind: 'renewal.failing',
      severity: 'critical',
      subjectId: managedId,
      name: 'doomed',
      summary: expect.stringMatching(
        /^renewal of doomed failed \d+ times in a row: .*lifetime exceeds the maximum of 1 days?/,
      ),
      data: expect.objectContaining({ lastError: expect.stringContaining('lifetime exceeds') }),
    });
    expect(failing.data.consecutiveFailures).toBeGreaterThanOrEqual(3);
    const cliFailing = await cli('--severity', 'critical', '--fail-on', 'critical');
    expect(cliFailing.code).toBe(3);
    expect(cliFailing.stdout).toMatch(
      /^CRITICAL +renewal\.failing +doomed\trenewal of doomed failed \d+ times in a row/m,
    );
    // The renewal engine's renewal.failed events reach webhooks through the same publisher.
    await eventually(
      async () =>
        receiver.received.some(
          (r) => JSON.parse(r.body).type === 'renewal.failed' && JSON.parse(r.body).subjectId === managedId,
        ),
      10_000,
      'renewal.failed webhook',
    );

    // Fixed (a lifetime the CA signs) and renewed: the failures reset and the alert clears.
    const fixed = await rotor.api('PUT', '/api/v1/managed/doomed', {
      body: { dnsNames: ['doomed.alerts.test'], lifetime: '1h' },
    });
    expect(fixed.status).toBe(200);
    expect((await rotor.api('POST', '/api/v1/managed/doomed/renew')).status).toBe(202);
    await eventually(
      async () => (await rotor.api('GET', '/api/v1/managed/doomed')).body.status === 'active',
      20_000,
      'renewed',
    );
    await eventually(
      async () => !(await alerts()).items.some((a) => a.subjectId === managedId),
      10_000,
      'alert cleared',
    );
    expect((await cli('--json')).stdout).not.toContain(managedId);
  });

  describe('bad input', () => {
    it.each([
      ['unknown severity', '?severity=bogus', 'query.severity'],
      ['unknown kind', '?kind=certificate.exploded', 'query.kind'],
      ['unknown parameter', '?unknown=1', 'query'],
      ['5000-character severity', `?severity=${'x'.repeat(5000)}`, 'query.severity'],
    ])('fail/GET /api/v1/alerts with %s → 400', async (_name, query, path) => {
      const res = await rotor.api('GET', `/api/v1/alerts${query}`);
      expect(res.status).toBe(400);
      expect(res.body.type).toBe('urn:rotor:problem:malformed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    });

    it('fail/missing token → 401, wrong scope → 403', async () => {
      expect((await rotor.api('GET', '/api/v1/alerts', { token: null })).body).toMatchObject({
        status: 401,
        type: 'urn:rotor:problem:unauthorized',
      });
      const writer = await rotor.api('POST', '/api/v1/tokens', {
        body: { name: 'hooks-only', scopes: ['webhooks:write', 'inventory:read'] },
      });
      const res = await rotor.api('GET', '/api/v1/alerts', { token: writer.body.token });
      expect(res.body).toMatchObject({ status: 403, type: 'urn:rotor:problem:forbidden' });
      const reader = await rotor.api('POST', '/api/v1/tokens', {
        body: { name: 'alerts-reader', scopes: ['alerts:read'] },
      });
      expect((await rotor.api('GET', '/api/v1/alerts', { token: reader.body.token })).status).toBe(200);
    });

    it.each([
      [['--severity', 'bogus'], '--severity "bogus": expected warning or critical'],
      [['--fail-on', 'sometimes'], '--fail-on "sometimes": expected warning or critical'],
      [['--frobnicate'], "unknown option '--frobnicate'"],
    ])('fail/rotor alerts %j → exit 2', async (args, message) => {
      const res = await cli(...args);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(message);
      expect(res.stdout).toBe('');
    });
  });
});
