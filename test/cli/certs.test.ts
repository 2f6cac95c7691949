/**
 * `rotor certs` as users run it (the built bin/rotor.js in a child process),
 * against live TLS servers started here with node:tls: import, list, show
 * and scan, unreachable endpoints, and bad input (exit 2, nothing stored).
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { freeTcpPort, tempDir } from '@rotor/testing';
import { makeTestCertificate, TestCertificate } from '../../libs/lifecycle/src/inventory/spec-helpers';

jest.setTimeout(60_000);

const BIN = join(__dirname, '..', '..', 'bin', 'rotor.js');
const env = { ...process.env, ROTOR_MASTER_KEY: '', ROTOR_DATABASE_URL: '', ROTOR_LOG_LEVEL: 'silent' };
const DAY = 86400e3;

/** Async, so the TLS servers in this process keep answering while the CLI runs. */
function rotor(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function count(dataDir: string): number {
  const file = join(dataDir, 'rotor.sqlite');
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM inventory').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

let ca: TestCertificate;
let leaf: TestCertificate;
let sniLeaf: TestCertificate;
let soon: TestCertificate;
let portA: number;
let portB: number;
let silentPort: number;
let closedPort: number;
const dir = tempDir('rotor-certs-');

beforeAll(async () => {
  if (!existsSync(join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it in pretest)');
  }
  ca = await makeTestCertificate({ cn: 'CLI Test CA', ca: true });
  leaf = await makeTestCertificate({ dns: ['web.example.test'], ip: ['127.0.0.1'], issuer: ca });
  // (An RSA certificate chosen by SNICallback is not served next to an EC default one by OpenSSL 3; P-384 is.)
  sniLeaf = await makeTestCertificate({ dns: ['other.example.test'], issuer: ca, key: 'ec-p384' });
  soon = await makeTestCertificate({
    dns: ['legacy.example.test'],
    uri: ['spiffe://prod/payments'],
    notBefore: new Date(Date.now() - 60 * DAY),
    notAfter: new Date(Date.now() + 2 * DAY),
  });
  // Two endpoints serving the same certificate (with its chain); other.example.test by SNI gets another.
  const options: tls.TlsOptions = {
    key: leaf.keyPem,
    cert: leaf.pem + ca.pem,
    SNICallback: (name, cb) =>
      cb(
        null,
        name === 'other.example.test' ? tls.createSecureContext({ key: sniLeaf.keyPem, cert: sniLeaf.pem }) : undefined,
      ),
  };
  const tlsServer = () => tls.createServer(options, (s) => s.end()).on('tlsClientError', () => undefined);
  portA = await listen(tlsServer());
  portB = await listen(tlsServer());
  // Accepts TCP and never speaks TLS: the scan must time out, not hang.
  silentPort = await listen(net.createServer(() => undefined));
  closedPort = await freeTcpPort();
  writeFileSync(join(dir, 'bundle.pem'), `# leaf and issuer\n${leaf.pem}${ca.pem}`);
  writeFileSync(join(dir, 'soon.pem'), soon.pem);
  writeFileSync(join(dir, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  writeFileSync(join(dir, 'key.pem'), soon.keyPem);
  writeFileSync(join(dir, 'notes.txt'), 'just some text\n');
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('rotor certs import / list / show', () => {
  const dataDir = join(dir, 'data-import');

  it.each([
    [
      'fail/malformed-file-among-good-ones',
      ['bundle.pem', 'broken.pem', 'soon.pem'],
      /broken\.pem: certificate 1 is not a parsable X\.509/,
    ],
    ['fail/private-key', ['soon.pem', 'key.pem'], /key\.pem: PEM block 1 is a private key/],
    ['fail/not-pem', ['notes.txt'], /notes\.txt: no PEM certificate found/],
    ['fail/missing-file', ['soon.pem', 'nope.pem'], /nope\.pem: cannot be read \(ENOENT\)/],
  ])('%s → exit 2, nothing stored', async (_name, files, message) => {
    const result = await rotor('certs', 'import', '--data-dir', dataDir, ...files.map((f) => join(dir, f)));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain(soon.keyPem.split('\n')[1].slice(0, 24));
    expect(count(dataDir)).toBe(0);
  });

  it('ok/import files with several certificates, then again', async () => {
    const first = await rotor(
      'certs',
      'import',
      '--data-dir',
      dataDir,
      '--json',
      join(dir, 'bundle.pem'),
      join(dir, 'soon.pem'),
    );
    expect(first.code).toBe(0);
    const out = JSON.parse(first.stdout);
    expect(out).toMatchObject({ imported: 3, known: 0 });
    expect(out.items.map((i: { id: string }) => i.id)).toEqual([leaf.fingerprint, ca.fingerprint, soon.fingerprint]);
    expect(out.items[2]).toMatchObject({
      status: 'expiring',
      source: 'import',
      sans: { uri: ['spiffe://prod/payments'] },
    });
    const again = await rotor('certs', 'import', '--data-dir', dataDir, join(dir, 'soon.pem'));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 imported, 1 already known');
    expect(count(dataDir)).toBe(3);
  });

  it('ok/list with filters and pages; show by fingerprint or serial', async () => {
    const expiring = await rotor('certs', 'list', '--data-dir', dataDir, '--status', 'expiring', '--json');
    expect(expiring.code).toBe(0);
    expect(JSON.parse(expiring.stdout).items.map((i: { id: string }) => i.id)).toEqual([soon.fingerprint]);
    const within = await rotor('certs', 'list', '--data-dir', dataDir, '--expiring-within', '3d');
    expect(within.stdout.trim().split('\n')).toHaveLength(1);
    expect(within.stdout).toMatch(
      /^expiring\s+\S+ \S+\s+[0-9a-f]{16}\s+import\s+legacy\.example\.test,spiffe:\/\/prod\/payments/,
    );
    const bySan = await rotor('certs', 'list', '--data-dir', dataDir, '--san', 'WEB.example.test', '--json');
    expect(JSON.parse(bySan.stdout).items.map((i: { id: string }) => i.id)).toEqual([leaf.fingerprint]);
    const byIssuer = await rotor('certs', 'list', '--data-dir', dataDir, '--issuer', 'cli test ca', '--json');
    expect(JSON.parse(byIssuer.stdout).items).toHaveLength(2); // the leaf and the self-signed CA

    const page1 = JSON.parse((await rotor('certs', 'list', '--data-dir', dataDir, '--limit', '2', '--json')).stdout);
    expect(page1.items).toHaveLength(2);
    const page2 = JSON.parse(
      (await rotor('certs', 'list', '--data-dir', dataDir, '--limit', '2', '--after', page1.next, '--json')).stdout,
    );
    expect(page2.next).toBeUndefined();
    expect([...page1.items, ...page2.items].map((i: { id: string }) => i.id).sort()).toEqual(
      [leaf.fingerprint, ca.fingerprint, soon.fingerprint].sort(),
    );

    const shown = await rotor('certs', 'show', '--data-dir', dataDir, soon.fingerprint);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/status:\s+expiring \(expires in 4\d?h|status:\s+expiring \(expires in 1d/);
    expect(shown.stdout).toMatch(/uri:\s+spiffe:\/\/prod\/payments/);
    const serial = soon.cert.serialNumber.toLowerCase().replace(/^(00)+/, '');
    const pem = await rotor('certs', 'show', '--data-dir', dataDir, serial, '--pem');
    expect(pem.stdout).toBe(soon.pem.replace(/\n+$/, '\n'));
    const missing = await rotor('certs', 'show', '--data-dir', dataDir, 'ab'.repeat(32));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no certificate with fingerprint or serial/);
  });

  it.each([
    ['fail/status', ['--status', 'valid,nope'], /--status: status must be a comma-separated list/],
    ['fail/duration', ['--expiring-within', '7w'], /--expiring-within: expiringWithin must be a duration/],
    ['fail/limit-0', ['--limit', '0'], /--limit: limit must be an integer from 1 to 500/],
    ['fail/limit-501', ['--limit', '501'], /--limit/],
    ['fail/cursor', ['--after', 'garbage'], /--after: after must be the `next` cursor/],
    ['fail/source', ['--source', 'ldap'], /--source/],
    ['fail/warning-window', ['--expiry-warning', 'soon'], /expiryWarning \(ROTOR_EXPIRY_WARNING\)/],
  ])('%s → exit 2', async (_name, args, message) => {
    const result = await rotor('certs', 'list', '--data-dir', dataDir, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('rotor certs scan', () => {
  const dataDir = join(dir, 'data-scan');

  it.each([
    ['fail/no-endpoints', [], /no endpoints/],
    ['fail/bad-port', ['127.0.0.1:99999'], /argument: "127.0.0.1:99999" is not host:port/],
    ['fail/url-not-endpoint', ['https://example.test/'], /is not host:port/],
    [
      'fail/concurrency-0',
      ['127.0.0.1:1', '--concurrency', '0'],
      /--concurrency "0": expected an integer from 1 to 256/,
    ],
    ['fail/timeout', ['127.0.0.1:1', '--timeout', 'soon'], /--timeout "soon"/],
    ['fail/missing-file', ['--from-file', '/nonexistent/list'], /--from-file \/nonexistent\/list: cannot be read/],
  ])('%s → exit 2, nothing stored', async (_name, args, message) => {
    const result = await rotor('certs', 'scan', '--data-dir', dataDir, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(count(dataDir)).toBe(0);
  });

  it('fail/bad line in --from-file names the line', async () => {
    writeFileSync(join(dir, 'endpoints-bad.txt'), `127.0.0.1:${portA}\n# comment\nnot a host:1\n`);
    const result = await rotor('certs', 'scan', '--data-dir', dataDir, '--from-file', join(dir, 'endpoints-bad.txt'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/endpoints-bad\.txt:3: "not a host:1" is not host:port/);
    expect(count(dataDir)).toBe(0);
  });

  it('ok/scans endpoints, merges the same certificate, reports unreachable ones (exit 1)', async () => {
    writeFileSync(join(dir, 'endpoints.txt'), `# fleet\n127.0.0.1:${portB}\n\n127.0.0.1:${closedPort}  # gone\n`);
    const result = await rotor(
      'certs',
      'scan',
      '--data-dir',
      dataDir,
      `127.0.0.1:${portA}`,
      `127.0.0.1:${silentPort}`,
      '--from-file',
      join(dir, 'endpoints.txt'),
      '--timeout',
      '700ms',
      '--concurrency',
      '2',
      '--progress',
      '--json',
    );
    expect(result.code).toBe(1);
    const out = JSON.parse(result.stdout);
    expect(out).toMatchObject({ scanned: 4, failed: 2 });
    const byEndpoint = Object.fromEntries(out.results.map((r: { endpoint: string }) => [r.endpoint, r]));
    expect(byEndpoint[`127.0.0.1:${portA}`]).toMatchObject({
      ok: true,
      id: leaf.fingerprint,
      subject: 'CN=web.example.test',
    });
    expect(byEndpoint[`127.0.0.1:${portB}`]).toMatchObject({ ok: true, id: leaf.fingerprint });
    expect(byEndpoint[`127.0.0.1:${closedPort}`]).toEqual({
      endpoint: `127.0.0.1:${closedPort}`,
      ok: false,
      error: 'connection refused',
    });
    expect(byEndpoint[`127.0.0.1:${silentPort}`]).toMatchObject({ ok: false, error: 'no TLS handshake within 700 ms' });
    // The progress bar went to stderr (asked for with --progress), ending at 4/4.
    expect(result.stderr).toMatch(/\[#+\] 4\/4 \(100%\) 2 failed/);
    expect(count(dataDir)).toBe(1);

    const shown = JSON.parse((await rotor('certs', 'show', '--data-dir', dataDir, leaf.fingerprint, '--json')).stdout);
    expect(shown).toMatchObject({ source: 'scan', sans: { dns: ['web.example.test'], ip: ['127.0.0.1'] } });
    expect(shown.endpoints).toEqual([`127.0.0.1:${portA}`, `127.0.0.1:${portB}`].sort());
    // The served chain is kept after the leaf.
    expect(shown.pem).toContain(ca.pem.split('\n')[1]);
  });

  it('ok/--servername selects the certificate by SNI; all reachable → exit 0', async () => {
    const result = await rotor(
      'certs',
      'scan',
      '--data-dir',
      dataDir,
      `127.0.0.1:${portA}`,
      '--servername',
      'other.example.test',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^ok\\s+127\\.0\\.0\\.1:${portA}\\s+${sniLeaf.fingerprint.slice(0, 16)}`, 'm'),
    );
    expect(result.stdout).toContain('1 ok, 0 failed');
    expect(result.stderr).toBe(''); // not a terminal and no --progress: no bar
    const listed = JSON.parse(
      (await rotor('certs', 'list', '--data-dir', dataDir, '--source', 'scan', '--json')).stdout,
    );
    expect(listed.items.map((i: { id: string; keyType: string }) => [i.id, i.keyType]).sort()).toEqual(
      [
        [leaf.fingerprint, 'ecdsa-p256'],
        [sniLeaf.fingerprint, 'ecdsa-p384'],
      ].sort(),
    );
  });
});
