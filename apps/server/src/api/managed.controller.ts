import { Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ManagedCertificate,
  ManagedError,
  managedInputSchema,
  MAX_MANAGED_PAGE,
  toManagedView,
} from '@rotor/lifecycle';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';
import { ApiController, RequireScope } from './api-controller';
import { ApiError, ApiErrors } from './api-error';
import { registerOperations } from './openapi';
import { mediaType, parseJsonText, parseQuery, rawBody } from './validation';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
const NAME = /^[a-z0-9]([a-z0-9._-]{0,251}[a-z0-9])?$/;

const listQuery = z
  .object({
    after: z.string().max(253).optional().describe('the `next` cursor of the previous page'),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, `limit must be an integer from 1 to ${MAX_MANAGED_PAGE}`)
      .optional(),
  })
  .strict();
const applyQuery = z
  .object({
    prune: z.enum(['true', 'false']).optional().describe('delete managed certificates the manifest does not name'),
    dryRun: z.enum(['true', 'false']).optional().describe('report what would change, change nothing'),
  })
  .strict();
const updateBody = managedInputSchema.partial({ name: true });

registerOperations([
  {
    method: 'post',
    path: '/api/v1/managed',
    scope: 'managed:write',
    summary: 'Declare a managed certificate; Rotor generates its key, issues it and renews it before it expires',
    body: managedInputSchema,
    responses: {
      201: 'created (issued moments later)',
      400: 'malformed body',
      409: 'the name is taken or reserved',
      422: 'out of policy (names, lifetime, renewal point)',
    },
  },
  {
    method: 'get',
    path: '/api/v1/managed',
    scope: 'managed:read',
    summary: 'List managed certificates by name (cursor: `next` → `after`)',
    query: listQuery,
    responses: { 200: '{items, next?}', 400: 'invalid cursor or limit' },
  },
  {
    method: 'get',
    path: '/api/v1/managed/{name}',
    scope: 'managed:read',
    summary: 'One managed certificate with its current certificate and recent renewals (never its key)',
    responses: { 200: 'the managed certificate', 404: 'unknown name' },
  },
  {
    method: 'put',
    path: '/api/v1/managed/{name}',
    scope: 'managed:write',
    summary: 'Replace the declaration; a change of names, profile, key or lifetime renews at once',
    body: updateBody,
    responses: {
      200: '{…, changed}',
      400: 'malformed body',
      404: 'unknown name',
      409: 'reserved',
      422: 'out of policy',
    },
  },
  {
    method: 'delete',
    path: '/api/v1/managed/{name}',
    scope: 'managed:write',
    summary: 'Stop managing a certificate (issued certificates stay in the inventory until they expire)',
    responses: { 204: 'deleted', 404: 'unknown name', 409: 'reserved' },
  },
  {
    method: 'post',
    path: '/api/v1/managed/{name}/renew',
    scope: 'managed:write',
    summary: 'Renew now (the engine picks it up within moments)',
    responses: { 202: 'due now', 404: 'unknown name' },
  },
  {
    method: 'post',
    path: '/api/v1/apply',
    scope: 'managed:write',
    summary:
      'Apply a manifest (apiVersion rotor/v1, kind ManagedCertificate, one or more documents) idempotently; validated as a whole first',
    bodyMediaTypes: [...YAML_TYPES, 'application/json'],
    query: applyQuery,
    responses: {
      200: '{items: [{name, action}], dryRun}',
      400: 'not YAML, or malformed documents',
      415: 'unsupported media type',
      422: 'out of policy or duplicate names',
    },
  },
]);

/** Managed-certificate errors keep their meaning: 400 malformed, 422 out of policy, 404, 409. */
export function apiErrorOf(error: unknown): unknown {
  if (!(error instanceof ManagedError)) return error;
  switch (error.code) {
    case 'malformed':
      return ApiErrors.badRequest(error.detail, error.errors);
    case 'rejected':
      return ApiErrors.unprocessable(error.detail, error.errors);
    case 'not-found':
      return ApiErrors.notFound(error.detail);
    case 'conflict':
      return ApiErrors.conflict(error.detail);
  }
}

