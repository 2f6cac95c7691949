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
