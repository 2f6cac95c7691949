import { QueryFailedError } from 'typeorm';

export type Row = Record<string, unknown>;

/** One statement of an atomic batch. */
export interface Statement {
  sql: string;
  params: readonly unknown[];
  /** The batch only commits if this statement returns (RETURNING) at least one row; otherwise it rolls back. */
  required?: boolean;
}

/** What one database does with statements; one instance per DataSource, shared by every Sql. */
export interface SqlBackend {
  rows(sql: string, params: readonly unknown[]): Promise<Row[]>;
  one(sql: string, params: readonly unknown[]): Promise<Row | undefined>;
  /** The number of rows a statement without RETURNING changed. */
  run(sql: string, params: readonly unknown[]): Promise<number>;
  batch(statements: readonly Statement[]): Promise<Row[][] | null>;
}

/** The error TypeORM's query runner threw before, so callers and logs see the same thing. */
export function queryFailed(sql: string, params: readonly unknown[], error: unknown): Error {
  return error instanceof QueryFailedError ? error : new QueryFailedError(sql, [...params], error as Error);
}
