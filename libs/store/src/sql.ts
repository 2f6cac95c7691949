import type { DataSource } from 'typeorm';
import { dialectOf } from './data-source';

/**
 * Parameterised SQL for the hot paths (every ACME request reads an account,
 * an order or an authorization). TypeORM's repository layer costs several
 * times the query itself here (query building, entity hydration), so these
 * few statements go straight to the driver through TypeORM's connection.
 * Write "?" placeholders; they become $1…$n on PostgreSQL. Changes use
 * RETURNING so both databases report which rows they touched.
 */
export class Sql {
  private readonly postgres: boolean;
  private readonly texts = new Map<string, string>();

  constructor(private readonly dataSource: DataSource) {
    this.postgres = dialectOf(dataSource) === 'postgres';
  }

  /** Rows of a SELECT, or the rows an UPDATE/DELETE … RETURNING touched. */
  async rows<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<T[]> {
    // A structured result: PostgreSQL's unstructured form is [rows, count] for UPDATE/DELETE.
    const runner = this.dataSource.createQueryRunner();
    try {
      return (await runner.query(this.text(sql), params, true)).records as T[];
    } finally {
      await runner.release();
    }
  }

  async one<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<T | undefined> {
    return (await this.rows<T>(sql, params))[0];
  }

  /** "IN (?, ?, …)" for n values. */
  static list(n: number): string {
    return `(${Array.from({ length: n }, () => '?').join(', ')})`;
  }

  private text(sql: string): string {
    if (!this.postgres) return sql;
    let text = this.texts.get(sql);
    if (text === undefined) {
      let n = 0;
      text = sql.replace(/\?/g, () => `$${++n}`);
      this.texts.set(sql, text);
    }
    return text;
  }
}

/** PostgreSQL returns bigint as text, SQLite as a number; null stays undefined. */
export const num = (value: unknown): number | undefined =>
  value === null || value === undefined ? undefined : Number(value);
export const bool = (value: unknown): boolean => value === true || value === 1 || value === '1' || value === 't';
