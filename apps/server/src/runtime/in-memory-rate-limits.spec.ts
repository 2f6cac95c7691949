import { InMemoryRateLimits } from './in-memory-rate-limits';

describe('InMemoryRateLimits (token bucket)', () => {
  it('ok/burst-then-limited-then-refilled', async () => {
    const limits = new InMemoryRateLimits();
    const takes = [];
    for (let i = 0; i < 4; i++) takes.push(await limits.take('ip:a', 1, 3, 0));
    expect(takes).toEqual([0, 0, 0, 1]);
    expect(await limits.take('ip:b', 1, 3, 0)).toBe(0); // buckets are per key
    expect(await limits.take('ip:a', 1, 3, 1500)).toBe(0);
    expect(await limits.take('ip:a', 1, 3, 1600)).toBeGreaterThan(0);
  });

  it('ok/retry-after-reflects-the-rate', async () => {
    const limits = new InMemoryRateLimits();
    await limits.take('k', 0.1, 1, 0);
    expect(await limits.take('k', 0.1, 1, 0)).toBe(10);
  });
});
