import type { ApiScope, ApiTokenRecord, ApiTokenRepository } from '@rotor/lifecycle';
import type { DataSource } from 'typeorm';
import { Sql, num } from '../sql';

interface Row {
  id: string;
  name: string;
  digest: string;
  scopes: string;
  created_at: unknown;
  expires_at: unknown;
  revoked_at: unknown;
  last_used_at: unknown;
}

const toRecord = (row: Row): ApiTokenRecord => ({
  id: row.id,
  name: row.name,
  digest: row.digest,
  scopes: JSON.parse(row.scopes) as ApiScope[],
  createdAt: num(row.created_at) ?? 0,
  expiresAt: num(row.expires_at),
  revokedAt: num(row.revoked_at),
  lastUsedAt: num(row.last_used_at),
});

// Named columns, not *: a PostgreSQL prepared statement must keep its result shape across migrations.
const SELECT = 'SELECT id, name, digest, scopes, created_at, expires_at, revoked_at, last_used_at FROM api_tokens';

export class SqlApiTokenRepository implements ApiTokenRepository {
  private readonly sql: Sql;
  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async insert(record: ApiTokenRecord): Promise<boolean> {
    // ON CONFLICT DO NOTHING: two replicas creating the bootstrap token race safely.
    const rows = await this.sql.rows(
      `INSERT INTO api_tokens (id, name, digest, scopes, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
      [
        record.id,
        record.name,
        record.digest,
        JSON.stringify(record.scopes),
        record.createdAt,
        record.expiresAt ?? null,
      ],
    );
    return rows.length === 1;
  }

  async byDigest(digest: string): Promise<ApiTokenRecord | null> {
    const row = await this.sql.one<Row>(`${SELECT} WHERE digest = ?`, [digest]);
    return row ? toRecord(row) : null;
  }

  async list(): Promise<ApiTokenRecord[]> {
    return (await this.sql.rows<Row>(`${SELECT} ORDER BY created_at, id`, [])).map(toRecord);
  }

  async revoke(idOrName: string, at: number): Promise<boolean> {
    const rows = await this.sql.rows(
      'UPDATE api_tokens SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL RETURNING id',
      [at, idOrName, idOrName],
    );
    return rows.length > 0;
  }

  async count(): Promise<number> {
    const row = await this.sql.one<{ n: unknown }>('SELECT COUNT(*) AS n FROM api_tokens', []);
    return num(row?.n) ?? 0;
  }
}
