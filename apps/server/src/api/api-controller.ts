import {
  ArgumentsHost,
  CanActivate,
  Catch,
  Controller,
  ExceptionFilter,
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  UseFilters,
  UseGuards,
  applyDecorators,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiScope, apiTokenDigest, grants, tokenUsable } from '@rotor/lifecycle';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';
import { ApiErrors, sendApiProblem } from './api-error';

const SCOPE = 'rotor:api-scope';

/** The scope a handler needs; every admin-API handler declares one (the guard refuses handlers without). */
export const RequireScope = (scope: ApiScope) => SetMetadata(SCOPE, scope);

/**
 * Bearer-token check for /api/v1 (RFC 6750): 401 without a usable token,
 * 403 when the token lacks the handler's scope.
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  constructor(
    @Inject(RUNTIME) private readonly runtime: Runtime,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = this.reflector.get<ApiScope | undefined>(SCOPE, context.getHandler());
    if (!scope) throw new Error(`admin-API handler ${context.getHandler().name} declares no scope`);
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const match = /^Bearer ([^\s]+)$/i.exec(header);
    if (!match) throw ApiErrors.unauthorized('an Authorization: Bearer token is required');
    const digest = apiTokenDigest(match[1]);
    const token = digest ? await this.runtime.apiTokens.byDigest(digest) : null;
    if (!token || !tokenUsable(token, Date.now()))
      throw ApiErrors.unauthorized('the token is unknown, expired or revoked');
    if (!grants(token.scopes, scope)) throw ApiErrors.forbidden(`the token lacks the "${scope}" scope`);
    return true;
  }
}

/** Renders every error from an admin-API handler or guard as an RFC 9457 problem. */
@Catch()
export class ApiProblemFilter implements ExceptionFilter {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  catch(error: unknown, host: ArgumentsHost): void {
    sendApiProblem(host.switchToHttp().getResponse<FastifyReply>(), error, this.runtime.logger);
  }
}

/** `@ApiController('certificates')` → routes under /api/v1/certificates with auth and API problem documents. */
export const ApiController = (path: string) =>
  applyDecorators(Controller(`api/v1/${path}`), UseGuards(ApiAuthGuard), UseFilters(ApiProblemFilter));
