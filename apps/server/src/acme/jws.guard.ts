import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
  applyDecorators,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { KeyReference, Problems, VerifiedRequest } from '@rotor/acme';
import type { FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime/runtime';
import { RUNTIME } from '../http/tokens';

const KEY_REF = 'rotor:acme-key-ref';

type AcmeRequest = FastifyRequest & { acme?: VerifiedRequest };

/**
 * Runs the JWS chain (libs/acme JwsVerifier) before any ACME POST handler, then
 * the per-account rate limit. Handlers receive only the verified request.
 */
@Injectable()
export class JwsGuard implements CanActivate {
  constructor(
    @Inject(RUNTIME) private readonly runtime: Runtime,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const keyRef = this.reflector.get<KeyReference>(KEY_REF, context.getHandler()) ?? 'kid';
    const request = context.switchToHttp().getRequest<AcmeRequest>();
    const { acme, config, rateLimits } = this.runtime;
    const verified = await this.runtime.verifier.verify(
      {
        contentType: request.headers['content-type'],
        body: typeof request.body === 'string' ? request.body : undefined,
        url: `${acme.linker.baseUrl}${request.url}`,
      },
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
    request.acme = verified;
    return true;
  }
}

/** Marks an ACME POST resource and which key reference it takes (RFC 8555 §6.2). */
export const AcmeSigned = (keyRef: KeyReference = 'kid') =>
  applyDecorators(SetMetadata(KEY_REF, keyRef), UseGuards(JwsGuard));

/** The verified JWS of the current request. */
export const Verified = createParamDecorator(
  (_data: unknown, context: ExecutionContext): VerifiedRequest =>
    context.switchToHttp().getRequest<AcmeRequest>().acme as VerifiedRequest,
);
