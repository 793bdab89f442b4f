/**
 * Proves the OpenAPI document and the router cannot disagree: the set of (method, path) pairs
 * registered on the Express router equals the set of operations in the document, and each
 * operation carries the role, security, parameters, body and error responses its route declares.
 * Needs no database: building the router and the document touches none.
 */
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument, openApiPath } from '../../backend/admin/openapi.ts';
import { adminRouter } from '../../backend/admin/router.ts';
import { ADMIN_ROUTES, type AdminDeps } from '../../backend/admin/routes.ts';
import { createLogger } from '../../backend/log/logger.ts';

type Layer = { route?: { path: string; methods: Record<string, boolean> } };

function registered(): string[] {
  // Building the router does not use its dependencies; the handlers would.
  const router = adminRouter({ db: null, jobs: null, log: createLogger('silent') } as unknown as AdminDeps);
  const out: string[] = [];
  for (const layer of (router as unknown as { stack: Layer[] }).stack) {
    if (!layer.route) continue;
    for (const [m, on] of Object.entries(layer.route.methods))
      if (on) out.push(`${m.toUpperCase()} ${openApiPath(layer.route.path)}`);
  }
  return out.sort();
}

const doc = buildOpenApiDocument(ADMIN_ROUTES) as {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        'x-accrue-role': string;
        security: unknown[];
        parameters: { name: string; in: string; required: boolean; schema: { maximum?: number } }[];
        requestBody?: unknown;
        responses: Record<string, unknown>;
      }
    >
  >;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
};

function documented(): string[] {
  return Object.entries(doc.paths)
    .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
    .sort();
}

describe('admin OpenAPI document', () => {
  it('documents exactly the routes the router serves, methods included', () => {
    const served = registered();
    expect(served.length).toBe(ADMIN_ROUTES.length);
    expect(new Set(served).size).toBe(served.length);
    expect(documented()).toEqual(served);
  });

  it('is OpenAPI 3.1 with a bearer scheme and the header scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.adminBearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.adminKeyHeader).toMatchObject({ type: 'apiKey' });
  });

  it('gives each operation its role, security, path parameters, body and error responses', () => {
    const ids = new Set<string>();
    for (const r of ADMIN_ROUTES) {
      const op = doc.paths[openApiPath(r.path)]![r.method]!;
      ids.add(op.operationId);
      expect(op['x-accrue-role']).toBe(r.role);
      expect(op.security.length).toBe(2);
      expect(op.responses['401']).toBeDefined();
      expect(op.responses[String(r.status ?? 200)]).toBeDefined();
      if (r.role !== 'viewer') expect(op.responses['403']).toBeDefined();
      else expect(op.responses['403']).toBeUndefined();
      const pathParams = [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
      expect(op.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(pathParams);
      expect(op.parameters.filter((p) => p.in === 'path').every((p) => p.required)).toBe(true);
      expect(op.requestBody !== undefined).toBe(r.body !== undefined);
      if (r.method === 'get') expect(op.requestBody).toBeUndefined();
    }
    expect(ids.size).toBe(ADMIN_ROUTES.length);
  });

  it('documents paging on every list: limit (max 100) and after', () => {
    const lists = ADMIN_ROUTES.filter((r) => r.query && /^list/.test(r.id));
    expect(lists.length).toBeGreaterThanOrEqual(6);
    for (const r of lists) {
      const params = doc.paths[openApiPath(r.path)]![r.method]!.parameters;
      expect(params.find((p) => p.name === 'limit')?.schema.maximum, r.id).toBe(100);
      expect(
        params.some((p) => p.name === 'after'),
        r.id,
      ).toBe(true);
    }
  });
});
