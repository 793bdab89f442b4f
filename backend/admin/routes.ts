/**
 * The Admin API's route table: every route with its method, path, the least role it needs, its
 * parameter, query, body and response schemas, and its handler. The router (router.ts) and the
 * OpenAPI document (openapi.ts) are both generated from this one table, so what is served, who
 * may call it and what is documented cannot disagree.
 */
import { z } from 'zod';
import { AccrueError } from '../../shared/errors.ts';
import type { ProcessDeps } from '../app/process.ts';
import type { Db } from '../db/database.ts';
import { QUEUES, type Jobs } from '../jobs/runner.ts';
import { closePeriod, listPeriods } from '../ledger/periods.ts';
import type { Tenant } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { AuditItem, AuditQuery, listAudit } from './audit.ts';
import { submitPeriodReopen } from '../app/approvals/kinds.ts';
import { APPROVAL_ROUTES, Queued } from './approvals.ts';
import { IMPORT_ROUTES } from './imports.ts';
import { RULE_ADMIN_ROUTES } from './rules.ts';
import {
  EventDetail,
  EventId,
  EventListQuery,
  EventSummary,
  listEvents,
  replayEvent,
  replayRange,
  ReplayRangeBody,
  ReplayResult,
  showEvent,
} from './events.ts';
import {
  ExceptionItem,
  ExceptionQuery,
  listTenantExceptions,
  ResolveBody,
  resolveTenantException,
  retryException,
  RetryResult,
} from './exception-actions.ts';
import {
  jobCounts,
  JobQuery,
  JobRun,
  listJobs,
  OptionalPeriodBody,
  QueueCounts,
  ReleaseBody,
  triggerRelease,
  triggerTenantJob,
} from './jobs.ts';
import type { AdminKey } from './keys.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { pageOf, pageQuery } from './paging.ts';
import {
  Enqueued,
  entrySyncStates,
  EntrySyncQuery,
  EntrySyncState,
  ReconnectQuery,
  ReconnectRow,
  resyncPeriod,
  ResyncBody,
  tenantsNeedingReconnect,
} from './quickbooks.ts';
import type { AdminRole } from './schema.ts';
import {
  listTenants,
  SettingsVersion,
  TenantHealth,
  TenantListQuery,
  TenantSummary,
  tenantHealth,
  tenantSettingsHistory,
} from './tenants.ts';

/** What the Admin API needs from the process. */
export interface AdminDeps {
  db: Db;
  jobs: Jobs;
  log: Logger;
  /** Reserved for running processing inline (e.g. a synchronous replay); routes enqueue jobs today. */
  processDeps?: ProcessDeps | undefined;
}

/** What a handler receives: parsed input, the calling key, and the tenant named in the path. */
export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  key: AdminKey;
  /** `admin:<name> (<prefix>)`, recorded on what the call changes. */
  actor: string;
  /** The tenant of a `/tenants/:tenantId/…` path (checked to exist), else null. */
  tenant: Tenant | null;
  /** Names the tenant a call turned out to be about (e.g. an event's), for the audit row. */
  noteTenant(tenantId: bigint): void;
  deps: AdminDeps;
}

export type HttpMethod = 'get' | 'post';

export interface AdminRoute {
  /** The OpenAPI operationId. */
  id: string;
  method: HttpMethod;
  /** Express path relative to the mount point (`/tenants/:tenantId/health`). */
  path: string;
  /** The least role that may call it: `viewer` reads, `operator` changes. */
  role: AdminRole;
  tag: string;
  summary: string;
  description?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
  /** Success status (200 unless it says otherwise). */
  status?: number;
  handle(ctx: RouteContext<unknown, unknown, unknown>): Promise<unknown>;
}

/** What a handler sees for an input the route does not declare. */
type NoInput = z.ZodType<Record<string, never>>;

/** Declares a route with its handler typed by its schemas. */
function route<
  P extends z.ZodType = NoInput,
  Q extends z.ZodType = NoInput,
  B extends z.ZodType = NoInput,
  R extends z.ZodType = z.ZodType,
