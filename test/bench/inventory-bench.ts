/**
 * Inventory benchmark: fills the inventory table on PostgreSQL with 1,000,000
 * certificates (notAfter spread over ±1 year, lifetimes of 1, 7 and 90 days,
 * 80% active / 15% superseded / 5% revoked), then times the operator query
 * "expiring within 7 days" through SqlInventoryRepository — the first page of
 * 100 and the count — and the same calls on connections with index scans
 * disabled, side by side. Runs in its own schema and drops it afterwards.
 *
 *   npm run bench:inventory
 *   node dist/test/bench/inventory-bench.js --rows 1000000 --runs 30 --unindexed-runs 5 \
 *     --database-url postgres://postgres@127.0.0.1:5432/test
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { InventoryQuery } from '@rotor/lifecycle';
import { openDataSource, SqlInventoryRepository } from '@rotor/store';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';

const DAY = 86400e3;
const WARN = 7 * DAY;
const TARGET_MS = 50;

interface Args {
  rows: number;
  runs: number;
  unindexedRuns: number;
  databaseUrl: string;
}

function parseArgs(argv: string[]): Args {
  const get = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? Number(argv[i + 1]) : fallback;
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${flag} must be a positive integer`);
    return v;
  };
  const urlAt = argv.indexOf('--database-url');
  return {
    rows: get('--rows', 1_000_000),
    runs: Math.max(20, get('--runs', 30)),
    unindexedRuns: get('--unindexed-runs', 5),
    databaseUrl:
      urlAt >= 0 ? argv[urlAt + 1] : (process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'),
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function time(runs: number, op: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < Math.min(3, runs); i++) await op(); // warm caches and prepared plans
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await op();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { median: percentile(samples, 50), p95: percentile(samples, 95) };
}

function withOptions(databaseUrl: string, options: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', options);
  return url.toString();
}

/** A leaf PEM is ~1 KB: the rows carry that much so heap pages are as sparse as in production. */
const PEM = `-----BEGIN CERTIFICATE-----\n${'MIIBszCCAVmgAwIBAgIUb'.repeat(40).replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;

async function fill(admin: Client, schema: string, rows: number, now: number): Promise<number> {
  const started = performance.now();
  await admin.query(`SET search_path = ${schema}`);
  await admin.query('SET synchronous_commit = off');
  // Indexes are built once after the load (as a bulk import would), from the migration's own definitions.
  const { rows: indexes } = await admin.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'inventory' AND indexname LIKE 'idx_%'`,
    [schema],
  );
  for (const index of indexes) await admin.query(`DROP INDEX ${index.indexname}`);
  const batch = 100_000;
  for (let from = 1; from <= rows; from += batch) {
    const to = Math.min(rows, from + batch - 1);
    await admin.query(
      `INSERT INTO inventory (id, serial, subject, issuer, sans, san_key, not_before, not_after, key_type, profile,
         source, owner_kind, owner_id, state, revoked_at, replaces, replaced_by, endpoints, pem, created_at, updated_at)
       SELECT md5(g::text) || md5((g + 1000000007)::text), substr(md5((g * 7)::text), 1, 32),
         'CN=host-' || g || '.example.test',
         CASE WHEN g % 10 = 0 THEN 'CN=Example Public CA, O=Example' ELSE 'CN=Rotor Intermediate CA, O=Rotor' END,
         '{"dns":["host-' || g || '.example.test"],"ip":[],"uri":[]}', md5('names' || g) || md5('k' || g),
         na - lt, na, 'ecdsa-p256', 'server',
         (ARRAY['acme', 'managed', 'import', 'scan'])[1 + g % 4],
         CASE WHEN g % 4 = 0 THEN 'account' WHEN g % 4 = 1 THEN 'managed' END,
         CASE WHEN g % 4 IN (0, 1) THEN 'owner-' || (g % 1000) END,
         CASE WHEN g % 20 = 0 THEN 'revoked' WHEN g % 20 < 4 THEN 'superseded' ELSE 'active' END,
         CASE WHEN g % 20 = 0 THEN na - lt END, NULL, NULL, '[]', $3, $4, $4
       FROM (SELECT g, ($4::bigint + ((random() * 2 - 1) * 365 * 86400000)::bigint) AS na,
                    (ARRAY[86400000, 604800000, 7776000000])[1 + g % 3]::bigint AS lt
             FROM generate_series($1::int, $2::int) g) s`,
      [from, to, PEM, now],
    );
    await admin.query(
      `INSERT INTO inventory_names (name, inventory_id)
       SELECT 'host-' || g || '.example.test', md5(g::text) || md5((g + 1000000007)::text) FROM generate_series($1::int, $2::int) g`,
      [from, to],
    );
    process.stderr.write(`\rfilled ${to.toLocaleString('en')} / ${rows.toLocaleString('en')}`);
  }
  process.stderr.write('\n');
  for (const index of indexes) await admin.query(index.indexdef);
  // What autovacuum does in production: statistics, and the visibility map that allows index-only scans.
  await admin.query('VACUUM ANALYZE inventory');
  await admin.query('VACUUM ANALYZE inventory_names');
  return performance.now() - started;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const schema = `rotor_bench_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: args.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  let indexed: DataSource | undefined;
  let unindexed: DataSource | undefined;
  try {
    const url = withOptions(args.databaseUrl, `-c search_path=${schema}`);
    indexed = await openDataSource({ databaseUrl: url, sqlitePath: '' });
    const now = Date.now();
    const fillMs = await fill(admin, schema, args.rows, now);
    unindexed = await openDataSource({
      databaseUrl: withOptions(
        args.databaseUrl,
        `-c search_path=${schema} -c enable_indexscan=off -c enable_indexonlyscan=off -c enable_bitmapscan=off`,
      ),
      sqlitePath: '',
    });
    const fast = new SqlInventoryRepository(indexed);
    const slow = new SqlInventoryRepository(unindexed);
    const expiring7d: InventoryQuery = { expiringWithinMs: 7 * DAY, limit: 100 };
    const statusExpiring: InventoryQuery = { status: ['expiring'], limit: 100 };

    const total = await fast.count({}, now, WARN);
    const matching = await fast.count(expiring7d, now, WARN);
    const page = await fast.query(expiring7d, now, WARN);
    const { rows: version } = await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const { rows: size } = await admin.query<{ s: string }>(
      `SELECT pg_size_pretty(pg_total_relation_size('${schema}.inventory')) AS s`,
    );

    const cases: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
      [
        'expiring within 7d: first page of 100',
        () => fast.query(expiring7d, now, WARN),
        () => slow.query(expiring7d, now, WARN),
      ],
      ['expiring within 7d: count', () => fast.count(expiring7d, now, WARN), () => slow.count(expiring7d, now, WARN)],
      [
        'status=expiring: first page of 100',
        () => fast.query(statusExpiring, now, WARN),
        () => slow.query(statusExpiring, now, WARN),
      ],
      [
        'status=expiring: count',
        () => fast.count(statusExpiring, now, WARN),
        () => slow.count(statusExpiring, now, WARN),
      ],
    ];
    const out: string[] = [];
    out.push(
      `inventory bench: PostgreSQL ${version[0].v}, ${total.toLocaleString('en')} rows (${size[0].s} with indexes), ` +
        `filled in ${(fillMs / 1000).toFixed(1)} s`,
    );
    out.push(
      `  ${matching.toLocaleString('en')} active certificates expire within 7 days; first page returned ${page.items.length}` +
        `${page.next ? ' (more pages)' : ''}`,
    );
    out.push(
      `  ${'query'.padEnd(40)} ${'indexed median'.padStart(14)} ${'p95'.padStart(8)}   ${'no index median'.padStart(15)} ${'p95'.padStart(8)}   ratio`,
    );
    let worstP95 = 0;
    for (const [name, withIndex, withoutIndex] of cases) {
      const a = await time(args.runs, withIndex);
      const b = await time(args.unindexedRuns, withoutIndex);
      worstP95 = Math.max(worstP95, a.p95);
      out.push(
        `  ${name.padEnd(40)} ${a.median.toFixed(2).padStart(11)} ms ${a.p95.toFixed(2).padStart(5)} ms   ` +
          `${b.median.toFixed(1).padStart(12)} ms ${b.p95.toFixed(1).padStart(5)} ms   ${(b.median / a.median).toFixed(0)}x`,
      );
    }
    out.push(
      `  runs: ${args.runs} indexed, ${args.unindexedRuns} with index scans disabled (enable_indexscan/indexonlyscan/bitmapscan=off)`,
    );
    out.push(
      `  target: "expiring within 7 days" well under ${TARGET_MS} ms at 1,000,000 rows — worst indexed p95 ` +
        `${worstP95.toFixed(2)} ms: ${worstP95 < TARGET_MS ? 'met' : 'MISSED'}`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await unindexed?.destroy();
    await indexed?.destroy();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
