/**
 * The OpenAPI 3.1 document of the Admin API, generated from the route table: every route's
 * path and query parameters, body, success response, the error envelope, the two ways of
 * sending a staff key, and the role each operation needs (`x-accrue-role`).
 */
import { z } from 'zod';
import { ERROR_CODES } from '../../shared/errors.ts';
import type { AdminRoute } from './routes.ts';

/** Version of the Admin API contract; bump when a route or shape changes incompatibly. */
export const ADMIN_API_VERSION = '1.0.0';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const s = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete s.$schema;
  return s;
}

/** `/tenants/:tenantId/health` → `/tenants/{tenantId}/health`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): object[] {
  if (!schema) return [];
  const s = jsonSchema(schema, 'input');
  const props = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(props).map(([name, p]) => {
    const { description, ...rest } = p;
    return {
      name,
      in: where,
      required: where === 'path' ? true : required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

const ERROR = { $ref: '#/components/responses/Error' };

/** Builds the document. Paths are keyed by the OpenAPI form of each route's Express path. */
export function buildOpenApiDocument(routes: AdminRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const responses: Record<string, unknown> = {
      [String(r.status ?? 200)]: {
        description: r.summary,
        content: { 'application/json': { schema: jsonSchema(r.response, 'output') } },
      },
      '401': { ...ERROR, description: 'No key, an unknown key or a revoked key.' },
    };
    if (r.role !== 'viewer') responses['403'] = { ...ERROR, description: `The key's role is below \`${r.role}\`.` };
    if (r.params || r.query || r.body)
      responses['400'] = { ...ERROR, description: 'A parameter or the body is invalid.' };
    if (r.params) responses['404'] = { ...ERROR, description: 'Nothing with that id.' };
    if (r.method !== 'get') responses['409'] = { ...ERROR, description: 'The current state does not allow it.' };
    responses['500'] = { ...ERROR, description: 'An internal error (details are logged, never returned).' };
    const op: Record<string, unknown> = {
      operationId: r.id,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      'x-accrue-role': r.role,
      security: [{ adminBearer: [] }, { adminKeyHeader: [] }],
      parameters: [...parametersOf(r.params, 'path'), ...parametersOf(r.query, 'query')],
      responses,
    };
    if (r.body)
      op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } };
    (paths[openApiPath(r.path)] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Accrue Admin API',
      version: ADMIN_API_VERSION,
      description:
        'Support-staff operations on Accrue tenants. Every call needs a staff key; `viewer` keys read, `operator` keys also change things, `approver` keys also decide the approval queue. ' +
        'Every call, refused ones included, is written to the audit log. Lists page with `limit` and the `next` cursor passed back as `after`.',
    },
    servers: [{ url: '/admin' }],
    security: [{ adminBearer: [] }, { adminKeyHeader: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        adminBearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A staff key made with `accrue admin create-key`.',
        },
        adminKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Accrue-Admin-Key' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(ERROR_CODES) },
                message: { type: 'string' },
              },
            },
          },
        },
      },
      responses: {
        Error: {
          description: 'An error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  };
}
