import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * The ACME CA schema. Written with TypeORM's Table API so one migration runs
 * on SQLite and PostgreSQL alike. Times are epoch milliseconds (bigint):
 * portable, index-friendly and free of time-zone conversions.
 */
const id = (name = 'id', length = 64) => ({ name, type: 'varchar', length: String(length), isPrimary: true });
const str = (name: string, length = 64, isNullable = false) => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});
const text = (name: string, isNullable = false) => ({ name, type: 'text', isNullable });
const ms = (name: string, isNullable = false) => ({ name, type: 'bigint', isNullable });
const bool = (name: string) => ({ name, type: 'boolean', default: false });

export class InitialSchema1763700000000 implements MigrationInterface {
  name = 'InitialSchema1763700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'accounts',
        columns: [
          id(),
          str('status', 16),
          text('jwk'),
          { ...str('thumbprint', 64), isUnique: true },
          text('contact'),
          bool('terms_of_service_agreed'),
          str('eab_key_id', 128, true),
          ms('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'orders',
        columns: [
          id(),
          str('account_id'),
          str('status', 16),
          text('identifiers'),
          ms('expires'),
          ms('not_before', true),
          ms('not_after', true),
          str('profile'),
          str('replaces', 200, true),
          text('error', true),
          text('csr', true),
          str('certificate_id', 64, true),
          ms('created_at'),
          ms('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_orders_account', columnNames: ['account_id', 'id'] }),
          new TableIndex({ name: 'idx_orders_status', columnNames: ['status', 'updated_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'authorizations',
        columns: [
          id(),
          str('account_id'),
          str('order_id'),
          str('identifier_type', 8),
          str('identifier_value', 255),
          bool('wildcard'),
          str('status', 16),
          ms('expires'),
        ],
        indices: [new TableIndex({ name: 'idx_authz_order', columnNames: ['order_id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'challenges',
        columns: [
          id(),
          str('authorization_id'),
          str('type', 16),
          str('token', 64),
          str('status', 16),
          ms('validated', true),
          text('error', true),
        ],
        indices: [
          new TableIndex({ name: 'idx_challenges_authz', columnNames: ['authorization_id'] }),
          new TableIndex({ name: 'idx_challenges_status', columnNames: ['status'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'certificates',
        columns: [
          id('id', 40),
          str('account_id', 64, true),
          str('order_id', 64, true),
          text('chain_pem'),
          text('identifiers'),
          ms('not_before'),
          ms('not_after'),
          str('status', 16),
          ms('revoked_at', true),
          { name: 'revocation_reason', type: 'integer', isNullable: true },
          str('spki_sha256', 64),
          str('fingerprint_sha256', 64),
          str('key_type', 16),
          str('profile'),
          text('subject'),
          text('issuer'),
          str('replaces', 200, true),
          str('replaced_by', 40, true),
          ms('created_at'),
        ],
        indices: [
          new TableIndex({ name: 'idx_certificates_account', columnNames: ['account_id'] }),
          new TableIndex({ name: 'idx_certificates_not_after', columnNames: ['not_after'] }),
          new TableIndex({ name: 'idx_certificates_status', columnNames: ['status'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'nonces',
        columns: [id('value', 128), ms('expires')],
        indices: [new TableIndex({ name: 'idx_nonces_expires', columnNames: ['expires'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'eab_keys',
        columns: [
          id('id', 128),
          text('hmac_key_sealed'),
          text('allowed_dns_suffixes'),
          str('bound_account_id', 64, true),
          bool('revoked'),
          ms('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'rate_limits',
        columns: [id('key', 200), { name: 'tokens', type: 'real' }, ms('updated_at')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'ca_material',
        columns: [
          id('id', 16),
          str('algorithm', 16),
          text('root_cert_pem'),
          text('root_key_sealed', true),
          text('intermediate_cert_pem'),
          text('intermediate_key_sealed'),
          ms('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'crls',
        columns: [
          { name: 'number', type: 'integer', isPrimary: true },
          text('der_base64'),
          ms('this_update'),
          ms('next_update'),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'crls',
      'ca_material',
      'rate_limits',
      'eab_keys',
      'nonces',
      'certificates',
      'challenges',
      'authorizations',
      'orders',
      'accounts',
    ]) {
      await q.dropTable(table);
    }
  }
}
