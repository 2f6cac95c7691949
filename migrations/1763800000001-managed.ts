import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col } from './columns';

/**
 * Managed certificates (declared by API, CLI or YAML; Rotor holds the key and
 * renews them) and the renewal log. `renewals` has one row per generation: its
 * unique (managed_id, generation) key is the database guard that makes a second
 * successor for the same renewal impossible, whichever worker or retry tries.
 */
export class Managed1763800000001 implements MigrationInterface {
  name = 'Managed1763800000001';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'managed_certificates',
        columns: [
          col.id('id', 36),
          { ...col.str('name', 253), isUnique: true },
          col.text('spec'),
          col.int('generation'),
          col.str('current_id', 64, true),
          col.text('key_sealed', true),
          col.str('status', 16),
          col.ms('next_renewal_at'),
          col.str('lease_owner', 64, true),
          col.ms('lease_until', true),
          col.int('consecutive_failures'),
          col.text('last_error', true),
          col.ms('last_renewed_at', true),
          { ...col.text('subscribers'), default: "'[]'" },
          col.ms('created_at'),
          col.ms('updated_at'),
        ],
        // The sweep reads "due soon and not disabled" every few seconds on every replica.
        indices: [new TableIndex({ name: 'idx_managed_due', columnNames: ['next_renewal_at'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'renewals',
        columns: [
          // The primary key is the guard: a second INSERT for the same generation fails.
          { ...col.str('managed_id', 36), isPrimary: true },
          { ...col.int('generation'), isPrimary: true },
          col.str('inventory_id', 64),
          col.str('previous_id', 64, true),
          col.ms('created_at'),
          col.int('duration_ms'),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('renewals');
    await q.dropTable('managed_certificates');
  }
}
