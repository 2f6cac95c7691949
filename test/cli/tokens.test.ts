/**
 * `rotor tokens` as users run it (the built bin/rotor.js): tokens are printed
 * once, stored only as digests, and bad usage exits 2 without storing anything.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '@rotor/testing';

jest.setTimeout(60_000);

const BIN = join(__dirname, '..', '..', 'bin', 'rotor.js');
const env = { ...process.env, ROTOR_MASTER_KEY: '', ROTOR_DATABASE_URL: '', ROTOR_LOG_LEVEL: 'silent' };

function rotor(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tokenRows(dataDir: string): Record<string, unknown>[] {
  const file = join(dataDir, 'rotor.sqlite');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT * FROM api_tokens').all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

describe('rotor tokens', () => {
  const dataDir = tempDir();

  it('ok/create prints the token once and stores only its digest', () => {
    const created = rotor(
      'tokens',
      'create',
      '--data-dir',
      dataDir,
      '--name',
      'ci',
      '--scope',
      'inventory:read',
      'alerts:read',
      '--json',
    );
    expect(created.code).toBe(0);
    const out = JSON.parse(created.stdout);
    expect(out).toMatchObject({ name: 'ci', scopes: ['inventory:read', 'alerts:read'] });
    const rows = tokenRows(dataDir);
    expect(rows).toHaveLength(1);
    expect(rows[0].digest).toBe(createHash('sha256').update(out.token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(out.token);

    const listed = rotor('tokens', 'list', '--data-dir', dataDir);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/\tci\tinventory:read,alerts:read\tactive/);
    expect(listed.stdout).not.toContain(out.token);
  });

  it('ok/revoke by name', () => {
    expect(rotor('tokens', 'revoke', '--data-dir', dataDir, 'ci').code).toBe(0);
    expect(rotor('tokens', 'list', '--data-dir', dataDir).stdout).toMatch(/\tci\t.*\trevoked/);
    const again = rotor('tokens', 'revoke', '--data-dir', dataDir, 'ci');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no active token "ci"/);
  });

  it.each([
    ['fail/unknown-scope', ['--name', 'x', '--scope', 'root'], /--scope/],
    ['fail/bad-name', ['--name', '../x', '--scope', 'admin'], /--name/],
    ['fail/bad-expiry', ['--name', 'x', '--scope', 'admin', '--expires', 'soon'], /--expires "soon"/],
    ['fail/missing-scope', ['--name', 'x'], /--scope/],
    ['fail/duplicate-name', ['--name', 'ci', '--scope', 'admin'], /exists already/],
  ])('%s → exit 2, nothing stored', (_name, args, message) => {
    const before = tokenRows(dataDir).length;
    const result = rotor('tokens', 'create', '--data-dir', dataDir, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(tokenRows(dataDir)).toHaveLength(before);
  });
});
