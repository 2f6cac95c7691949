import type { Account, AccountRepository } from '@rotor/acme';
import { DataSource, Repository } from 'typeorm';
import { AccountRow } from '../entities/acme.entities';
import { fromJson } from '../entities/columns';

const toDomain = (row: AccountRow): Account => ({
  id: row.id,
  status: row.status as Account['status'],
  jwk: fromJson<Account['jwk']>(row.jwk) as Account['jwk'],
  thumbprint: row.thumbprint,
  contact: fromJson<string[]>(row.contact) ?? [],
  termsOfServiceAgreed: Boolean(row.termsOfServiceAgreed),
  eabKeyId: row.eabKeyId ?? undefined,
  createdAt: row.createdAt,
});

export class TypeOrmAccountRepository implements AccountRepository {
  private readonly rows: Repository<AccountRow>;
  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(AccountRow);
  }

  async insert(account: Account): Promise<void> {
    await this.rows.insert({
      ...account,
      jwk: JSON.stringify(account.jwk),
      contact: JSON.stringify(account.contact),
      eabKeyId: account.eabKeyId ?? null,
    });
  }

  async byId(id: string): Promise<Account | null> {
    const row = await this.rows.findOneBy({ id });
    return row ? toDomain(row) : null;
  }

  async byThumbprint(thumbprint: string): Promise<Account | null> {
    const row = await this.rows.findOneBy({ thumbprint });
    return row ? toDomain(row) : null;
  }

  async update(id: string, patch: Partial<Pick<Account, 'contact' | 'status' | 'jwk' | 'thumbprint'>>): Promise<void> {
    const { jwk, contact, ...plain } = patch;
    await this.rows.update(
      { id },
      {
        ...plain,
        ...(jwk && { jwk: JSON.stringify(jwk) }),
        ...(contact && { contact: JSON.stringify(contact) }),
      },
    );
  }
}
