/**
 * Test helper: runs the real pebble-challtestsrv (Debian package "pebble") as
 * a mock DNS server on 127.0.0.1, the same tool the interop suite uses. Only
 * its DNS and management listeners are bound; the http-01/tls-alpn-01
 * responders are disabled ("" address). It answers nothing by default
 * (-defaultIPv4 "" -defaultIPv6 ""), so every record a test relies on is explicit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { freePort } from './servers';

const CANDIDATES = ['/usr/bin/pebble-challtestsrv', '/usr/local/bin/pebble-challtestsrv'];

export interface ChallTestSrv {
  /** "127.0.0.1:PORT", for ValidatorOptions.dnsResolver. */
  dnsResolver: string;
  /** http://127.0.0.1:PORT of the management API (/set-txt, /clear-txt, …), for hook scripts. */
  managementUrl: string;
  addA(host: string, addresses: string[]): Promise<void>;
  addAAAA(host: string, addresses: string[]): Promise<void>;
  setTxt(host: string, value: string): Promise<void>;
  setServfail(host: string): Promise<void>;
  stop(): Promise<void>;
}

const fqdn = (host: string): string => (host.endsWith('.') ? host : `${host}.`);

async function waitUntilReady(child: ChildProcess, dnsPort: number, managementPort: number): Promise<void> {
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${dnsPort}`]);
  for (let attempt = 0; attempt < 50; attempt++) {
    if (child.exitCode !== null) throw new Error(`pebble-challtestsrv exited with ${child.exitCode}`);
    try {
      await fetch(`http://127.0.0.1:${managementPort}/clear-txt`, { method: 'POST', body: '{"host":"ready.test."}' });
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

export async function startChallTestSrv(): Promise<ChallTestSrv> {
  const binary = CANDIDATES.find((p) => existsSync(p));
  if (!binary) throw new Error('pebble-challtestsrv not found (apt-get install pebble)');
  for (let attempt = 0; ; attempt++) {
    const dnsPort = await freePort('udp+tcp');
    const managementPort = await freePort('tcp');
    const child = spawn(
      binary,
      [
        '-dns01',
        `127.0.0.1:${dnsPort}`,
        '-management',
        `127.0.0.1:${managementPort}`,
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-defaultIPv4',
        '',
        '-defaultIPv6',
        '',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    // If the Jest worker dies before afterAll, do not leave the DNS server running.
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitUntilReady(child, dnsPort, managementPort);
    } catch (err) {
      child.kill('SIGKILL');
      process.off('exit', killOnExit);
      if (attempt < 3) continue; // a port picked by freePort() may have been taken meanwhile
      throw new Error(`${(err as Error).message}: ${stderr.slice(-500)}`);
    }
    const post = async (path: string, body: object): Promise<void> => {
      const res = await fetch(`http://127.0.0.1:${managementPort}${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`challtestsrv ${path}: HTTP ${res.status}`);
    };
    return {
      dnsResolver: `127.0.0.1:${dnsPort}`,
      managementUrl: `http://127.0.0.1:${managementPort}`,
      addA: (host, addresses) => post('/add-a', { host: fqdn(host), addresses }),
      addAAAA: (host, addresses) => post('/add-aaaa', { host: fqdn(host), addresses }),
      setTxt: (host, value) => post('/set-txt', { host: fqdn(host), value }),
      setServfail: (host) => post('/set-servfail', { host: fqdn(host) }),
      stop: () =>
        new Promise<void>((resolve) => {
          process.off('exit', killOnExit);
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    };
  }
}
