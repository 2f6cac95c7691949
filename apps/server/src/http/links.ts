import type { FastifyReply } from 'fastify';

/** Appends a Link header value, keeping the rel="index" link every ACME response has (RFC 8555 §7.1). */
export function addLink(reply: FastifyReply, url: string, rel: string): void {
  const existing = reply.getHeader('Link');
  const values = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header('Link', [...values, `<${url}>;rel="${rel}"`]);
}
