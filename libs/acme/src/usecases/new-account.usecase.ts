import type { AcmeContext } from '../context';
import { newId } from '../context';
import type { VerifiedRequest } from '../jws';
import { verifyExternalAccountBinding } from '../jws';
import type { Account } from '../model';
import { Problems } from '../problem';
import { validateContacts } from './contacts';

export interface NewAccountResult {
  account: Account;
  /** false when the key already had an account (RFC 8555 §7.3.1: 200 + Location). */
  created: boolean;
}

/** newAccount (RFC 8555 §7.3), including onlyReturnExisting and External Account Binding (§7.3.4). */
export class NewAccountUseCase {
  constructor(private readonly ctx: AcmeContext) {}

  async execute(request: VerifiedRequest): Promise<NewAccountResult> {
    const payload = request.payload;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw Problems.malformed('newAccount payload must be a JSON object');
    }
    const body = payload as Record<string, unknown>;
    const existing = await this.ctx.accounts.byThumbprint(request.thumbprint);
    if (existing) {
      // §7.3.1: a repeated newAccount for a known key returns that account, whatever its other fields.
      if (existing.status !== 'valid') throw Problems.accountNotValid(existing.status);
      return { account: existing, created: false };
    }
    if (body.onlyReturnExisting === true) throw Problems.accountDoesNotExist('no account exists for this key');

    const contact = validateContacts(body.contact);
    const agreed = body.termsOfServiceAgreed === true;
    if (body.termsOfServiceAgreed !== undefined && typeof body.termsOfServiceAgreed !== 'boolean') {
      throw Problems.malformed('"termsOfServiceAgreed" must be a boolean');
    }
    if (this.ctx.policy.termsOfService && !agreed) {
      throw Problems.malformed('you must agree to the terms of service (termsOfServiceAgreed: true)');
    }

    let eabKeyId: string | undefined;
    if (body.externalAccountBinding !== undefined) {
      const key = await verifyExternalAccountBinding(
        body.externalAccountBinding,
        { url: this.ctx.linker.newAccount(), accountJwk: request.jwk },
        (kid) => this.ctx.eabKeys.byId(kid),
      );
      eabKeyId = key.id;
    } else if (this.ctx.policy.eabRequired) {
      throw Problems.externalAccountRequired('this CA requires an externalAccountBinding');
    }

    const account: Account = {
      id: newId(),
      status: 'valid',
      jwk: request.jwk,
      thumbprint: request.thumbprint,
      contact,
      termsOfServiceAgreed: agreed,
      eabKeyId,
      createdAt: this.ctx.clock.now(),
    };
    if (eabKeyId && !(await this.ctx.eabKeys.bind(eabKeyId, account.id))) {
      throw Problems.unauthorized('external account key was already used');
    }
    try {
      await this.ctx.accounts.insert(account);
    } catch (error) {
      // Two concurrent newAccount requests with one key: the unique thumbprint decides.
      const winner = await this.ctx.accounts.byThumbprint(request.thumbprint);
      if (winner) return { account: winner, created: false };
      throw error;
    }
    return { account, created: true };
  }
}
