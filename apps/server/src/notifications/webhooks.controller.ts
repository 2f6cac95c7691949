import { Delete, Get, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { createWebhookSchema, deliveryView, generateWebhookSecret, Webhook, webhookView } from '@rotor/lifecycle';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ApiController, RequireScope } from '../api/api-controller';
import { ApiErrors } from '../api/api-error';
import { registerOperations } from '../api/openapi';
import { parseJsonBody, parseQuery } from '../api/validation';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const deliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict();

registerOperations([
  {
    method: 'post',
    path: '/api/v1/webhooks',
    scope: 'webhooks:write',
    summary:
      'Subscribe a URL to lifecycle events. Bodies are signed: Rotor-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>. ' +
      'The secret (generated when absent) is returned only in this response.',
    body: createWebhookSchema,
    responses: { 201: 'created (with the secret)', 400: 'invalid request' },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks',
    scope: 'webhooks:write',
    summary: 'List webhooks (never their secrets)',
    responses: { 200: 'webhooks' },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks/{id}',
    scope: 'webhooks:write',
    summary: 'One webhook',
    responses: { 200: 'the webhook', 404: 'no such webhook' },
  },
  {
    method: 'delete',
    path: '/api/v1/webhooks/{id}',
    scope: 'webhooks:write',
    summary: 'Delete a webhook and its delivery log',
    responses: { 204: 'deleted', 404: 'no such webhook' },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks/{id}/deliveries',
    scope: 'webhooks:write',
    summary: 'The delivery log, newest first: status, attempts, last status code and error, timestamps',
    query: deliveriesQuery,
    responses: { 200: 'deliveries', 400: 'invalid query', 404: 'no such webhook' },
  },
]);

/** Webhook subscriptions and their delivery log. */
@ApiController('webhooks')
export class WebhooksController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Post()
  @RequireScope('webhooks:write')
  async create(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const input = parseJsonBody(createWebhookSchema, request);
    const webhook: Webhook = {
      id: randomUUID(),
      url: input.url,
      events: input.events,
      createdAt: Date.now(),
      disabled: false,
    };
    const secret = input.secret ?? generateWebhookSecret();
    await this.runtime.notifications.webhooks.insert(webhook, secret);
    reply.status(201);
    return { ...webhookView(webhook), secret };
  }

  @Get()
  @RequireScope('webhooks:write')
  async list() {
    return { items: (await this.runtime.notifications.webhooks.list()).map(webhookView) };
  }

  @Get(':id')
  @RequireScope('webhooks:write')
  async show(@Param('id') id: string) {
    return webhookView(await this.find(id));
  }

  @Delete(':id')
  @RequireScope('webhooks:write')
  async remove(@Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    if (!UUID.test(id) || !(await this.runtime.notifications.webhooks.delete(id)))
      throw ApiErrors.notFound('no such webhook');
    reply.status(204);
  }

  @Get(':id/deliveries')
  @RequireScope('webhooks:write')
  async deliveries(@Param('id') id: string, @Req() request: FastifyRequest) {
    const query = parseQuery(deliveriesQuery, request.query);
    const webhook = await this.find(id);
    return { items: (await this.runtime.notifications.deliveries.list(webhook.id, query.limit)).map(deliveryView) };
  }

  private async find(id: string): Promise<Webhook> {
    const webhook = UUID.test(id) ? await this.runtime.notifications.webhooks.byId(id) : null;
    if (!webhook) throw ApiErrors.notFound('no such webhook');
    return webhook;
  }
}
