/**
 * The contract of libs/challenges: validators for the ACME challenge types
 * (RFC 8555 §8.3 http-01, §8.4 dns-01; RFC 8737 tls-alpn-01; RFC 8738 for IP
 * identifiers). Domain code: no framework imports, no other Rotor lib.
 */

export type ChallengeType = 'http-01' | 'dns-01' | 'tls-alpn-01';

export interface ChallengeIdentifier {
  type: 'dns' | 'ip';
  /** DNS name without any "*." prefix (wildcards are validated on the base name), or an IP literal. */
  value: string;
}

export interface ValidationRequest {
  type: ChallengeType;
  identifier: ChallengeIdentifier;
  token: string;
  /** token || '.' || base64url(JWK thumbprint) (RFC 8555 §8.1). */
  keyAuthorization: string;
}

/**
 * Problem types a failed validation reports, matching the ACME error URNs
 * `urn:ietf:params:acme:error:<type>` (RFC 8555 §6.7).
 */
export type ValidationProblemType =
  'connection' | 'dns' | 'tls' | 'incorrectResponse' | 'unauthorized' | 'malformed' | 'rejectedIdentifier';

export interface ValidationRecord {
  url?: string;
  hostname?: string;
  port?: number;
  addressesResolved?: string[];
  addressUsed?: string;
}

export type ValidationResult =
  | { ok: true; records: ValidationRecord[] }
  | { ok: false; problem: { type: ValidationProblemType; detail: string }; records: ValidationRecord[] };

export interface ValidatorOptions {
  /** Port http-01 connects to (default 80). */
  http01Port: number;
  /** Port tls-alpn-01 connects to (default 443). */
  tlsAlpn01Port: number;
  /** "host:port" of the DNS server used for every lookup (A/AAAA/TXT); undefined = system resolver. */
  dnsResolver?: string;
  /** Overall timeout per validation attempt, in ms (default 10000). */
  timeoutMs: number;
}

export interface ChallengeValidator {
  validate(request: ValidationRequest): Promise<ValidationResult>;
}
