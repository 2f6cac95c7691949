import type { NewOrderRecords, Order, OrderRepository, OrderStatus } from '@rotor/acme';
import type { DataSource } from 'typeorm';
import { fromJson, msParam, toJson } from '../entities/columns';
import { num, Sql, type Statement } from '../sql';

type RawOrder = Record<
  'id' | 'account_id' | 'status' | 'identifiers' | 'profile' | 'replaces' | 'error' | 'csr' | 'certificate_id',
  string | null
> &
  Record<'expires' | 'not_before' | 'not_after' | 'created_at' | 'updated_at', unknown>;

const toDomain = (row: RawOrder): Order => ({
  id: row.id as string,
  accountId: row.account_id as string,
  status: row.status as OrderStatus,
  identifiers: fromJson<Order['identifiers']>(row.identifiers) ?? [],
  expires: num(row.expires) as number,
  notBefore: num(row.not_before),
  notAfter: num(row.not_after),
  profile: row.profile as string,
  replaces: row.replaces ?? undefined,
  error: fromJson<Order['error']>(row.error),
  csr: row.csr ?? undefined,
  certificateId: row.certificate_id ?? undefined,
  createdAt: num(row.created_at) as number,
  updatedAt: num(row.updated_at) as number,
});

const SELECT =
  'SELECT id, account_id, status, identifiers, expires, not_before, not_after, profile, replaces, error, csr, ' +
  'certificate_id, created_at, updated_at FROM orders';

const INSERT_ORDER =
  'INSERT INTO orders (id, account_id, status, identifiers, expires, not_before, not_after, profile, replaces, error, ' +
  'csr, certificate_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT_AUTHZ =
  'INSERT INTO authorizations (id, account_id, order_id, identifier_type, identifier_value, wildcard, status, expires) VALUES';
const INSERT_CHALLENGES = 'INSERT INTO challenges (id, authorization_id, type, token, status, validated, error) VALUES';

export class TypeOrmOrderRepository implements OrderRepository {
  private readonly sql: Sql;
  constructor(dataSource: DataSource) {
    this.sql = new Sql(dataSource);
  }

  /** The order, its authorizations and their challenges atomically: three INSERTs, one commit. */
  async insertWithAuthorizations({ order, authorizations }: NewOrderRecords): Promise<void> {
    const authzParams: unknown[] = [];
    const challengeParams: unknown[] = [];
    let challenges = 0;
    for (const a of authorizations) {
      authzParams.push(
        a.id,
        a.accountId,
        a.orderId,
        a.identifier.type,
        a.identifier.value,
        a.wildcard,
        a.status,
        msParam(a.expires),
      );
      for (const c of a.challenges) {
        challengeParams.push(c.id, c.authorizationId, c.type, c.token, c.status, null, toJson(c.error));
        challenges++;
      }
    }
    const statements: Statement[] = [
      {
        sql: INSERT_ORDER,
        params: [
          order.id,
          order.accountId,
          order.status,
          JSON.stringify(order.identifiers),
          msParam(order.expires),
          order.notBefore === undefined ? null : msParam(order.notBefore),
          order.notAfter === undefined ? null : msParam(order.notAfter),
          order.profile,
          order.replaces ?? null,
          null,
          null,
          null,
          msParam(order.createdAt),
          msParam(order.updatedAt),
        ],
      },
    ];
    if (authorizations.length) {
      statements.push({
        sql: `${INSERT_AUTHZ} ${Sql.tuples(authorizations.length, 8)}`,
        params: authzParams,
      });
    }
    if (challenges) {
      statements.push({ sql: `${INSERT_CHALLENGES} ${Sql.tuples(challenges, 7)}`, params: challengeParams });
    }
    await this.sql.writeTogether(statements);
  }

  async byId(id: string): Promise<Order | null> {
    const row = await this.sql.one<RawOrder>(`${SELECT} WHERE id = ?`, [id]);
    return row ? toDomain(row) : null;
  }

  /** RFC 8555 §7.1.2.1: the list SHOULD NOT include invalid (or expired) orders. */
  async listIdsByAccount(accountId: string, page: { after?: string; limit: number; now: number }): Promise<string[]> {
    const rows = await this.sql.rows<{ id: string }>(
      "SELECT id FROM orders WHERE account_id = ? AND (status = 'valid' OR " +
        "(status IN ('pending', 'ready', 'processing') AND expires > ?))" +
        (page.after ? ' AND id > ?' : '') +
        ' ORDER BY id ASC LIMIT ?',
      page.after ? [accountId, msParam(page.now), page.after, page.limit] : [accountId, msParam(page.now), page.limit],
    );
    return rows.map((r) => r.id);
  }

  async transition(
    id: string,
    from: OrderStatus[],
    to: OrderStatus,
    patch: Partial<Pick<Order, 'csr' | 'certificateId' | 'error'>> = {},
    now = Date.now(),
  ): Promise<boolean> {
    // COALESCE keeps a column unless the patch sets it.
    const rows = await this.sql.rows(
      'UPDATE orders SET status = ?, updated_at = ?, csr = COALESCE(?, csr), ' +
        'certificate_id = COALESCE(?, certificate_id), error = COALESCE(?, error) ' +
        `WHERE id = ? AND status IN ${Sql.list(from.length)} RETURNING id`,
      [to, now, patch.csr ?? null, patch.certificateId ?? null, toJson(patch.error), id, ...from],
    );
    return rows.length > 0;
  }

  async listProcessing(olderThan: number, limit: number): Promise<Order[]> {
    const rows = await this.sql.rows<RawOrder>(`${SELECT} WHERE status = 'processing' AND updated_at < ? LIMIT ?`, [
      olderThan,
      limit,
    ]);
    return rows.map(toDomain);
  }
}
