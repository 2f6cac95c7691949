import { createHash } from 'node:crypto';
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col } from './columns';

/**
 * The certificate inventory: every certificate Rotor knows (issued over ACME,
 * managed, imported or found by a scan), keyed by the SHA-256 fingerprint of
 * the leaf. `state` is stored; valid/expiring/expired are derived from
 * not_after at query time (libs/lifecycle inventory/status.ts), so no sweep
 * has to rewrite rows as time passes.
 */
export class Inventory1763800000000 implements MigrationInterface {
  name = 'Inventory1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'inventory',
        columns: [
          col.id('id', 64),
          // Serials are at most 20 octets (RFC 5280 §4.1.2.2); imported certificates may break that rule.
          col.str('serial', 128),
          col.text('subject'),
          col.text('issuer'),
          col.text('sans'),
          // SHA-256 of the canonical SAN set (inventory/names.ts sanKey): fixed length, so it can be indexed.
          col.str('san_key', 64),
          col.ms('not_before'),
          col.ms('not_after'),
          col.str('key_type', 32),
          col.str('profile', 64, true),
          col.str('source', 16),
          col.str('owner_kind', 16, true),
          col.str('owner_id', 64, true),
          col.str('state', 16),
          col.ms('revoked_at', true),
          col.str('replaces', 64, true),
          col.str('replaced_by', 64, true),
          col.text('endpoints'),
          col.text('pem'),
          col.ms('created_at'),
          col.ms('updated_at'),
        ],
        indices: [
          // "Active and expiring within N days", first page ordered by (not_after, id): an index range
          // scan that stops after `limit` rows. not_before rides along so the count needs no heap visits.
          new TableIndex({
            name: 'idx_inventory_state_expiry',
            columnNames: ['state', 'not_after', 'id', 'not_before'],
          }),
          // Unfiltered listing and the cursor, in the same order.
          new TableIndex({ name: 'idx_inventory_expiry', columnNames: ['not_after', 'id'] }),
          new TableIndex({ name: 'idx_inventory_serial', columnNames: ['serial'] }),
          // A renewal without RFC 9773 `replaces` supersedes the owner's active certificates for the same names.
          new TableIndex({ name: 'idx_inventory_owner_names', columnNames: ['owner_id', 'san_key'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'inventory_names',
        columns: [
          // Lower-case DNS name, canonical IP text or URI: exact lookups by SAN.
          { ...col.str('name', 1024), isPrimary: true },
          { ...col.str('inventory_id', 64), isPrimary: true },
        ],
      }),
    );
    await backfillAcmeCertificates(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('inventory_names');
    await q.dropTable('inventory');
  }
}

interface CertificateRow {
  id: string;
  account_id: string | null;
  chain_pem: string;
  identifiers: string;
  not_before: string | number;
  not_after: string | number;
  status: string;
  revoked_at: string | number | null;
  fingerprint_sha256: string;
  key_type: string;
  profile: string;
  subject: string;
  issuer: string;
  replaced_by: string | null;
  created_at: string | number;
}

const BATCH = 200;
const INVENTORY_COLUMNS = [
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

/**
 * Certificates issued over ACME before the inventory existed become inventory
 * rows, so their expiry is watched like any other. A snapshot of the rules in
 * libs/lifecycle (sanKey, names) as they were when this migration was written.
 */
async function backfillAcmeCertificates(q: QueryRunner): Promise<void> {
  const postgres = q.connection.options.type === 'postgres';
  const placeholders = (rows: number, columns: number) =>
    Array.from(
      { length: rows },
      (_, r) =>
        `(${Array.from({ length: columns }, (_, c) => (postgres ? `$${r * columns + c + 1}` : '?')).join(', ')})`,
    ).join(', ');
  const p = (n: number) => (postgres ? `$${n}` : '?');
  /** successor serial → predecessor fingerprint (RFC 9773 links recorded by ACME). */
  const replaces = new Map<string, string>();
  let after = '';
  for (;;) {
    const rows: CertificateRow[] = await q.query(
      `SELECT * FROM certificates WHERE id > ${p(1)} ORDER BY id LIMIT ${BATCH}`,
      [after],
    );
    if (!rows.length) break;
    after = rows[rows.length - 1].id;
    const values: unknown[] = [];
    const names: unknown[] = [];
    for (const row of rows) {
      const identifiers: { type: string; value: string }[] = JSON.parse(row.identifiers || '[]');
      const sans = {
        dns: identifiers.filter((i) => i.type === 'dns').map((i) => i.value),
        ip: identifiers.filter((i) => i.type === 'ip').map((i) => i.value),
        uri: [] as string[],
      };
      const key = [...sans.dns.map((d) => `dns:${d.toLowerCase()}`), ...sans.ip.map((ip) => `ip:${ip}`)]
        .sort()
        .filter((v, i, all) => v !== all[i - 1])
        .join(',');
      const state = row.status === 'revoked' ? 'revoked' : row.replaced_by ? 'superseded' : 'active';
      if (row.replaced_by) replaces.set(row.replaced_by, row.fingerprint_sha256);
      values.push(
        row.fingerprint_sha256,
        row.id,
        row.subject,
        row.issuer,
        JSON.stringify(sans),
        createHash('sha256').update(key).digest('hex'),
        Number(row.not_before),
        Number(row.not_after),
        row.key_type,
        row.profile,
        'acme',
        row.account_id ? 'account' : null,
        row.account_id,
        state,
        row.revoked_at === null ? null : Number(row.revoked_at),
        null,
        // The successor's serial for now; turned into its fingerprint below.
        row.replaced_by,
        '[]',
        row.chain_pem,
        Number(row.created_at),
        Number(row.created_at),
      );
      for (const name of new Set([...sans.dns.map((d) => d.toLowerCase()), ...sans.ip])) {
        names.push(name, row.fingerprint_sha256);
      }
    }
    await q.query(
      `INSERT INTO inventory (${INVENTORY_COLUMNS.join(', ')}) VALUES ${placeholders(rows.length, INVENTORY_COLUMNS.length)} ON CONFLICT (id) DO NOTHING`,
      values,
    );
    for (let i = 0; i < names.length; i += 2 * BATCH) {
      const chunk = names.slice(i, i + 2 * BATCH);
      await q.query(
        `INSERT INTO inventory_names (name, inventory_id) VALUES ${placeholders(chunk.length / 2, 2)} ON CONFLICT DO NOTHING`,
        chunk,
      );
    }
  }
  await q.query(
    `UPDATE inventory SET replaced_by = (SELECT s.id FROM inventory s WHERE s.serial = inventory.replaced_by AND s.source = 'acme')
     WHERE source = 'acme' AND replaced_by IS NOT NULL`,
  );
  for (const [successorSerial, predecessorId] of replaces) {
    await q.query(`UPDATE inventory SET replaces = ${p(1)} WHERE serial = ${p(2)} AND source = 'acme'`, [
      predecessorId,
      successorSerial,
    ]);
  }
  // Renewals without RFC 9773 `replaces`: an account's older certificates for exactly the same names are superseded.
  await q.query(
    `UPDATE inventory SET state = 'superseded'
     WHERE source = 'acme' AND state = 'active' AND EXISTS (
       SELECT 1 FROM inventory n WHERE n.owner_id = inventory.owner_id AND n.san_key = inventory.san_key
         AND n.source = 'acme' AND n.state <> 'revoked'
         AND (n.not_after, n.created_at, n.id) > (inventory.not_after, inventory.created_at, inventory.id))`,
  );
}
