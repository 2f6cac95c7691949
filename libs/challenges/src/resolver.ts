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

function failureOf(code: string | undefined): DnsFailure {
  return (code && FAILURES[code]) || 'ERROR';
}

function lookupError(code: string | undefined, name: string, type: DnsRecordType): DnsLookupError {
  const failure = failureOf(code);
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

/** One lookup's outcome: the records, or the c-ares error code (failures are data here, not exceptions). */
type Answer<T> = { records: T; code?: undefined } | { records?: undefined; code: string | undefined };

/**
 * The one way the validators look names up. It never falls back to
 * /etc/hosts: validation must see what the configured DNS says (RFC 8555
 * §8.3, §8.4 resolve through DNS). Nothing is cached here (node disables the
 * c-ares query cache), so a changed record is seen by the next validation.
 *
 * One node:dns Resolver (one c-ares channel) serves every lookup: creating a
 * channel per query cost more CPU than the query itself. c-ares still closes
 * its UDP socket once no query is outstanding, so sequential validations do
 * not share a source port. A timed-out query must not cancel() the channel
 * while other callers still wait on it, so the channel is only cancelled when
 * every query left on it has been given up on; otherwise c-ares' own
 * timeout/tries (set below) ends the abandoned query.
 */
export class NameResolver {
  private readonly channel: Resolver;
  private readonly timeoutMs: number;
  /** Queries on the channel whose caller is still waiting for them. */
  private waiting = 0;

  constructor(options: NameResolverOptions = {}) {
    this.timeoutMs = Math.max(1, options.timeoutMs ?? 10_000);
    // Two tries inside the budget; the timer in lookup() still bounds c-ares' backoff.
    this.channel = new Resolver({ timeout: Math.max(50, Math.floor(this.timeoutMs / 2)), tries: 2 });
    if (options.dnsResolver) this.channel.setServers([parseResolverAddress(options.dnsResolver)]);
  }

  /** A then AAAA addresses (IPv4 first); an IP literal is returned as-is without a lookup. */
  async resolveAddresses(name: string): Promise<string[]> {
    const host = unbracket(name);
    if (isIP(host)) return [host];
    // Both families are asked at once (RFC 8555 §8.3: the normal resolution, IPv6 included).
    const [a, aaaa] = await Promise.all([this.lookup(host, 'A'), this.lookup(host, 'AAAA')]);
    const v4 = a.records ?? [];
    const v6 = aaaa.records ?? [];
    if (v4.length + v6.length > 0) return v6.length === 0 ? v4 : v4.concat(v6);
    // No address: only now is the failure worth an error object. A real fault
    // (SERVFAIL, timeout) is reported before "no such name" before "no records".
    const failed = [
      { type: 'A' as const, answer: a },
      { type: 'AAAA' as const, answer: aaaa },
    ].filter(({ answer }) => answer.records === undefined);
    const serious = failed.find(({ answer }) => !['NXDOMAIN', 'NODATA'].includes(failureOf(answer.code)));
    const reported = serious ?? failed.find(({ answer }) => failureOf(answer.code) === 'NXDOMAIN');
    if (reported) throw lookupError(reported.answer.code, host, reported.type);
    throw new DnsLookupError('NODATA', host, 'A', `DNS problem: no valid A or AAAA records found for ${host}`);
  }

  /** TXT records, each as its character-string chunks (RFC 1035 §3.3.14). */
  async resolveTxt(name: string): Promise<string[][]> {
    const answer = await this.lookup(name, 'TXT');
    if (answer.records) return answer.records;
    throw lookupError(answer.code, name, 'TXT');
  }

  private lookup(name: string, type: 'A' | 'AAAA'): Promise<Answer<string[]>>;
  private lookup(name: string, type: 'TXT'): Promise<Answer<string[][]>>;
  private lookup(name: string, type: DnsRecordType): Promise<Answer<string[] | string[][]>> {
    const pending =
      type === 'TXT'
        ? this.channel.resolveTxt(name)
        : type === 'A'
          ? this.channel.resolve4(name)
          : this.channel.resolve6(name);
    this.waiting++;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (answer: Answer<string[] | string[][]>): void => {
        if (settled) return;
        settled = true;
        this.waiting--;
        clearTimeout(timer);
        resolve(answer);
      };
      const timer = setTimeout(() => {
        settle({ code: 'ETIMEOUT' });
        // Safe only when no other caller waits on the channel: cancel() aborts every query on it.
        if (this.waiting === 0) this.channel.cancel();
      }, this.timeoutMs);
      pending.then(
        (records) => settle({ records }),
        (err: NodeJS.ErrnoException) => settle({ code: err?.code }),
      );
    });
  }
}
