/**
 * ACME issuance benchmark: full issuances (account reused; newOrder → http-01
 * → finalize → download) with one client against Rotor and against Pebble in
 * the same run, one server at a time, rounds rotating the order. Prints
 * issuances/s, p50/p99 latency and server CPU ms per issuance for each, and
 * the Rotor/Pebble ratios. It asserts nothing; targets are printed only.
 *
 *   npm run bench:acme -- --rounds 3 --n 300 --concurrency 8 --db both
 *   node dist/test/bench/acme-bench.js --rounds 1 --n 100 --db sqlite --json /tmp/acme.json
 *   node dist/test/bench/acme-bench.js --profile /tmp/rotor-prof   # Rotor under --cpu-prof
 */
import 'reflect-metadata'; // @peculiar/x509 (tsyringe) needs it loaded first
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as x509 from '@peculiar/x509';
import { Http01Responder } from '@rotor/testing';
import { BenchAcmeClient, type IssueTarget } from './acme-bench-client';
import {
  PEBBLE_BENCH_ENV,
  ROTOR_BENCH_ENV,
  RunningServer,
  RotorDb,
  benchDbBackendPids,
  benchDbTransactions,
  clockTicksPerSecond,
  dropBenchDatabase,
  killAllChildren,
  makePebbleTlsCert,
  pebbleVersion,
  postgresAvailable,
  processCpuMs,
  startDns,
  startPebble,
  startRotor,
} from './acme-bench-servers';
import { Ratio, RunResult, TargetSummary, percentile, ratio, renderMarkdown, summarise } from './acme-bench-report';
import { Floor, floorMsPerIssuance, measureFloor } from './acme-floor';

/** The floor section: what bare node:https and node:crypto alone cost for each Rotor's request count. */
function renderFloor(floor: Floor, summaries: TargetSummary[], pebble: TargetSummary): string {
  const lines = [
    '',
    `Node.js floor on this machine (same run): keep-alive HTTPS request on bare node:https ${floor.httpsRequestUs.toFixed(0)} µs CPU, ` +
      `ES256 JWS check ${floor.es256VerifyUs.toFixed(0)} µs, CSR key import + check ${floor.csrKeyImportAndVerifyUs.toFixed(0)} µs ` +
      '(no database, validation, signing or ACME logic counted).',
    '',
    '| server | requests/issuance | floor ms/issuance | floor / Pebble CPU | measured / floor |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const s of summaries.slice(1)) {
    const ms = floorMsPerIssuance(floor, s.median.requestsPerIssuance);
    lines.push(
      `| ${s.target} | ${s.median.requestsPerIssuance.toFixed(1)} | ${ms.toFixed(2)} | ` +
        `${(ms / pebble.median.serverCpuMsPerIssuance).toFixed(2)}× | ${(s.median.serverCpuMsPerIssuance / ms).toFixed(2)}× |`,
    );
  }
  return lines.join('\n');
}

interface Options {
  n: number;
  warmup: number;
  concurrency: number;
  rounds: number;
  db: 'sqlite' | 'postgres' | 'both';
  json?: string;
  pollMs: number;
  profileDir?: string;
}

type Target = 'pebble' | `rotor-${RotorDb}`;

function parseArgs(argv: string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (flag: string, fallback: number, min = 1): number => {
    const v = value(flag) === undefined ? fallback : Number(value(flag));
    if (!Number.isInteger(v) || v < min) throw new Error(`${flag} must be an integer ≥ ${min}`);
    return v;
  };
  const db = value('--db') ?? 'both';
  if (db !== 'sqlite' && db !== 'postgres' && db !== 'both') throw new Error('--db must be sqlite, postgres or both');
  return {
    n: int('--n', 300),
    warmup: int('--warmup', 20, 0),
    concurrency: int('--concurrency', 8),
    rounds: int('--rounds', 3),
    db,
    json: value('--json'),
    pollMs: int('--poll-ms', 10),
    profileDir: value('--profile'),
  };
}

