/**
 * Signature algorithms accepted on ACME requests (RFC 8555 §6.2: "MUST NOT be
 * none" and "MUST NOT be a MAC-based algorithm"; MACs appear only inside
 * External Account Binding, §7.3.4). "Ed25519" is the fully specified name for
 * EdDSA over Ed25519 (RFC 9864).
 */
export const ACCOUNT_KEY_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
] as const;

export const EAB_MAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

const accountAlgorithms: ReadonlySet<string> = new Set(ACCOUNT_KEY_ALGORITHMS);

export function isAccountKeyAlgorithm(alg: unknown): alg is (typeof ACCOUNT_KEY_ALGORITHMS)[number] {
  return typeof alg === 'string' && accountAlgorithms.has(alg);
}
