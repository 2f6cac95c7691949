/**
 * Child processes for the issuance benchmark: Rotor (from the build, SQLite or
 * PostgreSQL), Pebble and pebble-challtestsrv, all on 127.0.0.1. Every child
 * is tracked so the benchmark can kill them in `finally` and on SIGINT, and
 * each server exposes its pid so its CPU time can be read from /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as dgram from 'node:dgram';
import * as https from 'node:https';
import * as net from 'node:net';
import { join, resolve } from 'node:path';

export const PEBBLE_BIN = '/usr/bin/pebble';
export const CHALLTESTSRV_BIN = '/usr/bin/pebble-challtestsrv';
export const ROTOR_BIN = resolve(__dirname, '../../../bin/rotor.js');

/** Rate limits raised so the bench measures issuance, not the token bucket. */
export const ROTOR_BENCH_ENV = {
  ROTOR_RATE_LIMIT_PER_ACCOUNT: '100000',
  ROTOR_RATE_LIMIT_PER_IP: '100000',
  ROTOR_RATE_LIMIT_BURST: '100000',
};
/** No artificial VA sleeps, no authz reuse, real validation, no deliberately rejected nonces. */
export const PEBBLE_BENCH_ENV = {
  PEBBLE_VA_NOSLEEP: '1',
  PEBBLE_AUTHZREUSE: '0',
  PEBBLE_VA_ALWAYS_VALID: '0',
  PEBBLE_WFE_NONCEREJECT: '0',
};

export const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const PG_BENCH_DB = 'rotor_bench';
export const PG_BENCH_URL = `postgres://postgres@127.0.0.1:5432/${PG_BENCH_DB}`;

