import type { AcmeLinker } from '../links';
import type { Account, PublicJwk } from '../model';
import type { AccountRepository, Clock, NonceRepository } from '../ports';
import { Problems } from '../problem';
import { ACCOUNT_KEY_ALGORITHMS, isAccountKeyAlgorithm } from './algorithms';
import { decodePayload, decodeProtectedHeader, parseFlattenedJws, type FlattenedJws } from './flattened-jws';
import { jwkThumbprint, publicJwkFrom } from './keys';
import { AccountKeyCache, verifyJwsSignature } from './signature';

/** Which key reference a resource accepts (RFC 8555 §6.2). */
export type KeyReference = 'kid' | 'jwk' | 'either';

export interface IncomingAcmeRequest {
  contentType: string | undefined;
  /** The raw body text. */
  body: string | undefined;
  /** The URL as the client addressed it; compared with the "url" header. */
  url: string;
}

export interface VerifiedRequest {
  /** Parsed JSON payload; undefined for POST-as-GET. */
  payload: unknown;
  jws: FlattenedJws;
  protectedHeader: Record<string, unknown>;
  /** Present when the request used "kid". */
  account?: Account;
  /** The key that signed the request. */
  jwk: PublicJwk;
  thumbprint: string;
}

export interface JwsVerifierDeps {
  nonces: NonceRepository;
  accounts: AccountRepository;
  linker: AcmeLinker;
  clock: Clock;
}

const NONCE = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The ordered JWS checks every ACME POST goes through (RFC 8555 §6.2–6.5):
 * content type → parse → algorithm → key reference → url → nonce → key →
 * signature → payload. Handlers only ever see what this returns.
 */
export class JwsVerifier {
  private readonly keyCache = new AccountKeyCache();

  constructor(private readonly deps: JwsVerifierDeps) {}

  async verify(request: IncomingAcmeRequest, keyRef: KeyReference): Promise<VerifiedRequest> {
    // §6.2: "application/jose+json"; anything else is refused before parsing.
    const mediaType = request.contentType?.split(';')[0].trim().toLowerCase();
    if (mediaType !== 'application/jose+json') {
      throw Problems.unsupportedMediaType('Content-Type must be application/jose+json');
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body ?? '');
    } catch {
      throw Problems.malformed('request body is not valid JSON');
    }
    const jws = parseFlattenedJws(body);
    const header = decodeProtectedHeader(jws);

    if (!isAccountKeyAlgorithm(header.alg)) {
      throw Problems.badSignatureAlgorithm(
        `JWS algorithm ${JSON.stringify(header.alg ?? null).slice(0, 32)} is not accepted`,
        { algorithms: [...ACCOUNT_KEY_ALGORITHMS] },
      );
    }
    // §6.2: the unencoded-payload option (RFC 7797) and other critical extensions are not allowed.
    if ('b64' in header || 'crit' in header) {
      throw Problems.malformed('JWS "b64" and "crit" header parameters are not allowed');
    }
    const hasJwk = header.jwk !== undefined;
    const hasKid = header.kid !== undefined;
    if (hasJwk === hasKid) throw Problems.malformed('JWS must have exactly one of "jwk" and "kid"');
    if (keyRef === 'kid' && hasJwk) throw Problems.malformed('this resource requires a "kid" (account URL)');
    if (keyRef === 'jwk' && hasKid) throw Problems.malformed('this resource requires a "jwk" (newAccount, §7.3)');

    // §6.4: the "url" header must match the request URL exactly.
    if (typeof header.url !== 'string') throw Problems.malformed('JWS header "url" is missing');
    if (header.url !== request.url) throw Problems.unauthorized('JWS header "url" does not match the request URL');

    // §6.5: every nonce is single-use; the store deletes it atomically.
    if (header.nonce === undefined) throw Problems.badNonce('JWS header "nonce" is missing');
    // §6.5.2: a nonce that is not base64url is malformed, not merely stale.
    if (typeof header.nonce !== 'string' || !/^[A-Za-z0-9_-]+$/.test(header.nonce)) {
      throw Problems.malformed('JWS header "nonce" is not base64url');
    }
    if (!NONCE.test(header.nonce)) throw Problems.badNonce('JWS has an invalid anti-replay nonce');

    let account: Account | undefined;
    let jwk: PublicJwk;
    let thumbprint: string;
    if (hasKid) {
      // The nonce is redeemed in the same round trip as the account lookup, and judged first.
      account = await this.redeemWithAccount(header.kid, header.nonce);
      jwk = account.jwk;
      thumbprint = account.thumbprint;
    } else {
      await this.redeem(header.nonce);
      jwk = publicJwkFrom(header.jwk);
      thumbprint = await jwkThumbprint(jwk);
    }

    const key = this.keyCache.get(jwk, thumbprint);
    if (!verifyJwsSignature(jws, header.alg, key)) throw Problems.malformed('JWS signature is invalid');
    return { payload: decodePayload(jws), jws, protectedHeader: header, account, jwk, thumbprint };
  }

  private async redeem(nonce: string): Promise<void> {
    if (!(await this.deps.nonces.consume(nonce, this.deps.clock.now()))) throw usedNonce();
  }

  private async redeemWithAccount(kid: unknown, nonce: string): Promise<Account> {
    const id = typeof kid === 'string' ? this.deps.linker.accountIdFromKid(kid) : undefined;
    let account: Account | null = null;
    if (id) {
      const found = await this.deps.accounts.byIdRedeemingNonce(id, nonce, this.deps.clock.now());
      if (!found.nonceValid) throw usedNonce();
      account = found.account;
    } else {
      await this.redeem(nonce);
    }
    if (!account) throw Problems.accountDoesNotExist('no account exists for the "kid" in the JWS');
    // §7.3.6: requests from deactivated accounts get 401 unauthorized.
    if (account.status !== 'valid') throw Problems.accountNotValid(account.status);
    return account;
  }
}

// §6.5: every nonce is single-use; the store deletes it atomically.
const usedNonce = () => Problems.badNonce('JWS has an invalid or already used anti-replay nonce');
