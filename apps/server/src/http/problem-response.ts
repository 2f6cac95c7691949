import { HttpException } from '@nestjs/common';
import { AcmeProblem, Problems } from '@rotor/acme';
import type { Logger } from '@rotor/observability';
import type { FastifyReply } from 'fastify';

/** Turns anything thrown while serving a request into an ACME problem; unknown errors become serverInternal. */
export function toAcmeProblem(error: unknown): AcmeProblem {
  if (error instanceof AcmeProblem) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404) return Problems.notFound('no such resource');
    if (status === 405) return Problems.methodNotAllowed('method not allowed for this resource');
    return new AcmeProblem('malformed', error.message, status >= 500 ? 500 : status);
  }
  return Problems.serverInternal('internal error', { cause: error });
}

/**
 * The one place that writes application/problem+json (RFC 7807, RFC 8555 §6.7).
 * The hidden cause of a serverInternal problem is logged, never sent.
 */
export function sendProblem(reply: FastifyReply, error: unknown, logger: Logger): void {
  const problem = toAcmeProblem(error);
  if (problem.status >= 500) {
    const cause = problem.extra.cause ?? error;
    logger.error(
      { err: cause instanceof Error ? { message: cause.message, stack: cause.stack } : String(cause) },
      'request failed',
    );
  }
  if (problem.extra.retryAfter !== undefined) reply.header('Retry-After', String(problem.extra.retryAfter));
  for (const [name, value] of Object.entries(problem.extra.headers ?? {})) reply.header(name, value);
  reply.status(problem.status).type('application/problem+json').send(JSON.stringify(problem.toDocument()));
}
