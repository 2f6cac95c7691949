import { randomUUID } from 'node:crypto';
import type {
  DeliveryAttempt,
  DeliveryFailure,
  DeliveryRepository,
  DeliveryStatus,
  EventLog,
  LifecycleEventType,
  StoredEvent,
  WebhookDelivery,
} from '@rotor/lifecycle';
import type { KeySealer } from '@rotor/pki';
import type { DataSource } from 'typeorm';
import { Sql, num } from '../sql';

/** The event log: every lifecycle event, with one pending delivery per matching webhook. */
export class SqlEventLog implements EventLog {
  private readonly sql: Sql;
  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  async append(event: StoredEvent, webhookIds: string[]): Promise<string[]> {
    const insertEvent = 'INSERT INTO events (id, type, subject_id, data, created_at) VALUES (?, ?, ?, ?, ?)';
    const eventParams = [event.id, event.type, event.subjectId.slice(0, 64), JSON.stringify(event.data), event.at];
    if (webhookIds.length === 0) {
      await this.sql.rows(`${insertEvent} RETURNING id`, eventParams);
      return [];
    }
    const now = Date.now();
    const ids = webhookIds.map(() => randomUUID());
    const values = ids.map(() => `(?, ?, ?, 'pending', 0, ?, ?, ?)`).join(', ');
    const params = ids.flatMap((id, i) => [id, webhookIds[i], event.id, now, now, now]);
    // Together: a delivery never points at a missing event, and an event never misses its deliveries.
    await this.sql.writeTogether([
      { sql: insertEvent, params: eventParams },
      {
        sql: `INSERT INTO webhook_deliveries (id, webhook_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
           VALUES ${values}`,
        params,
      },
    ]);
    return ids;
  }

  async prune(before: number): Promise<number> {
    // Finished deliveries first; events that still have a pending delivery stay.
    await this.sql.rows("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < ? RETURNING id", [
      before,
    ]);
    const rows = await this.sql.rows(
      `DELETE FROM events WHERE created_at < ?
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = events.id) RETURNING id`,
      [before],
    );
    return rows.length;
  }

  async count(): Promise<number> {
    return num((await this.sql.one<{ n: unknown }>('SELECT COUNT(*) AS n FROM events', []))?.n) ?? 0;
  }

  /** Newest events first (the event history). */
  async recent(limit = 100): Promise<StoredEvent[]> {
    const rows = await this.sql.rows<{
      id: string;
      type: string;
      subject_id: string;
      data: string;
      created_at: unknown;
    }>(
      `SELECT id, type, subject_id, data, created_at FROM events ORDER BY created_at DESC, id LIMIT ${Math.max(1, Math.min(limit, 1000))}`,
      [],
    );
    return rows.map((r) => ({
      id: r.id,
      type: r.type as LifecycleEventType,
      subjectId: r.subject_id,
      data: JSON.parse(r.data) as Record<string, unknown>,
      at: num(r.created_at) ?? 0,
    }));
  }
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type?: string | null;
  status: string;
  attempts: unknown;
  last_status_code: unknown;
  last_error: string | null;
  next_attempt_at: unknown;
  created_at: unknown;
  updated_at: unknown;
  delivered_at: unknown;
}

const toDelivery = (row: DeliveryRow): WebhookDelivery => ({
  id: row.id,
  webhookId: row.webhook_id,
  eventId: row.event_id,
  eventType: (row.event_type ?? undefined) as LifecycleEventType | undefined,
  status: row.status as DeliveryStatus,
  attempts: num(row.attempts) ?? 0,
  lastStatusCode: num(row.last_status_code),
  lastError: row.last_error ?? undefined,
  nextAttemptAt: num(row.next_attempt_at) ?? 0,
  createdAt: num(row.created_at) ?? 0,
  updatedAt: num(row.updated_at) ?? 0,
  deliveredAt: num(row.delivered_at),
});

const DELIVERY_COLUMNS =
  'd.id, d.webhook_id, d.event_id, d.status, d.attempts, d.last_status_code, d.last_error, d.next_attempt_at, ' +
  'd.created_at, d.updated_at, d.delivered_at';

