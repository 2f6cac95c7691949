import type { DataSource } from 'typeorm';
import { dialectOf } from './data-source';
import type { Row, SqlBackend, Statement } from './sql-backend';
import { PostgresBackend } from './sql-postgres';
import { SqliteBackend } from './sql-sqlite';

export type { Row, Statement } from './sql-backend';

const backends = new WeakMap<DataSource, SqlBackend>();

function backendOf(dataSource: DataSource): SqlBackend {
  let backend = backends.get(dataSource);
  if (!backend) {
    backend =
      dialectOf(dataSource) === 'postgres'
        ? new PostgresBackend(dataSource.driver as unknown as ConstructorParameters<typeof PostgresBackend>[0])
        : new SqliteBackend(dataSource.driver as unknown as ConstructorParameters<typeof SqliteBackend>[0]);
    backends.set(dataSource, backend);
  }
  return backend;
}

/**
 * Parameterised SQL for the hot paths (every ACME request reads an account,
 * an order or an authorization and consumes a nonce). TypeORM's query runner
 * and repository layer cost more than the query itself here, so statements go
 * straight to the driver connection TypeORM opened: better-sqlite3's Database
 * (statements prepared once and kept) or pg's Pool (named prepared statements,
 * parsed and planned once per connection). Write "?" placeholders; they become
 * $1…$n on PostgreSQL. Changes use RETURNING so both databases report which
 * rows they touched. Failures are TypeORM QueryFailedErrors, as before.
 */
export class Sql {
  private readonly backend: SqlBackend;
  readonly postgres: boolean;

  constructor(dataSource: DataSource) {
    this.backend = backendOf(dataSource);
    this.postgres = dialectOf(dataSource) === 'postgres';
  }

  /** Rows of a SELECT, or the rows an INSERT/UPDATE/DELETE … RETURNING touched ([] without RETURNING). */
  rows<T = Row>(sql: string, params: readonly unknown[]): Promise<T[]> {
    return this.backend.rows(sql, params) as Promise<T[]>;
  }

  one<T = Row>(sql: string, params: readonly unknown[]): Promise<T | undefined> {
    return this.backend.one(sql, params) as Promise<T | undefined>;
  }

  /** The number of rows an INSERT/UPDATE/DELETE without RETURNING changed (bulk deletes need no rows back). */
  run(sql: string, params: readonly unknown[]): Promise<number> {
    return this.backend.run(sql, params);
  }

  /**
   * Runs the statements in one transaction and returns each one's rows, or
   * null when a `required` statement touched nothing (everything rolled back).
   * On SQLite the whole transaction runs synchronously on the one shared
   * connection, so no other request's statement can land inside it.
   */
  batch(statements: readonly Statement[]): Promise<Row[][] | null> {
    return this.backend.batch(statements);
  }

  /**
   * Independent writes that must land together: each to its own table, none
   * depending on another's effect. PostgreSQL runs them as ONE statement
   * (data-modifying WITH clauses: one round trip, one commit, atomic); SQLite
   * as one synchronous transaction. Returns the last statement's rows.
   */
  async writeTogether(statements: readonly Statement[]): Promise<Row[]> {
    if (statements.length === 1) return this.backend.rows(statements[0].sql, statements[0].params);
    if (this.postgres) {
      const last = statements.length - 1;
      const sql = `WITH ${statements
        .slice(0, last)
        .map((s, i) => `w${i} AS (${s.sql})`)
        .join(', ')} ${statements[last].sql}`;
      return this.backend.rows(
        sql,
        statements.flatMap((s) => s.params),
      );
    }
    const results = (await this.backend.batch(statements)) as Row[][];
    return results[results.length - 1];
  }

  /** "(?, ?, …)" for n values. */
  static list(n: number): string {
    return LISTS[n] ?? `(${Array.from({ length: n }, () => '?').join(', ')})`;
  }

  /** "(?, …), (?, …), …": `rows` tuples of `columns` placeholders, for multi-row VALUES. */
  static tuples(rows: number, columns: number): string {
    const tuple = Sql.list(columns);
    return Array.from({ length: rows }, () => tuple).join(', ');
  }
}

const LISTS = Array.from({ length: 32 }, (_, n) => `(${Array.from({ length: n }, () => '?').join(', ')})`);

/** PostgreSQL returns bigint as text, SQLite as a number; null stays undefined. */
export const num = (value: unknown): number | undefined =>
  value === null || value === undefined ? undefined : Number(value);
export const bool = (value: unknown): boolean => value === true || value === 1 || value === '1' || value === 't';
