import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, RotorConfig, RotorConfigInput } from '@rotor/config';
import { createLogger } from '@rotor/observability';
import { bootstrapServer, RunningServer } from '@rotor/server';

export async function freeTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function tempDir(prefix = 'rotor-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestRotor {
  server: RunningServer;
  config: RotorConfig;
  baseUrl: string;
  directoryUrl: string;
  rootPem: string;
  /** An https.Agent trusting Rotor's root. */
  agent: Agent;
  /** GET/POST helper over fetch that trusts Rotor's root. */
  restart(): Promise<TestRotor>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** Starts a real Rotor server (HTTPS on loopback, a temp data dir, SQLite unless databaseUrl is given). */
export async function startRotor(overrides: Partial<Record<keyof RotorConfigInput, unknown>> = {}): Promise<TestRotor> {
  const port = await freeTcpPort();
  const config = loadConfig({ dataDir: tempDir(), listen: `127.0.0.1:${port}`, logLevel: 'silent', ...overrides }, {});
  return launch(config);
}

async function launch(config: RotorConfig): Promise<TestRotor> {
  const server = await bootstrapServer(config, createLogger(config.logLevel));
  const rootPem = readFileSync(server.rootPemPath, 'utf8');
  const agent = new Agent({ ca: rootPem, keepAlive: true });
  const rotor: TestRotor = {
    server,
    config,
    baseUrl: server.url,
    directoryUrl: server.directoryUrl,
    rootPem,
    agent,
    restart: async () => {
      await server.close();
      agent.destroy();
      return launch(config);
    },
    stop: async (options = {}) => {
      await server.close();
      agent.destroy();
      if (!options.keepData) rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
  return rotor;
}
