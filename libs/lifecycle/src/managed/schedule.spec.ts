import { failureRetryDelayMs, jitterUnit, renewalPoint } from './schedule';

describe('renewal schedule', () => {
  const validity = { notBefore: 1_700_000_000_000, notAfter: 1_700_000_000_000 + 60_000 };

  it('is due at renewAt of the lifetime without jitter', () => {
    expect(renewalPoint({ renewAt: 2 / 3, jitter: 0 }, validity, 'id', 1)).toBe(validity.notBefore + 40_000);
  });

  it('moves by at most ± jitter, the same on every replica for a generation', () => {
    const points = Array.from({ length: 200 }, (_, g) =>
      renewalPoint({ renewAt: 2 / 3, jitter: 0.05 }, validity, 'id', g),
    );
    for (const p of points) {
      expect(p).toBeGreaterThanOrEqual(validity.notBefore + 37_000);
      expect(p).toBeLessThanOrEqual(validity.notBefore + 43_000);
    }
    expect(new Set(points).size).toBeGreaterThan(100); // spread, not one point
    expect(renewalPoint({ renewAt: 2 / 3, jitter: 0.05 }, validity, 'id', 7)).toBe(points[7]); // deterministic
  });

  it('spreads a fleet created at the same instant', () => {
    const units = Array.from({ length: 1000 }, (_, i) => jitterUnit(`cert-${i}`, 1));
    expect(Math.min(...units)).toBeLessThan(-0.9);
    expect(Math.max(...units)).toBeGreaterThan(0.9);
    expect(Math.abs(units.reduce((a, b) => a + b, 0) / units.length)).toBeLessThan(0.1);
  });

  it('backs off failures exponentially, capped by the lifetime', () => {
    const day = 86400e3;
    expect(failureRetryDelayMs(1, day, () => 0.5)).toBe(5_000);
    expect(failureRetryDelayMs(3, day, () => 0.5)).toBe(20_000);
    expect(failureRetryDelayMs(30, day, () => 0.5)).toBe(3600e3);
    // A 60 s certificate keeps retrying every ~10 s before it lapses.
    expect(failureRetryDelayMs(10, 60_000, () => 0.5)).toBe(10_000);
  });
});
