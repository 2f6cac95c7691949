/**
 * The `rotor` command as users run it: the built bin/rotor.js in a child
 * process. Bad usage exits 2 with a clear message and stores nothing.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { freeTcpPort, tempDir } from '@rotor/testing';

jest.setTimeout(60_000);

const BIN = join(__dirname, '..', '..', 'bin', 'rotor.js');
const env = { ...process.env, ROTOR_MASTER_KEY: '', ROTOR_DATABASE_URL: '', ROTOR_LOG_LEVEL: 'silent' };

function rotor(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function rows(dataDir: string, table: string): unknown[] {
  const file = join(dataDir, 'rotor.sqlite');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT * FROM ${table}`).all();
  } finally {
    db.close();
  }
}

beforeAll(() => {
  if (!existsSync(join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it in pretest)');
  }
});

describe('rotor start', () => {
  it.each([
    ['fail/listen-without-port', ['--listen', '127.0.0.1'], /listen \(ROTOR_LISTEN\)/],
    ['fail/port-out-of-range', ['--http01-port', '99999'], /http01Port/],
    ['fail/dns-resolver-not-host-port', ['--dns-resolver', 'resolver'], /dnsResolver/],
    ['fail/database-url-scheme', ['--database-url', 'mysql://x/y'], /databaseUrl/],
    ['fail/unknown-flag', ['--bogus'], /unknown option/],
  ])('%s', (_name, args, message) => {
    const dataDir = join(tempDir(), 'data');
    const result = rotor('start', '--data-dir', dataDir, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(existsSync(dataDir)).toBe(false); // nothing created
  });

  it('fail/unknown-command', () => {
    expect(rotor('frobnicate').code).toBe(2);
  });

  it('ok/the-documented-flag-set-starts-and-stops-cleanly', async () => {
    const dataDir = join(tempDir(), 'r');
    const port = await freeTcpPort();
    const child = spawn(
      process.execPath,
      [
        BIN,
        'start',
        '--data-dir',
        dataDir,
        '--listen',
        `127.0.0.1:${port}`,
        '--http01-port',
        '5002',
        '--tlsalpn01-port',
        '5001',
        '--dns-resolver',
        '127.0.0.1:8053',
      ],
      { env: { ...env, ROTOR_LOG_LEVEL: 'warn' } },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start banner: ${stdout}`)), 30_000);
      child.stdout.on('data', () => stdout.includes('Root certificate') && (clearTimeout(timer), resolve()));
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stdout}`)));
    });
    expect(stdout).toContain(`ACME directory:   https://127.0.0.1:${port}/acme/directory`);
    expect(stdout).toContain(`Root certificate: ${join(dataDir, 'ca', 'root.pem')}`);
    expect(stdout).toContain(`Admin API token:  ${join(dataDir, 'admin-token')}`);
    const root = readFileSync(join(dataDir, 'ca', 'root.pem'), 'utf8');
    // Rotor's own certificate chains to that root and covers localhost and 127.0.0.1.
    const probe = (host: string) =>
      execFileSync('curl', [
        '-sS',
        '--cacert',
        join(dataDir, 'ca', 'root.pem'),
        `https://${host}:${port}/healthz`,
      ]).toString();
    expect(probe('localhost')).toContain('ok');
    expect(probe('127.0.0.1')).toContain('ok');
    expect(root).toMatch(/BEGIN CERTIFICATE/);
    // The master key file is private to the owner.
    const { statSync } = await import('node:fs');
    expect(statSync(join(dataDir, 'keys', 'master.key')).mode & 0o077).toBe(0);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('rotor eab', () => {
  const dataDir = tempDir();

  it('fail/bad-suffix-stores-nothing', () => {
    const result = rotor('eab', 'create', '--data-dir', dataDir, '--suffix', 'not a name!');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--suffix "not a name!" is not a DNS name/);
    expect(rows(dataDir, 'eab_keys')).toEqual([]);
  });

  it('ok/create-then-list-never-shows-the-hmac-key', () => {
    const created = rotor('eab', 'create', '--data-dir', dataDir, '--suffix', 'Corp.Test', '--json');
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { kid: string; hmacKey: string; allowedDnsSuffixes: string[] };
    expect(key.allowedDnsSuffixes).toEqual(['corp.test']);
    expect(Buffer.from(key.hmacKey, 'base64url')).toHaveLength(32);
    const listed = rotor('eab', 'list', '--data-dir', dataDir);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${key.kid}\tunused\tcorp.test`);
    expect(listed.stdout).not.toContain(key.hmacKey);
    const [row] = rows(dataDir, 'eab_keys') as { hmac_key_sealed: string }[];
    expect(row.hmac_key_sealed).not.toContain(key.hmacKey);
  });
});

describe('rotor ca import', () => {
  const dir = tempDir();
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

  beforeAll(() => {
    writeFileSync(
      join(dir, 'ca.ext'),
      'basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n',
    );
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'root.key',
      '-out',
      'root.pem',
      '-days',
      '30',
      '-subj',
      '/CN=Imported Root',
      '-addext',
      'basicConstraints=critical,CA:true',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'int.key',
      '-out',
      'int.csr',
      '-subj',
      '/CN=Imported Intermediate',
    );
    openssl(
      'x509',
      '-req',
      '-in',
      'int.csr',
      '-CA',
      'root.pem',
      '-CAkey',
      'root.key',
      '-CAcreateserial',
      '-out',
      'int.pem',
      '-days',
      '20',
      '-extfile',
      'ca.ext',
    );
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key');
  });

  const importArgs = (dataDir: string, key = 'int.key') => [
    'ca',
    'import',
    '--data-dir',
    dataDir,
    '--root',
    join(dir, 'root.pem'),
    '--intermediate',
    join(dir, 'int.pem'),
    '--intermediate-key',
    join(dir, key),
  ];

  it('fail/missing-file', () => {
    const dataDir = tempDir();
    const result = rotor(
      'ca',
      'import',
      '--data-dir',
      dataDir,
      '--root',
      '/nope.pem',
      '--intermediate',
      '/nope',
      '--intermediate-key',
      '/nope',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot read the root certificate file/);
    expect(rows(dataDir, 'ca_material')).toEqual([]);
  });

  it('fail/key-does-not-match-and-is-never-echoed', () => {
    const dataDir = tempDir();
    const result = rotor(...importArgs(dataDir, 'other.key'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/import refused/);
    expect(result.stderr).not.toMatch(/PRIVATE KEY/);
    expect(rows(dataDir, 'ca_material')).toEqual([]);
  });

  it('ok/imports-then-refuses-to-overwrite-without-force', () => {
    const dataDir = tempDir();
    expect(rotor(...importArgs(dataDir)).code).toBe(0);
    const [row] = rows(dataDir, 'ca_material') as { intermediate_cert_pem: string; intermediate_key_sealed: string }[];
    expect(row.intermediate_cert_pem).toBe(readFileSync(join(dir, 'int.pem'), 'utf8'));
    expect(row.intermediate_key_sealed).toMatch(/^v1\./);
    const again = rotor(...importArgs(dataDir));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists; pass --force/);
    expect(rotor(...importArgs(dataDir), '--force').code).toBe(0);
  });
});
