import { Delete, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { TokenNameTaken, createApiToken, createTokenSchema, tokenView } from '@rotor/lifecycle';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';
import { ApiController, RequireScope } from './api-controller';
import { ApiErrors } from './api-error';
import { registerOperations } from './openapi';
import { parseJsonBody } from './validation';

registerOperations([
  {
    method: 'post',
    path: '/api/v1/tokens',
    scope: 'admin',
    summary: 'Create an API token (the token is returned only in this response)',
    body: createTokenSchema,
    responses: { 201: 'created', 400: 'invalid request', 409: 'name taken' },
  },
  {
    method: 'get',
    path: '/api/v1/tokens',
    scope: 'admin',
    summary: 'List API tokens (never their secrets)',
    responses: { 200: 'tokens' },
  },
  {
    method: 'delete',
    path: '/api/v1/tokens/{id}',
    scope: 'admin',
    summary: 'Revoke a token by id or name',
    responses: { 204: 'revoked', 404: 'no such active token' },
  },
]);

/** Admin-API bearer tokens (the same operations as `rotor tokens`). */
@ApiController('tokens')
export class TokensController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Post()
  @RequireScope('admin')
  async create(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const input = parseJsonBody(createTokenSchema, request);
    try {
      const { token, record } = await createApiToken(this.runtime.apiTokens, input);
      reply.status(201);
      return { ...tokenView(record), token };
    } catch (error) {
      if (error instanceof TokenNameTaken) throw ApiErrors.conflict(error.message);
      throw error;
    }
  }

  @Get()
  @RequireScope('admin')
  async list() {
    return { items: (await this.runtime.apiTokens.list()).map(tokenView) };
  }

  @Delete(':id')
  @RequireScope('admin')
  async revoke(@Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    if (!(await this.runtime.apiTokens.revoke(id.slice(0, 128), Date.now()))) {
      throw ApiErrors.notFound('no active token with this id or name');
    }
    reply.status(204);
  }
}
