import type { RateLimitRepository } from '@rotor/acme';

/** A replica holds at most this share of a bucket's burst at a time… */
const LEASE_SHARE = 16;
/** …and never more than this many tokens. */
const MAX_LEASE = 64;
/** Leased tokens not used within this time are dropped (they were taken from the shared bucket). */
export const LEASE_MS = 1000;
const MAX_LEASES = 100_000;

interface Lease {
  tokens: number;
  expires: number;
}

/**
 * Token buckets shared by every replica through the database, taken in small
 * leases: a replica takes up to burst/16 tokens (at most 64) in one statement
 * and hands them out locally for up to a second, instead of one database
 * write per request for the per-IP and per-account limits (RFC 8555 §6.6).
 *
 * The shared bucket is still the only source of tokens, so the replicas
 * together never exceed the configured rate and burst. The price is the
 * other way: tokens a replica leased but did not use within LEASE_MS are
 * lost, so a client may be limited slightly early (by at most one lease per
 * replica). Near exhaustion (a lease's worth not available) each request
 * takes exactly one token, as without leases; with a burst below 32 leases
 * are a single token and nothing changes.
 */
export class LeasedRateLimits implements RateLimitRepository {
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly shared: RateLimitRepository) {}

  async take(key: string, ratePerSecond: number, burst: number, now: number): Promise<number> {
    const lease = this.leases.get(key);
    if (lease && lease.expires > now && lease.tokens >= 1) {
      lease.tokens -= 1;
      return 0;
    }
    const size = Math.min(MAX_LEASE, Math.floor(burst / LEASE_SHARE));
    if (size > 1 && (await this.shared.take(key, ratePerSecond, burst, now, size)) === 0) {
      this.leases.delete(key); // re-inserted last: Map order is recency, the oldest lease is evicted first
      this.leases.set(key, { tokens: size - 1, expires: now + LEASE_MS });
      if (this.leases.size > MAX_LEASES) this.leases.delete(this.leases.keys().next().value as string);
      return 0;
    }
    return this.shared.take(key, ratePerSecond, burst, now, 1);
  }
}