async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw apiErrorOf(error);
  }
}

/** Managed certificates (issue #3): the same operations as `rotor managed` and `rotor apply`. */
@ApiController('managed')
export class ManagedController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Post()
  @RequireScope('managed:write')
  async create(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const body = jsonBody(request);
    const record = await mapped(() => this.runtime.managed.certificates.create(body));
    reply.status(201);
    return toManagedView(record);
  }

  @Get()
  @RequireScope('managed:read')
  async list(@Query() rawQuery: unknown) {
    const query = parseQuery(listQuery, rawQuery);
    const page = await mapped(() =>
      this.runtime.managed.certificates.list({
        after: query.after,
        limit: query.limit === undefined ? undefined : Number(query.limit),
      }),
    );
    return { items: page.items.map(toManagedView), ...(page.next ? { next: page.next } : {}) };
  }

  @Get(':name')
  @RequireScope('managed:read')
  async show(@Param('name') name: string) {
    const record = await mapped(() => this.runtime.managed.certificates.get(checkName(name)));
    return this.detailed(record);
  }

  @Put(':name')
  @RequireScope('managed:write')
  async update(@Param('name') name: string, @Req() request: FastifyRequest) {
    const body = jsonBody(request);
    const { record, changed } = await mapped(() => this.runtime.managed.certificates.update(checkName(name), body));
    return { ...toManagedView(record), changed };
  }

  @Delete(':name')
  @HttpCode(204)
  @RequireScope('managed:write')
  async remove(@Param('name') name: string): Promise<void> {
    await mapped(() => this.runtime.managed.certificates.delete(checkName(name)));
  }

  @Post(':name/renew')
  @HttpCode(202)
  @RequireScope('managed:write')
  async renew(@Param('name') name: string) {
    return toManagedView(await mapped(() => this.runtime.managed.certificates.renew(checkName(name))));
  }

  private async detailed(record: ManagedCertificate) {
    const current = record.currentId ? await this.runtime.inventory.byId(record.currentId) : null;
    const renewals = await this.runtime.managed.repository.renewals(record.id, 10);
    return {
      ...toManagedView(record),
      current: current && {
        id: current.id,
        serial: current.serial,
        notBefore: new Date(current.notBefore).toISOString(),
        notAfter: new Date(current.notAfter).toISOString(),
        keyType: current.keyType,
      },
      renewals: renewals.map((r) => ({
        generation: r.generation + 1,
        certificateId: r.inventoryId,
        previousId: r.previousId ?? null,
        at: new Date(r.createdAt).toISOString(),
        durationMs: r.durationMs,
      })),
    };
  }
}

/** `rotor apply` over HTTP. */
@ApiController('apply')
export class ApplyController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Post()
  @HttpCode(200)
  @RequireScope('managed:write')
  async apply(@Req() request: FastifyRequest, @Query() rawQuery: unknown) {
    const query = parseQuery(applyQuery, rawQuery);
    const type = mediaType(request);
    let manifest: string | unknown[];
    if (type === 'application/json') manifest = [parseJsonText(z.unknown(), rawBody(request))];
    else if (YAML_TYPES.includes(type)) manifest = rawBody(request);
    else throw ApiErrors.unsupportedMediaType(`expected ${YAML_TYPES[0]} or application/json`);
    const dryRun = query.dryRun === 'true';
    const items = await mapped(() =>
      this.runtime.managed.apply.apply(manifest, { prune: query.prune === 'true', dryRun }),
    );
    return { items, dryRun };
  }
}

function jsonBody(request: FastifyRequest): unknown {
  if (mediaType(request) !== 'application/json') {
    throw ApiErrors.unsupportedMediaType('expected Content-Type: application/json');
  }
  return parseJsonText(z.unknown(), rawBody(request));
}

/** A name that cannot exist is a 404 without a database query (and without echoing arbitrary input). */
function checkName(name: string): string {
  if (!NAME.test(name)) throw new ApiError(404, 'not-found', 'no managed certificate with that name');
  return name;
}
