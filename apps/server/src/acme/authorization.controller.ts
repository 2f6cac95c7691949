import { Controller, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { renderAuthorization, renderChallenge, VerifiedRequest } from '@rotor/acme';
import type { FastifyReply } from 'fastify';
import { addLink } from '../http/links';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';
import { AcmeSigned, Verified } from './jws.guard';

/** Authorizations and challenges (RFC 8555 §7.5). */
@Controller('acme')
export class AuthorizationController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Post('authz/:id')
  @AcmeSigned('kid')
  @HttpCode(200)
  async authorization(
    @Param('id') id: string,
    @Verified() request: VerifiedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const authz = await this.runtime.useCases.authorization.execute(id, request);
    const body = renderAuthorization(authz, this.runtime.acme.linker, this.runtime.acme.clock.now());
    if (body.status === 'pending' && authz.challenges.some((c) => c.status === 'processing')) {
      reply.header('Retry-After', '1'); // §7.5.1: validation under way
    }
    return body;
  }

  @Post('chall/:id')
  @AcmeSigned('kid')
  @HttpCode(200)
  async challenge(
    @Param('id') id: string,
    @Verified() request: VerifiedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { challenge, authorization } = await this.runtime.useCases.respondChallenge.execute(id, request);
    // §7.5.1: the challenge links "up" to its authorization.
    addLink(reply, this.runtime.acme.linker.authorization(authorization.id), 'up');
    if (challenge.status === 'processing') reply.header('Retry-After', '1');
    return renderChallenge(challenge, this.runtime.acme.linker);
  }
}
