/**
 * Interop: the unmodified Debian lego against a started `rotor start`
 * process, with every challenge type lego solves itself: http-01 and
 * tls-alpn-01 (its own listeners, on the ports Rotor's validators dial) and
 * dns-01 through lego's "exec" provider, whose hook script publishes TXT
 * records in pebble-challtestsrv — the DNS server both Rotor's validator
 * (--dns-resolver) and lego's propagation check (--dns.resolvers) query.
 *
 * Cases run in order and share one lego --path (one account), like one host
 * would: renew and revoke act on certificates the issuance cases obtained.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChallTestSrv, tempDir, type ChallTestSrv } from '@rotor/testing';
import { AcmeReader, legoAccount } from './acme-reader';
import { assertBuilt, startRotorProcess, type RotorProcess } from './rotor-process';
import {
  describeResult,
  dnsNames,
  expectExit,
  expectOutput,
  fetchCrl,
  freePortExcept,
  killRunningTools,
  normalizeSerial,
  opensslVerify,
  pemBlocks,
  readLeaf,
  runTool,
  type CrlEntry,
  type ToolResult,
} from './tools';

jest.setTimeout(60_000);

const A_NAMES = ['lego-http.example.test', 'lego-alpn.example.test', 'lego-unreachable.example.test'];

let dns: ChallTestSrv;
let rotor: RotorProcess;
let work: string;
let hookPath: string;

beforeAll(async () => {
  assertBuilt();
  work = tempDir('rotor-interop-lego-');
  dns = await startChallTestSrv();
  for (const name of A_NAMES) await dns.addA(name, ['127.0.0.1']);
  rotor = await startRotorProcess({ dnsResolver: dns.dnsResolver });
  hookPath = writeDnsHook(dns.managementUrl);
});

afterAll(async () => {
  killRunningTools();
  await rotor?.stop();
  await dns?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * The lego "exec" DNS provider runs `<hook> present|cleanup <fqdn> <value>`
 * (default mode: fqdn is "_acme-challenge.<domain>." and value the record
 * content already digested, RFC 8555 §8.4). It talks to challtestsrv's
 * management API and logs each call for assertion messages.
 */
function writeDnsHook(managementUrl: string): string {
  const path = join(work, 'dns-hook.js');
  const log = join(work, 'dns-hook.log');
  writeFileSync(
    path,
    `#!${process.execPath}
'use strict';
const [action, fqdn, value] = process.argv.slice(2);
require('node:fs').appendFileSync(${JSON.stringify(log)}, new Date().toISOString() + ' ' + process.argv.slice(2).join(' ') + '\\n');
const post = (path, body) =>
  fetch(${JSON.stringify(managementUrl)} + path, { method: 'POST', body: JSON.stringify(body) }).then((res) => {
    if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
  });
const work =
  action === 'present' ? post('/set-txt', { host: fqdn, value })
  : action === 'cleanup' ? post('/clear-txt', { host: fqdn })
  : Promise.resolve();
work.then(() => process.exit(0), (err) => { console.error(String(err)); process.exit(1); });
`,
  );
  chmodSync(path, 0o755);
  return path;
}

const legoPath = (): string => join(work, 'lego');

/** lego with its state in <work>/lego; trusts Rotor's root through LEGO_CA_CERTIFICATES. */
function lego(globalArgs: string[], command: string[], env: Record<string, string> = {}): Promise<ToolResult> {
  return runTool(
    'lego',
    [
      ...['--server', rotor.directoryUrl, '--accept-tos', '--email', 'interop@example.test', '--path', legoPath()],
      ...globalArgs,
      ...command,
    ],
    { env: { LEGO_CA_CERTIFICATES: rotor.rootPemPath, ...env }, cwd: work, timeoutMs: 50_000 },
  );
}

const domainArgs = (domains: string[]): string[] => domains.flatMap((d) => ['--domains', d]);

type Solver = 'http-01' | 'tls-alpn-01' | 'dns-01';

