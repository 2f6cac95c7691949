import type { CertificateRepository, IssuedCertificateRecord } from '@rotor/acme';
import { DataSource, Repository } from 'typeorm';
import { CertificateRow } from '../entities/acme.entities';
import { fromJson } from '../entities/columns';
import { num, Sql } from '../sql';

type RawCertificate = Record<
  | 'id'
  | 'account_id'
  | 'order_id'
  | 'chain_pem'
  | 'identifiers'
  | 'status'
  | 'spki_sha256'
  | 'fingerprint_sha256'
  | 'key_type'
  | 'profile'
  | 'subject'
  | 'issuer'
  | 'replaces'
  | 'replaced_by',
  string | null
> &
  Record<'not_before' | 'not_after' | 'revoked_at' | 'revocation_reason' | 'created_at', unknown>;

const SELECT =
  'SELECT id, account_id, order_id, chain_pem, identifiers, not_before, not_after, status, revoked_at, ' +
  'revocation_reason, spki_sha256, fingerprint_sha256, key_type, profile, subject, issuer, replaces, replaced_by, ' +
  'created_at FROM certificates';

const toDomain = (row: RawCertificate): IssuedCertificateRecord => ({
  id: row.id as string,
  accountId: row.account_id ?? '',
  orderId: row.order_id ?? '',
  chainPem: row.chain_pem as string,
  identifiers: fromJson<IssuedCertificateRecord['identifiers']>(row.identifiers) ?? [],
  notBefore: num(row.not_before) as number,
  notAfter: num(row.not_after) as number,
  status: row.status as IssuedCertificateRecord['status'],
  revokedAt: num(row.revoked_at),
  revocationReason: num(row.revocation_reason),
  spkiSha256: row.spki_sha256 as string,
  fingerprintSha256: row.fingerprint_sha256 as string,
  keyType: row.key_type as string,
  profile: row.profile as string,
  subject: row.subject as string,
  issuer: row.issuer as string,
  replaces: row.replaces ?? undefined,
  replacedBy: row.replaced_by ?? undefined,
  createdAt: num(row.created_at) as number,
});

export class TypeOrmCertificateRepository implements CertificateRepository {
  private readonly rows: Repository<CertificateRow>;
  private readonly sql: Sql;
  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(CertificateRow);
    this.sql = new Sql(dataSource);
  }

  async insert(record: IssuedCertificateRecord): Promise<void> {
    await this.rows.insert({
      ...record,
      identifiers: JSON.stringify(record.identifiers),
      accountId: record.accountId || null,
      orderId: record.orderId || null,
      revokedAt: record.revokedAt ?? null,
      revocationReason: record.revocationReason ?? null,
      replaces: record.replaces ?? null,
      replacedBy: record.replacedBy ?? null,
    });
  }

  async byId(serialHex: string): Promise<IssuedCertificateRecord | null> {
    // Every certificate download reads one: plain SQL, not TypeORM's query builder and hydration.
    const row = await this.sql.one<RawCertificate>(`${SELECT} WHERE id = ?`, [serialHex]);
    return row ? toDomain(row) : null;
  }

  async revoke(serialHex: string, reason: number, at: number): Promise<boolean> {
    const result = await this.rows.update(
      { id: serialHex, status: 'valid' },
      { status: 'revoked', revokedAt: at, revocationReason: reason },
    );
    return (result.affected ?? 0) > 0;
  }

  async markReplaced(serialHex: string, bySerialHex: string): Promise<boolean> {
    const result = await this.rows
      .createQueryBuilder()
      .update()
      .set({ replacedBy: bySerialHex })
      .where('id = :id AND replaced_by IS NULL', { id: serialHex })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  async listRevoked(): Promise<Pick<IssuedCertificateRecord, 'id' | 'revokedAt' | 'revocationReason'>[]> {
    const rows = await this.rows.find({
      select: { id: true, revokedAt: true, revocationReason: true },
      where: { status: 'revoked' },
    });
    return rows.map((r) => ({
      id: r.id,
      revokedAt: r.revokedAt ?? undefined,
      revocationReason: r.revocationReason ?? 0,
    }));
  }
}
