import type { NonceRepository } from '@rotor/acme';
import { DataSource, LessThan, Repository } from 'typeorm';
import { NonceRow } from '../entities/acme.entities';
import { Sql } from '../sql';

/**
 * Nonces live in the database so any replica can redeem a nonce another one
 * issued (RFC 8555 §6.5); the DELETE is the single-use guarantee.
 */
export class TypeOrmNonceRepository implements NonceRepository {
  private readonly rows: Repository<NonceRow>;
  private readonly sql: Sql;
  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(NonceRow);
    this.sql = new Sql(dataSource);
  }

  async insertMany(values: string[], expires: number): Promise<void> {
    await this.rows.insert(values.map((value) => ({ value, expires })));
  }

  async consume(value: string, now: number): Promise<boolean> {
    const rows = await this.sql.rows('DELETE FROM nonces WHERE value = ? AND expires > ? RETURNING value', [
      value,
      now,
    ]);
    return rows.length > 0;
  }

  async purgeExpired(now: number): Promise<number> {
    const result = await this.rows.delete({ expires: LessThan(now) });
    return result.affected ?? 0;
  }
}
