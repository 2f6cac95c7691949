import type { NonceRepository } from '@rotor/acme';
import { DataSource, LessThan, Repository } from 'typeorm';
import { NonceRow } from '../entities/acme.entities';
import { msParam } from '../entities/columns';

/**
 * Nonces live in the database so any replica can redeem a nonce another one
 * issued (RFC 8555 §6.5); the DELETE is the single-use guarantee.
 */
export class TypeOrmNonceRepository implements NonceRepository {
  private readonly rows: Repository<NonceRow>;
  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(NonceRow);
  }

  async insertMany(values: string[], expires: number): Promise<void> {
    await this.rows.insert(values.map((value) => ({ value, expires })));
  }

  async consume(value: string, now: number): Promise<boolean> {
    const result = await this.rows
      .createQueryBuilder()
      .delete()
      .where('value = :value AND expires > :now', { value, now: msParam(now) })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async purgeExpired(now: number): Promise<number> {
    const result = await this.rows.delete({ expires: LessThan(now) });
    return result.affected ?? 0;
  }
}
