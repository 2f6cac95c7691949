import { OrderView, renderOrder } from '@rotor/acme';
import type { AcmeReply } from './acme-reply';
import type { Runtime } from '../runtime/runtime';
import type { AcmeRouter } from './acme-router';

/** Orders (RFC 8555 §7.4): newOrder, POST-as-GET and finalize. */
export function registerOrderRoutes(router: AcmeRouter, runtime: Runtime): void {
  const { useCases } = runtime;
  const linker = runtime.acme.linker;

  const render = (view: OrderView, reply: AcmeReply) => {
    reply.header('Location', linker.order(view.order.id));
    // §7.4: while the CA works, tell the client when to poll again.
    if (view.order.status === 'processing' || view.order.status === 'pending') reply.header('Retry-After', '1');
    return renderOrder(
      view.order,
      view.authorizations.map((a) => a.id),
      linker,
    );
  };

  router.post('new-order', 'kid', async (verified, { reply }) => {
    const { order, authorizationIds } = await useCases.newOrder.execute(verified);
    reply.code(201).header('Location', linker.order(order.id));
    return renderOrder(order, authorizationIds, linker);
  });

  router.post('order/:id', 'kid', async (verified, { params, reply }) =>
    render(await useCases.getOrder.execute(params.id as string, verified), reply),
  );

  router.post('order/:id/finalize', 'kid', async (verified, { params, reply }) =>
    render(await useCases.finalize.execute(params.id as string, verified), reply),
  );
}
