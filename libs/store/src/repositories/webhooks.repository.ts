import type { KeySealer } from '@rotor/pki';
import type { Webhook, WebhookEventFilter, WebhookRepository } from '@rotor/lifecycle';
import type { DataSource } from 'typeorm';
import { Sql, bool, num } from '../sql';

interface Row {
  id: string;
  url: string;
  event_types: string;
  created_at: unknown;
  disabled: unknown;
}

const toWebhook = (row: Row): Webhook => ({
  id: row.id,
  url: row.url,
  events: JSON.parse(row.event_types) as WebhookEventFilter[],
  createdAt: num(row.created_at) ?? 0,
  disabled: bool(row.disabled),
});

const COLUMNS = 'id, url, event_types, created_at, disabled';

/**
 * How long the active-webhook list is reused. Every issuance and renewal asks
 * for it; a webhook created or deleted on another replica is seen within this
 * time (on this replica at once).
 */
const ACTIVE_TTL_MS = 1000;

/** Webhook subscriptions. Secrets are sealed (AES-256-GCM, the CA key sealer) and never selected here. */
export class SqlWebhookRepository implements WebhookRepository {
  private readonly sql: Sql;
  private cached?: { at: number; webhooks: Promise<Webhook[]> };
  constructor(
    dataSource: DataSource,
    private readonly sealer: KeySealer,
  ) {
    this.sql = new Sql(dataSource);
  }

  async insert(webhook: Webhook, secret: string): Promise<void> {
    await this.sql.rows(
      `INSERT INTO webhooks (id, url, secret_sealed, event_types, created_at, disabled)
       VALUES (?, ?, ?, ?, ?, ${webhook.disabled ? 'TRUE' : 'FALSE'}) RETURNING id`,
      [
        webhook.id,
        webhook.url,
        this.sealer.seal(Buffer.from(secret, 'utf8')),
        JSON.stringify(webhook.events),
        webhook.createdAt,
      ],
    );
    this.cached = undefined;
  }

  async list(): Promise<Webhook[]> {
    return (await this.sql.rows<Row>(`SELECT ${COLUMNS} FROM webhooks ORDER BY created_at, id`, [])).map(toWebhook);
  }

  async active(): Promise<Webhook[]> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > ACTIVE_TTL_MS) {
      const webhooks = this.sql
        .rows<Row>(`SELECT ${COLUMNS} FROM webhooks WHERE disabled = FALSE`, [])
        .then((rows) => rows.map(toWebhook));
      this.cached = { at: now, webhooks };
      // A failed read is not reused.
      webhooks.catch(() => {
        if (this.cached?.webhooks === webhooks) this.cached = undefined;
      });
    }
    return this.cached.webhooks;
  }

  async byId(id: string): Promise<Webhook | null> {
    const row = await this.sql.one<Row>(`SELECT ${COLUMNS} FROM webhooks WHERE id = ?`, [id]);
    return row ? toWebhook(row) : null;
  }

  async delete(id: string): Promise<boolean> {
    const rows = await this.sql.rows('DELETE FROM webhooks WHERE id = ? RETURNING id', [id]);
    this.cached = undefined;
    if (rows.length === 0) return false;
    // The delivery log goes with the webhook; queued jobs for it find nothing and stop.
    await this.sql.rows('DELETE FROM webhook_deliveries WHERE webhook_id = ? RETURNING id', [id]);
    return true;
  }

  /** The plain secret, for signing only. */
  async secret(id: string): Promise<string | null> {
    const row = await this.sql.one<{ secret_sealed: string }>('SELECT secret_sealed FROM webhooks WHERE id = ?', [id]);
    return row ? Buffer.from(this.sealer.unseal(row.secret_sealed)).toString('utf8') : null;
  }

  async count(): Promise<number> {
    return num((await this.sql.one<{ n: unknown }>('SELECT COUNT(*) AS n FROM webhooks', []))?.n) ?? 0;
  }
}
