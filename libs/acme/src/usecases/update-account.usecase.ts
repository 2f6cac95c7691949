import type { AcmeContext } from '../context';
import type { VerifiedRequest } from '../jws';
import type { Account } from '../model';
import { Problems } from '../problem';
import { validateContacts } from './contacts';

/**
 * POST to an account URL: fetch (POST-as-GET or empty object), update contacts
 * (RFC 8555 §7.3.2) or deactivate (§7.3.6).
 */
export class UpdateAccountUseCase {
  constructor(private readonly ctx: AcmeContext) {}

  async execute(accountId: string, request: VerifiedRequest): Promise<Account> {
    const account = request.account;
    if (!account || account.id !== accountId) {
      throw Problems.unauthorized('the JWS "kid" does not match the account URL');
    }
    const payload = request.payload;
    if (payload === undefined) return account;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw Problems.malformed('account update payload must be a JSON object');
    }
    const body = payload as Record<string, unknown>;
    if (body.status !== undefined && body.status !== 'deactivated') {
      throw Problems.malformed('the only status a client may set is "deactivated"');
    }
    const patch: Partial<Account> = {};
    if (body.contact !== undefined) patch.contact = validateContacts(body.contact);
    if (body.status === 'deactivated') patch.status = 'deactivated';
    if (Object.keys(patch).length === 0) return account;
    await this.ctx.accounts.update(account.id, patch);
    return { ...account, ...patch };
  }
}
