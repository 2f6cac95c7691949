import { isIP } from 'node:net';

/** Strips the brackets a URL puts around an IPv6 literal ("[::1]" → "::1"). */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Host as it appears in a URL or a Host header: IPv6 literals in brackets (RFC 3986 §3.2.2). */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Network-order bytes of an IPv4 or IPv6 literal, or undefined if it is not one. */
export function ipToBytes(ip: string): Buffer | undefined {
  const value = unbracket(ip);
  const version = isIP(value);
  if (version === 4) return Buffer.from(value.split('.').map(Number));
  if (version !== 6) return undefined;
  let text = value.replace(/%.*$/, '');
  // An embedded IPv4 tail ("::ffff:1.2.3.4") becomes two hex groups.
  const v4Tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4Tail) {
    const b = v4Tail[2].split('.').map(Number);
    text = `${v4Tail[1]}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  let groups: string[];
  if (text.includes('::')) {
    const [head, tail] = text.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  } else {
    groups = text.split(':');
  }
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
  return bytes;
}

/**
 * RFC 8738 §6: for an IP identifier, tls-alpn-01 sends as SNI the reverse
 * mapping name of the address: in-addr.arpa (RFC 1035 §3.5) for IPv4,
 * nibble-reversed ip6.arpa (RFC 3596 §2.5) for IPv6.
 */
export function reverseDnsName(ip: string): string {
  const bytes = ipToBytes(ip);
  if (!bytes) throw new TypeError(`not an IP address: ${ip}`);
  if (bytes.length === 4) return `${[...bytes].reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (const byte of bytes) nibbles.push((byte >> 4).toString(16), (byte & 0xf).toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}
