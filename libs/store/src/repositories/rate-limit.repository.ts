import type { RateLimitRepository } from '@rotor/acme';
import { DataSource } from 'typeorm';
import { dialectOf } from '../data-source';

/**
 * Token buckets shared by all replicas. One UPSERT refills and takes a token
 * atomically (SQLite ≥ 3.35 and PostgreSQL both support ON CONFLICT … RETURNING);
 * the bucket only changes when a token was available.
 */
export class SqlRateLimitRepository implements RateLimitRepository {
  private readonly sql: string;
  /** SQLite binds "?" by position: the parameter index for each placeholder. */
  private readonly order?: number[];

  constructor(private readonly dataSource: DataSource) {
    const postgres = dialectOf(dataSource) === 'postgres';
    const least = postgres ? 'LEAST' : 'MIN';
    // PostgreSQL infers parameter types from context (bigint here), so the rate needs a cast.
    const casts = ['text', 'double precision', 'bigint', 'double precision'];
    const p = postgres ? (n: number) => `$${n}::${casts[n - 1]}` : () => '?';
    // Params: key, burst, now, ratePerMs. Refilled = min(burst, tokens + elapsed * rate).
    const refilled = `${least}(${p(2)}, rate_limits.tokens + (${p(3)} - rate_limits.updated_at) * ${p(4)})`;
    this.sql =
      `INSERT INTO rate_limits (key, tokens, updated_at) VALUES (${p(1)}, ${p(2)} - 1, ${p(3)}) ` +
      `ON CONFLICT (key) DO UPDATE SET tokens = ${refilled} - 1, updated_at = ${p(3)} ` +
      `WHERE ${refilled} >= 1 RETURNING tokens`;
    if (!postgres) this.order = [1, 2, 3, 2, 3, 4, 3, 2, 3, 4];
  }

  async take(key: string, ratePerSecond: number, burst: number, now: number): Promise<number> {
    const params = [key, burst, now, ratePerSecond / 1000];
    const bound = this.order ? this.order.map((i) => params[i - 1]) : params;
    const rows: unknown[] = await this.dataSource.query(this.sql, bound);
    if (rows.length > 0) return 0;
    const [bucket] = await this.dataSource.query(
      `SELECT tokens, updated_at FROM rate_limits WHERE key = ${this.order ? '?' : '$1'}`,
      [key],
    );
    const tokens = Math.min(burst, Number(bucket.tokens) + (now - Number(bucket.updated_at)) * (ratePerSecond / 1000));
    return Math.max(1, Math.ceil((1 - tokens) / ratePerSecond));
  }
}
