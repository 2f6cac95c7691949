import type { Account, AccountRepository } from '@rotor/acme';
import { DataSource, Repository } from 'typeorm';
import { AccountRow } from '../entities/acme.entities';
import { fromJson } from '../entities/columns';
import { bool, num, Sql } from '../sql';

type RawAccount = Record<'id' | 'status' | 'jwk' | 'thumbprint' | 'contact' | 'eab_key_id', string | null> & {
  terms_of_service_agreed: unknown;
  created_at: unknown;
};

const toDomain = (row: RawAccount): Account => ({
  id: row.id as string,
  status: row.status as Account['status'],
  jwk: fromJson<Account['jwk']>(row.jwk) as Account['jwk'],
  thumbprint: row.thumbprint as string,
  contact: fromJson<string[]>(row.contact) ?? [],
  termsOfServiceAgreed: bool(row.terms_of_service_agreed),
  eabKeyId: row.eab_key_id ?? undefined,
  createdAt: num(row.created_at) as number,
});

const SELECT =
  'SELECT id, status, jwk, thumbprint, contact, terms_of_service_agreed, eab_key_id, created_at FROM accounts';

export class TypeOrmAccountRepository implements AccountRepository {
  private readonly rows: Repository<AccountRow>;
  private readonly sql: Sql;
  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(AccountRow);
    this.sql = new Sql(dataSource);
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
    const row = await this.sql.one<RawAccount>(`${SELECT} WHERE id = ?`, [id]);
    return row ? toDomain(row) : null;
  }

  async byThumbprint(thumbprint: string): Promise<Account | null> {
    const row = await this.sql.one<RawAccount>(`${SELECT} WHERE thumbprint = ?`, [thumbprint]);
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
