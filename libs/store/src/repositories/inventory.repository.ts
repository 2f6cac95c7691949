import { createHash } from 'node:crypto';
import type {
  InventoryOwner,
  InventoryPage,
  InventoryQuery,
  InventoryRecord,
  InventoryRepository,
  InventoryStatus,
} from '@rotor/lifecycle';
import { decodeCursor, encodeCursor, indexedNames, normalizeSanFilter, sanKey } from '@rotor/lifecycle';
import type { DataSource } from 'typeorm';
import { num, Sql, type Statement } from '../sql';

const COLUMNS = [
  'id',
  'serial',
  'subject',
  'issuer',
  'sans',
  'san_key',
  'not_before',
  'not_after',
  'key_type',
  'profile',
  'source',
  'owner_kind',
  'owner_id',
  'state',
  'revoked_at',
  'replaces',
  'replaced_by',
  'endpoints',
  'pem',
  'created_at',
  'updated_at',
];
const INSERT = `INSERT INTO inventory (${COLUMNS.join(', ')}) VALUES ${Sql.list(COLUMNS.length)} ON CONFLICT (id) DO NOTHING RETURNING id`;
const SELECT = `SELECT ${COLUMNS.join(', ')} FROM inventory`;
/** Only Rotor's own certificates are found by serial for revocation and RFC 9773 (serials are unique per issuer). */
const ROTOR_ISSUED = `source IN ('acme', 'managed')`;
const DEFAULT_LIMIT = 100;

/** The san_key column holds a digest of the canonical SAN set, so it has a fixed size and can be indexed. */
export const sanKeyDigest = (key: string): string => createHash('sha256').update(key).digest('hex');

type Row = Record<string, unknown>;

const text = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

function toRecord(row: Row): InventoryRecord {
  const ownerKind = text(row.owner_kind);
  return {
    id: String(row.id),
    serial: String(row.serial),
    subject: String(row.subject),
    issuer: String(row.issuer),
    sans: JSON.parse(String(row.sans)),
    notBefore: num(row.not_before) as number,
    notAfter: num(row.not_after) as number,
    keyType: String(row.key_type),
    profile: text(row.profile),
    source: String(row.source) as InventoryRecord['source'],
    owner: ownerKind ? { kind: ownerKind as InventoryOwner['kind'], id: String(row.owner_id) } : undefined,
    state: String(row.state) as InventoryRecord['state'],
    revokedAt: num(row.revoked_at),
    replaces: text(row.replaces),
    replacedBy: text(row.replaced_by),
    endpoints: JSON.parse(String(row.endpoints)),
    pem: String(row.pem),
    createdAt: num(row.created_at) as number,
    updatedAt: num(row.updated_at) as number,
  };
}

/**
 * The inventory on SQLite and PostgreSQL, in parameterised SQL. Issuance
 * records a certificate with two INSERTs (its names, then the row) and no
 * read. valid/expiring/expired are not stored: they are the same inequalities
 * as libs/lifecycle inventory/status.ts, evaluated against `now` in SQL.
 */
export class SqlInventoryRepository implements InventoryRepository {
  private readonly sql: Sql;

  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async upsert(record: InventoryRecord): Promise<{ inserted: boolean }> {
    // The names and the row land together (one statement on PostgreSQL, one transaction on SQLite).
    const names = indexedNames(record.sans);
    const statements: Statement[] = [];
    if (names.length) {
      statements.push({
        sql: `INSERT INTO inventory_names (name, inventory_id) VALUES ${Sql.tuples(names.length, 2)} ON CONFLICT DO NOTHING`,
        params: names.flatMap((name) => [name, record.id]),
      });
    }
    statements.push({
      sql: INSERT,
      params: [
        record.id,
        record.serial,
        record.subject,
        record.issuer,
        JSON.stringify(record.sans),
        sanKeyDigest(sanKey(record.sans)),
        record.notBefore,
        record.notAfter,
        record.keyType,
        record.profile ?? null,
        record.source,
        record.owner?.kind ?? null,
        record.owner?.id ?? null,
        record.state,
        record.revokedAt ?? null,
        record.replaces ?? null,
        record.replacedBy ?? null,
        JSON.stringify(record.endpoints),
        record.pem,
        record.createdAt,
        record.updatedAt,
      ],
    });
    const inserted = await this.sql.writeTogether(statements);
    if (inserted.length) return { inserted: true };
    if (record.endpoints.length) await this.mergeEndpoints(record.id, record.endpoints, record.updatedAt);
    return { inserted: false };
  }

