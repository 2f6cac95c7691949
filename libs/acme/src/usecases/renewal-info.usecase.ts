import type { AcmeContext } from '../context';
import { parseCertId } from '../cert-id';
import { Problems } from '../problem';

export interface RenewalInfo {
  suggestedWindow: { start: number; end: number };
  /** Seconds until the client should ask again (RFC 9773 §4.3). */
  retryAfter: number;
}

const MIN_RETRY_S = 60;
const MAX_RETRY_S = 6 * 3600;

/**
 * ARI (RFC 9773 §4.2). The suggested window is the middle third of the
 * certificate's validity, so a 24 h certificate renews between hours 8 and 16;
 * a revoked certificate gets a window already in the past so compliant
 * clients renew at once (§4.2: "the server SHOULD" signal immediate renewal).
 */
export class RenewalInfoUseCase {
  constructor(private readonly ctx: AcmeContext) {}

  async execute(certId: string): Promise<RenewalInfo> {
    const parsed = parseCertId(certId);
    if (parsed.authorityKeyId !== this.ctx.issuer.authorityKeyIdB64url) {
      throw Problems.notFound('this CA did not issue that certificate');
    }
    const cert = await this.ctx.certificates.byId(parsed.serialHex);
    if (!cert) throw Problems.notFound('this CA did not issue that certificate');
    const lifetime = cert.notAfter - cert.notBefore;
    const retryAfter = Math.min(MAX_RETRY_S, Math.max(MIN_RETRY_S, Math.round(lifetime / 12 / 1000)));
    if (cert.status === 'revoked') {
      const now = this.ctx.clock.now();
      return { suggestedWindow: { start: now - 2 * 3600e3, end: now - 3600e3 }, retryAfter };
    }
    return {
      suggestedWindow: { start: cert.notBefore + lifetime / 3, end: cert.notBefore + (2 * lifetime) / 3 },
      retryAfter,
    };
  }
}
