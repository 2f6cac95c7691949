import { Problems, renderDirectory, VerifiedRequest } from '@rotor/acme';
import type { Runtime } from '../runtime/runtime';
import type { AcmeCall, AcmeRouter } from './acme-router';

/**
 * The directory (RFC 8555 §7.1.1) and newNonce (§7.2), by GET/HEAD and by
 * POST-as-GET (§6.3 requires both); the nonce header itself comes from the ACME hook.
 */
export function registerDirectoryRoutes(router: AcmeRouter, runtime: Runtime): void {
  const directory = JSON.stringify(renderDirectory(runtime.acme));
  const json = (body: string, { reply }: AcmeCall): string => {
    reply.type('application/json; charset=utf-8');
    return body;
  };

  router.get('directory', (call) => json(directory, call));
  router.head('directory', (call) => json(directory, call));
  router.post('directory', 'kid', (verified, call) => {
    requirePostAsGet(verified);
    return json(directory, call);
  });

  router.head('new-nonce', () => undefined);
  router.get('new-nonce', ({ reply }) => {
    reply.code(204);
    return undefined;
  });
  router.post('new-nonce', 'kid', (verified) => {
    requirePostAsGet(verified);
    return '';
  });
}

function requirePostAsGet(request: VerifiedRequest): void {
  if (request.payload !== undefined) throw Problems.malformed('this resource takes POST-as-GET (an empty payload)');
}
