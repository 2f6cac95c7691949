import type { CertificateRepository, IssuedCertificateRecord } from '@rotor/acme';
import { DataSource, Repository } from 'typeorm';
import { CertificateRow } from '../entities/acme.entities';
import { fromJson } from '../entities/columns';

const toDomain = (row: CertificateRow): IssuedCertificateRecord => ({
  id: row.id,
  accountId: row.accountId ?? '',
  orderId: row.orderId ?? '',
  chainPem: row.chainPem,
  identifiers: fromJson<IssuedCertificateRecord['identifiers']>(row.identifiers) ?? [],
  notBefore: row.notBefore,
  notAfter: row.notAfter,
  status: row.status as IssuedCertificateRecord['status'],
  revokedAt: row.revokedAt ?? undefined,
  revocationReason: row.revocationReason ?? undefined,
  spkiSha256: row.spkiSha256,
  fingerprintSha256: row.fingerprintSha256,
  keyType: row.keyType,
  profile: row.profile,
  subject: row.subject,
  issuer: row.issuer,
  replaces: row.replaces ?? undefined,
  replacedBy: row.replacedBy ?? undefined,
  createdAt: row.createdAt,
});

export class TypeOrmCertificateRepository implements CertificateRepository {
  private readonly rows: Repository<CertificateRow>;
  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(CertificateRow);
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
    const row = await this.rows.findOneBy({ id: serialHex });
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
