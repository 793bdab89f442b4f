/**
 * The App API router (`/api/app/*`): thin routes that parse each body with its schema from
 * shared/api/app.ts, call one `AppService` method with the verified caller, and check the
 * answer against the response schema before sending it. The service — implemented by the
 * backend on PostgreSQL — owns all behaviour; this module owns only the HTTP contract.
 *
 * Errors: every failure is an `AccrueError` passed to `next(err)`, so the application's one
 * error middleware maps codes to statuses. Writes require an administrator or developer role.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { toAccrueError } from '../errors.ts';
import { jsonGuard } from './json-guard.ts';
import { ipRateLimit, tenantRateLimit, type RateLimits } from './rate-limit.ts';
import type { z } from 'zod';
import {
  AccountMappingResponseSchema,
  AccountMappingUpdateRequestSchema,
  APP_ROUTES,
  BundlePreviewRequestSchema,
  BundlePreviewResponseSchema,
  CreateMissingAccountsRequestSchema,
  CreateMissingAccountsResponseSchema,
  CustomerDetailResponseSchema,
  ExceptionResponseSchema,
  ExceptionsQuerySchema,
  ExceptionsResponseSchema,
  InvoiceDetailResponseSchema,
  ObjectIdSchema,
  previewBundleSplit,
  ProductRuleDeleteRequestSchema,
  ProductRuleResponseSchema,
  ProductRuleUpdateRequestSchema,
  ProductsQuerySchema,
  ProductsResponseSchema,
  QboAccountsResponseSchema,
  QboConnectResponseSchema,
  QboStatusResponseSchema,
  ReportQuerySchema,
  ResolveExceptionRequestSchema,
  RollforwardResponseSchema,
  SettingsPageResponseSchema,
  SettingsPageUpdateRequestSchema,
  SettingsResponseSchema,
  SettingsUpdateRequestSchema,
  SyncStatusResponseSchema,
  WaterfallResponseSchema,
} from '../../shared/api/app.ts';
import {
  MetricsQuerySchema,
  MetricsResponseSchema,
  RevenueBridgeResponseSchema,
  RpoQuerySchema,
  RpoResponseSchema,
} from '../../shared/api/cockpit.ts';
import {
  APPROVAL_APP_ROUTES,
  ApprovalsQuerySchema,
  ApprovalsResponseSchema,
  AppApprovalSchema,
  DecideApprovalRequestSchema,
  ManualJournalRequestSchema,
  ManualJournalResponseSchema,
} from '../../shared/api/approvals.ts';
import { AccrueError } from '../../shared/errors.ts';
import type { AppCaller, AppService } from '../app/app-api/types.ts';
import { closeRoutes } from './app-close-routes.ts';
import { appAuth, appCallerOf, appCors, requireWriteRole, type AppAuthOptions } from './app-auth.ts';
import { ruleRoutes } from './rule-routes.ts';

/** Largest JSON body the App API accepts: a bundle rule with 20 components is a few kilobytes. */
export const APP_BODY_BYTES_MAX = 64 * 1024;

export interface AppRouterOptions {
  /**
   * When given, the router mounts CORS, JSON parsing and `appAuth` itself. Without it the
   * application must mount `appCors()`, `express.json()` and `appAuth()` in front of the
   * router; a request that reaches a route unauthenticated is refused (401) either way.
   */
  auth?: AppAuthOptions;
  /** Per-IP limit before authentication, per-tenant after it; none when absent. */
  rateLimits?: RateLimits | null;
}

/** Parses `value` with `schema`; a failure is `invalid_input` naming the first bad field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new AccrueError('invalid_input', `Invalid ${what}: ${where}${issue?.message ?? 'invalid'}`, {
      issues: r.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  return r.data;
}

/** Checks our own answer against the contract, so a drifting service is a loud 500, not a broken UI. */
export function send<S extends z.ZodType>(res: Response, schema: S, value: unknown): void {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new AccrueError('internal', 'The App API produced a response outside its contract', {
      issues: r.error.issues.slice(0, 5),
    });
  res.json(r.data);
}

function idParam(req: Request): string {
  return parseWith(ObjectIdSchema, req.params['id'], 'id in path');
}

type Handler = (req: Request, res: Response, caller: AppCaller) => Promise<void>;

/** Wraps a handler: resolves the caller, forwards every error to `next`. */
export function route(handler: Handler, opts: { write?: boolean } = {}) {
  return (req: Request, res: Response, next: NextFunction) => {
    (async () => {
      const caller = appCallerOf(res);
      if (opts.write) requireWriteRole(caller);
      await handler(req, res, caller);
    })().catch(next);
  };
}

/** JSON body parsing whose failures are `invalid_input` in our own error family. */
function jsonBody() {
  const parse = express.json({ limit: APP_BODY_BYTES_MAX });
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (err?: unknown) => {
      if (err) {
        const type = (err as { type?: string }).type;
        if (type === 'entity.too.large')
          next(new AccrueError('payload_too_large', `The request body is larger than ${APP_BODY_BYTES_MAX} bytes.`));
        else if (type === 'entity.parse.failed')
          next(new AccrueError('invalid_input', 'The request body is not valid JSON.'));
        else next(toAccrueError(err));
        return;
      }
      next();
    });
  };
}

