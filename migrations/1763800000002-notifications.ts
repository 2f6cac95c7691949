import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col } from './columns';

/**
 * Alerts and notifications: the event log, webhook subscriptions (secrets
 * sealed with the KeySealer), the per-webhook delivery log that the
 * notification queue works through, and the alert state that turns
 * "currently at risk" into de-duplicated open/resolve transitions.
 */
export class Notifications1763800000002 implements MigrationInterface {
  name = 'Notifications1763800000002';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'events',
        columns: [
          col.id('id', 36),
          col.str('type', 32),
          col.str('subject_id', 64),
          col.text('data'),
          col.ms('created_at'),
        ],
        indices: [new TableIndex({ name: 'idx_events_created', columnNames: ['created_at'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'webhooks',
        columns: [
          col.id('id', 36),
          col.str('url', 2048),
          col.text('secret_sealed'),
          col.text('event_types'),
          col.ms('created_at'),
          col.bool('disabled'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          col.id('id', 36),
          col.str('webhook_id', 36),
          col.str('event_id', 36),
          col.str('status', 16),
          col.int('attempts'),
          { name: 'last_status_code', type: 'integer', isNullable: true },
          col.text('last_error', true),
          col.ms('next_attempt_at'),
          col.ms('created_at'),
          col.ms('updated_at'),
          col.ms('delivered_at', true),
        ],
        indices: [
          // The lost-job sweep: pending deliveries whose next attempt is overdue.
          new TableIndex({ name: 'idx_deliveries_due', columnNames: ['status', 'next_attempt_at'] }),
          // The delivery log of one webhook, newest first.
          new TableIndex({ name: 'idx_deliveries_webhook', columnNames: ['webhook_id', 'created_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'alerts',
        columns: [
          // kind + ":" + subject: one row per thing at risk, reopened rather than duplicated.
          col.id('id', 128),
          col.str('kind', 32),
          col.str('severity', 16),
          col.str('subject_id', 64),
          col.text('summary'),
          col.ms('first_seen'),
          col.ms('last_seen'),
          col.ms('resolved_at', true),
        ],
        indices: [new TableIndex({ name: 'idx_alerts_open', columnNames: ['resolved_at', 'kind'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['alerts', 'webhook_deliveries', 'webhooks', 'events']) await q.dropTable(table);
  }
}
