import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiErrors, FieldError } from './api-error';

const fieldErrors = (error: z.ZodError, prefix = ''): FieldError[] =>
  error.issues.slice(0, 20).map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));

/**
 * Parses a JSON request body against a schema. The server keeps every body as
 * the raw string (the ACME side needs the exact signed bytes), so the API
 * checks the media type and parses here.
 */
export function parseJsonBody<S extends z.ZodType>(schema: S, request: FastifyRequest): z.output<S> {
  if (mediaType(request) !== 'application/json')
    throw ApiErrors.unsupportedMediaType('expected Content-Type: application/json');
  return parseJsonText(schema, typeof request.body === 'string' ? request.body : '');
}

/** JSON text → schema-checked value, with 400 and field paths on failure. */
export function parseJsonText<S extends z.ZodType>(schema: S, text: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw ApiErrors.badRequest('the body is not valid JSON');
  }
  return parseValue(schema, value);
}

export function parseValue<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw ApiErrors.badRequest('the request is invalid', fieldErrors(result.error, prefix));
  return result.data;
}

/** Query strings are flat strings; schemas coerce (z.coerce.number(), durations …). */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  return parseValue(schema, query ?? {}, 'query');
}

/** The raw body as text (for non-JSON media types such as application/x-pem-file or YAML). */
export function rawBody(request: FastifyRequest): string {
  return typeof request.body === 'string' ? request.body : '';
}

/** The request's media type, lower-case, without parameters. */
export function mediaType(request: FastifyRequest): string {
  return String(request.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}
