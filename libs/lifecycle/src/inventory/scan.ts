import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { InventoryInputError } from './errors';

/** A TLS endpoint to look at. */
export interface ScanTarget {
  host: string;
  port: number;
}

/** Why an endpoint yielded no certificate; the scan reports it and goes on with the others. */
export class ScanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScanError';
  }
}

const HOST = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

/** "host:port", "[v6]:port", or a bare host (port 443). */
export function parseEndpoint(text: string): ScanTarget {
  const value = text.trim();
  const bad = () => new InventoryInputError('malformed', `"${value.slice(0, 100)}" is not host:port`);
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s/]+))(?::(\d{1,5}))?$/.exec(value);
  if (!match) throw bad();
  const host = match[1] ?? match[2];
  const port = match[3] === undefined ? 443 : Number(match[3]);
  if (port < 1 || port > 65535) throw bad();
  if (match[1] !== undefined ? isIP(host) !== 6 : !(isIP(host) === 4 || HOST.test(host))) throw bad();
  return { host: host.toLowerCase(), port };
}

/** The canonical "host:port" form stored in a record's endpoints. */
export function endpointKey(target: ScanTarget): string {
  return isIP(target.host) === 6 ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

export interface FetchOptions {
  timeoutMs: number;
  /** SNI to send; default the host unless it is an IP address (RFC 6066 §3 forbids literal IPs in SNI). */
  servername?: string;
}

/** At most this many certificates are followed up a served chain. */
const MAX_CHAIN = 10;

/**
 * Connects, completes the TLS handshake and returns the chain the server
 * sent, leaf first. Trust is not checked: an inventory must also see
 * certificates that are expired, self-signed or from unknown CAs.
 */
export function fetchServedChain(target: ScanTarget, options: FetchOptions): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const servername = options.servername ?? (isIP(target.host) ? undefined : target.host);
    let settled = false;
    const finish = (error: Error | undefined, chain?: Uint8Array[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(chain ?? []);
    };
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      servername,
      rejectUnauthorized: false,
    });
    const timer = setTimeout(
      () => finish(new ScanError(`no TLS handshake within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    socket.once('secureConnect', () => {
      const chain = servedChain(socket.getPeerCertificate(true));
      finish(chain.length ? undefined : new ScanError('the server sent no certificate'), chain);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => finish(new ScanError(describe(error))));
    socket.once('close', () => finish(new ScanError('the connection closed before the TLS handshake completed')));
  });
}

function servedChain(peer: tls.DetailedPeerCertificate): Uint8Array[] {
  const chain: Uint8Array[] = [];
  const seen = new Set<tls.DetailedPeerCertificate>();
  for (let cert = peer; cert?.raw && !seen.has(cert) && chain.length < MAX_CHAIN; cert = cert.issuerCertificate) {
    seen.add(cert);
    chain.push(new Uint8Array(cert.raw));
  }
  return chain;
}

function describe(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ECONNRESET':
      return 'connection reset during the TLS handshake';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      // OpenSSL's reason (e.g. "wrong version number" when the port speaks plain HTTP) is useful and public.
      return `TLS handshake failed: ${error.message.slice(0, 200)}`;
  }
}
