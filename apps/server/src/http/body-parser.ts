import type { FastifyInstance } from 'fastify';

/** Largest request body accepted anywhere (ACME JWS and admin API JSON alike are small). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Bodies reach the Nest controllers as raw text: the admin API validates the
 * media type and parses JSON itself (api/validation.ts), so one parser that
 * only enforces the size limit is all Fastify needs. Over the limit, Fastify
 * answers 413 through the problem filters.
 */
export function installRawBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) =>
    done(null, body),
  );
}
