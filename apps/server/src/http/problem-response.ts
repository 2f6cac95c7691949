import { HttpException } from '@nestjs/common';
import { AcmeProblem, Problems } from '@rotor/acme';
import type { Logger } from '@rotor/observability';
import type { FastifyReply } from 'fastify';

/** Turns anything thrown while serving a request into an ACME problem; unknown errors become serverInternal. */
export function toAcmeProblem(error: unknown): AcmeProblem {
  if (error instanceof AcmeProblem) return error;
  const status = error instanceof HttpException ? error.getStatus() : fastifyClientErrorStatus(error);
  if (status === undefined) return Problems.serverInternal('internal error', { cause: error });
  if (status === 404) return Problems.notFound('no such resource');
  if (status === 405) return Problems.methodNotAllowed('method not allowed for this resource');
  return new AcmeProblem('malformed', (error as Error).message, status >= 500 ? 500 : status);
}

/** Fastify's own request errors (body over the limit, unreadable body) carry a 4xx `statusCode`. */
function fastifyClientErrorStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return error instanceof Error && typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

export interface RenderedProblem {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The one place that renders application/problem+json (RFC 7807, RFC 8555 §6.7).
 * The hidden cause of a serverInternal problem is logged, never sent.
 */
export function renderProblem(error: unknown, logger: Logger): RenderedProblem {
  const problem = toAcmeProblem(error);
  if (problem.status >= 500) {
    const cause = problem.extra.cause ?? error;
    logger.error(
      { err: cause instanceof Error ? { message: cause.message, stack: cause.stack } : String(cause) },
      'request failed',
    );
  }
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (problem.extra.retryAfter !== undefined) headers['retry-after'] = String(problem.extra.retryAfter);
  for (const [name, value] of Object.entries(problem.extra.headers ?? {})) headers[name.toLowerCase()] = value;
  return { status: problem.status, headers, body: JSON.stringify(problem.toDocument()) };
}

/** Answers a Fastify (Nest) request with the problem for `error`. */
export function sendProblem(reply: FastifyReply, error: unknown, logger: Logger): void {
  const { status, headers, body } = renderProblem(error, logger);
  reply.status(status).headers(headers).send(body);
}
