import { delayAfterFailure, retryDelayMs, RetryLaterJobError } from './backoff';

describe('retryDelayMs', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };

  it('doubles per failure and keeps half of each delay fixed (equal jitter)', () => {
    expect(retryDelayMs(1, policy, () => 0)).toBe(500);
    expect(retryDelayMs(1, policy, () => 1)).toBe(1000);
    expect(retryDelayMs(3, policy, () => 0)).toBe(2000);
    expect(retryDelayMs(3, policy, () => 1)).toBe(4000);
  });

  it('is capped', () => {
    expect(retryDelayMs(30, policy, () => 1)).toBe(60_000);
    expect(retryDelayMs(30, policy, () => 0)).toBe(30_000);
  });

  it('spreads retries of jobs that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(4, policy)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(4000);
  });

  it('honours a processor hint, capped', () => {
    expect(delayAfterFailure(1, new RetryLaterJobError('busy', 7000), policy)).toBe(7000);
    expect(delayAfterFailure(1, new RetryLaterJobError('busy', 1e9), policy)).toBe(60_000);
    expect(delayAfterFailure(1, new Error('x'), policy)).toBeLessThanOrEqual(1000);
  });
});
