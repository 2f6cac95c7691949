import { HttpException } from '@nestjs/common';
import type { Logger } from '@rotor/observability';
import type { FastifyReply } from 'fastify';

export interface FieldError {
  /** Dotted path of the offending field, e.g. "spec.dnsNames.2"; "" for the whole body. */
  path: string;
  message: string;
}

/**
 * An admin-API error, rendered as an RFC 9457 problem document with a stable
 * `type` (urn:rotor:problem:<code>) that clients and tests can branch on.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const ApiErrors = {
  badRequest: (detail: string, errors?: FieldError[]) => new ApiError(400, 'malformed', detail, errors),
  unauthorized: (detail: string) =>
    new ApiError(401, 'unauthorized', detail, undefined, { 'WWW-Authenticate': 'Bearer realm="rotor"' }),
  forbidden: (detail: string) => new ApiError(403, 'forbidden', detail),
  notFound: (detail: string) => new ApiError(404, 'not-found', detail),
  conflict: (detail: string) => new ApiError(409, 'conflict', detail),
  unsupportedMediaType: (detail: string) => new ApiError(415, 'unsupported-media-type', detail),
  /** Well-formed but refused by policy (RFC 9110 §15.5.21). */
  unprocessable: (detail: string, errors?: FieldError[]) => new ApiError(422, 'rejected', detail, errors),
};

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 404) return ApiErrors.notFound('no such resource');
    if (status === 413) return new ApiError(413, 'too-large', 'request body too large');
    if (status < 500) return new ApiError(status, 'malformed', error.message);
  }
  return new ApiError(500, 'internal', 'internal error');
}

/** The one place that writes admin-API problem documents; causes of 5xx are logged, never sent. */
export function sendApiProblem(reply: FastifyReply, error: unknown, logger: Logger): void {
  const problem = toApiError(error);
  if (problem.status >= 500) {
    logger.error(
      { err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) },
      'api request failed',
    );
  }
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  reply
    .status(problem.status)
    .type('application/problem+json')
    .send(
      JSON.stringify({
        type: `urn:rotor:problem:${problem.code}`,
        title: TITLES[problem.status] ?? 'Error',
        status: problem.status,
        detail: problem.detail,
        ...(problem.errors?.length ? { errors: problem.errors } : {}),
      }),
    );
}
