import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { tempDir } from './rotor';

/** The real PostgreSQL on this machine (trust auth, database `test`); TEST_DATABASE_URL overrides. */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** Pass as StoreOptions.databaseUrl (undefined for SQLite). */
  databaseUrl?: string;
  sqlitePath: string;
  drop(): Promise<void>;
}

/**
 * A fresh, isolated database per test file: a temp SQLite file, or a new
 * PostgreSQL schema selected through the connection's search_path so parallel
 * Jest workers never see each other's tables.
 */
export async function createTestDatabase(dialect: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  const sqlitePath = join(tempDir('rotor-db-'), 'rotor.sqlite');
  if (dialect === 'sqlite') return { sqlitePath, drop: async () => undefined };
  const schema = `rotor_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    databaseUrl: url.toString(),
    sqlitePath,
    drop: async () => {
      const client = new Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}
