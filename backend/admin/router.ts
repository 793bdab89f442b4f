/**
 * The Admin API's Express router, generated from the route table (routes.ts). For every call,
 * in this order: authenticate the staff key (401), check its role against the route's (403),
 * parse path, query and body with the route's schemas (400), run the handler, strip secrets
 * from the response, write the audit row, answer. A call that is not a GET runs its handler and
 * writes its audit row in one transaction, so an action's database writes and its row commit
 * together (a refusal's row is written after the rollback). Refusals are audited the same way and then
 * handed to the app's error middleware, which writes the `{error: {code, message}}` envelope —
 * except a call without a valid key, which is logged and never audited (otherwise anyone could
 * grow the audit table).
 */
import { performance } from 'node:perf_hooks';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { AccrueError } from '../../shared/errors.ts';
import { toAccrueError } from '../http/errors.ts';
import { jsonGuard } from '../http/json-guard.ts';
import { getTenantById, type Tenant } from '../ledger/tenants.ts';
import type { Db } from '../db/database.ts';
import { writeAudit } from './audit.ts';
import { joinTransaction } from './in-transaction.ts';
import { authenticateAdminKey, type AdminKey } from './keys.ts';
import { redactSecrets } from './redact.ts';
import { ADMIN_ROUTES, type AdminDeps, type AdminRoute } from './routes.ts';
import type { AdminRole } from './schema.ts';
import { adminActor } from './util.ts';

/** Roles in order of power: a route's role is the least one that may call it. */
const ROLE_RANK: Record<AdminRole, number> = { viewer: 1, operator: 2, approver: 3 };
/** Header that may carry the key instead of `Authorization: Bearer`. */
export const ADMIN_KEY_HEADER = 'x-accrue-admin-key';
/** Largest admin request body: an import's CSV (the app's own JSON limit). */
const ADMIN_BODY_SIZE_MAX = '1mb';

export interface AdminRouterOptions {
  /**
   * Parse every response with the route's declared response schema and fail the call when it
   * does not match. Tests turn it on so the OpenAPI document is proven truthful; it costs a
   * parse per call, so production leaves it off.
   */
  checkResponses?: boolean;
}

/** A refusal carrying the detail recorded in the audit row (never sent to the caller). */
class Refusal extends AccrueError {
  constructor(
    code: 'unauthorized' | 'forbidden',
    message: string,
    readonly auditDetail: string,
    readonly presentedPrefix: string | null = null,
  ) {
    super(code, message);
  }
}

function presentedKey(req: Request): string {
  const auth = req.headers.authorization;
  const header = req.headers[ADMIN_KEY_HEADER];
  const viaHeader = typeof header === 'string' && header.length ? header.trim() : null;
  let viaBearer: string | null = null;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m)
      throw new Refusal(
        'unauthorized',
        'send the admin key as "Authorization: Bearer <key>"',
        'authorization header is not a bearer credential',
      );
    viaBearer = m[1]!;
  }
  if (viaBearer && viaHeader && viaBearer !== viaHeader)
    throw new Refusal('unauthorized', 'two different admin keys were sent', 'bearer and header keys differ');
  const key = viaBearer ?? viaHeader;
  if (!key) throw new Refusal('unauthorized', 'an admin key is required', 'no key presented');
  return key;
}

async function authenticate(deps: AdminDeps, req: Request): Promise<AdminKey> {
  const key = presentedKey(req);
  const a = await authenticateAdminKey(deps.db, key);
  if (a.ok) return a.key;
  // One message for every failure, so a caller cannot tell a revoked key from a wrong one.
  throw new Refusal('unauthorized', 'the admin key is not valid', `key ${a.reason}`, a.prefix);
}

