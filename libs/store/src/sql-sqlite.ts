import type { Database, Statement as Prepared } from 'better-sqlite3';
import { queryFailed, type Row, type SqlBackend, type Statement } from './sql-backend';

/** Prepared statements kept per connection; far more than Rotor's distinct statement texts. */
const MAX_PREPARED = 1000;

/** Thrown inside a batch's transaction to roll it back when a `required` statement touched nothing. */
const ROLLED_BACK = new Error('required statement touched no row');

type Params = readonly unknown[];

/**
 * better-sqlite3, used directly on the connection TypeORM opened. The driver is
 * synchronous: a statement runs to completion before the call returns, so a
 * batch is one synchronous transaction and nothing else can interleave with it.
 */
export class SqliteBackend implements SqlBackend {
  private db: Database | undefined;
  private readonly prepared = new Map<string, Prepared<unknown[], Row>>();
  private runBatch: ((statements: readonly Statement[]) => Row[][]) | undefined;

  constructor(private readonly driver: { databaseConnection: Database }) {}

  rows(sql: string, params: Params): Promise<Row[]> {
    try {
      return Promise.resolve(this.execute(sql, params));
    } catch (error) {
      return Promise.reject(queryFailed(sql, params, error));
    }
  }

  one(sql: string, params: Params): Promise<Row | undefined> {
    try {
      const statement = this.prepare(sql);
      // get() stops at the first row; a write with RETURNING has made all its changes by then.
      if (statement.reader) return Promise.resolve(statement.get(bindable(params)));
      statement.run(bindable(params));
      return Promise.resolve(undefined);
    } catch (error) {
      return Promise.reject(queryFailed(sql, params, error));
    }
  }

  run(sql: string, params: Params): Promise<number> {
    try {
      return Promise.resolve(this.prepare(sql).run(bindable(params)).changes);
    } catch (error) {
      return Promise.reject(queryFailed(sql, params, error));
    }
  }

  batch(statements: readonly Statement[]): Promise<Row[][] | null> {
    try {
      return Promise.resolve(this.transaction()(statements));
    } catch (error) {
      return error === ROLLED_BACK ? Promise.resolve(null) : Promise.reject(error);
    }
  }

  /** BEGIN IMMEDIATE … COMMIT around the statements, ROLLBACK when one throws (better-sqlite3 does both). */
  private transaction(): (statements: readonly Statement[]) => Row[][] {
    const db = this.connection();
    this.runBatch ??= db.transaction((statements: readonly Statement[]) =>
      statements.map((statement) => {
        let rows: Row[];
        try {
          rows = this.execute(statement.sql, statement.params);
        } catch (error) {
          throw queryFailed(statement.sql, statement.params, error);
        }
        if (statement.required && rows.length === 0) throw ROLLED_BACK;
        return rows;
      }),
    ).immediate;
    return this.runBatch;
  }

  private execute(sql: string, params: Params): Row[] {
    const statement = this.prepare(sql);
    if (statement.reader) return statement.all(bindable(params));
    statement.run(bindable(params));
    return [];
  }

  private connection(): Database {
    const db = this.driver.databaseConnection;
    if (db !== this.db) {
      // A re-initialised DataSource: statements of the old connection are useless.
      this.prepared.clear();
      this.runBatch = undefined;
      this.db = db;
    }
    return db;
  }

  private prepare(sql: string): Prepared<unknown[], Row> {
    const db = this.connection();
    let statement = this.prepared.get(sql);
    if (statement === undefined) {
      statement = db.prepare<unknown[], Row>(sql);
      if (this.prepared.size >= MAX_PREPARED) this.prepared.delete(this.prepared.keys().next().value as string);
      this.prepared.set(sql, statement);
    }
    return statement;
  }
}

/** better-sqlite3 cannot bind booleans; TypeORM bound them as 1/0, and so do we. */
function bindable(params: Params): unknown[] {
  for (let i = 0; i < params.length; i++) {
    if (typeof params[i] === 'boolean') return params.map((p) => (typeof p === 'boolean' ? Number(p) : p));
  }
  return params as unknown[];
}
