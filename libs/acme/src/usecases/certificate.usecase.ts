import type { AcmeContext } from '../context';
import type { VerifiedRequest } from '../jws';
import { jwkSpkiSha256 } from '../jws';
import type { IssuedCertificateRecord } from '../model';
import { Problems } from '../problem';
import { requireOwned } from './ownership';

/** Certificate download by POST-as-GET (RFC 8555 §7.4.2). */
export class GetCertificateUseCase {
  constructor(private readonly ctx: AcmeContext) {}

  async execute(serialHex: string, request: VerifiedRequest): Promise<IssuedCertificateRecord> {
    if (request.payload !== undefined) throw Problems.malformed('certificates are fetched with POST-as-GET');
    if (!/^[0-9a-f]{1,40}$/.test(serialHex)) throw Problems.notFound('certificate not found');
    return requireOwned(await this.ctx.certificates.byId(serialHex), request.account, 'certificate');
  }
}

// RFC 5280 §5.3.1 reason codes a subscriber may give; 7 is unassigned, 8 (removeFromCRL) is for
// delta CRLs and 2 (cACompromise) is not a leaf's to claim.
const SUBSCRIBER_REASONS = new Set([0, 1, 3, 4, 5, 6, 9, 10]);

/**
 * revokeCert (RFC 8555 §7.6), signed either by the account that owns the
 * certificate ("kid") or by the certificate's own key ("jwk").
 */
export class RevokeCertificateUseCase {
  constructor(private readonly ctx: AcmeContext) {}

  async execute(request: VerifiedRequest): Promise<void> {
    const body = request.payload as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null || typeof body.certificate !== 'string') {
      throw Problems.malformed('revokeCert payload must be {"certificate": base64url DER, "reason"?: int}');
    }
    if (!/^[A-Za-z0-9_-]+$/.test(body.certificate)) throw Problems.malformed('"certificate" is not base64url');
    const reason = body.reason ?? 0;
    if (typeof reason !== 'number' || !Number.isInteger(reason) || !SUBSCRIBER_REASONS.has(reason)) {
      throw Problems.badRevocationReason(`reason must be one of ${[...SUBSCRIBER_REASONS].join(', ')}`);
    }
    const summary = await this.ctx.issuer.inspectCertificate(Buffer.from(body.certificate, 'base64url'));
    const record = summary.issuedByUs ? await this.ctx.certificates.byId(summary.serialHex) : null;
    if (!record) throw Problems.notFound('this CA did not issue that certificate');

    if (request.account) {
      if (record.accountId !== request.account.id) {
        throw Problems.unauthorized('the certificate belongs to another account');
      }
    } else if (jwkSpkiSha256(request.jwk) !== record.spkiSha256) {
      throw Problems.unauthorized('the JWS key is not the certificate key');
    }
    if (record.status === 'revoked') throw Problems.alreadyRevoked('the certificate is already revoked');
    if (!(await this.ctx.certificates.revoke(record.id, reason, this.ctx.clock.now()))) {
      throw Problems.alreadyRevoked('the certificate is already revoked');
    }
    await this.ctx.revocations.revoked(record.id);
  }
}
