import { renderAccount } from '@rotor/acme';
import { addLink } from '../http/links';
import type { Runtime } from '../runtime/runtime';
import type { AcmeRouter } from './acme-router';

/** Accounts (RFC 8555 §7.3): newAccount, account updates, the orders list and keyChange. */
export function registerAccountRoutes(router: AcmeRouter, runtime: Runtime): void {
  const { useCases } = runtime;
  const linker = runtime.acme.linker;

  router.post('new-account', 'jwk', async (verified, { reply }) => {
    const { account, created } = await useCases.newAccount.execute(verified);
    reply.code(created ? 201 : 200).header('Location', linker.account(account.id));
    return renderAccount(account, linker);
  });

  router.post('account/:id', 'kid', async (verified, { params }) =>
    renderAccount(await useCases.updateAccount.execute(params.id as string, verified), linker),
  );

  router.post('account/:id/orders', 'kid', async (verified, { params, query, reply }) => {
    const id = params.id as string;
    const after = new URLSearchParams(query).get('after') ?? undefined;
    const page = await useCases.listOrders.execute(id, verified, after);
    // §7.1.2.1: further pages are linked with rel="next".
    if (page.next) addLink(reply, `${linker.accountOrders(id)}?after=${page.next}`, 'next');
    return { orders: page.ids.map((orderId) => linker.order(orderId)) };
  });

  router.post('key-change', 'kid', async (verified) =>
    renderAccount(await useCases.keyChange.execute(verified), linker),
  );
}
