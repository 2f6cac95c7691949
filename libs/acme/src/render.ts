import type { AcmeContext } from './context';
import type { AcmeLinker } from './links';
import type { Account, Authorization, Challenge, Order } from './model';
import { deriveAuthorizationStatus } from './status';
import { rfc3339 } from './usecases/time-fields';

/** JSON representations of ACME resources (RFC 8555 §7.1). Ids become URLs only here. */

export function renderDirectory(ctx: Pick<AcmeContext, 'linker' | 'policy'>) {
  const { linker, policy } = ctx;
  const meta: Record<string, unknown> = {
    externalAccountRequired: policy.eabRequired,
    profiles: Object.fromEntries(Object.entries(policy.profiles).map(([name, p]) => [name, p.description])),
  };
  if (policy.termsOfService) meta.termsOfService = policy.termsOfService;
  return {
    newNonce: linker.newNonce(),
    newAccount: linker.newAccount(),
    newOrder: linker.newOrder(),
    revokeCert: linker.revokeCert(),
    keyChange: linker.keyChange(),
    renewalInfo: linker.renewalInfoBase(),
    meta,
  };
}

export function renderAccount(account: Account, linker: AcmeLinker) {
  return {
    status: account.status,
    contact: account.contact,
    termsOfServiceAgreed: account.termsOfServiceAgreed,
    orders: linker.accountOrders(account.id),
  };
}

export function renderOrder(order: Order, authorizationIds: string[], linker: AcmeLinker) {
  return {
    status: order.status,
    expires: rfc3339(order.expires),
    identifiers: order.identifiers,
    ...(order.notBefore !== undefined && { notBefore: rfc3339(order.notBefore) }),
    ...(order.notAfter !== undefined && { notAfter: rfc3339(order.notAfter) }),
    profile: order.profile,
    ...(order.replaces && { replaces: order.replaces }),
    authorizations: authorizationIds.map((id) => linker.authorization(id)),
    finalize: linker.finalize(order.id),
    ...(order.certificateId && order.status === 'valid' && { certificate: linker.certificate(order.certificateId) }),
    ...(order.error && { error: order.error }),
  };
}

export function renderChallenge(challenge: Challenge, linker: AcmeLinker) {
  return {
    type: challenge.type,
    url: linker.challenge(challenge.id),
    status: challenge.status,
    token: challenge.token,
    ...(challenge.validated !== undefined && { validated: rfc3339(challenge.validated) }),
    ...(challenge.error && { error: challenge.error }),
  };
}

export function renderAuthorization(authz: Authorization, linker: AcmeLinker, now: number) {
  return {
    identifier: authz.identifier,
    status: deriveAuthorizationStatus(authz, now),
    expires: rfc3339(authz.expires),
    challenges: authz.challenges.map((c) => renderChallenge(c, linker)),
    ...(authz.wildcard && { wildcard: true }),
  };
}

export function renderRenewalInfo(window: { start: number; end: number }) {
  return { suggestedWindow: { start: rfc3339(window.start), end: rfc3339(window.end) } };
}
