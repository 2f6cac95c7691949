/** A response whose headers can be read and set (a Fastify reply, or the ACME reply). */
export interface HeaderTarget {
  getHeader(name: string): unknown;
  header(name: string, value: string | string[]): unknown;
}

/** Appends a Link header value, keeping the rel="index" link every ACME response has (RFC 8555 §7.1). */
export function addLink(reply: HeaderTarget, url: string, rel: string): void {
  const existing = reply.getHeader('link');
  const values = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header('link', [...values, `<${url}>;rel="${rel}"`]);
}