/** The tenant an authenticated App API request is for, as a rate-limit key. */
export function appTenantKey(_req: Request, res: Response): string | null {
  const caller = res.locals['appCaller'] as AppCaller | undefined;
  return caller ? `${caller.tenant.accountId}:${caller.tenant.livemode ? 'live' : 'test'}` : null;
}

/**
 * The Stripe App's API. Mount at `/api/app`. See `AppRouterOptions` for authentication.
 */
export function appRouter(service: AppService, options: AppRouterOptions = {}): Router {
  const r = express.Router();
  if (options.auth) {
    r.use(ipRateLimit(options.rateLimits, 'app-api'));
    r.use(appCors());
    r.use(jsonBody());
    r.use(jsonGuard());
    r.use(appAuth(options.auth));
    r.use(tenantRateLimit(options.rateLimits, appTenantKey, 'app-api'));
  }
  // Registered area by area, in the order the routes have always been mounted.
  settingsRoutes(r, service);
  quickbooksRoutes(r, service);
  productRoutes(r, service);
  exceptionRoutes(r, service);
  reportRoutes(r, service);
  approvalRoutes(r, service);
  ruleRoutes(r, service);
  closeRoutes(r, service);
  return r;
}

/** Settings and the account mapping. */
function settingsRoutes(r: Router, service: AppService): void {
  r.get(
    APP_ROUTES.settings,
    route(async (_req, res, c) => send(res, SettingsResponseSchema, await service.getSettings(c))),
  );
  r.put(
    APP_ROUTES.settings,
    // `write` is checked before the body is parsed, so a read-only user learns 403, not a field error.
    route(
      async (req, res, c) =>
        send(
          res,
          SettingsResponseSchema,
          await service.updateSettings(c, parseWith(SettingsUpdateRequestSchema, req.body, 'settings')),
        ),
      { write: true },
    ),
  );
  r.put(
    APP_ROUTES.settingsPage,
    route(
      async (req, res, c) =>
        send(
          res,
          SettingsPageResponseSchema,
          await service.saveSettingsPage(c, parseWith(SettingsPageUpdateRequestSchema, req.body, 'settings page')),
        ),
      { write: true },
    ),
  );

  r.get(
    APP_ROUTES.accountMapping,
    route(async (_req, res, c) => send(res, AccountMappingResponseSchema, await service.getAccountMapping(c))),
  );
  r.put(
    APP_ROUTES.accountMapping,
    route(
      async (req, res, c) =>
        send(
          res,
          AccountMappingResponseSchema,
          await service.updateAccountMapping(
            c,
            parseWith(AccountMappingUpdateRequestSchema, req.body, 'account mapping'),
          ),
        ),
      { write: true },
    ),
  );
}

/** The QuickBooks connection and its chart of accounts. */
function quickbooksRoutes(r: Router, service: AppService): void {
  r.get(
    APP_ROUTES.qboAccounts,
    route(async (_req, res, c) => send(res, QboAccountsResponseSchema, await service.listQboAccounts(c))),
  );
  r.post(
    APP_ROUTES.qboCreateMissing,
    route(
      async (req, res, c) =>
        send(
          res,
          CreateMissingAccountsResponseSchema,
          await service.createMissingAccounts(
            c,
            parseWith(CreateMissingAccountsRequestSchema, req.body ?? {}, 'create-missing request'),
          ),
        ),
      { write: true },
    ),
  );
  r.post(
    APP_ROUTES.qboConnect,
    route(async (_req, res, c) => send(res, QboConnectResponseSchema, await service.startQboConnect(c)), {
      write: true,
    }),
  );
  r.get(
    APP_ROUTES.qboStatus,
    route(async (_req, res, c) => send(res, QboStatusResponseSchema, await service.getQboStatus(c))),
  );
  r.post(
    APP_ROUTES.qboDisconnect,
    route(async (_req, res, c) => send(res, QboStatusResponseSchema, await service.disconnectQbo(c)), { write: true }),
  );
}

/** Products, their revenue rules and the bundle preview. */
function productRoutes(r: Router, service: AppService): void {
  r.get(
    APP_ROUTES.products,
    route(async (req, res, c) =>
      send(
        res,
        ProductsResponseSchema,
        await service.listProducts(c, parseWith(ProductsQuerySchema, req.query, 'query')),
      ),
    ),
  );
  r.get(
    APP_ROUTES.productRule,
    route(async (req, res, c) => send(res, ProductRuleResponseSchema, await service.getProductRule(c, idParam(req)))),
  );
  r.put(
    APP_ROUTES.productRule,
    route(
      async (req, res, c) =>
        send(
          res,
          ProductRuleResponseSchema,
          await service.putProductRule(
            c,
            idParam(req),
            parseWith(ProductRuleUpdateRequestSchema, req.body, 'product rule'),
          ),
        ),
      { write: true },
    ),
  );
  r.delete(
    APP_ROUTES.productRule,
    route(
      async (req, res, c) =>
        send(
          res,
          ProductRuleResponseSchema,
          await service.deleteProductRule(
            c,
            idParam(req),
            parseWith(ProductRuleDeleteRequestSchema, req.query, 'query'),
          ),
        ),
      { write: true },
    ),
  );

  // Pure: the same `previewBundleSplit` the UI runs, so the service is not involved.
  r.post(
    APP_ROUTES.bundlePreview,
    route(async (req, res) => {
      const body = parseWith(BundlePreviewRequestSchema, req.body, 'bundle preview');
      if (body.components.every((comp) => Number(comp.ssp) === 0))
        throw new AccrueError('invalid_input', 'At least one component needs a standalone selling price above zero.');
      send(res, BundlePreviewResponseSchema, previewBundleSplit(body));
    }),
  );
}

