import { isIP } from 'node:net';
import { canonicalIp } from '../inventory/names';

/**
 * SAN policy for managed certificates. Rotor signs whatever a managed spec
 * names (no challenge proves control), so the names must at least be
 * well-formed and usable: RFC 1035/1123 host names, routable unicast IPs and
 * the two URI schemes workloads use (SPIFFE IDs and https URLs). Each check
 * returns a message for the operator, or undefined when the value is fine.
 */

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function dnsNameProblem(name: string, allowWildcards: boolean): string | undefined {
  if (name.length === 0) return 'empty DNS name';
  if (name.length > 253) return 'a DNS name is at most 253 characters';
  if (name.endsWith('.')) return `"${name}" ends with a dot; write it without the trailing dot`;
  let labels = name.split('.');
  if (labels[0] === '*') {
    if (!allowWildcards) return `wildcard "${name}" is not allowed by policy`;
    labels = labels.slice(1);
    if (labels.length < 2) return `wildcard "${name}" must cover a name with at least two labels`;
  }
  for (const label of labels) {
    if (!LABEL.test(label)) {
      return `"${name}" is not a valid DNS name: label "${label}" must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen`;
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1]) && labels.length > 1) {
    return `"${name}" looks like an IP address; list it under ips`;
  }
  return undefined;
}

export function ipProblem(text: string): string | undefined {
  const ip = canonicalIp(text);
  if (ip === undefined) return `"${text}" is not an IPv4 or IPv6 address`;
  if (isIP(ip) === 4) {
    const [a, b, c, d] = ip.split('.').map(Number);
    if (a === 0) return `${ip} is in 0.0.0.0/8 ("this network"), not a usable address`;
    if (a >= 224 && a <= 239) return `${ip} is a multicast address`;
    if (a >= 240)
      return a === 255 && b === 255 && c === 255 && d === 255
        ? `${ip} is the broadcast address`
        : `${ip} is in reserved 240.0.0.0/4`;
    return undefined;
  }
  if (ip === '::') return ':: is the unspecified address';
  if (ip.startsWith('ff')) return `${ip} is a multicast address`;
  if (ip.startsWith('::ffff:')) return `${ip} is IPv4-mapped; list the IPv4 address instead`;
  return undefined;
}

const SPIFFE_TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SPIFFE_SEGMENT = /^[A-Za-z0-9._-]+$/;

/** URI SANs: SPIFFE IDs (spiffe://trust-domain/path) and https URLs only. */
export function uriProblem(text: string): string | undefined {
  if (text.length > 2048) return 'a URI SAN is at most 2048 characters';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
  if (!scheme) return `"${text}" is not an absolute URI`;
  if (scheme === 'spiffe') return spiffeProblem(text);
  if (scheme !== 'https') return `scheme "${scheme}" is not allowed; use spiffe:// or https://`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a valid URL`;
  }
  if (!url.hostname) return `"${text}" has no host`;
  if (url.username || url.password) return `"${text}" must not carry credentials`;
  return undefined;
}

/** SPIFFE ID rules (SPIFFE-ID §2): lower-case trust domain, non-empty path segments, no query, fragment, port or user. */
function spiffeProblem(text: string): string | undefined {
  const match = /^spiffe:\/\/([^/?#]*)(\/[^?#]*)?$/.exec(text);
  if (!match) return `"${text}" is not a SPIFFE ID (spiffe://trust-domain/path, no query or fragment)`;
  const [, domain, path = ''] = match;
  if (!domain || !SPIFFE_TRUST_DOMAIN.test(domain)) {
    return `"${text}": the trust domain must be lower-case letters, digits, dots, hyphens or underscores`;
  }
  if (path === '' || path === '/')
    return `"${text}": a SPIFFE ID for a workload needs a path, e.g. spiffe://${domain}/service`;
  for (const segment of path.slice(1).split('/')) {
    if (!SPIFFE_SEGMENT.test(segment) || segment === '.' || segment === '..') {
      return `"${text}": path segments must be non-empty letters, digits, dots, hyphens or underscores (not . or ..)`;
    }
  }
  return undefined;
}