/** The delivery log, advanced by the notification-queue processor with conditional updates. */
export class SqlDeliveryRepository implements DeliveryRepository {
  private readonly sql: Sql;
  constructor(
    dataSource: DataSource,
    private readonly sealer: KeySealer,
  ) {
    this.sql = new Sql(dataSource);
  }

  async forAttempt(id: string): Promise<DeliveryAttempt | null> {
    const row = await this.sql.one<
      DeliveryRow & {
        url: string;
        secret_sealed: string;
        type: string;
        subject_id: string;
        data: string;
        event_at: unknown;
      }
    >(
      `SELECT ${DELIVERY_COLUMNS}, w.url, w.secret_sealed, e.type, e.subject_id, e.data, e.created_at AS event_at
         FROM webhook_deliveries d
         JOIN webhooks w ON w.id = d.webhook_id
         JOIN events e ON e.id = d.event_id
        WHERE d.id = ?`,
      [id],
    );
    if (!row) return null;
    return {
      delivery: toDelivery({ ...row, event_type: row.type }),
      url: row.url,
      secret: Buffer.from(this.sealer.unseal(row.secret_sealed)).toString('utf8'),
      event: {
        id: row.event_id,
        type: row.type as LifecycleEventType,
        subjectId: row.subject_id,
        data: JSON.parse(row.data) as Record<string, unknown>,
        at: num(row.event_at) ?? 0,
      },
    };
  }

  async claim(id: string, attempt: number, busyUntil: number, now: number): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE webhook_deliveries SET attempts = ?, next_attempt_at = ?, updated_at = ?
        WHERE id = ? AND status = 'pending' AND attempts = ? RETURNING id`,
      [attempt, busyUntil, now, id, attempt - 1],
    );
    return rows.length === 1;
  }

  async delivered(id: string, statusCode: number, now: number): Promise<void> {
    await this.sql.rows(
      `UPDATE webhook_deliveries SET status = 'delivered', last_status_code = ?, last_error = NULL, delivered_at = ?,
         updated_at = ? WHERE id = ? AND status = 'pending' RETURNING id`,
      [statusCode, now, now, id],
    );
  }

  async attemptFailed(id: string, failure: DeliveryFailure, now: number): Promise<void> {
    await this.sql.rows(
      `UPDATE webhook_deliveries SET status = ?, last_status_code = ?, last_error = ?, next_attempt_at = ?, updated_at = ?
        WHERE id = ? AND status = 'pending' RETURNING id`,
      [failure.final ? 'failed' : 'pending', failure.statusCode ?? null, failure.error, failure.nextAttemptAt, now, id],
    );
  }

  async lost(before: number, limit: number): Promise<{ id: string; attempts: number }[]> {
    const rows = await this.sql.rows<{ id: string; attempts: unknown }>(
      `SELECT id, attempts FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ?
        ORDER BY next_attempt_at LIMIT ${Math.max(1, Math.min(limit, 5000))}`,
      [before],
    );
    return rows.map((r) => ({ id: r.id, attempts: num(r.attempts) ?? 0 }));
  }

  async postpone(id: string, attempts: number, until: number): Promise<boolean> {
    const rows = await this.sql.rows(
      `UPDATE webhook_deliveries SET next_attempt_at = ?
        WHERE id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at < ? RETURNING id`,
      [until, id, attempts, until],
    );
    return rows.length === 1;
  }

  async list(webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.sql.rows<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS}, e.type AS event_type
         FROM webhook_deliveries d LEFT JOIN events e ON e.id = d.event_id
        WHERE d.webhook_id = ?
        ORDER BY d.created_at DESC, d.id
        LIMIT ${Math.max(1, Math.min(limit, 1000))}`,
      [webhookId],
    );
    return rows.map(toDelivery);
  }

  async count(webhookId?: string): Promise<number> {
    const row = webhookId
      ? await this.sql.one<{ n: unknown }>('SELECT COUNT(*) AS n FROM webhook_deliveries WHERE webhook_id = ?', [
          webhookId,
        ])
      : await this.sql.one<{ n: unknown }>('SELECT COUNT(*) AS n FROM webhook_deliveries', []);
    return num(row?.n) ?? 0;
  }
}
