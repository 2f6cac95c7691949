import type { NonceRepository } from '@rotor/acme';
import type { DataSource } from 'typeorm';
import { msParam } from '../entities/columns';
import { Sql } from '../sql';
import { CONSUME_NONCE } from './account.repository';

/**
 * Nonces live in the database so any replica can redeem a nonce another one
 * issued (RFC 8555 §6.5); the DELETE is the single-use guarantee.
 */
export class TypeOrmNonceRepository implements NonceRepository {
  private readonly sql: Sql;
  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  /** One multi-row INSERT per batch (the nonce pool refills in batches of the same size). */
  async insertMany(values: string[], expires: number): Promise<void> {
    if (!values.length) return;
    const at = msParam(expires);
    const params: unknown[] = [];
    for (const value of values) params.push(value, at);
    await this.sql.rows(`INSERT INTO nonces (value, expires) VALUES ${Sql.tuples(values.length, 2)}`, params);
  }

  async consume(value: string, now: number): Promise<boolean> {
    return (await this.sql.run(CONSUME_NONCE, [value, now])) > 0;
  }

  async purgeExpired(now: number): Promise<number> {
    return this.sql.run('DELETE FROM nonces WHERE expires < ?', [now]);
  }
}
