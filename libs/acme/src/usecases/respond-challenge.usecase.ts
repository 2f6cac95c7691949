import type { AcmeContext } from '../context';
import type { VerifiedRequest } from '../jws';
import type { Authorization, Challenge } from '../model';
import { Problems } from '../problem';
import { deriveAuthorizationStatus } from '../status';
import { requireOwned } from './ownership';

export interface ChallengeView {
  challenge: Challenge;
  authorization: Authorization;
}

/**
 * POST to a challenge (RFC 8555 §7.5.1). An empty object asks the server to
 * validate; POST-as-GET just reads it. Validation runs out of band: the
 * challenge moves to "processing" here and the scheduler validates it.
 */
export class RespondChallengeUseCase {
  constructor(private readonly ctx: AcmeContext) {}

  async execute(challengeId: string, request: VerifiedRequest): Promise<ChallengeView> {
    const authz = requireOwned(await this.ctx.authorizations.byChallengeId(challengeId), request.account, 'challenge');
    const challenge = authz.challenges.find((c) => c.id === challengeId) as Challenge;
    if (request.payload === undefined) return { challenge, authorization: authz };
    if (typeof request.payload !== 'object' || request.payload === null || Array.isArray(request.payload)) {
      throw Problems.malformed('challenge response payload must be a JSON object ({})');
    }
    // A repeated request for a challenge already under way or done is answered with its state.
    if (challenge.status !== 'pending') return { challenge, authorization: authz };
    const status = deriveAuthorizationStatus(authz, this.ctx.clock.now());
    if (status !== 'pending') {
      throw Problems.malformed(`the authorization is ${status}; its challenges can no longer be attempted`);
    }
    if (authz.challenges.some((c) => c.status === 'processing')) {
      throw Problems.malformed('another challenge of this authorization is being validated');
    }
    if (!(await this.ctx.authorizations.transitionChallenge(challenge.id, ['pending'], 'processing'))) {
      const fresh = (await this.ctx.authorizations.byChallengeId(challengeId)) as Authorization;
      return { challenge: fresh.challenges.find((c) => c.id === challengeId) as Challenge, authorization: fresh };
    }
    await this.ctx.scheduler.schedule(challenge.id);
    return { challenge: { ...challenge, status: 'processing' }, authorization: authz };
  }
}
