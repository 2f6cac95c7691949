import type { AcmeContext, CsrSummary } from '../context';
import { jwkSpkiSha256, type VerifiedRequest } from '../jws';
import { parseCertId } from '../cert-id';
import type { Order } from '../model';
import { AcmeProblem, Identifier, Problems } from '../problem';
import { canonicalIp } from '../identifiers';
import { loadOrderView, OrderView } from './order.usecase';
import { requireOwned } from './ownership';

const B64URL = /^[A-Za-z0-9_-]+$/;
const MAX_CSR_BYTES = 16 * 1024;

/**
 * finalize (RFC 8555 §7.4): a ready order, a CSR naming exactly the order's
 * identifiers with an acceptable key that is not the account key, then
 * ready → processing → valid. Signing happens inline (it takes about a
 * millisecond); the CSR is stored first so a crash mid-way can be completed
 * by `completeProcessing` after a restart.
 */
export class FinalizeOrderUseCase {
  constructor(private readonly ctx: AcmeContext) {}

  async execute(orderId: string, request: VerifiedRequest): Promise<OrderView> {
    const stored = requireOwned(await this.ctx.orders.byId(orderId), request.account, 'order');
    const view = await loadOrderView(this.ctx, stored);
    if (view.order.status !== 'ready') {
      throw Problems.orderNotReady(`order is ${view.order.status}; it must be ready to finalize`);
    }
    const body = request.payload as Record<string, unknown> | undefined;
    if (typeof body !== 'object' || body === null || typeof body.csr !== 'string' || !B64URL.test(body.csr)) {
      throw Problems.malformed('finalize payload must be {"csr": base64url DER}');
    }
    const csrDer = Buffer.from(body.csr, 'base64url');
    if (csrDer.length === 0 || csrDer.length > MAX_CSR_BYTES) throw Problems.badCSR('CSR is empty or too large');

    const csr = await this.ctx.issuer.inspectCsr(csrDer);
    checkCsrNames(csr, stored.identifiers);
    // §11.1: the certificate key must differ from the account key.
    if (jwkSpkiSha256(request.jwk) === csr.spkiSha256) {
      throw Problems.badCSR('the CSR public key must not be the account key');
    }
    if (!(await this.ctx.orders.transition(orderId, ['pending', 'ready'], 'processing', { csr: body.csr }))) {
      throw Problems.orderNotReady('order is no longer ready (finalized concurrently?)');
    }
    const certificateId = await this.issue({ ...stored, csr: body.csr }, csr);
    // This request moved the order ready → processing → valid; nothing else can have changed it.
    return {
      order: { ...view.order, status: 'valid', csr: body.csr, certificateId, updatedAt: this.ctx.clock.now() },
      authorizations: view.authorizations,
    };
  }

  /** Completes an order left in `processing` (e.g. the server stopped mid-finalize). */
  async completeProcessing(order: Order): Promise<void> {
    if (order.status === 'processing' && order.csr) await this.issue(order);
  }

  /** Signs, records and links the certificate; returns its id (serial). */
  private async issue(order: Order, inspected?: CsrSummary): Promise<string> {
    const { profiles, defaultProfile } = this.ctx.policy;
    const profile = profiles[Object.hasOwn(profiles, order.profile) ? order.profile : defaultProfile];
    const now = this.ctx.clock.now();
    try {
      const der = Buffer.from(order.csr as string, 'base64url');
      const issued = await this.ctx.issuer.issue(
        { der, inspected },
        {
          identifiers: order.identifiers,
          usage: profile.usage,
          profile: order.profile,
          notBefore: order.notBefore,
          notAfter: order.notAfter ?? Math.max(now, order.notBefore ?? now) + profile.lifetimeMs,
        },
      );
      await this.ctx.certificates.insert({
        ...issued,
        accountId: order.accountId,
        orderId: order.id,
        identifiers: order.identifiers,
        status: 'valid',
        replaces: order.replaces,
        createdAt: now,
      });
      if (order.replaces) {
        await this.ctx.certificates.markReplaced(parseCertId(order.replaces).serialHex, issued.id);
      }
      await this.ctx.orders.transition(order.id, ['processing'], 'valid', { certificateId: issued.id }, now);
      return issued.id;
    } catch (error) {
      const problem =
        error instanceof AcmeProblem ? error : Problems.serverInternal('the CA could not issue', { cause: error });
      await this.ctx.orders.transition(order.id, ['processing'], 'invalid', { error: problem.toDocument() }, now);
      throw problem;
    }
  }
}

/** §7.4: the CSR must name exactly the order's identifiers (CN, if any, among them). */
function checkCsrNames(csr: { dnsNames: string[]; ipAddresses: string[]; uris: string[] }, identifiers: Identifier[]) {
  if (csr.uris.length) throw Problems.badCSR('the CSR may not request URI names through ACME');
  const requested = new Set([
    ...csr.dnsNames.map((n) => `dns:${n.toLowerCase()}`),
    ...csr.ipAddresses.map((ip) => `ip:${canonicalIp(ip) ?? ip}`),
  ]);
  const ordered = new Set(identifiers.map((i) => `${i.type}:${i.value}`));
  const extra = [...requested].filter((n) => !ordered.has(n));
  const missing = [...ordered].filter((n) => !requested.has(n));
  if (extra.length || missing.length) {
    const parts = [];
    if (extra.length) parts.push(`not in the order: ${extra.join(', ')}`);
    if (missing.length) parts.push(`missing from the CSR: ${missing.join(', ')}`);
    throw Problems.badCSR(`the CSR names do not match the order (${parts.join('; ')})`);
  }
}
