import { isIPv4, isIPv6 } from 'node:net';
import { PkiError, SubjectNames } from './contracts';

/**
 * Name normalisation shared by CSR parsing and issuance, so that the names a
 * CSR carries and the names the caller authorised compare as plain strings.
 */

/** IPv4 dotted decimal, or IPv6 in RFC 5952 §4 canonical text; undefined if not an IP. */
export function normalizeIp(text: string): string | undefined {
  const value = text.trim();
  if (isIPv4(value)) {
    return value
      .split('.')
      .map((p) => String(Number(p)))
      .join('.');
  }
  if (!isIPv6(value) || value.includes('%')) {
    return undefined; // zone identifiers have no meaning in a certificate
  }
  return formatIpv6(parseIpv6(value));
}

/** Canonical text for raw iPAddress octets (RFC 5280 §4.2.1.6: 4 or 16 octets). */
export function ipFromOctets(octets: Uint8Array): string | undefined {
  if (octets.length === 4) return Array.from(octets).join('.');
  if (octets.length === 16) {
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((octets[i] << 8) | octets[i + 1]);
    return formatIpv6(groups);
  }
  return undefined;
}

/** The 4 or 16 octets of an address in the text normalizeIp produces (RFC 5280 §4.2.1.6 iPAddress). */
export function ipToOctets(canonical: string): Uint8Array {
  if (isIPv4(canonical)) return Uint8Array.from(canonical.split('.').map(Number));
  const out = new Uint8Array(16);
  parseIpv6(canonical).forEach((group, i) => {
    out[2 * i] = group >> 8;
    out[2 * i + 1] = group & 0xff;
  });
  return out;
}

function parseIpv6(value: string): number[] {
  let text = value.toLowerCase();
  // An embedded IPv4 suffix (RFC 4291 §2.2 form 3) becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const b = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [left, right] = text.includes('::') ? text.split('::') : [text, undefined];
  const l = left ? left.split(':') : [];
  const r = right ? right.split(':') : [];
  const fill = right !== undefined ? Array<string>(8 - l.length - r.length).fill('0') : [];
  return [...l, ...fill, ...r].map((g) => parseInt(g, 16));
}

/** RFC 5952 §4.2: compress the longest run (first on tie) of two or more zero groups; lower case. */
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Lower-cases and checks LDH syntax (a leading `*.` wildcard label is allowed). */
export function normalizeDnsName(name: string): string | undefined {
  const value = name.trim().toLowerCase();
  if (value.length === 0 || value.length > 253) return undefined;
  const labels = value.split('.');
  const body = labels[0] === '*' ? labels.slice(1) : labels;
  if (body.length === 0 || !body.every((l) => LABEL.test(l))) return undefined;
  return value;
}

/**
 * Validates and canonicalises the names to be certified; throws badCSR on
 * anything that cannot be encoded faithfully in a subjectAltName.
 */
export function canonicalNames(names: SubjectNames): SubjectNames {
  const dns = names.dns.map((n) => {
    const v = normalizeDnsName(n);
    if (!v) throw new PkiError('badCSR', `"${n}" is not a valid DNS name`);
    return v;
  });
  const ip = names.ip.map((n) => {
    const v = normalizeIp(n);
    if (!v) throw new PkiError('badCSR', `"${n}" is not a valid IP address`);
    return v;
  });
  const uri = names.uri.map((n) => {
    if (!URL.canParse(n)) throw new PkiError('badCSR', `"${n}" is not a valid URI`);
    return n;
  });
  return { dns: unique(dns), ip: unique(ip), uri: unique(uri) };
}

export function unique(values: string[]): string[] {
  return [...new Set(values)];
}
