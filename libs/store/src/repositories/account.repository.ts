import type { Account, AccountRepository } from '@rotor/acme';
import type { DataSource } from 'typeorm';
import { fromJson, msParam } from '../entities/columns';
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

const INSERT =
  'INSERT INTO accounts (id, status, jwk, thumbprint, contact, terms_of_service_agreed, eab_key_id, created_at) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?)';

export class TypeOrmAccountRepository implements AccountRepository {
  private readonly sql: Sql;
  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async insert(account: Account): Promise<void> {
    await this.sql.run(INSERT, [
      account.id,
      account.status,
      JSON.stringify(account.jwk),
      account.thumbprint,
      JSON.stringify(account.contact),
      account.termsOfServiceAgreed,
      account.eabKeyId ?? null,
      msParam(account.createdAt),
    ]);
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
    // Only the fields the patch sets; COALESCE keeps the others.
    const { jwk, contact, status, thumbprint } = patch;
    if (!jwk && !contact && status === undefined && thumbprint === undefined) return;
    await this.sql.run(
      'UPDATE accounts SET status = COALESCE(?, status), jwk = COALESCE(?, jwk), ' +
        'thumbprint = COALESCE(?, thumbprint), contact = COALESCE(?, contact) WHERE id = ?',
      [
        status ?? null,
        jwk ? JSON.stringify(jwk) : null,
        thumbprint ?? null,
        contact ? JSON.stringify(contact) : null,
        id,
      ],
    );
  }
}
