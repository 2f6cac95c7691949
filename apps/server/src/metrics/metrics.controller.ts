import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';

/**
 * Prometheus scrape endpoint (text exposition format). Unauthenticated, as
 * Prometheus expects; it exposes expiry dates, names and serials, which are
 * public in the certificates themselves, and no secrets. Per-certificate
 * gauges are read from the database on each scrape, so any replica answers
 * with the same truth.
 */
@Controller()
export class MetricsController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Get('metrics')
  async scrape(@Res() reply: FastifyReply) {
    const text = await this.runtime.metrics.render();
    reply
      .status(200)
      .header('content-type', this.runtime.metrics.contentType)
      .header('cache-control', 'no-store')
      .send(text);
  }
}