const log = (message: string): void => void process.stderr.write(`acme-bench: ${message}\n`);

/** CSRs for random names under bench.example.test, made before a server starts so client CPU is not in its figures. */
async function makeTargets(count: number): Promise<IssueTarget[]> {
  const out: IssueTarget[] = [];
  for (let i = 0; i < count; i++) {
    const name = `i${globalThis.crypto.randomUUID().slice(0, 13).replace('-', '')}.bench.example.test`;
    const keys = await globalThis.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ]);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create(
      {
        keys,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
        extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }])],
      },
      globalThis.crypto,
    );
    out.push({ name, csrDer: new Uint8Array(csr.rawData) });
  }
  return out;
}

/** An issuance that got no answer in time: the server stopped responding, so the run is void. */
class ServerHungError extends Error {}

const ISSUANCE_TIMEOUT_MS = 20_000;

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServerHungError(`${what} got no answer in ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs the targets through `concurrency` workers; returns latencies of the
 * successful issuances. Stops taking new work once one issuance hangs.
 */
async function runPool(
  client: BenchAcmeClient,
  targets: IssueTarget[],
  concurrency: number,
): Promise<{ latencies: number[]; errors: string[]; hung?: ServerHungError }> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let hung: ServerHungError | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length && !hung) {
      const target = targets[next++];
      const start = performance.now();
      try {
        const pem = await withTimeout(client.issue(target), ISSUANCE_TIMEOUT_MS, `issuance of ${target.name}`);
        latencies.push(performance.now() - start);
        // Cheap sanity check that the download is the certificate that was ordered.
        if (!new X509Certificate(pem).subjectAltName?.includes(`DNS:${target.name}`)) {
          errors.push(`certificate for ${target.name} names ${new X509Certificate(pem).subjectAltName}`);
        }
      } catch (err) {
        if (err instanceof ServerHungError) hung ??= err;
        errors.push(`${target.name}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, errors, hung };
}

interface Env {
  options: Options;
  workDir: string;
  responder: Http01Responder;
  dnsResolver: string;
  pebbleTls: ReturnType<typeof makePebbleTlsCert>;
  clockTicks: number;
}

function startTarget(env: Env, target: Target, round: number): Promise<RunningServer> {
  if (target === 'pebble') {
    return startPebble({
      workDir: env.workDir,
      tls: env.pebbleTls,
      http01Port: env.responder.port,
      dnsResolver: env.dnsResolver,
    });
  }
  const db = target === 'rotor-sqlite' ? 'sqlite' : 'postgres';
  return startRotor({
    dataDir: join(env.workDir, `rotor-${db}-${round}`),
    db,
    http01Port: env.responder.port,
    dnsResolver: env.dnsResolver,
    cpuProfDir: env.options.profileDir ? join(env.options.profileDir, `${target}-round${round}`) : undefined,
  });
}

