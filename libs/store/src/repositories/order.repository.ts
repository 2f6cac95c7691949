import type { NewOrderRecords, Order, OrderRepository, OrderStatus } from '@rotor/acme';
import { DataSource, Repository } from 'typeorm';
import { AuthorizationRow, ChallengeRow, OrderRow } from '../entities/acme.entities';
import { fromJson, msParam, toJson } from '../entities/columns';
import { num, Sql } from '../sql';

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

export class TypeOrmOrderRepository implements OrderRepository {
  private readonly rows: Repository<OrderRow>;
  private readonly sql: Sql;
  constructor(private readonly dataSource: DataSource) {
    this.rows = dataSource.getRepository(OrderRow);
    this.sql = new Sql(dataSource);
  }

  async insertWithAuthorizations({ order, authorizations }: NewOrderRecords): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await tx.insert(OrderRow, {
        ...order,
        identifiers: JSON.stringify(order.identifiers),
        notBefore: order.notBefore ?? null,
        notAfter: order.notAfter ?? null,
        replaces: order.replaces ?? null,
        error: null,
        csr: null,
        certificateId: null,
      });
      await tx.insert(
        AuthorizationRow,
        authorizations.map((a) => ({
          id: a.id,
          accountId: a.accountId,
          orderId: a.orderId,
          identifierType: a.identifier.type,
          identifierValue: a.identifier.value,
          wildcard: a.wildcard,
          status: a.status,
          expires: a.expires,
        })),
      );
      await tx.insert(
        ChallengeRow,
        authorizations.flatMap((a) => a.challenges.map((c) => ({ ...c, validated: null, error: toJson(c.error) }))),
      );
    });
  }

  async byId(id: string): Promise<Order | null> {
    const row = await this.sql.one<RawOrder>(`${SELECT} WHERE id = ?`, [id]);
    return row ? toDomain(row) : null;
  }

  /** RFC 8555 §7.1.2.1: the list SHOULD NOT include invalid (or expired) orders. */
  async listIdsByAccount(accountId: string, page: { after?: string; limit: number; now: number }): Promise<string[]> {
    const query = this.rows
      .createQueryBuilder('o')
      .select('o.id', 'id')
      .where('o.account_id = :accountId', { accountId })
      .andWhere("(o.status = 'valid' OR (o.status IN ('pending', 'ready', 'processing') AND o.expires > :now))", {
        now: msParam(page.now),
      })
      .orderBy('o.id', 'ASC')
      .limit(page.limit);
    if (page.after) query.andWhere('o.id > :after', { after: page.after });
    const rows: { id: string }[] = await query.getRawMany();
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
