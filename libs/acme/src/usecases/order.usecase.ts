import type { AcmeContext } from '../context';
import type { VerifiedRequest } from '../jws';
import type { Authorization, Order } from '../model';
import { Problems } from '../problem';
import { deriveOrderStatus } from '../status';
import { requireOwned } from './ownership';

export interface OrderView {
  order: Order;
  authorizations: Authorization[];
}

/** Loads an order with its authorizations and its status derived at `now` (RFC 8555 §7.1.6). */
export async function loadOrderView(ctx: AcmeContext, order: Order): Promise<OrderView> {
  const authorizations = await ctx.authorizations.byOrder(order.id);
  const status = deriveOrderStatus(order, authorizations, ctx.clock.now());
  return { order: { ...order, status }, authorizations };
}

/** POST-as-GET an order (RFC 8555 §7.4). */
export class GetOrderUseCase {
  constructor(private readonly ctx: AcmeContext) {}

  async execute(orderId: string, request: VerifiedRequest): Promise<OrderView> {
    if (request.payload !== undefined) throw Problems.malformed('orders are read with POST-as-GET (empty payload)');
    const order = requireOwned(await this.ctx.orders.byId(orderId), request.account, 'order');
    return loadOrderView(this.ctx, order);
  }
}

export const ORDERS_PAGE_SIZE = 100;

/** The account's orders list (RFC 8555 §7.1.2.1), paginated with Link rel="next". */
export class ListOrdersUseCase {
  constructor(private readonly ctx: AcmeContext) {}

  async execute(
    accountId: string,
    request: VerifiedRequest,
    after?: string,
  ): Promise<{ ids: string[]; next?: string }> {
    if (!request.account || request.account.id !== accountId) {
      throw Problems.unauthorized('the orders list belongs to another account');
    }
    if (after !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(after)) throw Problems.malformed('bad "after" cursor');
    const ids = await this.ctx.orders.listIdsByAccount(accountId, {
      after,
      limit: ORDERS_PAGE_SIZE + 1,
      now: this.ctx.clock.now(),
    });
    const page = ids.slice(0, ORDERS_PAGE_SIZE);
    return { ids: page, next: ids.length > ORDERS_PAGE_SIZE ? page[page.length - 1] : undefined };
  }
}
