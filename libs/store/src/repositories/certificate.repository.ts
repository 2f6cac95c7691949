import type { CertificateRepository, IssuedCertificateRecord } from '@rotor/acme';
import type { DataSource } from 'typeorm';
import { fromJson, msParam } from '../entities/columns';
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

const INSERT =
  'INSERT INTO certificates (id, account_id, order_id, chain_pem, identifiers, not_before, not_after, status, ' +
  'revoked_at, revocation_reason, spki_sha256, fingerprint_sha256, key_type, profile, subject, issuer, replaces, ' +
  'replaced_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

const msOrNull = (value: number | undefined): string | null => (value === undefined ? null : msParam(value));

export class TypeOrmCertificateRepository implements CertificateRepository {
  private readonly sql: Sql;
  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async insert(record: IssuedCertificateRecord): Promise<void> {
    await this.sql.run(INSERT, [
      record.id,
      record.accountId || null,
      record.orderId || null,
      record.chainPem,
      JSON.stringify(record.identifiers),
      msParam(record.notBefore),
      msParam(record.notAfter),
      record.status,
      msOrNull(record.revokedAt),
      record.revocationReason ?? null,
      record.spkiSha256,
      record.fingerprintSha256,
      record.keyType,
      record.profile,
      record.subject,
      record.issuer,
      record.replaces ?? null,
      record.replacedBy ?? null,
      msParam(record.createdAt),
    ]);
  }

  async byId(serialHex: string): Promise<IssuedCertificateRecord | null> {
    // Every certificate download reads one.
    const row = await this.sql.one<RawCertificate>(`${SELECT} WHERE id = ?`, [serialHex]);
    return row ? toDomain(row) : null;
  }

  async revoke(serialHex: string, reason: number, at: number): Promise<boolean> {
    const changed = await this.sql.run(
      "UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ? WHERE id = ? AND status = 'valid'",
      [msParam(at), reason, serialHex],
    );
    return changed > 0;
  }

  async markReplaced(serialHex: string, bySerialHex: string): Promise<boolean> {
    const changed = await this.sql.run('UPDATE certificates SET replaced_by = ? WHERE id = ? AND replaced_by IS NULL', [
      bySerialHex,
      serialHex,
    ]);
    return changed > 0;
  }

  async listRevoked(): Promise<Pick<IssuedCertificateRecord, 'id' | 'revokedAt' | 'revocationReason'>[]> {
    const rows = await this.sql.rows<Pick<RawCertificate, 'id' | 'revoked_at' | 'revocation_reason'>>(
      "SELECT id, revoked_at, revocation_reason FROM certificates WHERE status = 'revoked'",
      [],
    );
    return rows.map((r) => ({
      id: r.id as string,
      revokedAt: num(r.revoked_at),
      revocationReason: num(r.revocation_reason) ?? 0,
    }));
  }
}
