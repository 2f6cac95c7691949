import { Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  inventoryListQuerySchema,
  InventoryInputError,
  MAX_IMPORT_CERTIFICATES,
  toInventoryQuery,
  toView,
} from '@rotor/lifecycle';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RUNTIME } from '../http/tokens';
import type { Runtime } from '../runtime/runtime';
import { ApiController, RequireScope } from './api-controller';
import { ApiErrors } from './api-error';
import { registerOperations } from './openapi';
import { mediaType, parseJsonText, parseQuery, rawBody } from './validation';

const importBody = z.object({ pem: z.string().min(1).describe('one or more PEM certificates') }).strict();
/** RFC 7468 PEM as a raw body: the common media types for certificate files. */
const PEM_TYPES = ['application/x-pem-file', 'application/pem-certificate-chain'];

registerOperations([
  {
    method: 'get',
    path: '/api/v1/certificates',
    scope: 'inventory:read',
    summary: 'List inventory certificates ordered by notAfter, with filters and a stable cursor (`next` → `after`)',
    query: inventoryListQuerySchema,
    responses: { 200: '{items, next?, total?}', 400: 'invalid filter, cursor or limit' },
  },
  {
    method: 'get',
    path: '/api/v1/certificates/{id}',
    scope: 'inventory:read',
    summary: 'One certificate by SHA-256 fingerprint (hex, colons allowed) or serial, with its PEM',
    responses: { 200: 'the certificate', 404: 'unknown certificate' },
  },
  {
    method: 'post',
    path: '/api/v1/certificates/import',
    scope: 'inventory:write',
    summary: `Track certificates Rotor did not issue: up to ${MAX_IMPORT_CERTIFICATES} PEM certificates (JSON {pem} or a raw PEM body)`,
    body: importBody,
    bodyMediaTypes: PEM_TYPES,
    responses: {
      200: 'all already known',
      201: 'at least one new certificate',
      400: 'not PEM or not X.509',
      415: 'unsupported media type',
      422: 'a private key or CSR instead of certificates, or too many certificates',
    },
  },
]);

/** Inventory errors keep their meaning: malformed input is 400, well-formed but refused input 422. */
function apiErrorOf(error: unknown): unknown {
  if (!(error instanceof InventoryInputError)) return error;
  return error.code === 'rejected' ? ApiErrors.unprocessable(error.message) : ApiErrors.badRequest(error.message);
}

/** The certificate inventory (issue #3): every certificate Rotor issued, imported or found by a scan. */
@ApiController('certificates')
export class CertificatesController {
  constructor(@Inject(RUNTIME) private readonly runtime: Runtime) {}

  @Get()
  @RequireScope('inventory:read')
  async list(@Query() rawQuery: unknown) {
    const params = parseQuery(inventoryListQuerySchema, rawQuery);
    const query = toInventoryQuery(params);
    const { queries } = this.runtime.inventoryUseCases;
    try {
      const page = await queries.list(query);
      return {
        items: page.items,
        ...(page.next ? { next: page.next } : {}),
        ...(params.count === 'true' ? { total: await queries.count(query) } : {}),
      };
    } catch (error) {
      throw apiErrorOf(error);
    }
  }

  @Post('import')
  @RequireScope('inventory:write')
  async import(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const type = mediaType(request);
    let pem: string;
    if (type === 'application/json') pem = parseJsonText(importBody, rawBody(request)).pem;
    else if (PEM_TYPES.includes(type)) pem = rawBody(request);
    else throw ApiErrors.unsupportedMediaType(`expected application/json or ${PEM_TYPES.join(' or ')}`);

    const useCase = this.runtime.inventoryUseCases.import;
    let records;
    try {
      records = useCase.prepare(pem, MAX_IMPORT_CERTIFICATES);
    } catch (error) {
      throw apiErrorOf(error);
    }
    const results = await useCase.store(records);
    const now = Date.now();
    const inserted = results.filter((r) => r.inserted).length;
    reply.status(inserted > 0 ? 201 : 200);
    return {
      imported: inserted,
      known: results.length - inserted,
      items: results.map((r) => ({
        ...toView(r.record, now, this.runtime.config.expiryWarning),
        inserted: r.inserted,
      })),
    };
  }

  @Get(':id')
  @RequireScope('inventory:read')
  async show(@Param('id') id: string) {
    const view = await this.runtime.inventoryUseCases.queries.show(id.slice(0, 200));
    if (!view) throw ApiErrors.notFound('no certificate with this fingerprint or serial');
    return view;
  }
}
