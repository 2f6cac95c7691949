import type {
  DueRenewal,
  ManagedCertificate,
  ManagedCertificateRepository,
  ManagedDeclaration,
  ManagedPage,
  ManagedStatus,
  RenewalCommit,
  RenewalFailure,
  RenewalRecord,
} from '@rotor/lifecycle';
import { specText } from '@rotor/lifecycle';
import type { DataSource } from 'typeorm';
import { num, Sql } from '../sql';

const COLUMNS = [
  'id',
  'name',
  'spec',
  'generation',
  'current_id',
  'key_sealed',
  'status',
  'next_renewal_at',
  'lease_owner',
  'lease_until',
  'consecutive_failures',
  'last_error',
  'last_renewed_at',
  'subscribers',
  'created_at',
  'updated_at',
].join(', ');

type Row = Record<string, unknown>;
const text = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

function toManaged(row: Row): ManagedCertificate {
  return {
    id: String(row.id),
    name: String(row.name),
    spec: JSON.parse(String(row.spec)),
    subscribers: JSON.parse(String(row.subscribers)),
    generation: num(row.generation) as number,
    currentId: text(row.current_id),
    keySealed: text(row.key_sealed),
    status: String(row.status) as ManagedStatus,
    nextRenewalAt: num(row.next_renewal_at) as number,
    leaseOwner: text(row.lease_owner),
    leaseUntil: num(row.lease_until),
    consecutiveFailures: num(row.consecutive_failures) as number,
    lastError: text(row.last_error),
    lastRenewedAt: num(row.last_renewed_at),
    createdAt: num(row.created_at) as number,
    updatedAt: num(row.updated_at) as number,
  };
}

const INSERT_RENEWAL = `INSERT INTO renewals (managed_id, generation, inventory_id, previous_id, created_at, duration_ms)
  VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING managed_id`;
// A spec changed while this renewal was signing (the certificate reflects the old one): due again at once.
const ADVANCE = `UPDATE managed_certificates SET generation = generation + 1, current_id = ?, key_sealed = ?,
  next_renewal_at = CASE WHEN spec = ? THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END, status = 'active', consecutive_failures = 0,
  last_error = NULL, lease_owner = NULL, lease_until = NULL, last_renewed_at = ?, updated_at = ?
  WHERE id = ? AND generation = ? RETURNING id`;

/**
 * Managed certificates and the renewal log in parameterised SQL (the sweep
 * and every renewal run these on each replica). The renewal commit is one
 * transaction (Sql.batch): on PostgreSQL on its own pooled connection; on
 * SQLite synchronous, so no other query of this process can slip in between
 * its statements (all of them share the one connection).
 */
export class SqlManagedCertificateRepository implements ManagedCertificateRepository {
  private readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async insert(m: ManagedCertificate): Promise<boolean> {
    const rows = await this.sql.rows(
      `INSERT INTO managed_certificates (${COLUMNS}) VALUES ${Sql.list(16)} ON CONFLICT DO NOTHING RETURNING id`,
      [
        m.id,
        m.name,
        specText(m.spec),
        m.generation,
        m.currentId ?? null,
        m.keySealed ?? null,
        m.status,
        m.nextRenewalAt,
        m.leaseOwner ?? null,
        m.leaseUntil ?? null,
        m.consecutiveFailures,
        m.lastError ?? null,
        m.lastRenewedAt ?? null,
        JSON.stringify(m.subscribers),
        m.createdAt,
        m.updatedAt,
      ],
    );
    return rows.length > 0;
  }

  async byId(id: string): Promise<ManagedCertificate | null> {
    const row = await this.sql.one(`SELECT ${COLUMNS} FROM managed_certificates WHERE id = ?`, [id]);
    return row ? toManaged(row) : null;
  }

  async byName(name: string): Promise<ManagedCertificate | null> {
    const row = await this.sql.one(`SELECT ${COLUMNS} FROM managed_certificates WHERE name = ?`, [name]);
    return row ? toManaged(row) : null;
  }

  async list({ after, limit }: { after?: string; limit: number }): Promise<ManagedPage> {
    const rows = await this.sql.rows(
      `SELECT ${COLUMNS} FROM managed_certificates${after === undefined ? '' : ' WHERE name > ?'} ORDER BY name LIMIT ?`,
      after === undefined ? [limit + 1] : [after, limit + 1],
    );
    const items = rows.slice(0, limit).map(toManaged);
    return rows.length > limit ? { items, next: items[items.length - 1].name } : { items };
  }

