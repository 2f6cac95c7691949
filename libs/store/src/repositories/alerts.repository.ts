import {
  Alert,
  AlertFactSource,
  AlertFactWindow,
  AlertFacts,
  AlertRecord,
  AlertSeverity,
  AlertStateRepository,
  AlertTransition,
  CertificateFact,
  InventoryState,
  ManagedFact,
  ManagedStatus,
  displayName,
  parseSans,
} from '@rotor/lifecycle';
import type { DataSource } from 'typeorm';
import { Sql, num } from '../sql';

/** Upper bound of candidate certificates per evaluation (the soonest-expiring first). */
const MAX_CERTIFICATE_CANDIDATES = 10_000;

interface CertRow {
  id: string;
  san_key: string;
  owner_id: string | null;
  serial: string;
  issuer: string;
  subject: string;
  sans: string;
  not_before: unknown;
  not_after: unknown;
  state: string;
  replaced_by: string | null;
  owner_kind: string | null;
  managed_name: string | null;
}

interface ManagedRow {
  id: string;
  name: string;
  status: string;
  spec: string;
  next_renewal_at: unknown;
  consecutive_failures: unknown;
  last_error: string | null;
  current_id: string | null;
  not_before: unknown;
  not_after: unknown;
}

/**
 * Reads the few rows the alert rules need, each through an index: active
 * certificates in the expiry window (idx_inventory_state_expiry), managed
 * certificates past their renewal point (next_renewal_at) or failing, and the
 * newest CRL. The rules (libs/lifecycle alerts/rules.ts) decide the rest.
 */
export class SqlAlertFactSource implements AlertFactSource {
  private readonly sql: Sql;
  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async facts(w: AlertFactWindow): Promise<AlertFacts> {
    const [certificates, overdue, failing, crl] = await Promise.all([
      this.sql.rows<CertRow>(
        `SELECT i.id, i.serial, i.issuer, i.subject, i.sans, i.san_key, i.not_before, i.not_after, i.state,
                i.replaced_by, i.owner_kind, i.owner_id, m.name AS managed_name
           FROM inventory i
           LEFT JOIN managed_certificates m ON i.owner_kind = 'managed' AND m.id = i.owner_id
          WHERE i.state = 'active' AND i.not_after > ? AND i.not_after <= ?
          ORDER BY i.not_after, i.id
          LIMIT ${MAX_CERTIFICATE_CANDIDATES}`,
        [w.now - w.expiredRetentionMs, w.now + w.expiringWithinMs],
      ),
      this.managed(`m.next_renewal_at <= ? AND m.status <> 'disabled'`, [w.now - w.overdueAfterMs]),
      this.managed(`m.consecutive_failures >= ? AND m.status <> 'disabled'`, [w.failingAfter]),
      this.sql.one<{ number: unknown; this_update: unknown; next_update: unknown }>(
        'SELECT number, this_update, next_update FROM crls ORDER BY number DESC LIMIT 1',
        [],
      ),
    ]);
    const managed = new Map<string, ManagedFact>();
    for (const row of [...overdue, ...failing]) managed.set(row.id, toManagedFact(row));
    // Certificates without SANs (subject CN only) all share the empty key: they name nothing to cover.
    const coverable = (row: CertRow) => row.owner_id === null && hasNames(parseSans(row.sans));
    const covered = await this.sameNamesUntil(certificates.filter(coverable).map((c) => c.san_key));
    return {
      certificates: certificates.map((row) => ({
        ...toCertificateFact(row),
        sameNamesUntil: coverable(row) ? covered.get(row.san_key) : undefined,
      })),
      managed: [...managed.values()],
      crl: crl
        ? { number: num(crl.number) ?? 0, thisUpdate: num(crl.this_update) ?? 0, nextUpdate: num(crl.next_update) ?? 0 }
        : undefined,
    };
  }

  /**
   * For certificates tracked without an owner (imported, scanned): the latest
   * notAfter among active unowned certificates with the same names, through
   * idx_inventory_owner_names (owner_id IS NULL, san_key). Owned certificates
   * have lineage (replaces / supersede) instead.
   */
  private async sameNamesUntil(sanKeys: string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    const keys = [...new Set(sanKeys)];
    for (let i = 0; i < keys.length; i += 2000) {
      const chunk = keys.slice(i, i + 2000);
      const rows = await this.sql.rows<{ san_key: string; latest: unknown }>(
        `SELECT san_key, MAX(not_after) AS latest FROM inventory
          WHERE owner_id IS NULL AND san_key IN ${Sql.list(chunk.length)} AND state = 'active'
          GROUP BY san_key`,
        chunk,
      );
      for (const row of rows) result.set(row.san_key, num(row.latest) ?? 0);
    }
    return result;
  }

  private managed(where: string, params: unknown[]): Promise<ManagedRow[]> {
    return this.sql.rows<ManagedRow>(
      `SELECT m.id, m.name, m.status, m.spec, m.next_renewal_at, m.consecutive_failures, m.last_error, m.current_id,
              i.not_before, i.not_after
         FROM managed_certificates m
         LEFT JOIN inventory i ON i.id = m.current_id
        WHERE ${where}
        ORDER BY m.next_renewal_at
        LIMIT ${MAX_CERTIFICATE_CANDIDATES}`,
      params,
    );
  }
}

const hasNames = (sans: ReturnType<typeof parseSans>) =>
  Boolean(sans.dns?.length || sans.ip?.length || sans.uri?.length);

