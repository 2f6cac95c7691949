import { API_SCOPES, ApiScope } from '@rotor/lifecycle';
import { z } from 'zod';

/** One admin-API operation, declared next to its handler and collected into the OpenAPI document. */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path template, e.g. /api/v1/managed/{name}. */
  path: string;
  scope: ApiScope;
  summary: string;
  body?: z.ZodType;
  /** Media types other than JSON the body may also use (e.g. application/x-pem-file). */
  bodyMediaTypes?: string[];
  query?: z.ZodObject;
  responses: Record<number, string>;
}

const operations: ApiOperation[] = [];

/** Called at module level by each controller file. */
export function registerOperations(list: ApiOperation[]): void {
  for (const op of list) {
    if (!operations.some((o) => o.method === op.method && o.path === op.path)) operations.push(op);
  }
}

const schemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

const PROBLEM = {
  type: 'object',
  required: ['type', 'status'],
  properties: {
    type: { type: 'string', description: 'urn:rotor:problem:<code>' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

/** The OpenAPI 3.1 document for /api/v1, built from the registered operations' zod schemas. */
export function openApiDocument(serverUrl: string, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of [...operations].sort((a, b) => a.path.localeCompare(b.path))) {
    const parameters = [
      ...[...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...Object.entries(op.query?.shape ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: !(schema as z.ZodType).safeParse(undefined).success,
        schema: schemaOf(schema as z.ZodType),
      })),
    ];
    const content: Record<string, unknown> = {};
    if (op.body) content['application/json'] = { schema: schemaOf(op.body) };
    for (const type of op.bodyMediaTypes ?? []) content[type] = { schema: { type: 'string' } };
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(op.responses)) {
      responses[status] =
        Number(status) >= 400
          ? { description, content: { 'application/problem+json': { schema: PROBLEM } } }
          : { description };
    }
    responses['401'] ??= { description: 'missing, unknown, expired or revoked token' };
    responses['403'] ??= { description: `token lacks the "${op.scope}" scope` };
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      security: [{ bearer: [op.scope] }],
      ...(parameters.length ? { parameters } : {}),
      ...(Object.keys(content).length ? { requestBody: { required: true, content } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Rotor admin API', version },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: `Tokens from \`rotor tokens create\`; scopes: ${API_SCOPES.join(', ')} (admin implies all).`,
        },
      },
    },
    paths,
  };
}
