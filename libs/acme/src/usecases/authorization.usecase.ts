import type { AcmeContext } from '../context';
import type { VerifiedRequest } from '../jws';
import type { Authorization } from '../model';
import { Problems } from '../problem';
import { deriveAuthorizationStatus } from '../status';
import { requireOwned } from './ownership';

/** POST-as-GET an authorization, or deactivate it (RFC 8555 §7.5, §7.5.2). */
export class AuthorizationUseCase {
  constructor(private readonly ctx: AcmeContext) {}

  async execute(authzId: string, request: VerifiedRequest): Promise<Authorization> {
    const authz = requireOwned(await this.ctx.authorizations.byId(authzId), request.account, 'authorization');
    const status = deriveAuthorizationStatus(authz, this.ctx.clock.now());
    if (request.payload === undefined) return { ...authz, status };
    const body = request.payload as Record<string, unknown> | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw Problems.malformed('authorization update payload must be a JSON object');
    }
    if (body.status === undefined) return { ...authz, status };
    if (body.status !== 'deactivated') throw Problems.malformed('the only status a client may set is "deactivated"');
    // §7.5.2: only pending or valid authorizations can be deactivated.
    if (status !== 'pending' && status !== 'valid') {
      throw Problems.malformed(`an authorization that is ${status} cannot be deactivated`);
    }
    if (!(await this.ctx.authorizations.transition(authz.id, ['pending', 'valid'], 'deactivated'))) {
      throw Problems.malformed('the authorization changed state concurrently; fetch it again');
    }
    return { ...authz, status: 'deactivated' };
  }
}
