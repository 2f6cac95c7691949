/**
 * Scale-out: two `rotor` replicas on one PostgreSQL (and Redis), behind a
 * round-robin TCP balancer that sends every new connection to the other
 * replica. An unmodified ACME client (acme-client, keep-alive off) then has
 * each request of one flow served by alternating replicas: nonces, accounts,
 * orders, authorizations and rate limits must be shared through the database.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { Agent, request } from 'node:https';
import * as net from 'node:net';
import * as acme from 'acme-client';
import {
  ChallTestSrv,
  createTestDatabase,
  freeTcpPort,
  Http01Responder,
  startChallTestSrv,
  startRotor,
  TestDatabase,
  TestRotor,
} from '@rotor/testing';

jest.setTimeout(90_000);

const REDIS_URL = 'redis://127.0.0.1:6379';

/** Round-robin TCP balancer on loopback: connection n goes to backend n mod 2. */
class RoundRobinBalancer {
  readonly served: number[];
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private next = 0;
  port = 0;

  constructor(private readonly backends: number[]) {
    this.served = backends.map(() => 0);
  }

  async start(port: number): Promise<this> {
    this.port = port;
    this.server = net.createServer((client) => {
      const index = this.next++ % this.backends.length;
      this.served[index]++;
      const upstream = net.connect(this.backends[index], '127.0.0.1');
      client.pipe(upstream).pipe(client);
      this.sockets.add(client).add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('close', close);
      upstream.on('close', close);
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe('two replicas on PostgreSQL behind a round-robin balancer', () => {
  let db: TestDatabase;
  let dns: ChallTestSrv;
  let http01: Http01Responder;
  let replicas: TestRotor[] = [];
  let balancer: RoundRobinBalancer;

  /** Both replicas share the database, the master key (to unseal the shared CA key) and the public URL. */
  async function startPair(overrides: Record<string, unknown> = {}) {
    const lbPort = await freeTcpPort();
    const shared = {
      databaseUrl: db.databaseUrl,
      redisUrl: REDIS_URL,
      // Replicas share one BullMQ prefix; other test files on the same Redis must not.
      queuePrefix: `rotor-scale-${randomBytes(4).toString('hex')}`,
      masterKey: randomBytes(32).toString('base64'),
      externalUrl: `https://127.0.0.1:${lbPort}`,
      http01Port: http01.port,
      dnsResolver: dns.dnsResolver,
      ...overrides,
    };
    // The first replica creates the CA and runs the migrations; the second finds them.
    const first = await startRotor(shared);
    const second = await startRotor(shared);
    replicas = [first, second];
    // The public port was chosen before the replicas started (it is in their externalUrl); bind it now.
    balancer = await new RoundRobinBalancer(replicas.map((r) => Number(new URL(r.baseUrl).port))).start(lbPort);
    return shared;
  }

  beforeAll(async () => {
    dns = await startChallTestSrv();
    await dns.addA('replicated.example.test', ['127.0.0.1']);
    http01 = await new Http01Responder().start();
  });

  afterAll(async () => {
    await http01?.stop();
    await dns?.stop();
  });

  beforeEach(async () => {
    db = await createTestDatabase('postgres');
  });

  afterEach(async () => {
    await balancer?.stop();
    for (const replica of replicas) await replica.stop();
    replicas = [];
    await db?.drop();
  });

  it('ok/an ACME flow whose requests alternate between replicas completes', async () => {
    await startPair();
    // No keep-alive: every request is a new connection, so the balancer alternates per request.
    acme.axios.defaults.httpsAgent = new Agent({ ca: replicas[0].rootPem, keepAlive: false });
    const client = new acme.Client({
      directoryUrl: `https://127.0.0.1:${balancer.port}/acme/directory`,
      accountKey: await acme.crypto.createPrivateEcdsaKey(),
      backoffMin: 20,
      backoffMax: 200,
    });
    const [, csr] = await acme.crypto.createCsr(
      { altNames: ['replicated.example.test'] },
      await acme.crypto.createPrivateEcdsaKey(),
    );
    const cert = await client.auto({
      csr,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        http01.tokens.set(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async () => undefined,
    });
    expect(new X509Certificate(cert).subjectAltName).toBe('DNS:replicated.example.test');
    // Each replica served a share of the flow (≥ 8 requests in all: nonce, account, order, authz, …).
    const [a, b] = balancer.served;
    expect(a + b).toBeGreaterThanOrEqual(8);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1);
  });

  it('ok/rate limits are shared: the per-IP bucket drains across both replicas', async () => {
    await startPair({ rateLimitPerIp: 0.01, rateLimitBurst: 6 });
    const agent = new Agent({ ca: replicas[0].rootPem, keepAlive: false });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`https://127.0.0.1:${balancer.port}/acme/new-nonce`, { method: 'HEAD', agent }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      statuses.push(status);
    }
    // 6 tokens in one shared bucket: requests 7 and 8 are limited whichever replica answers.
    expect(statuses.slice(0, 6).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(6)).toEqual([429, 429]);
    expect(balancer.served[0]).toBe(4);
    expect(balancer.served[1]).toBe(4);
  });
});
