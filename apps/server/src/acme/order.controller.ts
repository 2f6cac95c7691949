import { Controller, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { OrderView, renderOrder, VerifiedRequest } from '@rotor/acme';
import type { FastifyReply } from 'fastify';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';
import { AcmeSigned, Verified } from './jws.guard';

/** Orders (RFC 8555 §7.4): newOrder, POST-as-GET and finalize. */
@Controller('acme')
export class OrderController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Post('new-order')
  @AcmeSigned('kid')
  @HttpCode(201)
  async newOrder(@Verified() request: VerifiedRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { order, authorizationIds } = await this.runtime.useCases.newOrder.execute(request);
    reply.header('Location', this.runtime.acme.linker.order(order.id));
    return renderOrder(order, authorizationIds, this.runtime.acme.linker);
  }

  @Post('order/:id')
  @AcmeSigned('kid')
  @HttpCode(200)
  async order(
    @Param('id') id: string,
    @Verified() request: VerifiedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.render(await this.runtime.useCases.getOrder.execute(id, request), reply);
  }

  @Post('order/:id/finalize')
  @AcmeSigned('kid')
  @HttpCode(200)
  async finalize(
    @Param('id') id: string,
    @Verified() request: VerifiedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.render(await this.runtime.useCases.finalize.execute(id, request), reply);
  }

  private render(view: OrderView, reply: FastifyReply) {
    const linker = this.runtime.acme.linker;
    reply.header('Location', linker.order(view.order.id));
    // §7.4: while the CA works, tell the client when to poll again.
    if (view.order.status === 'processing' || view.order.status === 'pending') reply.header('Retry-After', '1');
    return renderOrder(
      view.order,
      view.authorizations.map((a) => a.id),
      linker,
    );
  }
}
