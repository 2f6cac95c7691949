/**
 * Interop support: running real client tools (certbot, lego, openssl) as
 * child processes, with their output kept for assertion messages, and the
 * openssl checks every case shares (chain verification, CRL contents).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { freePort } from '@rotor/testing';

export interface ToolResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

const running = new Set<ChildProcess>();
const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** The environment every tool gets: ours minus proxy settings, so loopback stays loopback. */
function toolEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(https?|all)_proxy$/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', ...extra };
}

/** Runs a tool to completion (never rejects on a non-zero exit); SIGKILLs it after timeoutMs. */
export function runTool(file: string, args: string[], options: RunOptions = {}): Promise<ToolResult> {
  const started = Date.now();
  const envPrefix = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${quote(v)} `);
  const command = envPrefix.join('') + [file, ...args].map(quote).join(' ');
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: toolEnv(options.env ?? {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[interop] killed after ${options.timeoutMs ?? 60_000} ms\n`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ command, code, signal, stdout, stderr, durationMs: Date.now() - started });
    };
    child.once('error', (err) => {
      stderr += `\n[interop] spawn failed: ${err.message}\n`;
      finish(null, null);
    });
    child.once('close', finish);
  });
}

/** Kills every tool still running (afterAll): a hung client must not outlive the suite. */
export function killRunningTools(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export function describeResult(result: ToolResult, extra = ''): string {
  const status = result.signal ? `signal ${result.signal}` : `exit ${result.code}`;
  return (
    `$ ${result.command}\n${status} after ${result.durationMs} ms\n` +
    `--- stdout ---\n${result.stdout.trim()}\n--- stderr ---\n${result.stderr.trim()}\n` +
    (extra ? `--- ${extra}` : '')
  );
}

export class ToolAssertionError extends Error {}

/** Asserts the exit status and prints the whole transcript when it is not what the case expects. */
export function expectExit(result: ToolResult, expected: 'success' | 'failure', context = ''): void {
  const ok = expected === 'success' ? result.code === 0 : result.code !== null && result.code !== 0;
  if (!ok) throw new ToolAssertionError(`expected ${expected}\n${describeResult(result, context)}`);
}

export function expectOutput(result: ToolResult, pattern: RegExp, context = ''): void {
  if (!pattern.test(result.stdout + result.stderr)) {
    throw new ToolAssertionError(`output does not match ${pattern}\n${describeResult(result, context)}`);
  }
}

/** A free loopback TCP port that is none of `taken` (ports reserved for Rotor's validators but not bound yet). */
export async function freePortExcept(...taken: number[]): Promise<number> {
  for (;;) {
    const port = await freePort('tcp');
    if (!taken.includes(port)) return port;
  }
}

export function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

export function readLeaf(path: string): X509Certificate {
  const [first] = pemBlocks(readFileSync(path, 'utf8'));
  if (!first) throw new Error(`${path} holds no certificate`);
  return new X509Certificate(first);
}

/** "DNS:a, DNS:b" → ["a", "b"] sorted. */
export function dnsNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4))
    .sort();
}

/** Hex serial without leading zeros or colons, upper case: how both openssl and node can be compared. */
export const normalizeSerial = (serial: string): string => serial.replace(/:/g, '').toUpperCase().replace(/^0+/, '');

/** `openssl verify -CAfile root -untrusted chain cert` (the leaf is the first certificate in certPath). */
export async function opensslVerify(rootPemPath: string, chainPath: string, certPath: string): Promise<void> {
  const result = await runTool('openssl', [
    'verify',
    '-purpose',
    'sslserver',
    '-CAfile',
    rootPemPath,
    '-untrusted',
    chainPath,
    certPath,
  ]);
  expectExit(result, 'success');
  expectOutput(result, new RegExp(`${certPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: OK`));
}

/** GET over HTTPS trusting only Rotor's root. */
export function httpsGet(url: string, rootPem: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: rootPem, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface CrlEntry {
  serial: string;
  reason: string | undefined;
}

/**
 * Fetches Rotor's CRL (DER), checks its signature with openssl against the
 * issuer chain, and lists its entries as openssl prints them.
 */
export async function fetchCrl(
  baseUrl: string,
  rootPem: string,
  issuerChainPem: string,
  workDir: string,
): Promise<{ entries: CrlEntry[]; text: string }> {
  const res = await httpsGet(`${baseUrl}/ca/crl`, rootPem);
  if (res.status !== 200) throw new Error(`GET /ca/crl: HTTP ${res.status}: ${res.body.toString().slice(0, 500)}`);
  const derPath = join(workDir, `crl-${Date.now()}.der`);
  const caPath = join(workDir, 'crl-issuers.pem');
  writeFileSync(derPath, res.body);
  writeFileSync(caPath, rootPem + issuerChainPem);
  const verified = await runTool('openssl', ['crl', '-inform', 'DER', '-in', derPath, '-CAfile', caPath, '-noout']);
  expectExit(verified, 'success', 'CRL signature check');
  expectOutput(verified, /verify OK/, 'CRL signature check');
  const printed = await runTool('openssl', ['crl', '-inform', 'DER', '-in', derPath, '-noout', '-text']);
  expectExit(printed, 'success');
  const entries: CrlEntry[] = [];
  // Each entry: "Serial Number: HEX" then optional extensions, e.g. "X509v3 CRL Reason Code:\n  Key Compromise".
  for (const block of printed.stdout.split(/Serial Number:/).slice(1)) {
    const serial = /^\s*([0-9A-Fa-f:]+)/.exec(block)?.[1] ?? '';
    const reason = /CRL Reason Code:\s*\n\s*([^\n]+)/.exec(block)?.[1]?.trim();
    entries.push({ serial: normalizeSerial(serial), reason });
  }
  return { entries, text: printed.stdout };
}
