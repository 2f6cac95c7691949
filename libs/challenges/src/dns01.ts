import { isIP } from 'node:net';
import type { ValidationRecord, ValidationRequest, ValidationResult } from './contracts';
import { keyAuthorizationDigest } from './key-authorization';
import { ValidationFailure, asResult, quote } from './problem';
import { DnsLookupError, type NameResolver } from './resolver';

export interface Dns01Context {
  resolver: NameResolver;
}

/**
 * RFC 8555 §8.4 dns-01: one of the TXT records at _acme-challenge.<name>
 * must equal base64url(SHA-256(keyAuthorization)). Wildcard identifiers
 * arrive as their base name (RFC 8555 §7.1.3); a stray "*." is dropped.
 */
export async function validateDns01(request: ValidationRequest, ctx: Dns01Context): Promise<ValidationResult> {
  const records: ValidationRecord[] = [];
  return asResult(records, async () => {
    const base = request.identifier.value.toLowerCase().replace(/^\*\./, '').replace(/\.$/, '');
    if (request.identifier.type !== 'dns' || isIP(base)) {
      // RFC 8738 §7: dns-01 MUST NOT be used to validate IP identifiers.
      throw new ValidationFailure('malformed', 'dns-01 cannot validate IP identifiers (RFC 8738 section 7)');
    }
    const name = `_acme-challenge.${base}`;
    records.push({ hostname: name });
    let txt: string[][];
    try {
      txt = await ctx.resolver.resolveTxt(name);
    } catch (err) {
      // No such name / no TXT at it is the client's missing answer, not a DNS fault.
      if (err instanceof DnsLookupError && (err.failure === 'NXDOMAIN' || err.failure === 'NODATA')) {
        throw new ValidationFailure('unauthorized', `No TXT record found at ${name}`);
      }
      throw err;
    }
    // A TXT record longer than 255 octets arrives as several character-strings; they form one value.
    const values = txt.map((chunks) => chunks.join(''));
    const expected = keyAuthorizationDigest(request.keyAuthorization);
    if (values.includes(expected)) return;
    if (values.length === 0) throw new ValidationFailure('unauthorized', `No TXT record found at ${name}`);
    const more = values.length > 1 ? ` (and ${values.length - 1} more)` : '';
    throw new ValidationFailure(
      'unauthorized',
      `Incorrect TXT record ${quote(values[0], 100)}${more} found at ${name}`,
    );
  });
}
