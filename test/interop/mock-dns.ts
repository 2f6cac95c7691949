/**
 * Interop support: pebble-challtestsrv as the mock DNS both Rotor's validator
 * and lego's propagation check query. Unlike startChallTestSrv() from
 * @rotor/testing, this exposes the management URL, because the lego dns-01
 * hook script (a separate process) must publish TXT records itself.
 * Only DNS and management listeners are bound, on 127.0.0.1; it answers
 * nothing by default, so every record a case relies on is explicit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { freePort } from '@rotor/testing';

const CANDIDATES = ['/usr/bin/pebble-challtestsrv', '/usr/local/bin/pebble-challtestsrv'];

export interface MockDns {
  /** "127.0.0.1:PORT" */
  dnsResolver: string;
  /** http://127.0.0.1:PORT of the management API (/set-txt, /clear-txt, ...). */
  managementUrl: string;
  addA(host: string, addresses: string[]): Promise<void>;
  stop(): Promise<void>;
}

export const fqdn = (host: string): string => (host.endsWith('.') ? host : `${host}.`);

async function waitUntilReady(child: ChildProcess, dnsPort: number, managementUrl: string): Promise<void> {
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${dnsPort}`]);
  for (let attempt = 0; attempt < 50; attempt++) {
    if (child.exitCode !== null) throw new Error(`pebble-challtestsrv exited with ${child.exitCode}`);
    try {
      await fetch(`${managementUrl}/clear-txt`, { method: 'POST', body: '{"host":"ready.test."}' });
      await resolver.resolveTxt('ready.test').catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENODATA' && err.code !== 'ENOTFOUND') throw err;
      });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('pebble-challtestsrv did not become ready');
}

export async function startMockDns(): Promise<MockDns> {
  const binary = CANDIDATES.find((p) => existsSync(p));
  if (!binary) throw new Error('pebble-challtestsrv not found (apt-get install pebble)');
  for (let attempt = 0; ; attempt++) {
    const dnsPort = await freePort('udp+tcp');
    const managementUrl = `http://127.0.0.1:${await freePort('tcp')}`;
    const child = spawn(
      binary,
      [
        ...['-dns01', `127.0.0.1:${dnsPort}`, '-management', new URL(managementUrl).host],
        ...['-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv4', '', '-defaultIPv6', ''],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    try {
      await waitUntilReady(child, dnsPort, managementUrl);
    } catch (err) {
      child.kill('SIGKILL');
      process.off('exit', killOnExit);
      if (attempt < 3) continue; // a port picked by freePort() may have been taken meanwhile
      throw new Error(`${(err as Error).message}: ${stderr.slice(-500)}`);
    }
    return {
      dnsResolver: `127.0.0.1:${dnsPort}`,
      managementUrl,
      addA: async (host, addresses) => {
        const res = await fetch(`${managementUrl}/add-a`, {
          method: 'POST',
          body: JSON.stringify({ host: fqdn(host), addresses }),
        });
        if (!res.ok) throw new Error(`challtestsrv /add-a: HTTP ${res.status}`);
      },
      stop: () =>
        new Promise<void>((resolve) => {
          process.off('exit', killOnExit);
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    };
  }
}
