import { deriveAuthorizationStatus, deriveOrderStatus } from './status';

const NOW = 1_000_000;
const later = NOW + 1000;
const earlier = NOW - 1;
const authz = (status: string, expires = later) => ({ status, expires }) as never;

describe('deriveOrderStatus (RFC 8555 §7.1.6)', () => {
  const cases: [string, { status: string; expires: number }, ReturnType<typeof authz>[], string][] = [
    ['ok/pending-one-pending', { status: 'pending', expires: later }, [authz('pending')], 'pending'],
    ['ok/pending-mixed', { status: 'pending', expires: later }, [authz('valid'), authz('pending')], 'pending'],
    ['ok/ready-all-valid', { status: 'pending', expires: later }, [authz('valid'), authz('valid')], 'ready'],
    ['ok/ready-stays-ready', { status: 'ready', expires: later }, [authz('valid')], 'ready'],
    ['ok/processing-wins', { status: 'processing', expires: earlier }, [authz('valid')], 'processing'],
    ['ok/valid-wins-after-expiry', { status: 'valid', expires: earlier }, [authz('valid', earlier)], 'valid'],
    ['fail/order-expired', { status: 'pending', expires: earlier }, [authz('pending')], 'invalid'],
    ['fail/ready-expired', { status: 'ready', expires: NOW }, [authz('valid')], 'invalid'],
    ['fail/authz-invalid', { status: 'pending', expires: later }, [authz('valid'), authz('invalid')], 'invalid'],
    ['fail/authz-deactivated', { status: 'pending', expires: later }, [authz('deactivated')], 'invalid'],
    ['fail/authz-expired', { status: 'pending', expires: later }, [authz('valid', earlier)], 'invalid'],
    ['fail/authz-revoked', { status: 'ready', expires: later }, [authz('revoked')], 'invalid'],
    ['fail/no-authz', { status: 'pending', expires: later }, [], 'invalid'],
    ['fail/stored-invalid', { status: 'invalid', expires: later }, [authz('valid')], 'invalid'],
  ];
  it.each(cases)('%s', (_name, order, authzs, expected) => {
    expect(deriveOrderStatus(order as never, authzs, NOW)).toBe(expected);
  });
});

describe('deriveAuthorizationStatus', () => {
  it.each([
    ['ok/pending', 'pending', later, 'pending'],
    ['ok/valid', 'valid', later, 'valid'],
    ['fail/pending-expired', 'pending', NOW, 'expired'],
    ['fail/valid-expired', 'valid', earlier, 'expired'],
    ['ok/invalid-stays', 'invalid', earlier, 'invalid'],
    ['ok/deactivated-stays', 'deactivated', earlier, 'deactivated'],
  ])('%s', (_name, status, expires, expected) => {
    expect(deriveAuthorizationStatus({ status: status as never, expires }, NOW)).toBe(expected);
  });
});
