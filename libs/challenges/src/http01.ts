import * as http from 'node:http';
import * as https from 'node:https';
import { connect, isIP, type Socket } from 'node:net';
import type { ValidationRecord, ValidationRequest, ValidationResult } from './contracts';
import { unbracket, urlHost } from './ip';
import { ValidationFailure, asResult, describeError, describeTlsError, quote } from './problem';
import type { NameResolver } from './resolver';

export interface Http01Context {
  resolver: NameResolver;
  http01Port: number;
  /** Also an allowed redirect target port, for https redirects in tests and odd deployments. */
  tlsAlpn01Port: number;
  /** Epoch ms after which the attempt is abandoned. */
  deadline: number;
}

/** Boulder and Pebble both stop after 10 redirects; RFC 8555 §8.3 only says "SHOULD follow redirects". */
export const MAX_REDIRECTS = 10;
/** A key authorization is ~87 bytes; anything near 64 KiB is not an answer. */
export const MAX_BODY_BYTES = 64 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = 'Rotor-ACME-VA (+RFC 8555 section 8.3)';

interface FetchResult {
  status: number;
  location?: string;
  body: Buffer;
  oversized: boolean;
}

/**
 * RFC 8555 §8.3 http-01: GET http://<identifier>:<port>/.well-known/acme-challenge/<token>
 * and compare the body with the key authorization. RFC 8738 §5: for an IP
 * identifier the URL host and Host header are the address itself.
 */
export async function validateHttp01(request: ValidationRequest, ctx: Http01Context): Promise<ValidationResult> {
  const records: ValidationRecord[] = [];
  return asResult(records, async () => {
    const host = urlHost(request.identifier.value.toLowerCase());
    let url = new URL(`http://${host}:${ctx.http01Port}/.well-known/acme-challenge/${request.token}`);
    let hostHeader = host;
    for (let redirects = 0; ; redirects++) {
      const response = await fetchFromAnyAddress(url, hostHeader, ctx, records);
      if (REDIRECT_STATUSES.has(response.status)) {
        if (redirects >= MAX_REDIRECTS) {
          throw new ValidationFailure(
            'connection',
            `Too many redirects (more than ${MAX_REDIRECTS}) following ${url.href}`,
          );
        }
        url = redirectTarget(response.location, url, ctx);
        hostHeader = url.host;
        continue;
      }
      if (response.status !== 200) {
        throw new ValidationFailure('unauthorized', `Invalid response from ${url.href}: HTTP ${response.status}`);
      }
      if (response.oversized) {
        throw new ValidationFailure(
          'unauthorized',
          `Invalid response from ${url.href}: the body is larger than ${MAX_BODY_BYTES} bytes`,
        );
      }
      // RFC 8555 §8.3: the server SHOULD ignore whitespace at the end of the body.
      const body = response.body.toString('utf8').trim();
      if (body !== request.keyAuthorization) {
        throw new ValidationFailure(
          'incorrectResponse',
          'The key authorization file from the server did not match this challenge. ' +
            `Expected ${quote(request.keyAuthorization)} (got ${quote(body)})`,
        );
      }
      return;
    }
  });
}

function effectivePort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** Redirects may only lead to http/https on 80, 443 or the configured validation ports (as Boulder). */
function redirectTarget(location: string | undefined, from: URL, ctx: Http01Context): URL {
  if (!location) throw new ValidationFailure('connection', `Redirect from ${from.href} has no Location header`);
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new ValidationFailure('connection', `Invalid redirect Location ${quote(location)} from ${from.href}`);
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new ValidationFailure(
      'connection',
      `Invalid protocol scheme in redirect target ${quote(next.href)}: only "http" and "https" are supported`,
    );
  }
  const allowed = new Set([80, 443, ctx.http01Port, ctx.tlsAlpn01Port]);
  const port = effectivePort(next);
  if (!allowed.has(port)) {
    throw new ValidationFailure(
      'connection',
      `Invalid port in redirect target ${quote(next.href)}: only ports ${[...allowed].join(', ')} are allowed`,
    );
  }
  next.hash = '';
  return next;
}

