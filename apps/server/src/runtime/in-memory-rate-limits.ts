import type { RateLimitRepository } from '@rotor/acme';

const MAX_BUCKETS = 100_000;

/**
 * Token buckets in this process, for the single-node shape (SQLite): with one
 * process there is nothing to share, and a database write per request would be
 * pure overhead. With a shared database (scale-out) the SQL buckets are used so
 * every replica sees the same limits.
 */
export class InMemoryRateLimits implements RateLimitRepository {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();

  async take(key: string, ratePerSecond: number, burst: number, now: number, count = 1): Promise<number> {
    const bucket = this.buckets.get(key) ?? { tokens: burst, updatedAt: now };
    const tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) * ratePerSecond) / 1000);
    if (tokens < count) return Math.max(1, Math.ceil((count - tokens) / ratePerSecond));
    // Delete + set keeps Map order = recency, so the oldest bucket is evicted first.
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: tokens - count, updatedAt: now });
    if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string);
    return 0;
  }
}
