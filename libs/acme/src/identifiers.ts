import { isIP } from 'node:net';
import { AcmeProblem, Identifier, Problems, combineProblems } from './problem';

/** Policy on which names Rotor will issue for (config-driven). */
export interface IdentifierPolicy {
  /** When non-empty, DNS names must equal or end with one of these suffixes. */
  allowedDnsSuffixes: string[];
  maxIdentifiers: number;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** RFC 5952 canonical text form for IPv6; dotted quad for IPv4. */
export function canonicalIp(value: string): string | undefined {
  // Zone ids ("fe80::1%eth0") name an interface, not an address a certificate can hold.
  if (value.includes('%')) return undefined;
  const version = isIP(value);
  if (version === 4) return value.split('.').map(Number).join('.');
  if (version !== 6) return undefined;
  // URL's host parser emits the RFC 5952 canonical, lower-case form.
  return new URL(`http://[${value}]/`).hostname.slice(1, -1);
}

function dnsProblem(value: string): string | undefined {
  if (value.length > 253) return 'name is longer than 253 characters';
  const name = value.startsWith('*.') ? value.slice(2) : value;
  if (name.includes('*')) return 'wildcards are only allowed as the whole leftmost label ("*.")';
  const labels = name.split('.');
  if (labels.some((l) => !LABEL.test(l)))
    return 'name has an empty or invalid label (letters, digits and hyphens only)';
  if (/^\d+$/.test(labels[labels.length - 1])) return 'the top-level label may not be all-numeric';
  if (isIP(name)) return 'IP addresses must use the "ip" identifier type (RFC 8738)';
  return undefined;
}

/**
 * Validates and normalises the identifiers of a newOrder request
 * (RFC 8555 §7.4, RFC 8738). Returns a deduplicated, lower-cased list or
 * throws one problem with a subproblem per bad identifier (§6.7.1).
 */
export function normaliseIdentifiers(input: unknown, policy: IdentifierPolicy): Identifier[] {
  if (!Array.isArray(input) || input.length === 0) {
    throw Problems.malformed('"identifiers" must be a non-empty array');
  }
  if (input.length > policy.maxIdentifiers) {
    throw Problems.rejectedIdentifier(`an order may name at most ${policy.maxIdentifiers} identifiers`);
  }
  const problems: AcmeProblem[] = [];
  const seen = new Map<string, Identifier>();
  for (const raw of input) {
    if (typeof raw !== 'object' || raw === null || typeof raw.type !== 'string' || typeof raw.value !== 'string') {
      throw Problems.malformed('each identifier must be an object with string "type" and "value"');
    }
    const { type, value } = raw as { type: string; value: string };
    const identifier = { type, value } as Identifier;
    if (type === 'dns') {
      const name = value.toLowerCase().replace(/\.$/, '');
      const why = dnsProblem(name);
      if (why) {
        problems.push(Problems.rejectedIdentifier(`"${value.slice(0, 260)}": ${why}`, { identifier }));
        continue;
      }
      const base = name.startsWith('*.') ? name.slice(2) : name;
      const allowed =
        policy.allowedDnsSuffixes.length === 0 ||
        policy.allowedDnsSuffixes.some((s) => base === s || base.endsWith(`.${s}`));
      if (!allowed) {
        problems.push(Problems.rejectedIdentifier(`"${name}" is outside the names this CA issues for`, { identifier }));
        continue;
      }
      seen.set(`dns:${name}`, { type: 'dns', value: name });
    } else if (type === 'ip') {
      const ip = canonicalIp(value);
      if (!ip) {
        problems.push(Problems.rejectedIdentifier(`"${value.slice(0, 64)}" is not an IP address`, { identifier }));
        continue;
      }
      seen.set(`ip:${ip}`, { type: 'ip', value: ip });
    } else {
      problems.push(
        Problems.unsupportedIdentifier(`identifier type "${type.slice(0, 32)}" is not supported`, { identifier }),
      );
    }
  }
  if (problems.length) throw combineProblems(problems, 'the order names identifiers this CA will not issue for');
  return [...seen.values()].sort(compareIdentifiers);
}

export function compareIdentifiers(a: Identifier, b: Identifier): number {
  return a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type);
}

export function isWildcard(identifier: Identifier): boolean {
  return identifier.type === 'dns' && identifier.value.startsWith('*.');
}

/** The name an authorization is for: wildcards drop "*." (RFC 8555 §7.1.4). */
export function authorizationIdentifier(identifier: Identifier): Identifier {
  return isWildcard(identifier) ? { type: 'dns', value: identifier.value.slice(2) } : identifier;
}
