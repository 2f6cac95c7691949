import { renderAuthorization, renderChallenge } from '@rotor/acme';
import { addLink } from '../http/links';
import type { Runtime } from '../runtime/runtime';
import type { AcmeRouter } from './acme-router';

/** Authorizations and challenges (RFC 8555 §7.5). */
export function registerAuthorizationRoutes(router: AcmeRouter, runtime: Runtime): void {
  const { useCases } = runtime;
  const { linker, clock } = runtime.acme;

  router.post('authz/:id', 'kid', async (verified, { params, reply }) => {
    const authz = await useCases.authorization.execute(params.id as string, verified);
    const body = renderAuthorization(authz, linker, clock.now());
    if (body.status === 'pending' && authz.challenges.some((c) => c.status === 'processing')) {
      reply.header('Retry-After', '1'); // §7.5.1: validation under way
    }
    return body;
  });

  router.post('chall/:id', 'kid', async (verified, { params, reply }) => {
    const { challenge, authorization } = await useCases.respondChallenge.execute(params.id as string, verified);
    // §7.5.1: the challenge links "up" to its authorization.
    addLink(reply, linker.authorization(authorization.id), 'up');
    if (challenge.status === 'processing') reply.header('Retry-After', '1');
    return renderChallenge(challenge, linker);
  });
}