function solverArgs(solver: Solver, port?: number): { args: string[]; env: Record<string, string> } {
  switch (solver) {
    case 'http-01':
      return { args: ['--http', '--http.port', `127.0.0.1:${port ?? rotor.http01Port}`], env: {} };
    case 'tls-alpn-01':
      return { args: ['--tls', '--tls.port', `127.0.0.1:${port ?? rotor.tlsAlpn01Port}`], env: {} };
    case 'dns-01':
      return {
        // --dns.disable-cp: skip the authoritative-nameserver check (challtestsrv is no real zone);
        // lego still checks the record once through --dns.resolvers before answering the challenge.
        args: ['--dns', 'exec', '--dns.resolvers', dns.dnsResolver, '--dns.disable-cp'],
        env: {
          EXEC_PATH: hookPath,
          EXEC_PROPAGATION_TIMEOUT: '10',
          EXEC_POLLING_INTERVAL: '1',
          // lego solves a wildcard and its base name (same TXT owner) one after the other and
          // waits EXEC_SEQUENCE_INTERVAL in between: 60 s by default.
          EXEC_SEQUENCE_INTERVAL: '0',
        },
      };
  }
}

/** lego names its files after the first domain, "*" written as "_". */
const certFile = (domains: string[], ext: string): string =>
  join(legoPath(), 'certificates', `${domains[0].replace('*', '_')}.${ext}`);

async function expectIssuedChain(domains: string[], run: ToolResult): Promise<string> {
  const crt = certFile(domains, 'crt');
  const bundle = pemBlocks(readFileSync(crt, 'utf8'));
  const issuer = readFileSync(certFile(domains, 'issuer.crt'), 'utf8');
  const leaf = readLeaf(crt);
  if (JSON.stringify(dnsNames(leaf)) !== JSON.stringify([...domains].sort()) || bundle[1] !== pemBlocks(issuer)[0]) {
    throw new Error(
      `unexpected certificate: SANs ${leaf.subjectAltName}, ${bundle.length} PEM blocks\n${describeResult(run)}`,
    );
  }
  await opensslVerify(rotor.rootPemPath, certFile(domains, 'issuer.crt'), crt);
  return normalizeSerial(leaf.serialNumber);
}

/** Serials this file issued, keyed by first domain. */
const issued = new Map<string, string[]>();

function lastSerial(domain: string): string {
  const serial = issued.get(domain)?.at(-1);
  if (!serial) throw new Error(`no certificate was issued for ${domain}: an earlier case failed`);
  return serial;
}

async function crlEntry(serial: string): Promise<CrlEntry | undefined> {
  const issuer = readFileSync(certFile(['lego-http.example.test'], 'issuer.crt'), 'utf8');
  const crl = await fetchCrl(rotor.baseUrl, rotor.rootPem, issuer, work);
  return crl.entries.find((e) => e.serial === serial);
}