async function measure(env: Env, target: Target, round: number): Promise<RunResult> {
  const { options } = env;
  const work = await makeTargets(options.warmup + options.n);
  const server = await startTarget(env, target, round);
  let client: BenchAcmeClient | undefined;
  try {
    client = await BenchAcmeClient.register({
      directoryUrl: server.directoryUrl,
      caPem: server.caPem,
      responder: env.responder,
      pollMs: options.pollMs,
    });
    const warm = await runPool(client, work.slice(0, options.warmup), options.concurrency);
    if (warm.hung) throw warm.hung;
    if (warm.errors.length === options.warmup && options.warmup > 0)
      throw new Error(`warm-up failed: ${warm.errors[0]}`);

    const dbPids = target === 'rotor-postgres' ? benchDbBackendPids() : [];
    const dbCpu = (pids: number[]): Map<number, number> =>
      new Map(
        pids.flatMap((pid) => {
          try {
            return [[pid, processCpuMs(pid, env.clockTicks)] as [number, number]];
          } catch {
            return []; // the backend exited
          }
        }),
      );
    const db0 = dbCpu(dbPids);
    const pg = target === 'rotor-postgres';
    const xacts0 = pg ? benchDbTransactions() : 0;
    const cpu0 = processCpuMs(server.pid, env.clockTicks);
    const client0 = process.cpuUsage();
    const requests0 = client.requests;
    const t0 = performance.now();
    const window0 = process.hrtime.bigint();

    const { latencies, errors, hung } = await runPool(client, work.slice(options.warmup), options.concurrency);
    if (hung) throw hung;

    const wallMs = performance.now() - t0;
    const requests = client.requests - requests0;
    if (options.profileDir && target !== 'pebble') {
      // V8 stamps profile samples with the same monotonic clock: lets cpuprofile-top skip start-up and warm-up.
      const us = (ns: bigint): number => Number(ns / 1000n);
      const window = { startUs: us(window0), endUs: us(process.hrtime.bigint()) };
      writeFileSync(
        join(options.profileDir, `${target}-round${round}`, 'measured-window.json'),
        JSON.stringify(window),
      );
    }
    const cpu1 = processCpuMs(server.pid, env.clockTicks);
    const clientUsage = process.cpuUsage(client0);
    const db1 = pg ? dbCpu(benchDbBackendPids()) : new Map<number, number>();
    // Backends flush pg_stat_database about once a second, so the count is approximate at both ends.
    const xacts = pg ? benchDbTransactions() - xacts0 : 0;
    // A backend that appeared during the phase counts from zero.
    const dbMs = [...db1].reduce((sum, [pid, ms]) => sum + ms - (db0.get(pid) ?? 0), 0);

    const issued = latencies.length;
    const sorted = latencies.sort((a, b) => a - b);
    if (issued === 0) throw new Error(`no issuance succeeded: ${errors[0]}`);
    return {
      round,
      issued,
      errors: errors.length,
      firstError: errors[0],
      wallMs,
      issuancesPerSec: (issued * 1000) / wallMs,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      serverCpuMsPerIssuance: (cpu1 - cpu0) / issued,
      dbCpuMsPerIssuance: pg ? dbMs / issued : undefined,
      dbTransactionsPerIssuance: pg ? xacts / issued : undefined,
      clientCpuMsPerIssuance: (clientUsage.user + clientUsage.system) / 1000 / issued,
      requestsPerIssuance: requests / issued,
    };
  } finally {
    client?.close();
    await server.stop();
  }
}

/**
 * A run where the server stopped answering is repeated on a fresh server (at
 * most twice) and counted. Pebble 2.4's MemoryStore can deadlock under
 * concurrent newOrder/validation/finalize (lock-order problem discussed in
 * letsencrypt/pebble#268/#270); a hung run says nothing about throughput.
 */