>(
  r: Omit<AdminRoute, 'params' | 'query' | 'body' | 'response' | 'handle'> & {
    params?: P;
    query?: Q;
    body?: B;
    response: R;
    handle(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<z.input<R>>;
  },
): AdminRoute {
  return r as unknown as AdminRoute;
}

const TenantParams = z.object({
  tenantId: z
    .string()
    .regex(/^\d{1,18}$/)
    .describe('Internal tenant id (see GET /tenants).'),
});
const EventParams = z.object({ eventId: EventId });
const ExceptionParams = TenantParams.extend({ exceptionId: z.string().regex(/^\d{1,18}$/) });
const PeriodParams = TenantParams.extend({
  period: z
    .string()
    .regex(/^\d{4}-\d{2}(-\d{2})?$/)
    .describe('Period key (YYYY-MM) or a date inside it.'),
});
const ReopenBody = z
  .object({
    reason: z
      .string()
      .trim()
      .min(1, 'a reason is required')
      .max(2_000)
      .describe('Why the period is reopened (kept in the period audit).'),
  })
  .strict();
const PeriodItem = z.object({
  key: z.string(),
  start: z.string(),
  end: z.string().describe('Exclusive.'),
  status: z.enum(['open', 'closed']),
  closedAt: z.string().nullable(),
  closedBy: z.string().nullable(),
});
/** A tenant's periods: ten years of months is 120; a list longer than this is not a support screen. */
const PERIODS_SHOWN_MAX = 240;
/** Settings versions shown: settings change rarely; older versions stay in the database. */
const SETTINGS_VERSIONS_SHOWN_MAX = 100;

function tenantOf(ctx: { tenant: Tenant | null }): Tenant {
  if (!ctx.tenant) throw new AccrueError('internal', 'route without a tenant path parameter asked for the tenant');
  return ctx.tenant;
}

/** Every Admin API route. Order matters only for documentation. */
export const ADMIN_ROUTES: AdminRoute[] = [
  route({
    id: 'getOpenApi',
    method: 'get',
    path: '/openapi.json',
    role: 'viewer',
    tag: 'meta',
    summary: 'This API described as OpenAPI 3.1',
    response: z.record(z.string(), z.unknown()),
    handle: async () => openApiDocument(),
  }),
  // Tenants
  route({
    id: 'listTenants',
    method: 'get',
    path: '/tenants',
    role: 'viewer',
    tag: 'tenants',
    summary: 'Search tenants by Stripe account id prefix, status, mode or QuickBooks connection',
    query: TenantListQuery.extend(pageQuery),
    response: pageOf(TenantSummary),
    handle: ({ deps, query }) => listTenants(deps.db, query),
  }),
  route({
    id: 'getTenantHealth',
    method: 'get',
    path: '/tenants/:tenantId',
    role: 'viewer',
    tag: 'tenants',
    summary: "A tenant's health: QuickBooks connection, inbox lag, outbox depth, failures, last close",
    params: TenantParams,
    response: TenantHealth,
    handle: async (ctx) => tenantHealth(ctx.deps.db, tenantOf(ctx).id),
  }),
  route({
    id: 'getTenantSettingsHistory',
    method: 'get',
    path: '/tenants/:tenantId/settings-history',
    role: 'viewer',
    tag: 'tenants',
    summary: "Every version of a tenant's settings, newest first",
    params: TenantParams,
    response: z.object({ data: z.array(SettingsVersion) }),
    handle: async (ctx) => {
      const h = await tenantSettingsHistory(ctx.deps.db, tenantOf(ctx).id);
      return { data: h.data.slice(0, SETTINGS_VERSIONS_SHOWN_MAX) };
    },
  }),
  // Events
  route({
    id: 'listEvents',
    method: 'get',
    path: '/events',
    role: 'viewer',
    tag: 'events',
    summary: 'Stored Stripe events by tenant, status, type and created range, newest first',
    query: EventListQuery.extend(pageQuery),
    response: pageOf(EventSummary),
    handle: ({ deps, query }) => listEvents(deps.db, query),
  }),
  route({
    id: 'getEvent',
    method: 'get',
    path: '/events/:eventId',
    role: 'viewer',
    tag: 'events',
    summary: 'One event: a summary of its payload and the journal entries it produced',
    description:
      'Entries are linked by `cause` (posted while processing this event) or by `sources` (they name the same Stripe object).',
    params: EventParams,
    response: EventDetail,
    handle: async ({ deps, params, noteTenant }) => {
      const ev = await showEvent(deps.db, params.eventId);
      noteTenant(BigInt(ev.tenantId));
      return ev;
    },
  }),
  route({
    id: 'replayEvent',
    method: 'post',
    path: '/events/:eventId/replay',
    role: 'operator',
    tag: 'events',
    summary: "Set an event back to pending (attempts 0) and enqueue the tenant's inbox",
    params: EventParams,
    response: ReplayResult,
    handle: async ({ deps, params, noteTenant }) => {
      const r = await replayEvent(deps.db, deps.jobs, params.eventId);
      noteTenant(BigInt(r.tenantId));
      return r;
    },
  }),
  route({
    id: 'replayEventRange',
    method: 'post',
    path: '/tenants/:tenantId/events/replay',
    role: 'operator',
    tag: 'events',
    summary: "Re-pend a tenant's events in a created range (default: failed ones) and enqueue its inbox",
    params: TenantParams,
    body: ReplayRangeBody,
    response: ReplayResult,
    handle: async (ctx) => replayRange(ctx.deps.db, ctx.deps.jobs, tenantOf(ctx).id, ctx.body),
  }),
  // QuickBooks
  route({
    id: 'listEntrySyncStates',
    method: 'get',
    path: '/tenants/:tenantId/quickbooks/entries',
    role: 'viewer',
    tag: 'quickbooks',
    summary: 'Journal entries with the state of the QuickBooks write that covers each',
    params: TenantParams,
    query: EntrySyncQuery.extend(pageQuery),
    response: pageOf(EntrySyncState),
    handle: async (ctx) => entrySyncStates(ctx.deps.db, tenantOf(ctx).id, ctx.query),
  }),
  route({
    id: 'resyncPeriod',
    method: 'post',
    path: '/tenants/:tenantId/quickbooks/resync',
    role: 'operator',
    tag: 'quickbooks',
    summary: 'Enqueue a QuickBooks sync of one period',
    params: TenantParams,
    body: ResyncBody,
    response: Enqueued,
    status: 202,
    handle: async (ctx) => resyncPeriod(ctx.deps.db, ctx.deps.jobs, tenantOf(ctx), ctx.body.period),
  }),
  route({
    id: 'listReconnects',
    method: 'get',
    path: '/quickbooks/reconnect',
    role: 'viewer',
    tag: 'quickbooks',
    summary: 'Tenants whose QuickBooks connection needs reconnecting (or was revoked)',
    query: ReconnectQuery.extend(pageQuery),
    response: pageOf(ReconnectRow),
    handle: ({ deps, query }) => tenantsNeedingReconnect(deps.db, query),
  }),
  // Exceptions
  route({
    id: 'listExceptions',
    method: 'get',
    path: '/tenants/:tenantId/exceptions',
    role: 'viewer',
    tag: 'exceptions',
    summary: "A tenant's exceptions by status, kind or object, newest first",
    params: TenantParams,
    query: ExceptionQuery.extend(pageQuery),
    response: pageOf(ExceptionItem),
    handle: async (ctx) => listTenantExceptions(ctx.deps.db, tenantOf(ctx).id, ctx.query),
  }),
  route({
    id: 'resolveException',
    method: 'post',
    path: '/tenants/:tenantId/exceptions/:exceptionId/resolve',
    role: 'operator',
    tag: 'exceptions',
    summary: 'Resolve an open exception with a note',
    params: ExceptionParams,
    body: ResolveBody,
    response: z.object({ id: z.string(), status: z.literal('resolved') }),
    handle: async (ctx) =>
      resolveTenantException(ctx.deps.db, tenantOf(ctx).id, BigInt(ctx.params.exceptionId), ctx.actor, ctx.body.note),
  }),
  route({
    id: 'retryException',
    method: 'post',
    path: '/tenants/:tenantId/exceptions/:exceptionId/retry',
    role: 'operator',
    tag: 'exceptions',
    summary: 'Retry: re-pend the Stripe event, or enqueue a QuickBooks sync; counts the retry',
    params: ExceptionParams,
    response: RetryResult,
    handle: async (ctx) => retryException(ctx.deps.db, ctx.deps.jobs, tenantOf(ctx).id, BigInt(ctx.params.exceptionId)),
  }),
  // Jobs
  route({
    id: 'listJobs',
    method: 'get',
    path: '/jobs',
    role: 'viewer',
    tag: 'jobs',
    summary: 'Recent job runs and failures (from pg-boss), newest first',
    query: JobQuery.extend(pageQuery),
    response: pageOf(JobRun),
    handle: ({ deps, query }) => listJobs(deps.db, query),
  }),
  route({
    id: 'getJobCounts',
    method: 'get',
    path: '/jobs/counts',
    role: 'viewer',
    tag: 'jobs',
    summary: 'Jobs per queue and state',
    response: QueueCounts,
    handle: ({ deps }) => jobCounts(deps.db),
  }),
  route({
    id: 'triggerRelease',
    method: 'post',
    path: '/tenants/:tenantId/jobs/release',
    role: 'operator',
    tag: 'jobs',
    summary: 'Enqueue a release of recognized revenue through a date',
    params: TenantParams,
    body: ReleaseBody,
    response: Enqueued,
    status: 202,
    handle: async (ctx) => triggerRelease(ctx.deps.db, ctx.deps.jobs, tenantOf(ctx), ctx.body.through),
  }),
  route({
    id: 'triggerReconcile',
    method: 'post',
    path: '/tenants/:tenantId/jobs/reconcile',
    role: 'operator',
    tag: 'jobs',
    summary: 'Enqueue a reconciliation of the ledger with QuickBooks',
    params: TenantParams,
    body: OptionalPeriodBody,
    response: Enqueued,
    status: 202,
    handle: async (ctx) =>
      triggerTenantJob(ctx.deps.db, ctx.deps.jobs, QUEUES.reconcile, tenantOf(ctx), ctx.body.period),
  }),
  route({
    id: 'triggerSync',
    method: 'post',
    path: '/tenants/:tenantId/jobs/sync',
    role: 'operator',
    tag: 'jobs',
    summary: 'Enqueue a QuickBooks sync (of one period, or everything unsynced)',
    params: TenantParams,
    body: OptionalPeriodBody,
    response: Enqueued,
    status: 202,
    handle: async (ctx) => triggerTenantJob(ctx.deps.db, ctx.deps.jobs, QUEUES.sync, tenantOf(ctx), ctx.body.period),
  }),
  // Periods
  route({
    id: 'listPeriods',
    method: 'get',
    path: '/tenants/:tenantId/periods',
    role: 'viewer',
    tag: 'periods',
    summary: "A tenant's accounting periods, oldest first",
    params: TenantParams,
    response: z.object({ data: z.array(PeriodItem) }),
    handle: async (ctx) => {
      const rows = await listPeriods(ctx.deps.db, tenantOf(ctx).id);
      return {
        data: rows.slice(-PERIODS_SHOWN_MAX).map((p) => ({ ...p, closedAt: p.closedAt?.toISOString() ?? null })),
      };
    },
  }),
  route({
    id: 'closePeriod',
    method: 'post',
    path: '/tenants/:tenantId/periods/:period/close',
    role: 'operator',
    tag: 'periods',
    summary: 'Close a period (earlier periods first)',
    params: PeriodParams,
    response: PeriodItem,
    handle: async (ctx) => {
      const p = await closePeriod(ctx.deps.db, tenantOf(ctx), ctx.params.period, ctx.actor);
      return { ...p, closedAt: p.closedAt?.toISOString() ?? null };
    },
  }),
  route({
    id: 'reopenPeriod',
    method: 'post',
    path: '/tenants/:tenantId/periods/:period/reopen',
    role: 'operator',
    tag: 'periods',
    summary: 'Reopen the latest closed period, with a required reason (queued for approval when approvals are on)',
    params: PeriodParams,
    body: ReopenBody,
    response: z.union([PeriodItem, Queued]),
    handle: async (ctx) => {
      const r = await submitPeriodReopen(ctx.deps.db, tenantOf(ctx), {
        period: ctx.params.period,
        actor: ctx.actor,
        reason: ctx.body.reason,
      });
      return 'applied' in r ? { ...r.applied, closedAt: null } : r;
    },
  }),
  // Audit
  route({
    id: 'listAudit',
    method: 'get',
    path: '/audit',
    role: 'viewer',
    tag: 'audit',
    summary: 'The Admin API audit log, newest first',
    query: AuditQuery.extend(pageQuery),
    response: pageOf(AuditItem),
    handle: ({ deps, query }) => listAudit(deps.db, query),
  }),
  // Imports
  ...IMPORT_ROUTES,
  ...APPROVAL_ROUTES,
  ...RULE_ADMIN_ROUTES,
];

let cachedDocument: Record<string, unknown> | null = null;
/** The OpenAPI document of `ADMIN_ROUTES`, generated on first use. */
export function openApiDocument(): Record<string, unknown> {
  cachedDocument ??= buildOpenApiDocument(ADMIN_ROUTES);
  return cachedDocument;
}
