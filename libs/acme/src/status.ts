import type { Authorization, AuthorizationStatus, Order, OrderStatus } from './model';

/**
 * Authorization status as seen at `now` (RFC 8555 §7.1.6): pending and valid
 * authorizations that passed their expiry are "expired".
 */
export function deriveAuthorizationStatus(
  authz: Pick<Authorization, 'status' | 'expires'>,
  now: number,
): AuthorizationStatus {
  if ((authz.status === 'pending' || authz.status === 'valid') && now >= authz.expires) return 'expired';
  return authz.status;
}

/**
 * Order status derived from its stored state, its authorizations and the clock
 * (RFC 8555 §7.1.6, Figure 4 "State Transitions for Order Objects"):
 * - valid/processing are terminal or server-driven and win;
 * - an expired order that is not valid is invalid;
 * - any authorization that is invalid, deactivated, expired or revoked makes the order invalid;
 * - all authorizations valid: ready;
 * - otherwise: pending.
 */
export function deriveOrderStatus(
  order: Pick<Order, 'status' | 'expires'>,
  authzs: Pick<Authorization, 'status' | 'expires'>[],
  now: number,
): OrderStatus {
  if (order.status === 'valid' || order.status === 'invalid' || order.status === 'processing') return order.status;
  if (now >= order.expires) return 'invalid';
  const statuses = authzs.map((a) => deriveAuthorizationStatus(a, now));
  if (statuses.length === 0) return 'invalid';
  if (statuses.some((s) => s === 'invalid' || s === 'deactivated' || s === 'expired' || s === 'revoked')) {
    return 'invalid';
  }
  if (statuses.every((s) => s === 'valid')) return 'ready';
  return 'pending';
}
