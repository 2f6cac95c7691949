import { Problems } from '@rotor/acme';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime/runtime';
import { sendProblem } from './problem-response';

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Fastify-level behaviour shared by every ACME resource:
 * - bodies are kept as raw text: the JWS check needs the exact bytes and decides
 *   on the Content-Type itself (RFC 8555 §6.2);
 * - every POST and every newNonce response carries a fresh Replay-Nonce, errors
 *   included (§6.5), and a Link rel="index" to the directory (§7.1);
 * - a per-client-IP token bucket (rateLimited, §6.6);
 * Body-parser failures (e.g. 413) and unknown routes reach the ProblemFilter as
 * Nest HttpExceptions, so they are rendered as problems too.
 */
export function installAcmeHooks(fastify: FastifyInstance, runtime: Runtime): void {
  const { acme, config, rateLimits, logger } = runtime;
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.url.startsWith('/acme/')) return;
    reply.header('Link', `<${acme.linker.directory()}>;rel="index"`);
    if (request.method === 'POST' || request.url.startsWith('/acme/new-nonce')) {
      reply.header('Replay-Nonce', await runtime.noncePool.take());
      reply.header('Cache-Control', 'no-store');
    }
    const wait = await rateLimits.take(`ip:${request.ip}`, config.rateLimitPerIp, config.rateLimitBurst, Date.now());
    if (wait > 0) {
      sendProblem(reply, Problems.rateLimited(`too many requests from ${request.ip}`, { retryAfter: wait }), logger);
      return reply;
    }
  });
}
