/**
 * Renewal engine benchmark: N managed certificates (ECDSA P-256, 24 h), all
 * due at the same instant, renewed by one replica — once on the BullMQ path
 * (a private redis-server, so its CPU is ours alone) and once on the
 * in-process path, both on PostgreSQL (its own database). Prints renewals/s,
 * CPU ms per renewal (this process, the PostgreSQL backends serving it, and
 * redis-server, read from /proc), queue lag from due time to start (p50/p99,
 * from the renewals log) and the BullMQ/in-process ratios.
 *
 *   npm run bench:renewal                          # 10,000 per path
 *   npm run bench:renewal -- --count 2000 --paths bullmq
 *   node dist/test/bench/renewal-bench.js --json /tmp/renewal.json
 */
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { loadConfig } from '@rotor/config';
import { parseManagedDeclaration, specText } from '@rotor/lifecycle';
import { createLogger } from '@rotor/observability';
import { freeTcpPort, tempDir } from '@rotor/testing';
import { createRuntime } from '../../apps/server/src/runtime/runtime';
import { clockTicksPerSecond, processCpuMs } from './acme-bench-servers';

type Path = 'bullmq' | 'in-process';

interface Options {
  count: number;
  paths: Path[];
  json?: string;
}

interface PathResult {
  path: Path;
  count: number;
  wallMs: number;
  renewalsPerSecond: number;
  cpuMsPerRenewal: { node: number; postgres: number; redis: number; total: number };
  lagMs: { p50: number; p99: number; max: number };
  renewMs: { p50: number; p99: number };
}

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DB = 'rotor_renewal_bench';
const log = (message: string) => void process.stderr.write(`renewal-bench: ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function parseArgs(argv: string[]): Options {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const count = Number(value('--count') ?? 10_000);
  if (!Number.isInteger(count) || count < 1) throw new Error('--count must be a positive integer');
  const paths = (value('--paths') ?? 'bullmq,in-process').split(',') as Path[];
  if (!paths.every((p) => p === 'bullmq' || p === 'in-process')) throw new Error('--paths: bullmq, in-process');
  return { count, paths, json: value('--json') };
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const freshDatabase = () =>
  admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${DB}`);
  });
