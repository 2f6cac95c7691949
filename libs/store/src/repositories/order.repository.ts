import type { NewOrderRecords, Order, OrderRepository, OrderStatus } from '@rotor/acme';
import { DataSource, In, LessThan, Repository } from 'typeorm';
import { AuthorizationRow, ChallengeRow, OrderRow } from '../entities/acme.entities';
import { fromJson, msParam, toJson } from '../entities/columns';

const toDomain = (row: OrderRow): Order => ({
  id: row.id,
  accountId: row.accountId,
  status: row.status as OrderStatus,
  identifiers: fromJson<Order['identifiers']>(row.identifiers) ?? [],
  expires: row.expires,
  notBefore: row.notBefore ?? undefined,
  notAfter: row.notAfter ?? undefined,
  profile: row.profile,
  replaces: row.replaces ?? undefined,
  error: fromJson<Order['error']>(row.error),
  csr: row.csr ?? undefined,
  certificateId: row.certificateId ?? undefined,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export class TypeOrmOrderRepository implements OrderRepository {
  private readonly rows: Repository<OrderRow>;
  constructor(private readonly dataSource: DataSource) {
    this.rows = dataSource.getRepository(OrderRow);
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
    const row = await this.rows.findOneBy({ id });
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
    const { error, ...plain } = patch;
    const result = await this.rows.update(
      { id, status: In(from) },
      { status: to, updatedAt: now, ...plain, ...(error && { error: toJson(error) }) },
    );
    return (result.affected ?? 0) > 0;
  }

  async listProcessing(olderThan: number, limit: number): Promise<Order[]> {
    const rows = await this.rows.find({
      where: { status: 'processing', updatedAt: LessThan(olderThan) },
      take: limit,
    });
    return rows.map(toDomain);
  }
}