export interface RunningServer {
  label: string;
  pid: number;
  directoryUrl: string;
  /** PEM trusted for the server's HTTPS listener. */
  caPem: string;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGKILLs every child still running (used on SIGINT and at exit). */
export function killAllChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function track(child: ChildProcess, label: string): { output: () => string } {
  children.add(child);
  child.once('exit', () => children.delete(child));
  let tail = '';
  const keep = (d: Buffer): void => {
    tail = (tail + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.once('error', (err) => keep(Buffer.from(`${label}: ${err.message}\n`)));
  return { output: () => tail };
}

/** SIGTERM, then SIGKILL after graceMs (Rotor needs a clean exit to write --cpu-prof output). */
async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A port free for TCP (and UDP, for the DNS server) on 127.0.0.1 right now. */
export async function freePort(udpToo = false): Promise<number> {
  for (;;) {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as net.AddressInfo;
    let ok = true;
    if (udpToo) {
      const udp = dgram.createSocket('udp4');
      ok = await new Promise<boolean>((r) => {
        udp.once('error', () => r(false));
        udp.bind(port, '127.0.0.1', () => r(true));
      });
      if (ok) await new Promise<void>((r) => udp.close(() => r()));
    }
    await new Promise<void>((r) => server.close(() => r()));
    if (ok) return port;
  }
}

/** utime + stime of a process in milliseconds (/proc/<pid>/stat fields 14 and 15), all threads included. */
export function processCpuMs(pid: number, clockTicks: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

export function clockTicksPerSecond(): number {
  return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
}

/** GET until the directory answers 200 over HTTPS with the given CA, or the child dies. */
async function waitForDirectory(url: string, caPem: string, child: ChildProcess, output: () => string): Promise<void> {
  const agent = new https.Agent({ ca: caPem });
  try {
    for (let attempt = 0; attempt < 300; attempt++) {
      if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${output()}`);
      const ok = await new Promise<boolean>((r) => {
        const req = https.get(url, { agent }, (res) => {
          res.resume();
          r(res.statusCode === 200);
        });
        req.on('error', () => r(false));
      });
      if (ok) return;
      await sleep(50);
    }
    throw new Error(`${url} did not answer: ${output()}`);
  } finally {
    agent.destroy();
  }
}

/** pebble-challtestsrv as the DNS server of both CAs: every A query answers 127.0.0.1, AAAA nothing. */
export async function startDns(): Promise<{ resolver: string; stop(): Promise<void> }> {
  const port = await freePort(true);
  const managementPort = await freePort();
  // challtestsrv uses its -http01 default (:5002) unless told "", so every responder but DNS is disabled.
  const args = ['-dns01', `127.0.0.1:${port}`, '-management', `127.0.0.1:${managementPort}`];
  args.push('-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv4', '127.0.0.1', '-defaultIPv6', '');
  const child = spawn(CHALLTESTSRV_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const { output } = track(child, 'pebble-challtestsrv');
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`pebble-challtestsrv exited: ${output()}`);
    const ok = await fetch(`http://127.0.0.1:${managementPort}/clear-txt`, {
      method: 'POST',
      body: '{"host":"ready.test."}',
    }).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) break;
    if (attempt > 100) throw new Error(`pebble-challtestsrv not ready: ${output()}`);
    await sleep(50);
  }
  return { resolver: `127.0.0.1:${port}`, stop: () => stopChild(child) };
}

/** A self-signed P-256 certificate for Pebble's HTTPS listener (127.0.0.1 and localhost). */
export function makePebbleTlsCert(dir: string): { certPath: string; keyPath: string; caPem: string } {
  const certPath = join(dir, 'pebble-cert.pem');
  const keyPath = join(dir, 'pebble-key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath]
      .concat(['-out', certPath, '-days', '2', '-subj', '/CN=localhost'])
      .concat(['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']),
    { stdio: 'ignore' },
  );
  return { certPath, keyPath, caPem: readFileSync(certPath, 'utf8') };
}

export interface PebbleOptions {
  workDir: string;
  tls: { certPath: string; keyPath: string; caPem: string };
  http01Port: number;
  dnsResolver: string;
}

export async function startPebble(options: PebbleOptions): Promise<RunningServer> {
  const port = await freePort();
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${port}`,
      managementListenAddress: `127.0.0.1:${await freePort()}`,
      certificate: options.tls.certPath,
      privateKey: options.tls.keyPath,
      httpPort: options.http01Port,
      tlsPort: await freePort(), // nothing listens there; the bench uses http-01 only
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
    },
  };
  const configPath = join(options.workDir, `pebble-${port}.json`);
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const child = spawn(PEBBLE_BIN, ['-config', configPath, '-strict=false', '-dnsserver', options.dnsResolver], {
    env: { ...process.env, ...PEBBLE_BENCH_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output } = track(child, 'pebble');
  const directoryUrl = `https://127.0.0.1:${port}/dir`;
  await waitForDirectory(directoryUrl, options.tls.caPem, child, output);
  return {
    label: 'Pebble',
    pid: child.pid as number,
    directoryUrl,
    caPem: options.tls.caPem,
    stop: () => stopChild(child),
  };
}

export type RotorDb = 'sqlite' | 'postgres';

export interface RotorOptions {
  dataDir: string;
  db: RotorDb;
  http01Port: number;
  dnsResolver: string;
  /** When set, run Rotor under `node --cpu-prof` and write the profile there. */
  cpuProfDir?: string;
}

function psql(url: string, sql: string): string {
  return execFileSync('psql', ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], {
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

/** A fresh, empty database for one Rotor run (Rotor has no schema option, so a database of its own). */
export function resetBenchDatabase(): void {
  psql(PG_ADMIN_URL, `DROP DATABASE IF EXISTS ${PG_BENCH_DB} WITH (FORCE)`);
  psql(PG_ADMIN_URL, `CREATE DATABASE ${PG_BENCH_DB}`);
}

export function dropBenchDatabase(): void {
  psql(PG_ADMIN_URL, `DROP DATABASE IF EXISTS ${PG_BENCH_DB} WITH (FORCE)`);
}

/** Pids of the PostgreSQL backends serving the bench database (their CPU is the DB's share). */
export function benchDbBackendPids(): number[] {
  const out = psql(PG_ADMIN_URL, `SELECT pid FROM pg_stat_activity WHERE datname = '${PG_BENCH_DB}'`);
  return out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** Committed + rolled-back transactions of the bench database so far (each autocommit statement is one). */
export function benchDbTransactions(): number {
  const out = psql(
    PG_ADMIN_URL,
    `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '${PG_BENCH_DB}'`,
  );
  return Number(out.trim());
}

export function postgresAvailable(): string | undefined {
  try {
    psql(PG_ADMIN_URL, 'SELECT 1');
    return undefined;
  } catch (err) {
    return (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
  }
}

export async function startRotor(options: RotorOptions): Promise<RunningServer> {
  mkdirSync(options.dataDir, { recursive: true });
  const port = await freePort();
  const nodeArgs: string[] = [];
  if (options.cpuProfDir) {
    mkdirSync(options.cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfDir);
  }
  const args = [...nodeArgs, ROTOR_BIN, 'start', '--data-dir', options.dataDir, '--listen', `127.0.0.1:${port}`];
  args.push('--http01-port', String(options.http01Port), '--dns-resolver', options.dnsResolver, '--log-level', 'warn');
  if (options.db === 'postgres') {
    resetBenchDatabase();
    args.push('--database-url', PG_BENCH_URL);
  }
  if (!existsSync(ROTOR_BIN)) throw new Error(`${ROTOR_BIN} not found`);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...ROTOR_BENCH_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { output } = track(child, 'rotor');
  // `rotor start` prints both lines once it listens.
  const started = await new Promise<{ directoryUrl: string; rootPath: string }>((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`Rotor did not start in 60 s: ${output()}`)), 60_000);
    let stdout = '';
    const onData = (d: Buffer): void => {
      stdout += d.toString();
      const dir = /ACME directory:\s+(\S+)/.exec(stdout)?.[1];
      const root = /Root certificate:\s+(\S+)/.exec(stdout)?.[1];
      if (dir && root) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolveStart({ directoryUrl: dir, rootPath: root });
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Rotor exited with ${code}: ${output()}`));
    });
  });
  const caPem = readFileSync(started.rootPath, 'utf8');
  await waitForDirectory(started.directoryUrl, caPem, child, output);
  return {
    label: `Rotor (${options.db})`,
    pid: child.pid as number,
    directoryUrl: started.directoryUrl,
    caPem,
    stop: async () => {
      await stopChild(child, 15_000);
      if (options.db === 'postgres') dropBenchDatabase();
    },
  };
}

export function pebbleVersion(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'pebble']).toString().trim();
  } catch {
    return 'unknown version';
  }
}
