import type { EabKey, EabKeyRepository } from '@rotor/acme';
import { DataSource, IsNull, Repository } from 'typeorm';
import { EabKeyRow } from '../entities/acme.entities';
import { fromJson } from '../entities/columns';

/** Seals secrets at rest; libs/pki's KeySealer implements it. */
export interface SecretSealer {
  seal(plain: Uint8Array): string;
  unseal(sealed: string): Uint8Array;
}

/** External Account Binding keys (RFC 8555 §7.3.4); the HMAC key is sealed in the database. */
export class TypeOrmEabKeyRepository implements EabKeyRepository {
  private readonly rows: Repository<EabKeyRow>;
  constructor(
    dataSource: DataSource,
    private readonly sealer: SecretSealer,
  ) {
    this.rows = dataSource.getRepository(EabKeyRow);
  }

  async create(key: Omit<EabKey, 'boundAccountId' | 'revoked'>): Promise<void> {
    await this.rows.insert({
      id: key.id,
      hmacKeySealed: this.sealer.seal(key.hmacKey),
      allowedDnsSuffixes: JSON.stringify(key.allowedDnsSuffixes),
      boundAccountId: null,
      revoked: false,
      createdAt: key.createdAt,
    });
  }

  async byId(id: string): Promise<EabKey | null> {
    const row = await this.rows.findOneBy({ id });
    if (!row) return null;
    return {
      id: row.id,
      hmacKey: this.sealer.unseal(row.hmacKeySealed),
      allowedDnsSuffixes: fromJson<string[]>(row.allowedDnsSuffixes) ?? [],
      boundAccountId: row.boundAccountId ?? undefined,
      revoked: Boolean(row.revoked),
      createdAt: row.createdAt,
    };
  }

  async bind(id: string, accountId: string): Promise<boolean> {
    const result = await this.rows.update(
      { id, boundAccountId: IsNull(), revoked: false },
      { boundAccountId: accountId },
    );
    return (result.affected ?? 0) > 0;
  }

  async list(): Promise<Omit<EabKey, 'hmacKey'>[]> {
    const rows = await this.rows.find({ order: { createdAt: 'ASC' } });
    return rows.map((row) => ({
      id: row.id,
      allowedDnsSuffixes: fromJson<string[]>(row.allowedDnsSuffixes) ?? [],
      boundAccountId: row.boundAccountId ?? undefined,
      revoked: Boolean(row.revoked),
      createdAt: row.createdAt,
    }));
  }
}
