/**
 * Admin API routes for the rule list: read it, preview a change (no write) and save one (it is
 * re-applied to past bookings; closed periods get corrections in the first open period, caused by
 * the change). The body is the App API's (`shared/api/rules.ts`): the whole list and the revision
 * it was made on. A bad list answers 400 naming the field; a stale revision 409.
 */
import { z } from 'zod';
import {
  RuleChangeRequestSchema,
  RulePreviewResponseSchema,
  RuleSaveResponseSchema,
  RulesResponseSchema,
} from '../../shared/api/rules.ts';
import { AccrueError } from '../../shared/errors.ts';
import { previewForTenant, rulesOf, saveForTenant } from '../app/rules/rule-list.ts';
import type { Tenant } from '../ledger/tenants.ts';
import type { AdminRoute, RouteContext } from './routes.ts';

const TenantParams = z.object({
  tenantId: z
    .string()
    .regex(/^\d{1,18}$/)
    .describe('Internal tenant id (see GET /tenants).'),
});

function tenantOf(ctx: { tenant: Tenant | null }): Tenant {
  if (!ctx.tenant) throw new AccrueError('internal', 'rule route without a tenant path parameter');
  return ctx.tenant;
}

/** Declares a route with its handler typed by its schemas (the shape `routes.ts` declares). */
function ruleRoute<P extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  r: Omit<AdminRoute, 'params' | 'body' | 'response' | 'handle'> & {
    params: P;
    body?: B;
    response: R;
    handle(ctx: RouteContext<z.output<P>, unknown, z.output<B>>): Promise<z.input<R>>;
  },
): AdminRoute {
  return r as unknown as AdminRoute;
}

const PRECEDENCE =
  'Rules are evaluated by position (lowest first; positions unique); the first whose conditions all hold on the booking date applies; product rules come after the list. See docs/accounting.md, "Rules".';

export const RULE_ADMIN_ROUTES: AdminRoute[] = [
  ruleRoute({
    id: 'getRules',
    method: 'get',
    path: '/tenants/:tenantId/rules',
    role: 'viewer',
    tag: 'rules',
    summary: "A tenant's rule list in order, its product rules in the same shape, and the revision",
    description: PRECEDENCE,
    params: TenantParams,
    response: RulesResponseSchema,
    handle: async (ctx) => rulesOf(ctx.deps.db, tenantOf(ctx), ctx.key.role !== 'viewer'),
  }),
  ruleRoute({
    id: 'previewRules',
    method: 'post',
    path: '/tenants/:tenantId/rules/preview',
    role: 'viewer',
    tag: 'rules',
    summary: 'What a change of the rule list would move: revenue per period (and where it posts) and per invoice',
    description: `Writes nothing. ${PRECEDENCE}`,
    params: TenantParams,
    body: RuleChangeRequestSchema,
    response: RulePreviewResponseSchema,
    handle: async (ctx) => previewForTenant(ctx.deps.db, tenantOf(ctx), ctx.body),
  }),
  ruleRoute({
    id: 'saveRules',
    method: 'post',
    path: '/tenants/:tenantId/rules',
    role: 'operator',
    tag: 'rules',
    summary: 'Replace the rule list and re-apply it to every booking it changes',
    description: `Open periods are re-booked in place; closed periods get corrections in the first open period, each with cause rule-change:<id>. 409 when revision is not the latest. ${PRECEDENCE}`,
    params: TenantParams,
    body: RuleChangeRequestSchema,
    response: RuleSaveResponseSchema,
    handle: async (ctx) => saveForTenant(ctx.deps.db, tenantOf(ctx), ctx.actor, ctx.body),
  }),
];
