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

/** The single-use guarantee of a nonce (RFC 8555 §6.5), shared with TypeOrmNonceRepository.consume. */
export const CONSUME_NONCE = 'DELETE FROM nonces WHERE value = ? AND expires > ?';

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

  async byIdRedeemingNonce(
    id: string,
    nonce: string,
    now: number,
  ): Promise<{ nonceValid: boolean; account: Account | null }> {
    if (!this.sql.postgres) {
      // SQLite runs in this process: two statements cost no round trips, and SQLite has no DML in CTEs.
      const nonceValid = (await this.sql.run(CONSUME_NONCE, [nonce, now])) > 0;
      return { nonceValid, account: await this.byId(id) };
    }
    // PostgreSQL: one statement, one round trip. The CTE's DELETE runs even when no account matches.
    const row = await this.sql.one<RawAccount & { nonce_valid: unknown }>(
      `WITH redeemed AS (${CONSUME_NONCE} RETURNING 1) ` +
        'SELECT (SELECT count(*) FROM redeemed) AS nonce_valid, a.id, a.status, a.jwk, a.thumbprint, a.contact, ' +
        'a.terms_of_service_agreed, a.eab_key_id, a.created_at FROM (SELECT 1) AS one LEFT JOIN accounts a ON a.id = ?',
      [nonce, now, id],
    );
    return { nonceValid: Number(row?.nonce_valid) > 0, account: row?.id ? toDomain(row) : null };
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
