/**
 * Admin API routes of the approval queue (docs/accounting.md, "Approvals"): list a tenant's
 * requests and their audit trail (viewer), approve or reject one (an `approver` key that is not
 * the requester's). Changes queued through the Admin API (a manual journal import, a period
 * reopen) answer `{ "approval": … }` instead of their usual result.
 */
import { z } from 'zod';
import { AccrueError } from '../../shared/errors.ts';
import { approveChange, getApproval, listApprovals, rejectChange } from '../app/approvals/queue.ts';
import '../app/approvals/kinds.ts';
import type { Tenant } from '../ledger/tenants.ts';
import { decodeCursor, encodeCursor, pageOf, pageQuery } from './paging.ts';
import type { AdminRoute, RouteContext } from './routes.ts';

const TenantParams = z.object({
  tenantId: z
    .string()
    .regex(/^\d{1,18}$/)
    .describe('Internal tenant id (see GET /tenants).'),
});
const ApprovalParams = TenantParams.extend({ approvalId: z.string().regex(/^\d{1,18}$/) });

export const ApprovalItem = z.object({
  id: z.string(),
  kind: z.string().describe('manual_journal, period_reopen, rule_change, …'),
  summary: z.string(),
  reason: z.string().describe("The requester's reason."),
  movementMinor: z
    .string()
    .nullable()
    .describe('The most the change moves in any one period, minor units (null: needs approval whatever it moves).'),
  status: z.enum(['pending', 'approved', 'rejected']),
  requestedBy: z.string(),
  requestedAt: z.string(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  decisionNote: z.string().nullable(),
  payload: z.unknown().describe('Everything needed to apply the change (kind-specific).'),
  result: z.unknown().describe('What applying the change returned, once approved.'),
  events: z.array(
    z.object({
      action: z.enum(['requested', 'approved', 'rejected', 'apply_failed']),
      actor: z.string(),
      note: z.string().nullable(),
      at: z.string(),
    }),
  ),
});

/** A change that was queued instead of applied. */
export const Queued = z.object({
  approval: ApprovalItem.describe('The change waits for a second user to approve it.'),
});

const ListQuery = z
  .object({ status: z.enum(['pending', 'approved', 'rejected', 'all']).default('pending'), ...pageQuery })
  .strict();
const ApproveBody = z.object({ note: z.string().trim().max(1_000).optional() }).strict();
const RejectBody = z
  .object({ note: z.string().trim().min(3).max(1_000).describe('Why the change is rejected.') })
  .strict();

function tenantOf(ctx: { tenant: Tenant | null }): Tenant {
  if (!ctx.tenant) throw new AccrueError('internal', 'approval route without a tenant path parameter');
  return ctx.tenant;
}

function approvalRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  r: Omit<AdminRoute, 'params' | 'query' | 'body' | 'response' | 'handle'> & {
    params: P;
    query?: Q;
    body?: B;
    response: R;
    handle(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<z.input<R>>;
  },
): AdminRoute {
  return r as unknown as AdminRoute;
}

export const APPROVAL_ROUTES: AdminRoute[] = [
  approvalRoute({
    id: 'listApprovals',
    method: 'get',
    path: '/tenants/:tenantId/approvals',
    role: 'viewer',
    tag: 'approvals',
    summary: 'Changes waiting for approval (or decided), newest first, each with its audit trail',
    params: TenantParams,
    query: ListQuery,
    response: pageOf(ApprovalItem),
    handle: async (ctx) => {
      const cursor = ctx.query.after ? decodeCursor(ctx.query.after, 1)[0]! : undefined;
      if (cursor !== undefined && !/^\d{1,18}$/.test(cursor))
        throw new AccrueError('invalid_input', 'after: not a cursor from this API');
      const beforeId = cursor === undefined ? undefined : BigInt(cursor);
      const { status, limit } = ctx.query;
      const rows = await listApprovals(ctx.deps.db, tenantOf(ctx), { status, limit: limit + 1, beforeId });
      const data = rows.slice(0, limit);
      return { data, next: rows.length > limit ? encodeCursor([data.at(-1)!.id]) : null };
    },
  }),
  approvalRoute({
    id: 'getApproval',
    method: 'get',
    path: '/tenants/:tenantId/approvals/:approvalId',
    role: 'viewer',
    tag: 'approvals',
    summary: 'One approval request with its audit trail',
    params: ApprovalParams,
    response: ApprovalItem,
    handle: async (ctx) => getApproval(ctx.deps.db, tenantOf(ctx), ctx.params.approvalId),
  }),
  approvalRoute({
    id: 'approveChange',
    method: 'post',
    path: '/tenants/:tenantId/approvals/:approvalId/approve',
    role: 'approver',
    tag: 'approvals',
    summary: 'Approve a pending change and apply it (not by the key that requested it)',
    params: ApprovalParams,
    body: ApproveBody,
    response: ApprovalItem,
    handle: async (ctx) =>
      approveChange(
        ctx.deps.db,
        tenantOf(ctx),
        ctx.params.approvalId,
        { actor: ctx.actor, isApprover: true },
        ctx.body.note,
      ),
  }),
  approvalRoute({
    id: 'rejectChange',
    method: 'post',
    path: '/tenants/:tenantId/approvals/:approvalId/reject',
    role: 'approver',
    tag: 'approvals',
    summary: 'Reject a pending change, with a reason (not by the key that requested it)',
    params: ApprovalParams,
    body: RejectBody,
    response: ApprovalItem,
    handle: async (ctx) =>
      rejectChange(
        ctx.deps.db,
        tenantOf(ctx),
        ctx.params.approvalId,
        { actor: ctx.actor, isApprover: true },
        ctx.body.note,
      ),
  }),
];
