import { apiTokenDigest, generateApiToken, grants, tokenUsable } from './tokens';

describe('api tokens', () => {
  it('ok/generated tokens have a digest, other strings none', () => {
    const token = generateApiToken();
    expect(apiTokenDigest(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(apiTokenDigest(generateApiToken())).not.toBe(apiTokenDigest(token));
    for (const bad of ['', 'rotor_', `${token}x`, token.replace('rotor_', 'xotor_'), `rotor_${'!'.repeat(43)}`]) {
      expect(apiTokenDigest(bad)).toBeUndefined();
    }
  });

  it.each([
    [['admin'], 'managed:write', true],
    [['managed:write'], 'managed:read', true],
    [['managed:read'], 'managed:write', false],
    [['inventory:write'], 'managed:read', false],
    [[], 'alerts:read', false],
  ] as const)('scopes %j grant %s: %s', (held, wanted, expected) => {
    expect(grants(held, wanted)).toBe(expected);
  });

  it('ok/expired and revoked tokens are not usable', () => {
    const base = { id: 'a', name: 'a', scopes: [], digest: 'd', createdAt: 0 };
    expect(tokenUsable(base, 10)).toBe(true);
    expect(tokenUsable({ ...base, expiresAt: 10 }, 10)).toBe(false);
    expect(tokenUsable({ ...base, revokedAt: 5 }, 10)).toBe(false);
  });
});
