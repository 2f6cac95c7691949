import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource } from 'typeorm';
import { migrations } from '../../../migrations';
import { ENTITIES } from './entities/acme.entities';

export interface StoreOptions {
  /** postgres:// URL; when absent, SQLite at sqlitePath. */
  databaseUrl?: string;
  sqlitePath: string;
}

export type Dialect = 'sqlite' | 'postgres';

export function dialectOf(dataSource: DataSource): Dialect {
  return dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
}

// Any fixed 64-bit key: replicas starting together take turns running migrations.
const MIGRATION_LOCK = 7_234_552_001;

/**
 * Opens the database and brings its schema up to date through migrations
 * (never `synchronize`). SQLite runs in WAL mode with synchronous=NORMAL:
 * durable across process crashes, and fast enough that a single node needs
 * no other database.
 */
export async function openDataSource(options: StoreOptions): Promise<DataSource> {
  let dataSource: DataSource;
  if (options.databaseUrl) {
    dataSource = new DataSource({
      type: 'postgres',
      url: options.databaseUrl,
      entities: ENTITIES,
      migrations,
      synchronize: false,
      extra: { max: 10 },
    });
  } else {
    mkdirSync(dirname(options.sqlitePath), { recursive: true });
    dataSource = new DataSource({
      type: 'better-sqlite3',
      database: options.sqlitePath,
      entities: ENTITIES,
      migrations,
      synchronize: false,
      enableWAL: true,
      // Every distinct statement Rotor runs stays prepared (the default cache of 100 thrashes).
      statementCacheSize: 1000,
      prepareDatabase: (db: { pragma(sql: string): unknown }) => {
        db.pragma('synchronous = NORMAL');
        db.pragma('busy_timeout = 5000');
        db.pragma('foreign_keys = ON');
      },
    });
  }
  await dataSource.initialize();
  try {
    await runMigrations(dataSource);
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

async function runMigrations(dataSource: DataSource): Promise<void> {
  if (dialectOf(dataSource) !== 'postgres') {
    await dataSource.runMigrations({ transaction: 'all' });
    return;
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
