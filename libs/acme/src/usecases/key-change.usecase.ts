import { flattenedVerify } from 'jose';
import type { AcmeContext } from '../context';
import type { VerifiedRequest } from '../jws';
import {
  decodeBase64urlJson,
  decodeProtectedHeader,
  isAccountKeyAlgorithm,
  jwkThumbprint,
  parseFlattenedJws,
  PublicKeyCache,
  publicJwkFrom,
  sameJwk,
} from '../jws';
import type { Account } from '../model';
import { AcmeProblem, Problems } from '../problem';

/** keyChange (RFC 8555 §7.3.5): the outer JWS is signed by the old key, the inner by the new one. */
export class KeyChangeUseCase {
  private readonly keys = new PublicKeyCache(100);

  constructor(private readonly ctx: AcmeContext) {}

  async execute(request: VerifiedRequest): Promise<Account> {
    const account = request.account;
    if (!account) throw Problems.malformed('keyChange must be signed with the account "kid"');
    const inner = parseFlattenedJws(request.payload);
    const header = decodeProtectedHeader(inner);
    if (!isAccountKeyAlgorithm(header.alg)) throw Problems.badSignatureAlgorithm('inner JWS algorithm is not accepted');
    if (header.kid !== undefined || header.jwk === undefined) throw Problems.malformed('inner JWS must have a "jwk"');
    if ('nonce' in header) throw Problems.malformed('inner JWS must not have a "nonce"');
    if (header.url !== this.ctx.linker.keyChange())
      throw Problems.malformed('inner JWS "url" must be the keyChange URL');

    const newJwk = publicJwkFrom(header.jwk);
    const newThumbprint = await jwkThumbprint(newJwk);
    const key = await this.keys.get(newJwk, newThumbprint, header.alg);
    try {
      await flattenedVerify(inner, key, { algorithms: [header.alg] });
    } catch {
      throw Problems.malformed('inner JWS signature is invalid');
    }
    const body = decodeBase64urlJson(inner.payload, 'inner JWS payload') as Record<string, unknown> | null;
    if (typeof body !== 'object' || body === null) throw Problems.malformed('inner JWS payload must be an object');
    if (body.account !== this.ctx.linker.account(account.id)) {
      throw Problems.unauthorized('inner JWS "account" is not the signing account');
    }
    if (!sameJwk(body.oldKey, account.jwk)) throw Problems.unauthorized('"oldKey" is not the current account key');
    if (newThumbprint === account.thumbprint) throw Problems.malformed('the new key is the current key');

    const holder = await this.ctx.accounts.byThumbprint(newThumbprint);
    if (holder) {
      // §7.3.5: 409 Conflict with the Location of the account that already uses the key.
      throw new AcmeProblem('malformed', 'the new key is already in use by another account', 409, {
        headers: { Location: this.ctx.linker.account(holder.id) },
      });
    }
    await this.ctx.accounts.update(account.id, { jwk: newJwk, thumbprint: newThumbprint });
    return { ...account, jwk: newJwk, thumbprint: newThumbprint };
  }
}
