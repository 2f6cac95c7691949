import { Controller, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { renderAccount, VerifiedRequest } from '@rotor/acme';
import type { FastifyReply } from 'fastify';
import { addLink } from '../http/links';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';
import { AcmeSigned, Verified } from './jws.guard';

/** Accounts (RFC 8555 §7.3): newAccount, account updates, the orders list and keyChange. */
@Controller('acme')
export class AccountController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Post('new-account')
  @AcmeSigned('jwk')
  async newAccount(@Verified() request: VerifiedRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { account, created } = await this.runtime.useCases.newAccount.execute(request);
    reply.status(created ? 201 : 200).header('Location', this.runtime.acme.linker.account(account.id));
    return renderAccount(account, this.runtime.acme.linker);
  }

  @Post('account/:id')
  @AcmeSigned('kid')
  @HttpCode(200)
  async account(@Param('id') id: string, @Verified() request: VerifiedRequest) {
    const account = await this.runtime.useCases.updateAccount.execute(id, request);
    return renderAccount(account, this.runtime.acme.linker);
  }

  @Post('account/:id/orders')
  @AcmeSigned('kid')
  @HttpCode(200)
  async orders(
    @Param('id') id: string,
    @Query('after') after: string | undefined,
    @Verified() request: VerifiedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const linker = this.runtime.acme.linker;
    const page = await this.runtime.useCases.listOrders.execute(id, request, after);
    // §7.1.2.1: further pages are linked with rel="next".
    if (page.next) addLink(reply, `${linker.accountOrders(id)}?after=${page.next}`, 'next');
    return { orders: page.ids.map((orderId) => linker.order(orderId)) };
  }

  @Post('key-change')
  @AcmeSigned('kid')
  @HttpCode(200)
  async keyChange(@Verified() request: VerifiedRequest) {
    const account = await this.runtime.useCases.keyChange.execute(request);
    return renderAccount(account, this.runtime.acme.linker);
  }
}