describe('lego 4.x (http-01, tls-alpn-01, dns-01 via exec)', () => {
  const ISSUE_CASES: { name: string; domains: string[]; solver: Solver; keyType: string; keyAlg: string }[] = [
    { name: 'ok/lego-http01', domains: ['lego-http.example.test'], solver: 'http-01', keyType: 'ec256', keyAlg: 'ec' },
    {
      name: 'ok/lego-tlsalpn01-rsa2048',
      domains: ['lego-alpn.example.test'],
      solver: 'tls-alpn-01',
      keyType: 'rsa2048',
      keyAlg: 'rsa',
    },
    {
      name: 'ok/lego-dns01-ec384',
      domains: ['lego-dns.example.test'],
      solver: 'dns-01',
      keyType: 'ec384',
      keyAlg: 'ec',
    },
    {
      name: 'ok/lego-dns01-wildcard-and-base-name',
      domains: ['*.wild.example.test', 'wild.example.test'],
      solver: 'dns-01',
      keyType: 'ec256',
      keyAlg: 'ec',
    },
  ];

  it.each(ISSUE_CASES)('$name', async ({ domains, solver, keyType, keyAlg }) => {
    const { args, env } = solverArgs(solver);
    const run = await lego([...domainArgs(domains), ...args, '--key-type', keyType], ['run'], env);
    const hookLog = solver === 'dns-01' ? `dns hook calls:\n${safeRead(join(work, 'dns-hook.log'))}` : '';
    expectExit(run, 'success', `${hookLog}\nrotor output:\n${rotor.output().slice(-2000)}`);
    expectOutput(run, /Server responded with a certificate/);
    const serial = await expectIssuedChain(domains, run);
    expect(readLeaf(certFile(domains, 'crt')).publicKey.asymmetricKeyType).toBe(keyAlg);
    issued.set(domains[0], [serial]);
  });

  it('ok/lego-renew-days-9999', async () => {
    const domains = ['lego-http.example.test'];
    const before = lastSerial(domains[0]);
    const { args } = solverArgs('http-01');
    // --days 9999: every certificate is "due"; --no-random-sleep: lego otherwise waits up to 8 min off a TTY.
    const run = await lego([...domainArgs(domains), ...args], ['renew', '--days', '9999', '--no-random-sleep']);
    expectExit(run, 'success');
    expectOutput(run, /Trying renewal/);
    const after = await expectIssuedChain(domains, run);
    expect(after).not.toBe(before);
    issued.get(domains[0])?.push(after);
  });

  it('ok/lego-revoke-cessation-of-operation', async () => {
    const serial = lastSerial('lego-http.example.test');
    // --keep: leave the files in place so the next case can try again.
    const run = await lego(domainArgs(['lego-http.example.test']), ['revoke', '--reason', '5', '--keep']);
    expectExit(run, 'success');
    expectOutput(run, /Certificate was revoked/);
    const entry = await crlEntry(serial);
    expect(entry).toEqual({ serial, reason: 'Cessation Of Operation' });
  });

  it('fail/lego-revoke-twice-already-revoked', async () => {
    const run = await lego(domainArgs(['lego-http.example.test']), ['revoke', '--keep']);
    expectExit(run, 'failure');
    expectOutput(run, /urn:ietf:params:acme:error:alreadyRevoked/);
  });

  it('fail/lego-revoke-unassigned-reason-7', async () => {
    // RFC 8555 §7.6 / RFC 5280 §5.3.1: 7 is not a reason code.
    const run = await lego(domainArgs(['lego-alpn.example.test']), ['revoke', '--reason', '7', '--keep']);
    expectExit(run, 'failure');
    expectOutput(run, /urn:ietf:params:acme:error:badRevocationReason/);
    expect(await crlEntry(lastSerial('lego-alpn.example.test'))).toBeUndefined();
  });

  it('ok/lego-revoke-unspecified-reason-has-no-crl-reason-code', async () => {
    const serial = lastSerial('lego-alpn.example.test');
    const run = await lego(domainArgs(['lego-alpn.example.test']), ['revoke', '--keep']);
    expectExit(run, 'success');
    // RFC 5280 §5.3.1: the reasonCode extension SHOULD be absent rather than "unspecified (0)".
    expect(await crlEntry(serial)).toEqual({ serial, reason: undefined });
  });

  it('fail/lego-http01-unreachable-authz-invalid', async () => {
    const domains = ['lego-unreachable.example.test'];
    // lego listens on another port than the one Rotor's validator dials.
    const { args } = solverArgs('http-01', await freePortExcept(rotor.http01Port, rotor.tlsAlpn01Port));
    const run = await lego([...domainArgs(domains), ...args], ['run']);
    expectExit(run, 'failure');
    expectOutput(run, /urn:ietf:params:acme:error:connection/);
    const authzUrl = /AuthURL: (\S+)/.exec(run.stderr + run.stdout)?.[1];
    if (!authzUrl) throw new Error(`lego printed no AuthURL\n${describeResult(run)}`);
    const authz = await new AcmeReader(rotor.directoryUrl, rotor.rootPem).read(authzUrl, legoAccount(legoPath()));
    const body = authz.body as {
      status: string;
      challenges: { type: string; status: string; error?: { type: string } }[];
    };
    expect(body.status).toBe('invalid');
    expect(body.challenges.find((c) => c.type === 'http-01')).toMatchObject({
      status: 'invalid',
      error: { type: 'urn:ietf:params:acme:error:connection' },
    });
  });
});

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '(none)';
  }
}
