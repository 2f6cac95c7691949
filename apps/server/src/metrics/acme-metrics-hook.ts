import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime/runtime';

/**
 * Counts ACME requests and their latency by route pattern (e.g.
 * /acme/order/:id), method and status. The pattern, never the raw URL, keeps
 * the label set bounded; requests that match no route share one label.
 */
export function installAcmeMetricsHook(fastify: FastifyInstance, runtime: Runtime): void {
  const { acmeRequests, acmeRequestDuration } = runtime.metrics;
  fastify.addHook('onResponse', async (request, reply) => {
    if (!request.url.startsWith('/acme/')) return;
    const route = request.routeOptions.url;
    const labels = {
      endpoint: route && route.startsWith('/acme/') ? route : 'unmatched',
      method: request.method,
      status: String(reply.statusCode),
    };
    acmeRequests.inc(labels);
    acmeRequestDuration.observe(labels, reply.elapsedTime / 1000);
  });
}