async function measureWithRetry(env: Env, target: Target, round: number): Promise<RunResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ...(await measure(env, target, round)), attempts: attempt };
    } catch (err) {
      if (!(err instanceof ServerHungError) || attempt >= 3) throw err;
      log(`round ${round} ${target}: server stopped answering (${err.message}); repeating the run on a fresh server`);
    }
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const rotorTargets: Target[] = options.db === 'both' ? ['rotor-sqlite', 'rotor-postgres'] : [`rotor-${options.db}`];
  if (rotorTargets.includes('rotor-postgres')) {
    const problem = postgresAvailable();
    if (problem) throw new Error(`PostgreSQL at 127.0.0.1:5432 is not usable (${problem}); use --db sqlite`);
  }
  const targets: Target[] = ['pebble', ...rotorTargets];
  const workDir = mkdtempSync(join(tmpdir(), 'rotor-acme-bench-'));
  let dns: Awaited<ReturnType<typeof startDns>> | undefined;
  const responder = new Http01Responder();
  const onSigint = (): void => {
    killAllChildren();
    try {
      if (rotorTargets.includes('rotor-postgres')) dropBenchDatabase();
    } catch {
      // best effort: the next run drops it before use anyway
    }
    rmSync(workDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  process.once('exit', killAllChildren);
  const started = performance.now();
  try {
    dns = await startDns();
    await responder.start();
    const env: Env = {
      options,
      workDir,
      responder,
      dnsResolver: dns.resolver,
      pebbleTls: makePebbleTlsCert(workDir),
      clockTicks: clockTicksPerSecond(),
    };
    if (options.profileDir)
      log(`Rotor runs under --cpu-prof (profiles in ${options.profileDir}); its CPU figures include profiler overhead`);
    const runs = new Map<Target, RunResult[]>(targets.map((t) => [t, []]));
    for (let round = 1; round <= options.rounds; round++) {
      // Rotate the order each round so drift on the machine hits every server alike.
      const shift = (round - 1) % targets.length;
      for (const target of [...targets.slice(shift), ...targets.slice(0, shift)]) {
        const r = await measureWithRetry(env, target, round);
        (runs.get(target) as RunResult[]).push(r);
        log(
          `round ${round} ${target}: ${r.issuancesPerSec.toFixed(1)}/s p50 ${r.p50Ms.toFixed(1)} ms p99 ${r.p99Ms.toFixed(1)} ms ` +
            `server CPU ${r.serverCpuMsPerIssuance.toFixed(2)} ms/iss` +
            (r.dbCpuMsPerIssuance === undefined ? '' : ` + DB ${r.dbCpuMsPerIssuance.toFixed(2)}`) +
            (r.errors ? ` errors ${r.errors}: ${r.firstError}` : ''),
        );
      }
    }
    log('measuring the Node.js floor (bare node:https request, ES256 check, CSR key import)');
    const floor = await measureFloor(workDir);
    report(options, targets, runs, floor, (performance.now() - started) / 1000);
  } finally {
    await responder.stop().catch(() => undefined);
    await dns?.stop();
    killAllChildren();
    rmSync(workDir, { recursive: true, force: true });
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

function report(
  options: Options,
  targets: Target[],
  runs: Map<Target, RunResult[]>,
  floor: Floor,
  seconds: number,
): void {
  const summaries: TargetSummary[] = targets.map((t) =>
    t === 'pebble'
      ? summarise(t, `Pebble ${pebbleVersion()}`, 'in-memory', runs.get(t) as RunResult[])
      : summarise(t, 'Rotor', t === 'rotor-sqlite' ? 'SQLite' : 'PostgreSQL', runs.get(t) as RunResult[]),
  );
  const pebble = summaries[0];
  const ratios: Ratio[] = summaries.slice(1).map((s) => ratio(s, pebble));
  const envText = (e: Record<string, string>): string =>
    Object.entries(e)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  const header = [
    `## ACME issuance benchmark: Rotor vs Pebble, same client`,
    '',
    `Full issuances (account reused; newOrder → http-01 → finalize → download), ${options.n} measured + ${options.warmup} warm-up per run, ` +
      `concurrency ${options.concurrency}, ${options.rounds} round(s) rotating the server order, medians across rounds; ` +
      `status polls every ${options.pollMs} ms for both. Servers run one at a time; server CPU = utime+stime of its process over the measured phase.`,
    `Node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPUs; wall time ${seconds.toFixed(0)} s.`,
    `Rotor env: ${envText(ROTOR_BENCH_ENV)} (rate limits raised for the bench)${options.profileDir ? '; under --cpu-prof' : ''}.`,
    `Pebble env: ${envText(PEBBLE_BENCH_ENV)}.`,
  ];
  process.stdout.write(renderMarkdown(header, summaries, ratios) + '\n');
  process.stdout.write(renderFloor(floor, summaries, pebble) + '\n');
  const json = JSON.stringify({
    benchmark: 'acme-issuance',
    options: { ...options, json: undefined },
    node: process.version,
    cpus: cpus().length,
    env: { rotor: ROTOR_BENCH_ENV, pebble: PEBBLE_BENCH_ENV },
    results: summaries,
    ratios,
    floor,
  });
  if (options.json) writeFileSync(options.json, json + '\n');
  else process.stdout.write(json + '\n');
}

main().catch((err: unknown) => {
  killAllChildren();
  process.stderr.write(`acme-bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