const dropDatabase = () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`));
const backendPids = () =>
  admin(async (c) =>
    (await c.query('SELECT pid FROM pg_stat_activity WHERE datname = $1', [DB])).rows.map((r) => Number(r.pid)),
  );

function cpuOf(pids: number[], ticks: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      out.set(pid, processCpuMs(pid, ticks));
    } catch {
      // the backend exited
    }
  }
  return out;
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freeTcpPort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const IORedis = (await import('ioredis')).default;
  for (let i = 0; i < 100; i++) {
    const client = new IORedis(`redis://127.0.0.1:${port}`, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined); // refused while it starts
    const up = await client.connect().then(
      () => true,
      () => false,
    );
    client.disconnect();
    if (up) return { url: `redis://127.0.0.1:${port}`, child };
    await sleep(50);
  }
  throw new Error('redis-server did not start');
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function runPath(path: Path, count: number, ticks: number): Promise<PathResult> {
  await freshDatabase();
  const redis = path === 'bullmq' ? await startRedis() : undefined;
  const dataDir = tempDir('rotor-renewal-bench-');
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB}`;
  const config = loadConfig(
    {
      dataDir,
      databaseUrl: url.toString(),
      redisUrl: redis?.url,
      masterKey: randomBytes(32).toString('base64'),
      renewalSweepInterval: '1s',
      logLevel: 'silent',
    },
    {},
  );
  const runtime = await createRuntime(config, createLogger('silent'));
  try {
    log(`${path}: storing ${count} managed certificates`);
    const spec = specText(
      parseManagedDeclaration(
        { name: 'x', dnsNames: ['x.internal'], lifetime: '24h' },
        {
          maxLifetimeMs: config.maxCertLifetime,
          defaultLifetimeMs: config.certLifetime,
        },
      ).spec,
    );
    const now = Date.now();
    for (let i = 0; i < count; i += 500) {
      const rows = Array.from({ length: Math.min(500, count - i) }, (_, k) => {
        const name = `bench-${i + k}`;
        return [randomUUID(), name, spec.replace('"x.internal"', `"${name}.internal"`), now, now, now];
      });
      await runtime.dataSource.query(
        `INSERT INTO managed_certificates (id, name, spec, generation, status, next_renewal_at, consecutive_failures, subscribers, created_at, updated_at)
         VALUES ${rows.map((_, r) => `($${r * 6 + 1}, $${r * 6 + 2}, $${r * 6 + 3}, 0, 'pending', $${r * 6 + 4}, 0, '[]', $${r * 6 + 5}, $${r * 6 + 6})`).join(', ')}`,
        rows.flat(),
      );
    }
    // Everything due at one instant: the worst case for the queue.
    const dueAt = Date.now();
    await runtime.dataSource.query('UPDATE managed_certificates SET next_renewal_at = $1', [dueAt]);

    const pgStart = cpuOf(await backendPids(), ticks);
    const redisStart = redis ? processCpuMs(redis.child.pid!, ticks) : 0;
    const nodeStart = process.cpuUsage();
    const started = performance.now();
    runtime.managed.start();
    let done = 0;
    while (done < count) {
      await sleep(250);
      done = Number((await runtime.dataSource.query('SELECT COUNT(*) AS n FROM renewals'))[0].n);
    }
    const wallMs = performance.now() - started;
    const node = process.cpuUsage(nodeStart);
    const pgEnd = cpuOf(await backendPids(), ticks);
    const redisMs = redis ? processCpuMs(redis.child.pid!, ticks) - redisStart : 0;
    let postgresMs = 0;
    for (const [pid, ms] of pgEnd) postgresMs += ms - (pgStart.get(pid) ?? 0);

    const rows: { created_at: string; duration_ms: number }[] = await runtime.dataSource.query(
      'SELECT created_at, duration_ms FROM renewals',
    );
    const lags = rows.map((r) => Number(r.created_at) - Number(r.duration_ms) - dueAt).sort((a, b) => a - b);
    const durations = rows.map((r) => Number(r.duration_ms)).sort((a, b) => a - b);
    const nodeMs = (node.user + node.system) / 1000;
    const per = (ms: number) => Math.round((ms / count) * 100) / 100;
    return {
      path,
      count,
      wallMs: Math.round(wallMs),
      renewalsPerSecond: Math.round((count / wallMs) * 1000),
      cpuMsPerRenewal: {
        node: per(nodeMs),
        postgres: per(postgresMs),
        redis: per(redisMs),
        total: per(nodeMs + postgresMs + redisMs),
      },
      lagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags[lags.length - 1] ?? 0 },
      renewMs: { p50: percentile(durations, 50), p99: percentile(durations, 99) },
    };
  } finally {
    await runtime.close();
    redis?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase();
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const ticks = clockTicksPerSecond();
  log(
    `${options.count} renewals per path on ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), PostgreSQL for both`,
  );
  const results: PathResult[] = [];
  for (const path of options.paths) {
    const result = await runPath(path, options.count, ticks);
    results.push(result);
    log(`${path}: done in ${(result.wallMs / 1000).toFixed(1)} s`);
  }
  const lines = [
    '| path | renewals | wall s | renewals/s | CPU ms/renewal (node + PG + Redis = total) | lag p50 / p99 / max ms | renew p50 / p99 ms |',
    '|---|---:|---:|---:|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.path} | ${r.count} | ${(r.wallMs / 1000).toFixed(1)} | ${r.renewalsPerSecond} | ` +
        `${r.cpuMsPerRenewal.node} + ${r.cpuMsPerRenewal.postgres} + ${r.cpuMsPerRenewal.redis} = ${r.cpuMsPerRenewal.total} | ` +
        `${r.lagMs.p50} / ${r.lagMs.p99} / ${r.lagMs.max} | ${r.renewMs.p50} / ${r.renewMs.p99} |`,
    ),
  ];
  const bull = results.find((r) => r.path === 'bullmq');
  const inProcess = results.find((r) => r.path === 'in-process');
  if (bull && inProcess) {
    lines.push(
      '',
      `BullMQ / in-process: throughput ×${(bull.renewalsPerSecond / inProcess.renewalsPerSecond).toFixed(2)}, ` +
        `CPU per renewal ×${(bull.cpuMsPerRenewal.total / inProcess.cpuMsPerRenewal.total).toFixed(2)}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (options.json) writeFileSync(options.json, JSON.stringify(results, null, 2));
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`renewal-bench: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
