import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendApiProblem } from '../api/api-error';
import type { Logger } from '@rotor/observability';
import { sendProblem } from './problem-response';

/** Every exception leaving a controller or guard is answered as a problem document (ACME, or admin API under /api). */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    // Errors outside any controller (unknown route, body too large) under /api get the admin API's problem shape.
    if (http.getRequest<FastifyRequest>().url.startsWith('/api/')) {
      sendApiProblem(http.getResponse<FastifyReply>(), error, this.logger);
      return;
    }
    sendProblem(http.getResponse<FastifyReply>(), error, this.logger);
  }
}
