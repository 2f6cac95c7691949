import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ValidationFailure } from './problem';
import { unbracket } from './ip';

export interface NameResolverOptions {
  /** "host:port" of the DNS server for every lookup ("[::1]:53" for IPv6); undefined = the system's servers. */
  dnsResolver?: string;
  /** Upper bound for one lookup, in ms (default 10000). */
  timeoutMs?: number;
}

export type DnsRecordType = 'A' | 'AAAA' | 'TXT';

/** Why a lookup failed, in DNS terms; dns-01 treats NXDOMAIN/NODATA as "no record" rather than a DNS fault. */
export type DnsFailure = 'NXDOMAIN' | 'NODATA' | 'SERVFAIL' | 'REFUSED' | 'TIMEOUT' | 'ERROR';

export class DnsLookupError extends ValidationFailure {
  constructor(
    readonly failure: DnsFailure,
    readonly lookupName: string,
    readonly recordType: DnsRecordType,
    detail: string,
  ) {
    super('dns', detail);
    this.name = 'DnsLookupError';
  }
}

/**
 * Parses "host:port" into the form Resolver#setServers takes. Only IP
 * literals: a resolver named by hostname would need a resolver to find it.
 */
export function parseResolverAddress(value: string): string {
  const text = value.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host: string;
  let port = '53';
  if (bracketed) {
    host = bracketed[1];
    port = bracketed[2] ?? port;
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const [h, p, ...extra] = text.split(':');
    host = extra.length > 0 ? '' : h;
    port = p ?? port;
  }
  const portNumber = Number(port);
  if (!isIP(host) || !/^\d+$/.test(port) || portNumber < 1 || portNumber > 65535) {
    throw new TypeError(
      `dnsResolver must be "ip:port" (e.g. 127.0.0.1:8053 or [::1]:53), got ${JSON.stringify(value)}`,
    );
  }
  return isIP(host) === 6 ? `[${host}]:${portNumber}` : `${host}:${portNumber}`;
}

const FAILURES: Record<string, DnsFailure> = {
  ENOTFOUND: 'NXDOMAIN',
  ENODATA: 'NODATA',
  ESERVFAIL: 'SERVFAIL',
  EREFUSED: 'REFUSED',
  ETIMEOUT: 'TIMEOUT',
  ECANCELLED: 'TIMEOUT',
};

function lookupError(code: string | undefined, name: string, type: DnsRecordType): DnsLookupError {
  const failure = (code && FAILURES[code]) || 'ERROR';
  const what = `looking up ${type} for ${name}`;
  const detail: Record<DnsFailure, string> = {
    NXDOMAIN: `DNS problem: NXDOMAIN ${what} - check that a DNS record exists for this domain`,
    NODATA: `DNS problem: no ${type} records found for ${name}`,
    SERVFAIL: `DNS problem: SERVFAIL ${what} - the domain's nameservers may be malfunctioning`,
    REFUSED: `DNS problem: REFUSED ${what} - the nameserver refused the query`,
    TIMEOUT: `DNS problem: query timed out ${what}`,
    ERROR: `DNS problem: ${code ?? 'lookup failed'} ${what}`,
  };
  return new DnsLookupError(failure, name, type, detail[failure]);
}

/**
 * The one way the validators look names up. A fresh node:dns Resolver per
 * query keeps a timeout's cancel() from aborting other validations' queries,
 * and it never falls back to /etc/hosts: validation must see what the
 * configured DNS says (RFC 8555 §8.3, §8.4 resolve through DNS).
 */
export class NameResolver {
  private readonly servers?: string[];
  private readonly timeoutMs: number;

  constructor(options: NameResolverOptions = {}) {
    this.servers = options.dnsResolver ? [parseResolverAddress(options.dnsResolver)] : undefined;
    this.timeoutMs = Math.max(1, options.timeoutMs ?? 10_000);
  }

  /** A then AAAA addresses (IPv4 first); an IP literal is returned as-is without a lookup. */
  async resolveAddresses(name: string): Promise<string[]> {
    const host = unbracket(name);
    if (isIP(host)) return [host];
    const [a, aaaa] = await Promise.allSettled([this.query(host, 'A'), this.query(host, 'AAAA')]);
    const addresses = [a, aaaa].flatMap((r) => (r.status === 'fulfilled' ? (r.value as string[]) : []));
    if (addresses.length > 0) return addresses;
    const errors = [a, aaaa].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    const lookups = errors.filter((e): e is DnsLookupError => e instanceof DnsLookupError);
    if (lookups.length < errors.length) throw errors.find((e) => !(e instanceof DnsLookupError));
    // Report a real fault (SERVFAIL, timeout) before "no such name" before "no records".
    const serious = lookups.find((e) => e.failure !== 'NXDOMAIN' && e.failure !== 'NODATA');
    const nxdomain = lookups.find((e) => e.failure === 'NXDOMAIN');
    if (serious ?? nxdomain) throw serious ?? nxdomain;
    throw new DnsLookupError('NODATA', host, 'A', `DNS problem: no valid A or AAAA records found for ${host}`);
  }

  /** TXT records, each as its character-string chunks (RFC 1035 §3.3.14). */
  async resolveTxt(name: string): Promise<string[][]> {
    return (await this.query(name, 'TXT')) as string[][];
  }

  private async query(name: string, type: DnsRecordType): Promise<string[] | string[][]> {
    // Two tries inside the budget; the timer below still bounds c-ares' backoff.
    const resolver = new Resolver({ timeout: Math.max(50, Math.floor(this.timeoutMs / 2)), tries: 2 });
    if (this.servers) resolver.setServers(this.servers);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        resolver.cancel();
        reject(lookupError('ETIMEOUT', name, type));
      }, this.timeoutMs);
    });
    const lookup =
      type === 'TXT' ? resolver.resolveTxt(name) : type === 'A' ? resolver.resolve4(name) : resolver.resolve6(name);
    try {
      return await Promise.race([lookup, timeout]);
    } catch (err) {
      if (err instanceof DnsLookupError) throw err;
      throw lookupError((err as NodeJS.ErrnoException).code, name, type);
    } finally {
      clearTimeout(timer);
      lookup.catch(() => undefined);
    }
  }
}
