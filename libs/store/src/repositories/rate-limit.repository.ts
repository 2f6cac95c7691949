import type { RateLimitRepository } from '@rotor/acme';
import type { DataSource } from 'typeorm';
import { dialectOf } from '../data-source';
import { Sql } from '../sql';

/**
 * Token buckets shared by all replicas. One UPSERT refills and takes tokens
 * atomically (SQLite ≥ 3.35 and PostgreSQL both support ON CONFLICT … RETURNING);
 * the bucket only changes when enough tokens were available.
 */
export class SqlRateLimitRepository implements RateLimitRepository {
  private readonly sql: Sql;
  private readonly upsert: string;
  /** Which of (key, burst, now, ratePerMs, count) each "?" of the UPSERT binds, in order. */
  private readonly order: number[] = [];

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
    const postgres = dialectOf(dataSource) === 'postgres';
    const least = postgres ? 'LEAST' : 'MIN';
    // PostgreSQL infers parameter types from context (bigint here), so the numbers need casts.
    const casts = ['text', 'double precision', 'bigint', 'double precision', 'double precision'];
    const p = (n: number): string => {
      this.order.push(n - 1);
      return postgres ? `?::${casts[n - 1]}` : '?';
    };
    // Params: key, burst, now, ratePerMs, count. Refilled = min(burst, tokens + elapsed * rate).
    const refilled = (): string =>
      `${least}(${p(2)}, rate_limits.tokens + (${p(3)} - rate_limits.updated_at) * ${p(4)})`;
    // Placeholders are numbered in text order, so the pieces are built in that order.
    const insert = `INSERT INTO rate_limits (key, tokens, updated_at) VALUES (${p(1)}, ${p(2)} - ${p(5)}, ${p(3)}) `;
    const update = `ON CONFLICT (key) DO UPDATE SET tokens = ${refilled()} - ${p(5)}, updated_at = ${p(3)} `;
    const where = `WHERE ${refilled()} >= ${p(5)} RETURNING tokens`;
    this.upsert = insert + update + where;
  }

  /** `count` must not exceed `burst` (a new bucket starts full and gives it at once). */
  async take(key: string, ratePerSecond: number, burst: number, now: number, count = 1): Promise<number> {
    const params = [key, burst, now, ratePerSecond / 1000, count];
    const taken = await this.sql.one(
      this.upsert,
      this.order.map((i) => params[i]),
    );
    if (taken) return 0;
    const bucket = await this.sql.one<{ tokens: unknown; updated_at: unknown }>(
      'SELECT tokens, updated_at FROM rate_limits WHERE key = ?',
      [key],
    );
    const tokens = Math.min(
      burst,
      Number(bucket?.tokens) + (now - Number(bucket?.updated_at)) * (ratePerSecond / 1000),
    );
    return Math.max(1, Math.ceil((count - tokens) / ratePerSecond));
  }
}
