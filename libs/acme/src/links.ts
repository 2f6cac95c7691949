/**
 * The one place that builds ACME resource URLs (RFC 8555 §7.1). Domain objects
 * carry ids; controllers and renderers ask the linker for URLs, and the JWS
 * check uses it to compare the "url" header with the request.
 */
export class AcmeLinker {
  constructor(readonly baseUrl: string) {}

  readonly directory = () => `${this.baseUrl}/acme/directory`;
  readonly newNonce = () => `${this.baseUrl}/acme/new-nonce`;
  readonly newAccount = () => `${this.baseUrl}/acme/new-account`;
  readonly newOrder = () => `${this.baseUrl}/acme/new-order`;
  readonly revokeCert = () => `${this.baseUrl}/acme/revoke-cert`;
  readonly keyChange = () => `${this.baseUrl}/acme/key-change`;
  readonly renewalInfoBase = () => `${this.baseUrl}/acme/renewal-info`;
  readonly renewalInfo = (certId: string) => `${this.baseUrl}/acme/renewal-info/${certId}`;
  readonly account = (id: string) => `${this.baseUrl}/acme/account/${id}`;
  readonly accountOrders = (id: string) => `${this.baseUrl}/acme/account/${id}/orders`;
  readonly order = (id: string) => `${this.baseUrl}/acme/order/${id}`;
  readonly finalize = (id: string) => `${this.baseUrl}/acme/order/${id}/finalize`;
  readonly authorization = (id: string) => `${this.baseUrl}/acme/authz/${id}`;
  readonly challenge = (id: string) => `${this.baseUrl}/acme/chall/${id}`;
  readonly certificate = (id: string) => `${this.baseUrl}/acme/cert/${id}`;
  readonly rootCertificate = () => `${this.baseUrl}/ca/root.pem`;
  /** DER, as RFC 5280 §4.2.2.1 requires of an HTTP caIssuers URI. */
  readonly intermediateCertificate = () => `${this.baseUrl}/ca/intermediate.cer`;
  readonly crl = () => `${this.baseUrl}/ca/crl`;

  /** Account id from a "kid" URL, or undefined if the kid is not one of ours. */
  accountIdFromKid(kid: string): string | undefined {
    const prefix = `${this.baseUrl}/acme/account/`;
    if (!kid.startsWith(prefix)) return undefined;
    const id = kid.slice(prefix.length);
    return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : undefined;
  }
}
