import type { AcmeContext } from '../context';
import type { AcmeErrorType } from '../problem';
import { Problems } from '../problem';
import { deriveAuthorizationStatus } from '../status';

/**
 * The out-of-band half of a challenge (RFC 8555 §7.5.1, §8): check the key
 * authorization with the real validator, then settle challenge and
 * authorization together. Idempotent: a repeated job for a settled challenge
 * does nothing.
 */
export class ValidateChallengeUseCase {
  constructor(private readonly ctx: AcmeContext) {}

  async execute(challengeId: string): Promise<void> {
    const authz = await this.ctx.authorizations.byChallengeId(challengeId);
    const challenge = authz?.challenges.find((c) => c.id === challengeId);
    if (!authz || !challenge || challenge.status !== 'processing') return;
    const account = await this.ctx.accounts.byId(authz.accountId);
    const now = this.ctx.clock.now();
    if (!account || account.status !== 'valid' || deriveAuthorizationStatus(authz, now) !== 'pending') {
      await this.fail(
        challengeId,
        authz.id,
        authz.orderId,
        'unauthorized',
        'the authorization or its account is no longer valid',
      );
      return;
    }
    const result = await this.ctx.validator.validate({
      type: challenge.type,
      identifier: authz.identifier,
      token: challenge.token,
      keyAuthorization: `${challenge.token}.${account.thumbprint}`,
    });
    if (result.ok) {
      if (await this.ctx.authorizations.transitionChallenge(challengeId, ['processing'], 'valid', { validated: now })) {
        await this.ctx.authorizations.transition(authz.id, ['pending'], 'valid');
      }
      return;
    }
    await this.fail(
      challengeId,
      authz.id,
      authz.orderId,
      result.problem.type as AcmeErrorType,
      result.problem.detail,
      authz.identifier,
    );
  }

  // §7.1.6: a failed challenge makes its authorization invalid.
  private async fail(
    challengeId: string,
    authzId: string,
    orderId: string,
    type: AcmeErrorType,
    detail: string,
    identifier?: { type: 'dns' | 'ip'; value: string },
  ): Promise<void> {
    const error = Problems.validation(type, detail, identifier).toDocument();
    if (await this.ctx.authorizations.transitionChallenge(challengeId, ['processing'], 'invalid', { error })) {
      await this.ctx.authorizations.transition(authzId, ['pending'], 'invalid');
      await this.ctx.orders.transition(orderId, ['pending'], 'invalid', {}, this.ctx.clock.now());
    }
  }
}
