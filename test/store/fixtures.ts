/** Records the store tests write: random ids and a fixed clock far from the real one. */
import type { Account } from '@rotor/acme';
import { randomBytes } from 'node:crypto';

export const id = (): string => randomBytes(9).toString('base64url');

export const NOW = 1_800_000_000_000;

export function account(overrides: Partial<Account> = {}): Account {
  return {
    id: id(),
    status: 'valid',
    jwk: { kty: 'EC', crv: 'P-256', x: id(), y: id() },
    thumbprint: id(),
    contact: ['mailto:ops@example.test'],
    termsOfServiceAgreed: true,
    createdAt: NOW,
    ...overrides,
  };
}
