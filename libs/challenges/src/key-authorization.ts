import { createHash } from 'node:crypto';

/** SHA-256 of the key authorization: the value tls-alpn-01 puts in acmeIdentifier (RFC 8737 §3). */
export function keyAuthorizationSha256(keyAuthorization: string): Buffer {
  return createHash('sha256').update(keyAuthorization, 'utf8').digest();
}

/** base64url(SHA-256(keyAuthorization)), unpadded: the dns-01 TXT record value (RFC 8555 §8.4). */
export function keyAuthorizationDigest(keyAuthorization: string): string {
  return keyAuthorizationSha256(keyAuthorization).toString('base64url');
}

/** RFC 8555 §8.1: a token is base64url; anything else must not reach a URL path or a TXT lookup. */
export function isValidToken(token: unknown): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]{1,256}$/.test(token);
}
