import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import { queryFailed, type Row, type SqlBackend, type Statement } from './sql-backend';

/**
 * Statement texts that get a name (PostgreSQL keeps a named statement per
 * connection until it closes); texts beyond this, e.g. ad-hoc filter
 * combinations, run unnamed so neither side grows without bound.
 */
const MAX_NAMED = 500;

type Params = readonly unknown[];
interface Text {
  name?: string;
  text: string;
}

/** "?" → "$n" once per distinct text, and a name for it, shared by every pool in the process. */
const texts = new Map<string, Text>();

function textOf(sql: string): Text {
  let text = texts.get(sql);
  if (text === undefined) {
    let n = 0;
    const dollars = sql.replace(/\?/g, () => `$${++n}`);
    text = texts.size < MAX_NAMED ? { name: `rotor_${texts.size}`, text: dollars } : { text: dollars };
    texts.set(sql, text);
  }
  return text;
}

/**
 * pg, used directly on the Pool TypeORM opened, with the same type parsing
 * as TypeORM (pg's defaults: bigint as text, booleans as booleans). Named
 * statements are parsed and planned once per connection, not per call.
 */
export class PostgresBackend implements SqlBackend {
  constructor(private readonly driver: { master: Pool }) {}

  async rows(sql: string, params: Params): Promise<Row[]> {
    return (await this.query(this.driver.master, sql, params)).rows;
  }

  async one(sql: string, params: Params): Promise<Row | undefined> {
    return (await this.query(this.driver.master, sql, params)).rows[0];
  }

  async run(sql: string, params: Params): Promise<number> {
    return (await this.query(this.driver.master, sql, params)).rowCount ?? 0;
  }

  async batch(statements: readonly Statement[]): Promise<Row[][] | null> {
    const client = await this.driver.master.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const results: Row[][] = [];
      for (const statement of statements) {
        const { rows } = await this.query(client, statement.sql, statement.params);
        if (statement.required && rows.length === 0) {
          await client.query('ROLLBACK');
          return null;
        }
        results.push(rows);
      }
      await client.query('COMMIT');
      return results;
    } catch (error) {
      // A client whose ROLLBACK fails is in an unknown state: the pool discards it.
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw queryFailed('BEGIN … COMMIT', [], error);
    } finally {
      client.release(broken);
    }
  }

  private async query(on: Pool | PoolClient, sql: string, params: Params): Promise<QueryResult<Row>> {
    const { name, text } = textOf(sql);
    // A fresh config each time: pg stores its callback on the object it is given.
    const config: QueryConfig = { name, text, values: params as unknown[] };
    try {
      return await on.query<Row>(config);
    } catch (error) {
      throw queryFailed(text, params, error);
    }
  }
}
