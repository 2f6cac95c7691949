/**
 * Must show: a managed certificate with a 60 s lifetime is renewed around its
 * renewal point (2/3 of the lifetime ± 5 % jitter), repeatedly, with no gap
 * in validity — on PostgreSQL with BullMQ on the real Redis, and on SQLite
 * with the in-process queue, side by side so the minute and a half is spent
 * once. Both servers also run with certLifetime 60 s, so Rotor's own HTTPS
 * certificate is renewed meanwhile: a new connection gets the new serial
 * while a keep-alive connection opened before keeps working.
 */
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createTestDatabase, startRotor, TestDatabase, TestRotor } from '@rotor/testing';
import { deleteRedisPrefix, eventually, REDIS_URL, testMasterKey, testPrefix } from './support';

jest.setTimeout(180_000);

const LIFETIME_MS = 60_000;

interface Renewal {
  generation: number;
  certificateId: string;
  previousId: string | null;
  at: string;
}

/** GET over one kept-alive socket; reports which socket served it and the certificate it presented. */
function getOn(
  agent: Agent,
  url: string,
): Promise<{ status: number; socket: TLSSocket; serial: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        const socket = req.socket as TLSSocket;
        resolve({
          status: res.statusCode ?? 0,
          socket,
          serial: socket.getPeerCertificate().serialNumber,
          reused: req.reusedSocket,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('renewal of short-lived managed certificates', () => {
  let db: TestDatabase;
  const prefix = testPrefix();
  const servers: TestRotor[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await db?.drop();
    await deleteRedisPrefix(prefix);
  });

  it('renews around 2/3 of the lifetime, twice, without a gap, on both paths; the server swaps its own certificate live', async () => {
    const common = { certLifetime: '60s', renewalSweepInterval: '1s', renewalLease: '20s' };
    const [bullmq, inProcess] = await Promise.all([
      startRotor({
        ...common,
        databaseUrl: db.databaseUrl,
        redisUrl: REDIS_URL,
        queuePrefix: prefix,
        masterKey: testMasterKey(),
      }),
      startRotor(common),
    ]);
    servers.push(bullmq, inProcess);
    const paths = [
      { label: 'postgres + BullMQ', rotor: bullmq },
      { label: 'sqlite + in-process', rotor: inProcess },
    ];

    for (const { rotor } of paths) {
      const created = await rotor.api('POST', '/api/v1/managed', {
        body: { name: 'short', dnsNames: ['short.internal'], uris: ['spiffe://test/short'], lifetime: '60s' },
      });
      expect(created.status).toBe(201);
    }

    // One kept-alive connection per server, opened now (before the own certificate is renewed).
    const live = await Promise.all(
      paths.map(async ({ rotor }) => {
        const agent = new Agent({ ca: rotor.rootPem, keepAlive: true, maxSockets: 1 });
        const first = await getOn(agent, `${rotor.baseUrl}/healthz`);
        return { agent, first };
      }),
    );
    const heartbeat = setInterval(() => {
      for (const [i, { rotor }] of paths.entries())
        void getOn(live[i].agent, `${rotor.baseUrl}/healthz`).catch(() => undefined);
    }, 2_000);

    try {
      // Two renewals each: generation 3 = first issuance + 2 renewals (at ~40 s and ~80 s).
      for (const { rotor, label } of paths) {
        await eventually(
          async () => (await rotor.api('GET', '/api/v1/managed/short')).body.generation >= 3,
          130_000,
          `two renewals on ${label}`,
          1_000,
        );
      }
    } finally {
      clearInterval(heartbeat);
    }

    for (const [i, { rotor, label }] of paths.entries()) {
      const shown = (await rotor.api('GET', '/api/v1/managed/short')).body;
      expect(shown).toMatchObject({ status: 'active', consecutiveFailures: 0 });
      expect(JSON.stringify(shown)).not.toMatch(/PRIVATE KEY|keySealed/);
      const renewals = [...(shown.renewals as Renewal[])].sort((a, b) => a.generation - b.generation);
      expect(renewals.map((r) => r.generation)).toEqual(renewals.map((_, k) => k + 1));
      const certs = await Promise.all(
        renewals.map(async (r) => (await rotor.api('GET', `/api/v1/certificates/${r.certificateId}`)).body),
      );
      for (let k = 1; k < renewals.length; k++) {
        const previous = certs[k - 1];
        const next = certs[k];
        expect(renewals[k].previousId).toBe(renewals[k - 1].certificateId);
        // No gap: the successor is valid before the predecessor expires.
        expect(Date.parse(next.notBefore)).toBeLessThanOrEqual(Date.parse(previous.notAfter));
        expect(Date.parse(next.notAfter)).toBeGreaterThan(Date.parse(previous.notAfter));
        // Renewed around its renewal point: 2/3 of the lifetime ± 5 % jitter, plus a little queue and sweep slack.
        const fraction = (Date.parse(renewals[k].at) - Date.parse(previous.notBefore)) / LIFETIME_MS;
        console.log(
          `${label}: generation ${renewals[k].generation} renewed at ${(fraction * 100).toFixed(1)} % of its predecessor's life`,
        );
        expect(fraction).toBeGreaterThanOrEqual(2 / 3 - 0.05);
        expect(fraction).toBeLessThanOrEqual(2 / 3 + 0.05 + 0.05);
        expect(previous.state).toBe('superseded');
      }
      expect(certs[certs.length - 1]).toMatchObject({
        state: 'active',
        sans: { dns: ['short.internal'], uri: ['spiffe://test/short'] },
      });

      // The server's own certificate (also 60 s) was renewed and swapped in: a new connection sees a new serial…
      const fresh = new Agent({ ca: rotor.rootPem, keepAlive: false });
      const now = await getOn(fresh, `${rotor.baseUrl}/healthz`);
      fresh.destroy();
      expect(now.status).toBe(200);
      expect(now.serial).not.toBe(live[i].first.serial);
      // …while the connection opened before the swap still works, with the certificate it started with.
      const again = await getOn(live[i].agent, `${rotor.baseUrl}/healthz`);
      expect(again).toMatchObject({ status: 200, reused: true, serial: live[i].first.serial });
      expect(again.socket).toBe(live[i].first.socket);
      live[i].agent.destroy();
      const own = (await rotor.api('GET', '/api/v1/managed/rotor-server')).body;
      expect(own.generation).toBeGreaterThanOrEqual(2);
    }
  });
});