function requestIdOf(req: Request): string | null {
  const id = (req as Request & { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
}

/** A refused call without a valid key: logged (method, path, outcome, refusal detail), never audited. */
function logUnauthenticated(deps: AdminDeps, req: Request, e: AccrueError, refusal: Refusal | null): void {
  deps.log.info(
    {
      reqId: requestIdOf(req),
      method: req.method,
      path: `${req.baseUrl}${req.path}`.slice(0, 200),
      outcome: e.code,
      detail: refusal?.auditDetail ?? null,
      presentedPrefix: refusal?.presentedPrefix ?? null,
    },
    'admin call refused without a valid key (not audited)',
  );
}

/** Parses a call, runs its handler with `deps.db`, and returns the payload, secrets redacted (and checked when asked). */
async function runHandler(
  deps: AdminDeps,
  opts: AdminRouterOptions,
  route: AdminRoute,
  req: Request,
  key: AdminKey,
  tenantId: bigint | null,
  noteTenant: (id: bigint) => void,
): Promise<unknown> {
  const params = (route.params ?? z.object({})).parse(req.params ?? {});
  const query = (route.query ?? z.object({})).parse(req.query ?? {});
  const body = route.body ? route.body.parse(req.body ?? {}) : undefined;
  const tenant: Tenant | null = tenantId !== null ? await getTenantById(deps.db, tenantId) : null;
  const result = await route.handle({ params, query, body, key, actor: adminActor(key), tenant, noteTenant, deps });
  const payload = redactSecrets(result);
  if (opts.checkResponses) {
    const check = route.response.safeParse(payload);
    if (!check.success)
      throw new AccrueError('internal', `response of ${route.id} does not match its schema: ${check.error.message}`);
  }
  return payload;
}

/**
 * Runs one call through authentication, authorization, parsing, the handler and the audit.
 * `route` is null for a path under /admin that no route matches (answered 404 after auth).
 */
async function serve(
  deps: AdminDeps,
  opts: AdminRouterOptions,
  route: AdminRoute | null,
  req: Request,
  res: Response,
  next: NextFunction,
): Promise<void> {
  const started = performance.now();
  let key: AdminKey | null = null;
  let tenantId: bigint | null = null;
  const audit = async (
    status: number,
    outcome: string,
    detail: string | null,
    presentedPrefix: string | null = null,
    inTransaction: Db | null = null,
  ) =>
    writeAudit(
      inTransaction ?? deps.db,
      deps.log,
      {
        requestId: requestIdOf(req),
        method: req.method,
        path: `${req.baseUrl}${req.path}`,
        route: route?.path ?? null,
        key: key ? { id: key.id, prefix: key.prefix, name: key.name, role: key.role } : null,
        presentedPrefix,
        tenantId,
        params: { path: req.params ?? {}, query: req.query ?? {}, body: req.body ?? null },
        status,
        outcome,
        detail,
        duration_ms: performance.now() - started,
      },
      { throwOnError: inTransaction !== null },
    );
  try {
    const rawTenant = (req.params as Record<string, string | undefined> | undefined)?.tenantId;
    if (rawTenant && /^\d{1,18}$/.test(rawTenant)) tenantId = BigInt(rawTenant);
    key = await authenticate(deps, req);
    if (!route) throw new AccrueError('not_found', `no admin route ${req.method} ${req.baseUrl}${req.path}`);
    if (ROLE_RANK[key.role] < ROLE_RANK[route.role]) {
      throw new Refusal('forbidden', `this needs an ${route.role} key`, `role ${key.role} below ${route.role}`);
    }
    const caller = key;
    const call = (db: Db) =>
      runHandler({ ...deps, db }, opts, route, req, caller, tenantId, (id) => void (tenantId ??= id));
    const status = route.status ?? 200;
    let payload: unknown;
    if (route.method === 'get') {
      payload = await call(deps.db);
      await audit(status, 'ok', null);
    } else {
      // An action's database writes and its audit row commit together, or neither does.
      payload = await deps.db.transaction().execute(async (tx) => {
        const joined = joinTransaction(tx);
        const p = await call(joined);
        await audit(status, 'ok', null, null, joined);
        return p;
      });
    }
    res.status(status).json(payload);
  } catch (err) {
    const e = toAccrueError(err);
    const refusal = err instanceof Refusal ? err : null;
    // No key, no row: an unauthenticated caller must not be able to grow the database. The log keeps it.
    if (!key) {
      logUnauthenticated(deps, req, e, refusal);
      next(err);
      return;
    }
    await audit(
      e.httpStatus,
      e.code,
      refusal?.auditDetail ?? (e.code === 'internal' ? 'internal error' : e.message),
      refusal?.presentedPrefix ?? null,
    );
    next(err);
  }
}

/** Audits a request the body parser refused, attributing it to its key when the key is valid. */
async function serveRefusal(
  deps: AdminDeps,
  err: unknown,
  req: Request,
  _res: Response,
  next: NextFunction,
): Promise<void> {
  const e = toAccrueError(err);
  let key: AdminKey | null = null;
  try {
    key = await authenticate(deps, req);
  } catch (authErr) {
    logUnauthenticated(deps, req, e, authErr instanceof Refusal ? authErr : null);
    next(err);
    return;
  }
  await writeAudit(deps.db, deps.log, {
    requestId: requestIdOf(req),
    method: req.method,
    path: `${req.baseUrl}${req.path}`,
    route: null,
    key: key ? { id: key.id, prefix: key.prefix, name: key.name, role: key.role } : null,
    presentedPrefix: null,
    tenantId: null,
    params: { query: req.query ?? {} },
    status: e.httpStatus,
    outcome: e.code,
    detail: e.message,
    duration_ms: 0,
  });
  next(err);
}

/**
 * The Admin API, to be mounted at `/admin` after the JSON body parser. Every route in
 * `ADMIN_ROUTES` is registered with its method and path; anything else under the mount point
 * answers 404 (after authentication, so unauthenticated callers learn nothing).
 */
export function adminRouter(deps: AdminDeps, opts: AdminRouterOptions = {}): express.Router {
  const router = express.Router();
  // Parses JSON itself (a no-op when the app already did), so that when the router is mounted
  // before the app's parser a malformed body is refused — and audited — here too.
  router.use(express.json({ limit: ADMIN_BODY_SIZE_MAX }));
  router.use(jsonGuard());
  router.use(
    (err: unknown, req: Request, res: Response, next: NextFunction) => void serveRefusal(deps, err, req, res, next),
  );
  for (const r of ADMIN_ROUTES) {
    router[r.method](r.path, (req, res, next) => serve(deps, opts, r, req, res, next));
  }
  router.use((req, res, next) => serve(deps, opts, null, req, res, next));
  return router;
}