/** Sync status and the exceptions inbox. */
function exceptionRoutes(r: Router, service: AppService): void {
  r.get(
    APP_ROUTES.syncStatus,
    route(async (_req, res, c) => send(res, SyncStatusResponseSchema, await service.getSyncStatus(c))),
  );
  r.get(
    APP_ROUTES.exceptions,
    route(async (req, res, c) =>
      send(
        res,
        ExceptionsResponseSchema,
        await service.listExceptions(c, parseWith(ExceptionsQuerySchema, req.query, 'query')),
      ),
    ),
  );
  r.post(
    APP_ROUTES.exceptionRetry,
    route(async (req, res, c) => send(res, ExceptionResponseSchema, await service.retryException(c, idParam(req))), {
      write: true,
    }),
  );
  r.post(
    APP_ROUTES.exceptionResolve,
    route(
      async (req, res, c) =>
        send(
          res,
          ExceptionResponseSchema,
          await service.resolveException(
            c,
            idParam(req),
            parseWith(ResolveExceptionRequestSchema, req.body, 'resolution'),
          ),
        ),
      { write: true },
    ),
  );
}

/** Reports and the invoice and customer drill-downs. */
function reportRoutes(r: Router, service: AppService): void {
  r.get(
    APP_ROUTES.waterfall,
    route(async (req, res, c) =>
      send(
        res,
        WaterfallResponseSchema,
        await service.getWaterfall(c, parseWith(ReportQuerySchema, req.query, 'query')),
      ),
    ),
  );
  r.get(
    APP_ROUTES.rollforward,
    route(async (req, res, c) =>
      send(
        res,
        RollforwardResponseSchema,
        await service.getRollforward(c, parseWith(ReportQuerySchema, req.query, 'query')),
      ),
    ),
  );
  cockpitRoutes(r, service);
  r.get(
    APP_ROUTES.invoice,
    route(async (req, res, c) =>
      send(res, InvoiceDetailResponseSchema, await service.getInvoiceDetail(c, idParam(req))),
    ),
  );
  r.get(
    APP_ROUTES.customer,
    route(async (req, res, c) =>
      send(res, CustomerDetailResponseSchema, await service.getCustomerDetail(c, idParam(req))),
    ),
  );
}

/** The finance cockpit: SaaS metrics, the forward schedule (RPO) and the revenue bridge. */
function cockpitRoutes(r: Router, service: AppService): void {
  r.get(
    APP_ROUTES.metrics,
    route(async (req, res, c) =>
      send(res, MetricsResponseSchema, await service.getMetrics(c, parseWith(MetricsQuerySchema, req.query, 'query'))),
    ),
  );
  r.get(
    APP_ROUTES.rpo,
    route(async (req, res, c) =>
      send(res, RpoResponseSchema, await service.getRpo(c, parseWith(RpoQuerySchema, req.query, 'query'))),
    ),
  );
  r.get(
    APP_ROUTES.revenueBridge,
    route(async (req, res, c) =>
      send(
        res,
        RevenueBridgeResponseSchema,
        await service.getRevenueBridge(c, parseWith(ReportQuerySchema, req.query, 'query')),
      ),
    ),
  );
}

/** Manual journals (edit rights) and the approval queue (read by all; decided by approvers, checked by the use case). */
function approvalRoutes(r: Router, service: AppService): void {
  r.get(
    APPROVAL_APP_ROUTES.approvals,
    route(async (req, res, c) =>
      send(
        res,
        ApprovalsResponseSchema,
        await service.listApprovals(c, parseWith(ApprovalsQuerySchema, req.query, 'query')),
      ),
    ),
  );
  r.post(
    APPROVAL_APP_ROUTES.approvalDecide,
    route(async (req, res, c) =>
      send(
        res,
        AppApprovalSchema,
        await service.decideApproval(c, idParam(req), parseWith(DecideApprovalRequestSchema, req.body, 'body')),
      ),
    ),
  );
  r.post(
    APPROVAL_APP_ROUTES.manualJournal,
    route(
      async (req, res, c) =>
        send(
          res,
          ManualJournalResponseSchema,
          await service.postManualJournal(c, parseWith(ManualJournalRequestSchema, req.body, 'body')),
        ),
      { write: true },
    ),
  );
}
