import type { Account } from '../model';
import { Problems } from '../problem';

/**
 * Every resource belongs to one account. Another account's resource is
 * reported as unauthorized (RFC 8555 §7.5: "the server MUST verify the
 * account owns the resource"); a missing one as 404.
 */
export function requireOwned<T extends { accountId: string }>(
  resource: T | null,
  account: Account | undefined,
  what: string,
): T {
  if (!resource) throw Problems.notFound(`${what} not found`);
  if (!account || resource.accountId !== account.id) {
    throw Problems.unauthorized(`${what} belongs to another account`);
  }
  return resource;
}
