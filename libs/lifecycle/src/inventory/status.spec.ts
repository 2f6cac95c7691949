import { expiringWindowMs, inventoryStatus } from './status';

const H = 3600e3;
const D = 24 * H;
const NOW = 1_800_000_000_000;
const WARN = 7 * D;

const cert = (lifetime: number, remaining: number, state: 'active' | 'revoked' | 'superseded' = 'active') => ({
  state,
  notBefore: NOW + remaining - lifetime,
  notAfter: NOW + remaining,
});

describe('inventory status', () => {
  it.each([
    // 90-day certificate: the 7-day warning window applies.
    ['90d with 8d left', cert(90 * D, 8 * D), 'valid'],
    ['90d with exactly 7d left', cert(90 * D, 7 * D), 'expiring'],
    ['90d with 1ms left', cert(90 * D, 1), 'expiring'],
    ['90d at notAfter', cert(90 * D, 0), 'expired'],
    ['90d past notAfter', cert(90 * D, -1), 'expired'],
    // 24-hour certificate: only its last third (8 h) counts as expiring, however wide the warning window.
    ['24h with 9h left', cert(24 * H, 9 * H), 'valid'],
    ['24h with exactly 8h left', cert(24 * H, 8 * H), 'expiring'],
    ['24h with 8h + 1ms left', cert(24 * H, 8 * H + 1), 'valid'],
    // 60-second certificate rotating normally is never "expiring" before its last 20 s.
    ['60s with 30s left', cert(60e3, 30e3), 'valid'],
    ['60s with 20s left', cert(60e3, 20e3), 'expiring'],
    // Stored states win over the clock.
    ['revoked and expired', cert(90 * D, -D, 'revoked'), 'revoked'],
    ['superseded and expiring', cert(90 * D, D, 'superseded'), 'superseded'],
  ] as const)('%s → %s', (_name, record, expected) => {
    expect(inventoryStatus(record, NOW, WARN)).toBe(expected);
  });

  it('ok/expiring window is min(warning, lifetime / 3)', () => {
    expect(expiringWindowMs(cert(90 * D, 0), WARN)).toBe(WARN);
    expect(expiringWindowMs(cert(24 * H, 0), WARN)).toBe(8 * H);
    // A certificate whose notAfter precedes its notBefore has no window.
    expect(expiringWindowMs({ notBefore: NOW, notAfter: NOW - 1 }, WARN)).toBe(0);
    expect(inventoryStatus({ state: 'active', notBefore: NOW + 2 * D, notAfter: NOW + D }, NOW, WARN)).toBe('valid');
  });

  it('ok/a zero warning window means nothing is ever expiring', () => {
    expect(inventoryStatus(cert(90 * D, 1), NOW, 0)).toBe('valid');
  });
});
