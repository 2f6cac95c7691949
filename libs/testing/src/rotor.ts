import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
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
  /** A token with the `admin` scope (the bootstrap token Rotor wrote on first start). */
  adminToken: string;
  /** Calls the admin API (or any path) over HTTPS trusting Rotor's root; `token` defaults to adminToken. */
  api(method: string, path: string, options?: ApiCallOptions): Promise<ApiResponse>;
  restart(): Promise<TestRotor>;
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface ApiCallOptions {
  /** Sent as JSON unless rawBody is given. */
  body?: unknown;
  /** Sent as is (set Content-Type in headers). */
  rawBody?: string;
  /** null sends no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the response is JSON, else the text. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

/** One HTTPS request with node:https (fetch cannot take a custom CA without undici internals). */
export function httpsRequest(
  agent: Agent,
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        if (/json/.test(String(res.headers['content-type']))) {
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: parsed, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** TestRotor.api for a server at baseUrl: JSON bodies, the admin token unless told otherwise. */
export function apiClient(agent: Agent, baseUrl: string, adminToken: string): TestRotor['api'] {
  return (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? adminToken : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body = options.rawBody;
    if (body === undefined && options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    return httpsRequest(agent, `${baseUrl}${path}`, method, headers, body);
  };
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
  // A replica joining a database that already has tokens writes none; use the first replica's.
  const tokenPath = join(config.dataDir, 'admin-token');
  const adminToken = existsSync(tokenPath) ? readFileSync(tokenPath, 'utf8').trim() : '';
  const rotor: TestRotor = {
    adminToken,
    api: apiClient(agent, server.url, adminToken),
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
