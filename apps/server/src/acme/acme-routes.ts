import { Problems } from '@rotor/acme';
import type { Runtime } from '../runtime/runtime';
import { registerAccountRoutes } from './account.routes';
import { AcmeRouter } from './acme-router';
import { registerAuthorizationRoutes } from './authorization.routes';
import { registerCertificateRoutes } from './certificate.routes';
import { registerDirectoryRoutes } from './directory.routes';
import { registerOrderRoutes } from './order.routes';

/** Resources that are only ever POSTed (POST-as-GET for reads). */
const POST_ONLY = [
  'new-account',
  'new-order',
  'revoke-cert',
  'key-change',
  'account/:id',
  'account/:id/orders',
  'order/:id',
  'order/:id/finalize',
  'authz/:id',
  'chall/:id',
  'cert/:id',
];

/** The routing table of every ACME resource under /acme (RFC 8555 §7.1). */
export function acmeRoutes(runtime: Runtime): AcmeRouter {
  const router = new AcmeRouter(runtime);
  registerDirectoryRoutes(router, runtime);
  registerAccountRoutes(router, runtime);
  registerOrderRoutes(router, runtime);
  registerAuthorizationRoutes(router, runtime);
  registerCertificateRoutes(router, runtime);
  // RFC 8555 §6.3: a plain GET of a POST-as-GET resource gets 405 with Allow: POST.
  for (const path of POST_ONLY) {
    router.get(path, ({ reply }) => {
      reply.header('Allow', 'POST');
      throw Problems.methodNotAllowed('use POST (POST-as-GET for reads, RFC 8555 §6.3)');
    });
  }
  return router;
}
