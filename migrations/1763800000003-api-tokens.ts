import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { col } from './columns';

/** Admin-API bearer tokens: only the SHA-256 digest of each token is stored. */
export class ApiTokens1763800000003 implements MigrationInterface {
  name = 'ApiTokens1763800000003';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'api_tokens',
        columns: [
          col.id('id', 36),
          { ...col.str('name', 128), isUnique: true },
          { ...col.str('digest', 64), isUnique: true },
          col.text('scopes'),
          col.ms('created_at'),
          col.ms('expires_at', true),
          col.ms('revoked_at', true),
          col.ms('last_used_at', true),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('api_tokens');
  }
}