  async updateDeclaration(
    id: string,
    declaration: ManagedDeclaration,
    nextRenewalAt: number | undefined,
    now: number,
  ): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE managed_certificates SET spec = ?, subscribers = ?, next_renewal_at = COALESCE(CAST(? AS BIGINT), next_renewal_at),
       updated_at = ? WHERE id = ? RETURNING id`,
      [specText(declaration.spec), JSON.stringify(declaration.subscribers), nextRenewalAt ?? null, now, id],
    );
    return rows.length > 0;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.sql.rows('DELETE FROM managed_certificates WHERE id = ? RETURNING id', [id])).length > 0;
  }

  async reschedule(id: string, generation: number, at: number, now: number): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE managed_certificates SET next_renewal_at = ?, updated_at = ?
       WHERE id = ? AND generation = ? AND status <> 'disabled' RETURNING id`,
      [at, now, id, generation],
    );
    return rows.length > 0;
  }

  async due(before: number, limit: number): Promise<DueRenewal[]> {
    const rows = await this.sql.rows(
      `SELECT id, generation, next_renewal_at FROM managed_certificates
       WHERE next_renewal_at <= ? AND status <> 'disabled' ORDER BY next_renewal_at LIMIT ?`,
      [before, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      generation: num(r.generation) as number,
      nextRenewalAt: num(r.next_renewal_at) as number,
    }));
  }

  async claim(
    id: string,
    generation: number,
    owner: string,
    now: number,
    leaseUntil: number,
  ): Promise<ManagedCertificate | null> {
    const row = await this.sql.one(
      `UPDATE managed_certificates SET lease_owner = ?, lease_until = ?
       WHERE id = ? AND generation = ? AND status <> 'disabled' AND (lease_until IS NULL OR lease_until < ?)
       RETURNING ${COLUMNS}`,
      [owner, leaseUntil, id, generation, now],
    );
    return row ? toManaged(row) : null;
  }

  async release(id: string, generation: number, owner: string): Promise<void> {
    await this.sql.rows(
      `UPDATE managed_certificates SET lease_owner = NULL, lease_until = NULL
       WHERE id = ? AND generation = ? AND lease_owner = ? RETURNING id`,
      [id, generation, owner],
    );
  }

  async commitRenewal(c: RenewalCommit): Promise<boolean> {
    const renewal = [c.id, c.generation, c.inventoryId, c.previousId ?? null, c.now, c.durationMs];
    const advance = [c.inventoryId, c.keySealed, c.specText, c.nextRenewalAt, c.now, c.now, c.now, c.id, c.generation];
    const committed = await this.sql.batch([
      { sql: INSERT_RENEWAL, params: renewal, required: true },
      { sql: ADVANCE, params: advance, required: true },
    ]);
    return committed !== null;
  }

  async recordFailure(f: RenewalFailure): Promise<number | null> {
    const row = await this.sql.one<{ consecutive_failures: unknown }>(
      `UPDATE managed_certificates SET consecutive_failures = consecutive_failures + 1, last_error = ?,
       status = CASE WHEN status = 'disabled' THEN status ELSE 'failing' END, lease_owner = NULL, lease_until = NULL,
       next_renewal_at = COALESCE(CAST(? AS BIGINT), next_renewal_at), updated_at = ?
       WHERE id = ? AND generation = ? AND lease_owner = ? RETURNING consecutive_failures`,
      [f.error, f.nextRenewalAt ?? null, f.now, f.id, f.generation, f.leaseOwner],
    );
    return row ? (num(row.consecutive_failures) as number) : null;
  }

  async renewals(managedId: string, limit: number): Promise<RenewalRecord[]> {
    const rows = await this.sql.rows(
      `SELECT managed_id, generation, inventory_id, previous_id, created_at, duration_ms FROM renewals
       WHERE managed_id = ? ORDER BY generation DESC LIMIT ?`,
      [managedId, limit],
    );
    return rows.map((r) => ({
      managedId: String(r.managed_id),
      generation: num(r.generation) as number,
      inventoryId: String(r.inventory_id),
      previousId: text(r.previous_id),
      createdAt: num(r.created_at) as number,
      durationMs: num(r.duration_ms) as number,
    }));
  }
}
