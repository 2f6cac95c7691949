import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';

/** Liveness answers while the process serves; readiness also needs the database. */
@Controller()
export class HealthController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Get('healthz')
  live() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    try {
      await this.runtime.dataSource.query('SELECT 1');
      return { status: 'ready' };
    } catch {
      reply.status(503);
      return { status: 'unavailable', reason: 'database unreachable' };
    }
  }
}
