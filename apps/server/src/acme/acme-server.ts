import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { AcmeProblem, Problems } from '@rotor/acme';
import { MAX_BODY_BYTES } from '../http/body-parser';
import { renderProblem } from '../http/problem-response';
import type { Runtime } from '../runtime/runtime';
import { AcmeReply } from './acme-reply';
import type { AcmeRouter } from './acme-router';

const PREFIX = '/acme/';

/**
 * Serves every request under /acme/ straight from node:https, in front of
 * Fastify and Nest (bootstrap.ts hands it the server's request events). An
 * issuance is about eight ACME requests, and Fastify's per-request work
 * (request/reply objects, hook chains, its content-type parser's
 * AsyncResource) plus Nest's pipeline cost more CPU than Rotor's own work on
 * most of them; here each request is: per-request rules → route → handler →
 * one write. The rules every ACME response shares:
 * - a Link rel="index" to the directory (RFC 8555 §7.1);
 * - a fresh Replay-Nonce on every POST and newNonce response, errors included (§6.5);
 * - the per-client-IP token bucket (rateLimited, §6.6);
 * - anything thrown is an application/problem+json answer (§6.7), never a crash;
 * - request counts and latency by route pattern for /metrics.
 */
export class AcmeHttpServer {
  private readonly indexLink: string;
  /** Bound metric series by route pattern, method and status: a bounded set (patterns, not URLs). */
  private readonly series = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>();

  constructor(
    private readonly router: AcmeRouter,
    private readonly runtime: Runtime,
  ) {
    this.indexLink = `<${runtime.acme.linker.directory()}>;rel="index"`;
  }

  /** True for the requests this server answers. */
  handles(request: IncomingMessage): boolean {
    return request.url !== undefined && request.url.startsWith(PREFIX);
  }

  async serve(request: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const { noncePool, rateLimits, config, logger, acme } = this.runtime;
    const url = request.url as string;
    const method = request.method ?? 'GET';
    const queryAt = url.indexOf('?');
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    const reply = new AcmeReply().header('link', this.indexLink);
    let pattern = 'unmatched';
    try {
      if (method === 'POST' || path === '/acme/new-nonce') {
        reply.header('replay-nonce', await noncePool.take()).header('cache-control', 'no-store');
      }
      const ip = request.socket.remoteAddress ?? 'unknown';
      const wait = await rateLimits.take(`ip:${ip}`, config.rateLimitPerIp, config.rateLimitBurst, Date.now());
      if (wait > 0) throw Problems.rateLimited(`too many requests from ${ip}`, { retryAfter: wait });

      const matched = this.router.find(method, path);
      if (!matched) throw Problems.notFound('no such resource');
      pattern = matched.route.pattern;
      const body = method === 'POST' ? await readBody(request) : undefined;
      const result = await matched.route.handler({
        request,
        reply,
        params: matched.params,
        query: queryAt < 0 ? '' : url.slice(queryAt + 1),
        body,
        url: `${acme.linker.baseUrl}${url}`,
      });
      reply.send(res, result);
    } catch (error) {
      if (res.headersSent || res.destroyed) return;
      if (error instanceof BodyTooLarge) reply.header('connection', 'close');
      reply.sendProblem(res, renderProblem(error, logger));
    } finally {
      this.observe(pattern, method, res.statusCode, started);
    }
  }

  private observe(endpoint: string, method: string, status: number, started: number): void {
    // prom-client hashes the label set on every call; the few (route, method, status) triples are bound once.
    const key = `${endpoint} ${method} ${status}`;
    let series = this.series.get(key);
    if (!series) {
      const { acmeRequests, acmeRequestDuration } = this.runtime.metrics;
      const labels = { endpoint, method, status: String(status) };
      series = { count: acmeRequests.labels(labels), duration: acmeRequestDuration.labels(labels) };
      this.series.set(key, series);
    }
    series.count.inc();
    series.duration.observe((performance.now() - started) / 1000);
  }
}

class BodyTooLarge extends AcmeProblem {
  constructor() {
    super('malformed', `request body is larger than ${MAX_BODY_BYTES} bytes`, 413);
  }
}

/** The body as UTF-8 text, refused (413) beyond MAX_BODY_BYTES before or while it arrives. */
function readBody(request: IncomingMessage): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (declared > MAX_BODY_BYTES) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.off('data', onData);
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () =>
      resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    request.once('error', reject);
  });
}
