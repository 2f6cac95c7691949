/**
 * Shared by the renewal tests: a Rotor runtime (database, CA, queue, renewal
 * engine; no HTTP listener) on a test database, plus polling and SQL helpers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { loadConfig, RotorConfigInput } from '@rotor/config';
import { createLogger } from '@rotor/observability';
import { freeTcpPort, tempDir } from '@rotor/testing';
import type { DataSource } from 'typeorm';
import { createRuntime, Runtime } from '../../apps/server/src/runtime/runtime';

export const REDIS_URL = 'redis://127.0.0.1:6379';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function eventually<T>(
  probe: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs: number,
  what: string,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A 32-byte master key every replica of one test shares (the CA key is sealed with it). */
export const testMasterKey = () => randomBytes(32).toString('base64');
export const testPrefix = () => `rotor-test-${randomBytes(4).toString('hex')}`;

export async function openRuntime(overrides: Partial<Record<keyof RotorConfigInput, unknown>>): Promise<Runtime> {
  const config = loadConfig({ dataDir: tempDir(), logLevel: 'silent', ...overrides }, {});
  return createRuntime(config, createLogger(config.logLevel));
}

export interface RenewalRow {
  managed_id: string;
  generation: number;
  inventory_id: string;
  previous_id: string | null;
}

export async function renewalRows(dataSource: DataSource): Promise<RenewalRow[]> {
  const rows: Record<string, unknown>[] = await dataSource.query(
    'SELECT managed_id, generation, inventory_id, previous_id FROM renewals ORDER BY managed_id, generation',
  );
  return rows.map((r) => ({
    managed_id: String(r.managed_id),
    generation: Number(r.generation),
    inventory_id: String(r.inventory_id),
    previous_id: r.previous_id === null ? null : String(r.previous_id),
  }));
}

export async function count(dataSource: DataSource, sql: string): Promise<number> {
  const [row] = await dataSource.query(sql);
  return Number(Object.values(row as object)[0]);
}

/** Every certificate the inventory holds for managed certificates: validity and lineage. */
export async function managedInventory(
  dataSource: DataSource,
): Promise<
  { id: string; owner_id: string; not_before: number; not_after: number; state: string; replaces: string | null }[]
> {
  const rows: Record<string, unknown>[] = await dataSource.query(
    "SELECT id, owner_id, not_before, not_after, state, replaces FROM inventory WHERE source = 'managed' ORDER BY owner_id, not_before",
  );
  return rows.map((r) => ({
    id: String(r.id),
    owner_id: String(r.owner_id),
    not_before: Number(r.not_before),
    not_after: Number(r.not_after),
    state: String(r.state),
    replaces: r.replaces === null ? null : String(r.replaces),
  }));
}

export async function deleteRedisPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new IORedis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * A private redis-server on a free loopback port, without persistence (a
 * restart comes back empty), so a test can stop it without disturbing the
 * shared Redis other tests use.
 */
export class PrivateRedis {
  private child?: ChildProcess;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freeTcpPort());
    await redis.start();
    return redis;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
      { stdio: 'ignore' },
    );
    await eventually(
      async () => {
        const client = new IORedis(this.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
        client.on('error', () => undefined); // refused while it starts
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          client.disconnect();
        }
      },
      10_000,
      'redis-server to accept connections',
      100,
    );
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  async flush(): Promise<void> {
    const client = new IORedis(this.url, { maxRetriesPerRequest: 1 });
    try {
      await client.flushall();
    } finally {
      client.disconnect();
    }
  }
}
