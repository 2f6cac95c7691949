import { existsSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, RotorConfig, RotorConfigInput } from '@rotor/config';
import { createLogger } from '@rotor/observability';
import { bootstrapServer, RunningServer } from '@rotor/server';
import { apiClient, ApiCallOptions, ApiResponse, freeTcpPort, tempDir } from '@rotor/testing';

/** A started Rotor whose log lines (JSON, debug level) are kept for assertions (e.g. "no secret is logged"). */
export interface LoggedRotor {
  server: RunningServer;
  config: RotorConfig;
  agent: Agent;
  adminToken: string;
  logs: string[];
  api(method: string, path: string, options?: ApiCallOptions): Promise<ApiResponse>;
  stop(): Promise<void>;
}

export async function startLoggedRotor(
  overrides: Partial<Record<keyof RotorConfigInput, unknown>> = {},
): Promise<LoggedRotor> {
  const port = await freeTcpPort();
  const config = loadConfig({ dataDir: tempDir(), listen: `127.0.0.1:${port}`, logLevel: 'debug', ...overrides }, {});
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const server = await bootstrapServer(config, createLogger('debug', sink));
  const agent = new Agent({ ca: readFileSync(server.rootPemPath, 'utf8'), keepAlive: true });
  const tokenPath = join(config.dataDir, 'admin-token');
  const adminToken = existsSync(tokenPath) ? readFileSync(tokenPath, 'utf8').trim() : '';
  return {
    server,
    config,
    agent,
    adminToken,
    logs,
    api: apiClient(agent, server.url, adminToken),
    stop: async () => {
      await server.close();
      agent.destroy();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