  /** Compare-and-set on the JSON text, so concurrent scans of one certificate at several endpoints all land. */
  private async mergeEndpoints(id: string, endpoints: string[], at: number): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const row = await this.sql.one<{ endpoints: string }>('SELECT endpoints FROM inventory WHERE id = ?', [id]);
      if (!row) return;
      const known: string[] = JSON.parse(row.endpoints);
      const merged = [...new Set([...known, ...endpoints])].sort();
      if (merged.length === known.length) return;
      const changed = await this.sql.rows(
        'UPDATE inventory SET endpoints = ?, updated_at = ? WHERE id = ? AND endpoints = ? RETURNING id',
        [JSON.stringify(merged), at, id, row.endpoints],
      );
      if (changed.length) return;
    }
    throw new Error('inventory endpoints kept changing concurrently');
  }

  async byId(id: string): Promise<InventoryRecord | null> {
    const row = await this.sql.one(`${SELECT} WHERE id = ?`, [id]);
    return row ? toRecord(row) : null;
  }

  async bySerial(serial: string): Promise<InventoryRecord | null> {
    const row = await this.sql.one(
      `${SELECT} WHERE serial = ? ORDER BY CASE WHEN ${ROTOR_ISSUED} THEN 0 ELSE 1 END, created_at DESC LIMIT 1`,
      [serial],
    );
    return row ? toRecord(row) : null;
  }

  async query(query: InventoryQuery, now: number, warningMs: number): Promise<InventoryPage> {
    const { where, params } = filters(query, now, warningMs);
    if (query.after !== undefined) {
      const cursor = decodeCursor(query.after);
      // Row-value comparison: both databases resume the (not_after, id) index scan right after the cursor.
      where.push('(not_after, id) > (?, ?)');
      params.push(cursor.notAfter, cursor.id);
    }
    const limit = query.limit ?? DEFAULT_LIMIT;
    const rows = await this.sql.rows(
      `${SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY not_after, id LIMIT ?`,
      [...params, limit + 1],
    );
    const items = rows.slice(0, limit).map(toRecord);
    const last = items[items.length - 1];
    return rows.length > limit && last
      ? { items, next: encodeCursor({ notAfter: last.notAfter, id: last.id }) }
      : { items };
  }

  async count(query: InventoryQuery, now: number, warningMs: number): Promise<number> {
    const { where, params } = filters(query, now, warningMs);
    const row = await this.sql.one<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM inventory${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
      params,
    );
    return num(row?.n) ?? 0;
  }

  async supersede(id: string, successorId: string, at: number): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE inventory SET state = 'superseded', replaced_by = ?, updated_at = ? WHERE id = ? AND state = 'active' AND id <> ? RETURNING id`,
      [successorId, at, id, successorId],
    );
    return rows.length > 0;
  }

  async supersedeSameNames(
    owner: InventoryOwner,
    sanKey: string,
    successorId: string,
    before: number,
    at: number,
  ): Promise<string[]> {
    // "Older" is a strict total order — notAfter, then recording time, then id — so two certificates can never
    // supersede each other, whatever the interleaving (same-second issuances share a notAfter).
    // SQLite, without statistics, would rather range-scan idx_inventory_state_expiry (every active certificate
    // expiring before `before`: nearly all of them) than look up the owner's names; it is told which index to use.
    const rows = await this.sql.rows<{ id: string }>(
      `UPDATE inventory${this.sql.postgres ? '' : ' INDEXED BY idx_inventory_owner_names'} SET state = 'superseded', replaced_by = ?, updated_at = ?
       WHERE owner_id = ? AND san_key = ? AND owner_kind = ? AND state = 'active' AND id <> ? AND not_after <= ?
         AND (not_after, created_at, id) < (?, ?, ?)
       RETURNING id`,
      [successorId, at, owner.id, sanKeyDigest(sanKey), owner.kind, successorId, before, before, at, successorId],
    );
    return rows.map((r) => String(r.id));
  }

  async supersedeBySerial(serial: string, successorId: string, at: number): Promise<string | null> {
    // A revoked predecessor stays revoked; the link is recorded all the same.
    const rows = await this.sql.rows<{ id: string }>(
      `UPDATE inventory SET state = CASE WHEN state = 'active' THEN 'superseded' ELSE state END, replaced_by = ?, updated_at = ?
       WHERE serial = ? AND ${ROTOR_ISSUED} AND id <> ? AND (replaced_by IS NULL OR replaced_by = ?)
       RETURNING id`,
      [successorId, at, serial, successorId, successorId],
    );
    const predecessor = rows[0] ? String(rows[0].id) : null;
    if (predecessor) {
      await this.sql.rows('UPDATE inventory SET replaces = ?, updated_at = ? WHERE id = ? RETURNING id', [
        predecessor,
        at,
        successorId,
      ]);
    }
    return predecessor;
  }

  async markRevoked(serial: string, at: number): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE inventory SET state = 'revoked', revoked_at = ?, updated_at = ?
       WHERE serial = ? AND ${ROTOR_ISSUED} AND state <> 'revoked' RETURNING id`,
      [at, at, serial],
    );
    return rows.length > 0;
  }
}

