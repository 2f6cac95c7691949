/**
 * Reads a running Rotor's SQLite database through a second, read-only
 * better-sqlite3 connection (the server's TypeORM DataSource is not exposed),
 * so a test can prove a refused request changed nothing.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Tables that legitimately change on every request (nonces, buckets, CRLs) or never matter. */
export const VOLATILE_TABLES = new Set(['nonces', 'rate_limits', 'crls', 'migrations']);

export type DbSnapshot = Record<string, string[]>;

export interface DbSnapshotter {
  snapshot(): DbSnapshot;
  close(): void;
}

export function openDbSnapshotter(dataDir: string, exclude: ReadonlySet<string> = VOLATILE_TABLES): DbSnapshotter {
  const db = new Database(join(dataDir, 'rotor.sqlite'), { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const serialise = (row: Record<string, unknown>): string =>
    JSON.stringify(row, (_k, v) =>
      Buffer.isBuffer(v) ? `hex:${v.toString('hex')}` : typeof v === 'bigint' ? `${v}n` : v,
    );
  return {
    snapshot() {
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .all() as Array<{ name: string }>;
      const out: DbSnapshot = {};
      // One read transaction: every table is read at the same instant.
      db.transaction(() => {
        for (const { name } of tables) {
          if (exclude.has(name)) continue;
          const rows = db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all() as Array<
            Record<string, unknown>
          >;
          out[name] = rows.map(serialise).sort();
        }
      })();
      return out;
    },
    close: () => db.close(),
  };
}
