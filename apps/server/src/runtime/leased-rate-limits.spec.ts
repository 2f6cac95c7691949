import { InMemoryRateLimits } from './in-memory-rate-limits';
import { LEASE_MS, LeasedRateLimits } from './leased-rate-limits';

/** The shared bucket (the database in production), counting the statements a replica sends it. */
class CountingBuckets extends InMemoryRateLimits {
  calls: number[] = [];
  override take(key: string, rate: number, burst: number, now: number, count = 1): Promise<number> {
    this.calls.push(count);
    return super.take(key, rate, burst, now, count);
  }
}

describe('LeasedRateLimits', () => {
  it('ok/one shared take serves a lease of burst/16 requests', async () => {
    const shared = new CountingBuckets();
    const limits = new LeasedRateLimits(shared);
    for (let i = 0; i < 18; i++) expect(await limits.take('ip:a', 100, 300, 0)).toBe(0);
    expect(shared.calls).toEqual([18]);
    expect(await limits.take('ip:a', 100, 300, 0)).toBe(0);
    expect(shared.calls).toEqual([18, 18]);
  });

  it('ok/two replicas together never take more than the burst', async () => {
    const shared = new InMemoryRateLimits();
    const replicas = [new LeasedRateLimits(shared), new LeasedRateLimits(shared)];
    let granted = 0;
    for (let i = 0; i < 1000; i++) if ((await replicas[i % 2].take('ip:a', 0.001, 320, 0)) === 0) granted++;
    expect(granted).toBe(320);
  });

  it('ok/near exhaustion each request takes exactly one token', async () => {
    const shared = new CountingBuckets();
    const limits = new LeasedRateLimits(shared);
    await shared.take('ip:a', 0.001, 40, 0, 39); // someone else drained the bucket to 1 token
    shared.calls = [];
    expect(await limits.take('ip:a', 0.001, 40, 0)).toBe(0);
    expect(shared.calls).toEqual([2, 1]); // a lease of 2 was refused, one token was not
    expect(await limits.take('ip:a', 0.001, 40, 0)).toBeGreaterThan(0);
  });

  it('ok/small bursts are never leased', async () => {
    const shared = new CountingBuckets();
    const limits = new LeasedRateLimits(shared);
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await limits.take('ip:a', 0.01, 6, 0));
    expect(results.slice(0, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(results[6]).toBeGreaterThan(0);
    expect(shared.calls).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it('ok/an expired lease is dropped, not used', async () => {
    const shared = new CountingBuckets();
    const limits = new LeasedRateLimits(shared);
    await limits.take('ip:a', 100, 300, 0);
    await limits.take('ip:a', 100, 300, LEASE_MS);
    expect(shared.calls).toEqual([18, 18]);
  });
});