/**
 * The WHERE conditions of a query. Derived statuses are the inequalities of
 * inventoryStatus(): expiring ⇔ active ∧ now < not_after ≤ now + warning ∧
 * 3·(not_after − now) ≤ not_after − not_before. Every branch starts from
 * `state` and a not_after range, which idx_inventory_state_expiry serves.
 */
function filters(query: InventoryQuery, now: number, warningMs: number): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const statuses = [...new Set(query.status ?? [])];
  if (statuses.length) {
    const states = [...new Set(statuses.map(stateOf))];
    where.push(`state IN (${states.map((s) => `'${s}'`).join(', ')})`);
    const branches = statuses.map((status) => statusCondition(status, now, warningMs));
    if (branches.some((b) => b.sql !== 'TRUE')) {
      where.push(
        `(${branches.map((b) => (b.sql === 'TRUE' ? `state = '${stateOf(b.status)}'` : b.sql)).join(' OR ')})`,
      );
      params.push(...branches.flatMap((b) => b.params));
    }
  }
  if (query.expiringWithinMs !== undefined) {
    where.push('not_after > ? AND not_after <= ?');
    params.push(now, now + query.expiringWithinMs);
    if (!statuses.length) where.push(`state = 'active'`);
  }
  if (query.san !== undefined) {
    where.push('id IN (SELECT inventory_id FROM inventory_names WHERE name = ?)');
    params.push(normalizeSanFilter(query.san));
  }
  if (query.issuer !== undefined) {
    where.push(`LOWER(issuer) LIKE ? ESCAPE '\\'`);
    params.push(`%${query.issuer.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (query.source !== undefined) {
    where.push('source = ?');
    params.push(query.source);
  }
  if (query.owner !== undefined) {
    where.push('owner_kind = ? AND owner_id = ?');
    params.push(query.owner.kind, query.owner.id);
  }
  return { where, params };
}

const stateOf = (status: InventoryStatus): string =>
  status === 'revoked' || status === 'superseded' ? status : 'active';

function statusCondition(
  status: InventoryStatus,
  now: number,
  warningMs: number,
): { status: InventoryStatus; sql: string; params: unknown[] } {
  switch (status) {
    case 'expired':
      return { status, sql: `(state = 'active' AND not_after <= ?)`, params: [now] };
    case 'expiring':
      return {
        status,
        sql: `(state = 'active' AND not_after > ? AND not_after <= ? AND 3 * (not_after - ?) <= not_after - not_before)`,
        params: [now, now + warningMs, now],
      };
    case 'valid':
      return {
        status,
        sql: `(state = 'active' AND not_after > ? AND (not_after > ? OR 3 * (not_after - ?) > not_after - not_before))`,
        params: [now, now + warningMs, now],
      };
    default:
      // revoked / superseded: the state alone decides.
      return { status, sql: 'TRUE', params: [] };
  }
}
