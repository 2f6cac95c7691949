import type { Identifier, ProblemDocument } from './problem';

/** Domain records. They hold ids, never URLs; AcmeLinker turns ids into URLs. Times are epoch ms. */

export type AccountStatus = 'valid' | 'deactivated' | 'revoked';
export interface Account {
  id: string;
  status: AccountStatus;
  /** Public JWK of the account key. */
  jwk: PublicJwk;
  /** RFC 7638 thumbprint of jwk; unique. */
  thumbprint: string;
  contact: string[];
  termsOfServiceAgreed: boolean;
  eabKeyId?: string;
  createdAt: number;
}

export type PublicJwk = { kty: string; [member: string]: unknown };

export type OrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';
export interface Order {
  id: string;
  accountId: string;
  status: OrderStatus;
  identifiers: Identifier[];
  expires: number;
  notBefore?: number;
  notAfter?: number;
  profile: string;
  /** RFC 9773 CertID of the certificate this order replaces. */
  replaces?: string;
  error?: ProblemDocument;
  /** base64url DER CSR, kept so an interrupted finalize can be completed after a restart. */
  csr?: string;
  certificateId?: string;
  createdAt: number;
  updatedAt: number;
}

export type AuthorizationStatus = 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
export interface Authorization {
  id: string;
  accountId: string;
  orderId: string;
  /** Without "*." for wildcard orders (RFC 8555 §7.1.4). */
  identifier: Identifier;
  wildcard: boolean;
  status: AuthorizationStatus;
  expires: number;
  challenges: Challenge[];
}

export type ChallengeType = 'http-01' | 'dns-01' | 'tls-alpn-01';
export type ChallengeStatus = 'pending' | 'processing' | 'valid' | 'invalid';
export interface Challenge {
  id: string;
  authorizationId: string;
  type: ChallengeType;
  token: string;
  status: ChallengeStatus;
  validated?: number;
  error?: ProblemDocument;
}

export type CertificateStatus = 'valid' | 'revoked';
export interface IssuedCertificateRecord {
  /** Serial number in lower-case hex; also the resource id. */
  id: string;
  accountId: string;
  orderId: string;
  chainPem: string;
  identifiers: Identifier[];
  notBefore: number;
  notAfter: number;
  status: CertificateStatus;
  revokedAt?: number;
  revocationReason?: number;
  /** base64url SHA-256 of the certificate's SubjectPublicKeyInfo. */
  spkiSha256: string;
  fingerprintSha256: string;
  keyType: string;
  profile: string;
  subject: string;
  issuer: string;
  /** RFC 9773 CertID of the predecessor, when this one replaced another. */
  replaces?: string;
  /** Set when a newer certificate was issued with `replaces` naming this one. */
  replacedBy?: string;
  createdAt: number;
}

export interface EabKey {
  /** The "kid" a client puts in the EAB JWS header. */
  id: string;
  /** HMAC key, sealed at rest by the caller's store. */
  hmacKey: Uint8Array;
  /** When non-empty, accounts bound to this key may only order names under these suffixes. */
  allowedDnsSuffixes: string[];
  boundAccountId?: string;
  createdAt: number;
  revoked: boolean;
}