/** Resolves the URL's host and tries each address in order (IPv4 first) until one connects. */
async function fetchFromAnyAddress(
  url: URL,
  hostHeader: string,
  ctx: Http01Context,
  records: ValidationRecord[],
): Promise<FetchResult> {
  const hostname = unbracket(url.hostname);
  const port = effectivePort(url);
  const record: ValidationRecord = { url: url.href, hostname, port };
  records.push(record);
  const addresses = await ctx.resolver.resolveAddresses(hostname);
  record.addressesResolved = addresses;
  for (let i = 0; ; i++) {
    record.addressUsed = addresses[i];
    try {
      return await fetchOnce(url, addresses[i], port, hostHeader, ctx.deadline);
    } catch (err) {
      const last = i === addresses.length - 1;
      if (!(err instanceof ValidationFailure && err.tryNextAddress) || last) throw err;
    }
  }
}

function fetchOnce(
  url: URL,
  address: string,
  port: number,
  hostHeader: string,
  deadline: number,
): Promise<FetchResult> {
  const secure = url.protocol === 'https:';
  const where = `${urlHost(address)}:${port}`;
  return new Promise<FetchResult>((resolve, reject) => {
    let phase: 'connect' | 'handshake' | 'response' = 'connect';
    let settled = false;
    const finish = (result: FetchResult | ValidationFailure): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (result instanceof ValidationFailure) reject(result);
      else resolve(result);
    };
    const options: https.RequestOptions = {
      host: address,
      port,
      method: 'GET',
      path: `${url.pathname}${url.search}`,
      headers: { Host: hostHeader, 'User-Agent': USER_AGENT, Accept: '*/*', Connection: 'close' },
    };
    if (secure) {
      // Keep-alive off: one connection per attempt, nothing pooled across validations.
      options.agent = false;
      // Certificates are not checked on an https redirect target: control is proven by the body, not by PKI.
      options.rejectUnauthorized = false;
      const name = unbracket(url.hostname);
      if (!isIP(name)) options.servername = name;
    } else {
      // No agent at all: the request opens its own socket, which never enters a pool
      // (one fresh connection per attempt), without building a throwaway Agent each time.
      options.createConnection = openSocket;
    }
    const req = (secure ? https : http).request(options, (res) => {
      phase = 'response';
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        finish({ status, location: res.headers.location, body: Buffer.alloc(0), oversized: false });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          finish({ status, body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES), oversized: true });
        }
      });
      res.on('end', () => finish({ status, body: Buffer.concat(chunks), oversized: false }));
      res.on('error', (err) => finish(transportFailure(err, phase, where, url)));
    });
    req.on('socket', (socket) => {
      socket.once('connect', () => {
        if (phase === 'connect') phase = secure ? 'handshake' : 'response';
      });
      socket.once('secureConnect', () => {
        if (phase === 'handshake') phase = 'response';
      });
    });
    req.on('error', (err) => finish(transportFailure(err, phase, where, url)));
    const remaining = deadline - Date.now();
    const timer = setTimeout(
      () => {
        const detail =
          phase === 'connect'
            ? `Timeout during connect to ${where} for ${url.href} (likely firewall problem)`
            : `Timeout after connect to ${where} for ${url.href} (your server may be slow or overloaded)`;
        finish(new ValidationFailure('connection', detail));
      },
      Math.max(0, remaining),
    );
    req.end();
  });
}

function openSocket(options: http.ClientRequestArgs): Socket {
  return connect({ host: options.host ?? undefined, port: Number(options.port) });
}

function transportFailure(err: Error, phase: string, where: string, url: URL): ValidationFailure {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const target = `${where} for ${url.href}`;
  if (phase === 'connect') {
    const refused = code === 'ECONNREFUSED';
    const unreachable = code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL';
    const why = refused
      ? 'Connection refused'
      : unreachable
        ? 'Host unreachable'
        : `Error connecting (${describeError(err)})`;
    return new ValidationFailure('connection', `${why} connecting to ${target}`, refused || unreachable);
  }
  if (phase === 'handshake') {
    return new ValidationFailure('tls', `TLS handshake with ${target} failed: ${describeTlsError(err)}`);
  }
  if (code === 'ECONNRESET') return new ValidationFailure('connection', `Connection reset by peer at ${target}`);
  if (code.startsWith('HPE_')) return new ValidationFailure('connection', `Invalid HTTP response from ${target}`);
  return new ValidationFailure('connection', `Error fetching ${target}: ${describeError(err)}`);
}
