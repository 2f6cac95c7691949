/**
 * `rotor managed` and `rotor apply` as users run them (the built
 * bin/rotor.js on a SQLite data directory): declarations are stored for the
 * server to issue, manifests apply idempotently, and bad input — invalid
 * durations, out-of-policy SANs, bad YAML, duplicate or unknown names —
 * exits 2 with a message naming the field, storing nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '@rotor/testing';

jest.setTimeout(90_000);

const BIN = join(__dirname, '..', '..', 'bin', 'rotor.js');
const env = { ...process.env, ROTOR_MASTER_KEY: '', ROTOR_DATABASE_URL: '', ROTOR_LOG_LEVEL: 'silent' };

function rotor(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function managedRows(dataDir: string): { name: string; spec: string }[] {
  const file = join(dataDir, 'rotor.sqlite');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT name, spec FROM managed_certificates ORDER BY name').all() as {
      name: string;
      spec: string;
    }[];
  } finally {
    db.close();
  }
}

const MANIFEST = `apiVersion: rotor/v1
kind: ManagedCertificate
metadata:
  name: payments
spec:
  dnsNames: [payments.internal]
  uris: ["spiffe://prod/payments"]
  profile: mtls
  lifetime: 24h
---
apiVersion: rotor/v1
kind: ManagedCertificate
metadata:
  name: ledger
spec:
  dnsNames: [ledger.internal]
  ips: [10.1.2.3]
  lifetime: 1h
  renewAt: 0.5
  subscribers: [edge-proxy]
`;

beforeAll(() => {
  if (!existsSync(join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it in pretest)');
  }
});

describe('rotor managed', () => {
  const dataDir = tempDir();

  it('ok/create, list, show, renew, delete', () => {
    const created = rotor(
      'managed',
      'create',
      'api-gw',
      '--data-dir',
      dataDir,
      '--dns',
      'api.internal',
      '--dns',
      'api-gw.internal',
      '--ip',
      '10.0.0.9',
      '--uri',
      'spiffe://prod/api',
      '--profile',
      'server',
      '--key-type',
      'ecdsa-p384',
      '--lifetime',
      '2h',
      '--renew-at',
      '0.5',
      '--reuse-key',
      '--json',
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      name: 'api-gw',
      dnsNames: ['api.internal', 'api-gw.internal'],
      ips: ['10.0.0.9'],
      uris: ['spiffe://prod/api'],
      keyType: 'ecdsa-p384',
      lifetime: '2h',
      renewAt: 0.5,
      reuseKey: true,
      status: 'pending',
    });
    const listed = rotor('managed', 'list', '--data-dir', dataDir);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^api-gw\tpending\tgen 0\tlifetime 2h/m);
    const shown = rotor('managed', 'show', 'api-gw', '--data-dir', dataDir);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/names: +api\.internal, api-gw\.internal, 10\.0\.0\.9, spiffe:\/\/prod\/api/);
    expect(rotor('managed', 'renew', 'api-gw', '--data-dir', dataDir)).toMatchObject({
      code: 0,
      stdout: 'api-gw is due now\n',
    });
    expect(rotor('managed', 'delete', 'api-gw', '--data-dir', dataDir).code).toBe(0);
    expect(managedRows(dataDir)).toEqual([]);
  });

  it.each([
    [
      'fail/invalid-duration',
      ['--dns', 'a.internal', '--lifetime', '10 minutes'],
      /lifetime: "10 minutes" is not a duration/,
    ],
    ['fail/lifetime-too-short', ['--dns', 'a.internal', '--lifetime', '30s'], /lifetime: must be at least 1m/],
    ['fail/lifetime-too-long', ['--dns', 'a.internal', '--lifetime', '400d'], /lifetime: must be at most 90d/],
    ['fail/no-names', [], /needs at least one name/],
    ['fail/bad-dns-name', ['--dns', 'bad_name.internal'], /dnsNames\[0\]: "bad_name.internal" is not a valid DNS name/],
    [
      'fail/wildcard',
      ['--dns', '*.internal.example'],
      /dnsNames\[0\]: wildcard "\*\.internal\.example" is not allowed/,
    ],
    ['fail/garbage-ip', ['--ip', '999.1.1.1'], /ips\[0\]: "999.1.1.1" is not an IPv4 or IPv6 address/],
    ['fail/unroutable-ip', ['--ip', '0.0.0.0'], /ips\[0\]: 0.0.0.0 is in 0.0.0.0\/8/],
    ['fail/uri-scheme', ['--uri', 'ftp://x/y'], /uris\[0\]: scheme "ftp" is not allowed/],
    [
      'fail/renew-at-not-a-number',
      ['--dns', 'a.internal', '--renew-at', 'soon'],
      /--renew-at "soon": expected a number/,
    ],
    [
      'fail/renew-at-out-of-range',
      ['--dns', 'a.internal', '--renew-at', '1.5'],
      /renewAt: must be a fraction from 0.05 to 0.95/,
    ],
    ['fail/bad-profile', ['--dns', 'a.internal', '--profile', 'root-ca'], /profile/],
  ])('%s', (_label, args, message) => {
    const dir = tempDir();
    const result = rotor('managed', 'create', 'web', '--data-dir', dir, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(managedRows(dir)).toEqual([]);
  });

  it('fail/too-many-names', () => {
    const dir = tempDir();
    const args = Array.from({ length: 101 }, (_, i) => ['--dns', `n${i}.internal`]).flat();
    const result = rotor('managed', 'create', 'wide', '--data-dir', dir, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/101 names; at most 100/);
    expect(managedRows(dir)).toEqual([]);
  });

  it('fail/bad-name and duplicate name', () => {
    const dir = tempDir();
    expect(rotor('managed', 'create', 'Bad Name!', '--data-dir', dir, '--dns', 'a.internal')).toMatchObject({
      code: 2,
    });
    expect(rotor('managed', 'create', 'one', '--data-dir', dir, '--dns', 'a.internal').code).toBe(0);
    const again = rotor('managed', 'create', 'one', '--data-dir', dir, '--dns', 'b.internal');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/"one" already exists/);
    expect(managedRows(dir).map((r) => r.name)).toEqual(['one']);
    expect(JSON.parse(managedRows(dir)[0].spec).dnsNames).toEqual(['a.internal']);
  });

  it.each([['show'], ['delete'], ['renew']])('fail/unknown-name (%s)', (command) => {
    const result = rotor('managed', command, 'nobody', '--data-dir', tempDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no managed certificate named "nobody"/);
  });

  it("fail/the server's own certificate cannot be deleted", () => {
    const result = rotor('managed', 'delete', 'rotor-server', '--data-dir', tempDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Rotor's own HTTPS certificate/);
  });
});

describe('rotor apply', () => {
  const dataDir = tempDir();
  const file = join(tempDir(), 'fleet.yaml');

  it('ok/applies, then is idempotent, then prunes', () => {
    writeFileSync(file, MANIFEST);
    const dry = rotor('apply', '-f', file, '--data-dir', dataDir, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      'created   payments\ncreated   ledger\n(dry run) 2 created, 0 updated, 0 unchanged, 0 deleted\n',
    );
    expect(managedRows(dataDir)).toEqual([]);

    expect(rotor('apply', '-f', file, '--data-dir', dataDir).stdout).toBe(
      'created   payments\ncreated   ledger\n2 created, 0 updated, 0 unchanged, 0 deleted\n',
    );
    const before = managedRows(dataDir);
    expect(rotor('apply', '-f', file, '--data-dir', dataDir).stdout).toBe(
      'unchanged payments\nunchanged ledger\n0 created, 0 updated, 2 unchanged, 0 deleted\n',
    );
    expect(managedRows(dataDir)).toEqual(before);

    writeFileSync(file, MANIFEST.split('---')[0].replace('lifetime: 24h', 'lifetime: 12h'));
    const pruned = rotor('apply', '-f', file, '--data-dir', dataDir, '--prune', '--json');
    expect(pruned.code).toBe(0);
    expect(JSON.parse(pruned.stdout)).toEqual({
      items: [
        { name: 'payments', action: 'updated' },
        { name: 'ledger', action: 'deleted' },
      ],
      dryRun: false,
    });
    expect(managedRows(dataDir).map((r) => r.name)).toEqual(['payments']);
  });

  it.each([
    ['fail/bad-yaml', 'apiVersion: rotor/v1\nkind: [unclosed\n', /YAML syntax error at line \d+, column \d+/],
    [
      'fail/wrong-api-version',
      MANIFEST.replace('rotor/v1', 'rotor/v9'),
      /documents\[0\]\.apiVersion: must be rotor\/v1/,
    ],
    [
      'fail/unknown-field',
      MANIFEST.replace('profile: mtls', 'profle: mtls'),
      /documents\[0\]\.spec: unknown field profle/,
    ],
    [
      'fail/duplicate-names',
      MANIFEST.replace('name: ledger', 'name: payments'),
      /documents\[1\]\.metadata\.name: "payments" is declared twice/,
    ],
    [
      'fail/out-of-policy-san',
      MANIFEST.replace('10.1.2.3', '224.0.0.1'),
      /documents\[1\]\.spec\.ips\[0\]: 224.0.0.1 is a multicast address/,
    ],
    [
      'fail/invalid-duration',
      MANIFEST.replace('lifetime: 1h', 'lifetime: forever'),
      /documents\[1\]\.spec\.lifetime: "forever" is not a duration/,
    ],
    ['fail/empty', '', /holds no documents/],
  ])('%s stores nothing, not even the valid documents', (_label, text, message) => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, text);
    const result = rotor('apply', '-f', bad, '--data-dir', dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(managedRows(dir)).toEqual([]);
  });

  it('fail/missing-file', () => {
    const result = rotor('apply', '-f', join(tempDir(), 'nope.yaml'), '--data-dir', tempDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no such file/);
  });
});
