import { isIPv4, isIPv6 } from 'node:net';
import type { SubjectAltNames } from './model';

/**
 * A canonical key for a SAN set: two certificates with the same key name
 * exactly the same things, whatever the order in their extensions.
 */
export function sanKey(sans: SubjectAltNames): string {
  return [
    ...sans.dns.map((d) => `dns:${d.toLowerCase()}`),
    ...sans.ip.map((ip) => `ip:${ip}`),
    ...sans.uri.map((u) => `uri:${u}`),
  ]
    .sort()
    .filter((v, i, all) => v !== all[i - 1])
    .join(',');
}

/** IPv4 dotted decimal or IPv6 in RFC 5952 §4 canonical text; undefined when `text` is not an IP address. */
export function canonicalIp(text: string): string | undefined {
  const value = text.trim();
  if (isIPv4(value)) return value;
  if (!isIPv6(value) || value.includes('%')) return undefined;
  // The WHATWG URL host serializer writes IPv6 exactly as RFC 5952 §4 asks (lower case, longest zero run compressed).
  return new URL(`http://[${value}]/`).hostname.slice(1, -1);
}

/** Longer names are kept in the record but not indexed for exact lookup (index entries have a size limit). */
export const MAX_INDEXED_NAME = 1024;

/** The rows of inventory_names for a SAN set: what `san` filters match exactly. */
export function indexedNames(sans: SubjectAltNames): string[] {
  const names = [...sans.dns.map((d) => d.toLowerCase()), ...sans.ip, ...sans.uri];
  return [...new Set(names)].filter((n) => n.length > 0 && n.length <= MAX_INDEXED_NAME);
}

/** Normalises a `san` filter the way names are indexed: IPs canonical, URIs verbatim, DNS names lower-case. */
export function normalizeSanFilter(text: string): string {
  const value = text.trim();
  const ip = canonicalIp(value);
  if (ip) return ip;
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) return value;
  return value.toLowerCase();
}
