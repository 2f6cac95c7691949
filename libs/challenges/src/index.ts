export * from './contracts';
export { createChallengeValidator, DEFAULT_VALIDATOR_OPTIONS } from './challenge-validator';
export { keyAuthorizationDigest, keyAuthorizationSha256 } from './key-authorization';
export {
  ACME_IDENTIFIER_OID,
  ACME_TLS_ALPN_PROTOCOL,
  buildTlsAlpnChallengeCertificate,
  encodeAcmeIdentifierValue,
  type ChallengeCertificate,
} from './tls-alpn-cert';
export {
  NameResolver,
  DnsLookupError,
  parseResolverAddress,
  type DnsFailure,
  type DnsRecordType,
  type NameResolverOptions,
} from './resolver';
export { reverseDnsName } from './ip';
export { validateHttp01, type Http01Context } from './http01';
export { validateDns01, type Dns01Context } from './dns01';
export { validateTlsAlpn01, type TlsAlpn01Context } from './tls-alpn01';