function toCertificateFact(row: CertRow): CertificateFact {
  return {
    id: row.id,
    serial: row.serial,
    issuer: row.issuer,
    name: displayName({
      managedName: row.managed_name,
      sans: parseSans(row.sans),
      subject: row.subject,
      serial: row.serial,
    }),
    notBefore: num(row.not_before) ?? 0,
    notAfter: num(row.not_after) ?? 0,
    state: row.state as InventoryState,
    replacedBy: row.replaced_by ?? undefined,
    managed: row.owner_kind === 'managed',
  };
}

function toManagedFact(row: ManagedRow): ManagedFact {
  const notAfter = num(row.not_after);
  return {
    id: row.id,
    name: row.name,
    status: row.status as ManagedStatus,
    nextRenewalAt: num(row.next_renewal_at) ?? 0,
    consecutiveFailures: num(row.consecutive_failures) ?? 0,
    lastError: row.last_error ?? undefined,
    current:
      row.current_id && notAfter !== undefined
        ? { id: row.current_id, notBefore: num(row.not_before) ?? 0, notAfter }
        : undefined,
    lifetimeMs: specLifetime(row.spec),
  };
}

/** The declared lifetime from a managed spec (ms), when it has one. */
function specLifetime(spec: string): number | undefined {
  try {
    const value = (JSON.parse(spec) as { lifetimeMs?: unknown; lifetime?: unknown }) ?? {};
    const lifetime = value.lifetimeMs ?? value.lifetime;
    return typeof lifetime === 'number' && lifetime > 0 ? lifetime : undefined;
  } catch {
    return undefined;
  }
}

interface StateRow {
  id: string;
  kind: string;
  severity: string;
  subject_id: string;
  summary: string;
  first_seen: unknown;
  last_seen: unknown;
  resolved_at: unknown;
}

const toRecord = (row: StateRow): AlertRecord => ({
  id: row.id,
  kind: row.kind,
  severity: row.severity as AlertSeverity,
  subjectId: row.subject_id,
  summary: row.summary,
  firstSeen: num(row.first_seen) ?? 0,
  lastSeen: num(row.last_seen) ?? 0,
  resolvedAt: num(row.resolved_at),
});

const CHUNK = 500;
// Named columns, not *: a PostgreSQL prepared statement must keep its result shape across migrations.
const SELECT_ALERTS = 'SELECT id, kind, severity, subject_id, summary, first_seen, last_seen, resolved_at FROM alerts';

/**
 * The `alerts` table: when each alert opened, was last seen and resolved.
 * Every transition is a conditional write with RETURNING, so when replicas
 * sweep at the same time exactly one of them sees "opened" and notifies.
 */
export class SqlAlertStateRepository implements AlertStateRepository {
  private readonly sql: Sql;
  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async open(): Promise<AlertRecord[]> {
    return (await this.sql.rows<StateRow>(`${SELECT_ALERTS} WHERE resolved_at IS NULL`, [])).map(toRecord);
  }

  async record(alert: Alert, now: number): Promise<AlertTransition> {
    // New, or reopened after it was resolved: the row is (re)written and returned.
    const opened = await this.sql.rows(
      `INSERT INTO alerts (id, kind, severity, subject_id, summary, first_seen, last_seen, resolved_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
       ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, summary = excluded.summary,
         first_seen = excluded.first_seen, last_seen = excluded.last_seen, resolved_at = NULL
       WHERE alerts.resolved_at IS NOT NULL
       RETURNING id`,
      [alert.id, alert.kind, alert.severity, alert.subjectId, alert.summary.slice(0, 1000), now, now],
    );
    if (opened.length) return 'opened';
    if (alert.severity === 'critical') {
      const escalated = await this.sql.rows(
        `UPDATE alerts SET severity = 'critical', summary = ?, last_seen = ?
          WHERE id = ? AND resolved_at IS NULL AND severity = 'warning' RETURNING id`,
        [alert.summary.slice(0, 1000), now, alert.id],
      );
      if (escalated.length) return 'escalated';
    }
    // Back from critical to warning (e.g. a threshold changed): recorded, not notified.
    await this.sql.rows(
      'UPDATE alerts SET severity = ?, summary = ?, last_seen = ? WHERE id = ? AND resolved_at IS NULL',
      [alert.severity, alert.summary.slice(0, 1000), now, alert.id],
    );
    return 'unchanged';
  }

  async touch(ids: string[], now: number): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      await this.sql.rows(
        `UPDATE alerts SET last_seen = ? WHERE resolved_at IS NULL AND id IN ${Sql.list(chunk.length)}`,
        [now, ...chunk],
      );
    }
  }

  async resolve(ids: string[], now: number): Promise<string[]> {
    const resolved: string[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const rows = await this.sql.rows<{ id: string }>(
        `UPDATE alerts SET resolved_at = ? WHERE resolved_at IS NULL AND id IN ${Sql.list(chunk.length)} RETURNING id`,
        [now, ...chunk],
      );
      resolved.push(...rows.map((r) => r.id));
    }
    return resolved;
  }

  async prune(before: number): Promise<number> {
    const rows = await this.sql.rows('DELETE FROM alerts WHERE resolved_at < ? RETURNING id', [before]);
    return rows.length;
  }

  /** Recently resolved alerts (history), newest first. */
  async resolvedSince(since: number, limit = 100): Promise<AlertRecord[]> {
    return (
      await this.sql.rows<StateRow>(`${SELECT_ALERTS} WHERE resolved_at >= ? ORDER BY resolved_at DESC LIMIT ?`, [
        since,
        Math.max(1, Math.min(limit, 1000)),
      ])
    ).map(toRecord);
  }
}
