import type { AcmeContext } from '../context';
import { newId, newToken } from '../context';
import { parseCertId } from '../cert-id';
import { authorizationIdentifier, isWildcard, normaliseIdentifiers } from '../identifiers';
import type { VerifiedRequest } from '../jws';
import type { Account, Authorization, ChallengeType, Order } from '../model';
import { Identifier, Problems } from '../problem';
import { parseRfc3339 } from './time-fields';

/** How far a client may backdate notBefore (clock skew), not an arbitrary past validity. */
const MAX_BACKDATE_MS = 3600e3;

/** Challenge types offered per identifier (RFC 8555 §7.1.4, §8; RFC 8738 §7; RFC 8737). */
function challengeTypesFor(identifier: Identifier): ChallengeType[] {
  if (isWildcard(identifier)) return ['dns-01']; // §7.1.3: wildcards only via dns-01
  if (identifier.type === 'ip') return ['http-01', 'tls-alpn-01']; // RFC 8738 §7: no dns-01 for IPs
  return ['http-01', 'dns-01', 'tls-alpn-01'];
}

/** newOrder (RFC 8555 §7.4), with profiles and `replaces` (RFC 9773 §5). */
export class NewOrderUseCase {
  constructor(private readonly ctx: AcmeContext) {}

  async execute(request: VerifiedRequest): Promise<{ order: Order; authorizationIds: string[] }> {
    const account = request.account as Account;
    const body = request.payload;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw Problems.malformed('newOrder payload must be a JSON object');
    }
    const fields = body as Record<string, unknown>;
    const { policy, clock } = this.ctx;
    const now = clock.now();
    const identifiers = normaliseIdentifiers(fields.identifiers, policy.identifiers);
    await this.checkEabScope(account, identifiers);

    const profileName = fields.profile ?? policy.defaultProfile;
    if (typeof profileName !== 'string' || !Object.hasOwn(policy.profiles, profileName)) {
      throw Problems.invalidProfile(`unknown profile; offered: ${Object.keys(policy.profiles).join(', ')}`);
    }
    const notBefore = parseRfc3339(fields.notBefore, 'notBefore');
    const notAfter = parseRfc3339(fields.notAfter, 'notAfter');
    if (notAfter !== undefined && (notAfter <= (notBefore ?? now) || notAfter <= now)) {
      throw Problems.malformed('"notAfter" must be after "notBefore" and in the future');
    }
    if (notBefore !== undefined && notBefore < now - MAX_BACKDATE_MS) {
      throw Problems.malformed('"notBefore" may be at most one hour in the past');
    }
    if (notBefore !== undefined && notBefore > now + policy.orderLifetimeMs) {
      throw Problems.malformed('"notBefore" is too far in the future');
    }
    if (notAfter !== undefined && notAfter - (notBefore ?? now) > policy.maxCertLifetimeMs) {
      throw Problems.malformed(`certificate lifetime may not exceed ${policy.maxCertLifetimeMs / 1000} seconds`);
    }
    const replaces =
      fields.replaces === undefined ? undefined : await this.checkReplaces(fields.replaces, account, identifiers);

    const orderId = newId();
    const expires = now + policy.orderLifetimeMs;
    const authorizations: Authorization[] = identifiers.map((identifier) => {
      const id = newId();
      return {
        id,
        accountId: account.id,
        orderId,
        identifier: authorizationIdentifier(identifier),
        wildcard: isWildcard(identifier),
        status: 'pending',
        expires: Math.min(expires, now + policy.authzLifetimeMs),
        challenges: challengeTypesFor(identifier).map((type) => ({
          id: newId(),
          authorizationId: id,
          type,
          token: newToken(),
          status: 'pending',
        })),
      };
    });
    const order: Order = {
      id: orderId,
      accountId: account.id,
      status: 'pending',
      identifiers,
      expires,
      notBefore,
      notAfter,
      profile: profileName,
      replaces,
      createdAt: now,
      updatedAt: now,
    };
    await this.ctx.orders.insertWithAuthorizations({ order, authorizations });
    return { order, authorizationIds: authorizations.map((a) => a.id) };
  }

  /** Accounts created with an EAB key limited to DNS suffixes may only order names under them. */
  private async checkEabScope(account: Account, identifiers: Identifier[]): Promise<void> {
    if (!account.eabKeyId) return;
    const key = await this.ctx.eabKeys.byId(account.eabKeyId);
    const suffixes = key?.allowedDnsSuffixes ?? [];
    if (suffixes.length === 0) return;
    const outside = identifiers.filter((identifier) => {
      const name = authorizationIdentifier(identifier).value;
      return identifier.type !== 'dns' || !suffixes.some((s) => name === s || name.endsWith(`.${s}`));
    });
    if (outside.length) {
      throw Problems.rejectedIdentifier(
        `this account may only order names under ${suffixes.join(', ')}; not: ${outside.map((i) => i.value).join(', ')}`,
      );
    }
  }

  /** RFC 9773 §5: the replaced certificate must be ours, the account's, share a name, and not be replaced yet. */
  private async checkReplaces(value: unknown, account: Account, identifiers: Identifier[]): Promise<string> {
    const certId = parseCertId(value);
    if (certId.authorityKeyId !== this.ctx.issuer.authorityKeyIdB64url) {
      throw Problems.malformed('"replaces" names a certificate this CA did not issue');
    }
    const previous = await this.ctx.certificates.byId(certId.serialHex);
    if (!previous) throw Problems.malformed('"replaces" names an unknown certificate');
    if (previous.accountId !== account.id)
      throw Problems.unauthorized('"replaces" names another account\'s certificate');
    const names = new Set(identifiers.map((i) => `${i.type}:${i.value}`));
    if (!previous.identifiers.some((i) => names.has(`${i.type}:${i.value}`))) {
      throw Problems.malformed('"replaces" names a certificate that shares no identifier with this order');
    }
    if (previous.replacedBy) throw Problems.alreadyReplaced('that certificate has already been replaced');
    return value as string;
  }
}
