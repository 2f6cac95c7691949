/**
 * Interop support: runs the real `rotor start` CLI from dist/ as a child
 * process, the way operators and the clients under test see it. Unlike
 * startRotor() from @rotor/testing (in-process), nothing here shares memory
 * with the server: it is reached only over HTTPS and through its data dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, tempDir } from '@rotor/testing';

const REPO_ROOT = resolve(__dirname, '..', '..');
const CLI_ENTRY = join(REPO_ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');
const BIN = join(REPO_ROOT, 'bin', 'rotor.js');
const READY_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 5_000;
const OUTPUT_LIMIT = 64 * 1024;

export interface RotorProcessOptions {
  /** "127.0.0.1:PORT" of the DNS server every validation lookup goes to. */
  dnsResolver: string;
}

export interface RotorProcess {
  directoryUrl: string;
  rootPemPath: string;
  rootPem: string;
  /** https://127.0.0.1:PORT (no trailing slash). */
  baseUrl: string;
  dataDir: string;
  /** Where Rotor's validators connect for http-01 / tls-alpn-01: clients must listen here. */
  http01Port: number;
  tlsAlpn01Port: number;
  /** Tail of the server's stdout+stderr, for assertion messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; removes the data dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** Fails with an actionable message instead of an obscure spawn error. */
export function assertBuilt(): void {
  if (!existsSync(CLI_ENTRY)) {
    throw new Error(
      `Rotor is not built: ${CLI_ENTRY} is missing. Run \`npm run build\` first ` +
        '(`npm test` does it through its pretest script).',
    );
  }
}

/** The child's environment: ours without ROTOR_* (config comes from flags only) and without proxies. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('ROTOR_') || /^(https?|all)_proxy$/i.test(key)) continue;
    env[key] = value;
  }
  return env;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => resolveExit(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit(true);
    });
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, KILL_GRACE_MS)) return;
  child.kill('SIGKILL');
  await waitForExit(child, KILL_GRACE_MS);
}

interface Attempt {
  child: ChildProcess;
  output: () => string;
  ready: Promise<{ directoryUrl: string; rootPemPath: string }>;
}

function launch(args: string[]): Attempt {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
  };
  child.stderr?.on('data', append);
  const ready = new Promise<{ directoryUrl: string; rootPemPath: string }>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Rotor did not print "ACME directory:" within ${READY_TIMEOUT_MS / 1000} s`)),
      READY_TIMEOUT_MS,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      append(chunk);
      const directoryUrl = /ACME directory:\s+(\S+)/.exec(output)?.[1];
      const rootPemPath = /Root certificate:\s+(\S+)/.exec(output)?.[1];
      if (directoryUrl && rootPemPath) {
        clearTimeout(timer);
        resolveReady({ directoryUrl, rootPemPath });
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Rotor exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
  return { child, output: () => output, ready };
}

/**
 * Starts `rotor start` on free loopback ports with a fresh data dir and waits
 * for its "ACME directory:" line. Retries a few times because a port chosen
 * by freePort() can be taken by someone else before Rotor binds it.
 */
export async function startRotorProcess(options: RotorProcessOptions): Promise<RotorProcess> {
  assertBuilt();
  const http01Port = await freePort('tcp');
  const tlsAlpn01Port = await freePort('tcp');
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dataDir = tempDir('rotor-interop-data-');
    const port = await freePort('tcp');
    const attemptRun = launch([
      'start',
      '--data-dir',
      dataDir,
      '--listen',
      `127.0.0.1:${port}`,
      '--http01-port',
      String(http01Port),
      '--tlsalpn01-port',
      String(tlsAlpn01Port),
      '--dns-resolver',
      options.dnsResolver,
      '--log-level',
      'warn',
    ]);
    const { child } = attemptRun;
    // If the Jest worker dies before afterAll, do not leave the server running.
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    try {
      const { directoryUrl, rootPemPath } = await attemptRun.ready;
      let stopped: Promise<void> | undefined;
      return {
        directoryUrl,
        rootPemPath,
        rootPem: readFileSync(rootPemPath, 'utf8'),
        baseUrl: new URL(directoryUrl).origin,
        dataDir,
        http01Port,
        tlsAlpn01Port,
        output: attemptRun.output,
        stop: () =>
          (stopped ??= terminate(child).then(() => {
            process.off('exit', killOnExit);
            rmSync(dataDir, { recursive: true, force: true });
          })),
      };
    } catch (err) {
      await terminate(child);
      process.off('exit', killOnExit);
      rmSync(dataDir, { recursive: true, force: true });
      lastError = new Error(`${(err as Error).message}\n--- rotor output ---\n${attemptRun.output().slice(-4000)}`);
      if (!/EADDRINUSE/.test(attemptRun.output())) break;
    }
  }
  throw lastError ?? new Error('Rotor did not start');
}
