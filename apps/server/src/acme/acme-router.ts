import type { IncomingMessage } from 'node:http';
import FindMyWay, { type HTTPVersion } from 'find-my-way';
import { KeyReference, Problems, VerifiedRequest } from '@rotor/acme';
import type { Runtime } from '../runtime/runtime';
import type { AcmeBody, AcmeReply } from './acme-reply';

export interface AcmeCall {
  request: IncomingMessage;
  reply: AcmeReply;
  params: Record<string, string | undefined>;
  /** The query string, without "?" ('' when there is none). */
  query: string;
  /** The raw body text of a POST (the JWS needs the exact bytes). */
  body: string | undefined;
  /** The URL as the client addressed it: compared with the JWS "url" header (RFC 8555 §6.4). */
  url: string;
}

export type UnsignedHandler = (call: AcmeCall) => AcmeBody | Promise<AcmeBody>;
export type SignedHandler = (verified: VerifiedRequest, call: AcmeCall) => Promise<AcmeBody> | AcmeBody;

export interface AcmeRoute {
  handler: UnsignedHandler;
  /** The route pattern, e.g. /acme/order/:id: the bounded metrics label. */
  pattern: string;
}

export interface MatchedRoute {
  route: AcmeRoute;
  params: Record<string, string | undefined>;
}

/**
 * The ACME resources' routing table (find-my-way, the router Fastify itself
 * uses). `post()` runs the JWS chain (libs/acme JwsVerifier) and then the
 * per-account rate limit before any handler, so handlers only ever see a
 * verified request (RFC 8555 §6.2).
 */
export class AcmeRouter {
  private readonly table = FindMyWay<HTTPVersion.V1>({ maxParamLength: 300 });

  constructor(private readonly runtime: Runtime) {}

  get(path: string, handler: UnsignedHandler): void {
    this.add('GET', path, handler);
  }

  head(path: string, handler: UnsignedHandler): void {
    this.add('HEAD', path, handler);
  }

  /** A JWS-signed resource taking `keyRef` as its key reference (RFC 8555 §6.2). */
  post(path: string, keyRef: KeyReference, handler: SignedHandler): void {
    const { verifier, config, rateLimits } = this.runtime;
    this.add('POST', path, async (call) => {
      const verified = await verifier.verify(
        { contentType: call.request.headers['content-type'], body: call.body, url: call.url },
        keyRef,
      );
      if (verified.account) {
        const wait = await rateLimits.take(
          `account:${verified.account.id}`,
          config.rateLimitPerAccount,
          config.rateLimitBurst,
          Date.now(),
        );
        if (wait > 0) throw Problems.rateLimited('too many requests for this account', { retryAfter: wait });
      }
      return handler(verified, call);
    });
  }

  find(method: string, path: string): MatchedRoute | undefined {
    const found = this.table.find(method as 'GET', path);
    if (!found) return undefined;
    return { route: found.store as AcmeRoute, params: found.params };
  }

  private add(method: 'GET' | 'HEAD' | 'POST', path: string, handler: UnsignedHandler): void {
    const pattern = `/acme/${path}`;
    const route: AcmeRoute = { handler, pattern };
    this.table.on(method, pattern, () => undefined, route);
  }
}
