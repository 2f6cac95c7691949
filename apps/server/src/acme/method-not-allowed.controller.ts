import { Controller, Get, Res } from '@nestjs/common';
import { Problems } from '@rotor/acme';
import type { FastifyReply } from 'fastify';

/**
 * RFC 8555 §6.3: resources other than the directory, newNonce and renewalInfo
 * are fetched with POST-as-GET; a plain GET gets 405 with Allow: POST.
 */
@Controller('acme')
export class MethodNotAllowedController {
  @Get([
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
  ])
  refuse(@Res({ passthrough: true }) reply: FastifyReply): never {
    reply.header('Allow', 'POST');
    throw Problems.methodNotAllowed('use POST (POST-as-GET for reads, RFC 8555 §6.3)');
  }
}
