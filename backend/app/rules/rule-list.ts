/**
 * The rule list's use cases (App API and admin API): read it in order, preview a change, save one.
 * Which rule applies is decided by the engine's resolver only; these read and write the list.
 */
import { canWrite } from '../../../shared/api/app.ts';
import type {
  RuleChangeRequest,
  RulePreviewResponse,
  RuleSaveResponse,
  RulesResponse,
} from '../../../shared/api/rules.ts';
import { RULE_PREVIEW_INVOICES_MAX, RuleChangeRequestSchema } from '../../../shared/api/rules.ts';
import { formatMinor } from '../../../shared/money.ts';
import { orderedRules } from '../../../shared/engine/rules.ts';
import type { Db } from '../../db/database.ts';
import { QUEUES } from '../../jobs/runner.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AfterPost } from '../booking.ts';
import { hasActiveConnection } from '../qbo-sync.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { RULE_CHANGE_KIND } from '../approvals/kinds.ts';
import { materialityThreshold, registerApprovalKind, submitChange } from '../approvals/queue.ts';
import { applyRuleChange, previewRuleChange, type RuleChangePreview } from './rule-change.ts';
import { ruleRevision, rulesInForce } from './rule-store.ts';

/** The rule list of a tenant, its product rules in the same shape, and the revision. */
export async function rulesOf(db: Db, tenant: Tenant, canEdit: boolean): Promise<RulesResponse> {
  const rules = await rulesInForce(db, tenant);
  const productRules = orderedRules({ ...tenant.settings, rules: [] });
  return { revision: await ruleRevision(db, tenant.id), rules, product_rules: productRules, can_edit: canEdit };
}

/** A preview as the APIs answer it. */
export function previewAnswer(revision: number, p: RuleChangePreview): RulePreviewResponse {
  return {
    revision,
    through: p.through,
    periods: p.periods.map((m) => ({
      period: m.period,
      closed: m.closed,
      posts_in: m.postsIn,
      revenue_minor: m.revenueMinor.toString(),
    })),
    invoices: p.invoices.slice(0, RULE_PREVIEW_INVOICES_MAX).map((i) => ({
      invoice: i.invoice,
      customer: i.customer,
      periods: i.periods.map((m) => ({ period: m.period, revenue_minor: m.revenueMinor.toString() })),
    })),
    invoices_total: p.invoices.length,
  };
}

/** Previews a change on a tenant (no write). */
export async function previewForTenant(db: Db, tenant: Tenant, req: RuleChangeRequest): Promise<RulePreviewResponse> {
  const revision = await ruleRevision(db, tenant.id);
  return previewAnswer(revision, await previewRuleChange(db, tenant, req));
}

/** Saves a change on a tenant and re-applies it; `afterPost` (e.g. a QuickBooks sync job) runs when it posted. */
export async function saveForTenant(
  db: Db,
  tenant: Tenant,
  actor: string,
  req: RuleChangeRequest,
  afterPost?: AfterPost,
): Promise<RuleSaveResponse> {
  const apply = async (): Promise<RuleSaveResponse> => {
    const applied = await applyRuleChange(db, tenant, actor, req, afterPost);
    return {
      change_id: applied.changeId.toString(),
      revision: applied.revision,
      entries_posted: applied.entriesPosted,
      preview: previewAnswer(applied.revision, applied.preview),
    };
  };
  if (materialityThreshold(tenant) === null) return apply();
  // Approvals on: a change moving more than the threshold in any period waits for an approver.
  const preview = await previewRuleChange(db, tenant, req);
  const movement = preview.periods.reduce((m, p) => {
    const a = p.revenueMinor < 0n ? -p.revenueMinor : p.revenueMinor;
    return a > m ? a : m;
  }, 0n);
  const c = tenant.settings.functional_currency;
  const submitted = await submitChange(
    db,
    tenant,
    {
      kind: RULE_CHANGE_KIND,
      payload: req,
      summary: `Rule change on revision ${req.revision}: moves up to ${formatMinor(movement, c)} ${c.toUpperCase()} of revenue in a period`,
      reason: req.reason ?? 'rule change',
      movementMinor: movement,
      requestedBy: actor,
    },
    apply,
  );
  if ('applied' in submitted) return submitted.applied;
  return {
    change_id: '',
    revision: req.revision,
    entries_posted: 0,
    preview: previewAnswer(req.revision, preview),
    approval: { id: submitted.approval.id, summary: submitted.approval.summary },
  };
}

// An approved rule change is saved as the requester made it, on the revision it was made on
// (`conflict`, and the request stays pending, when the rules changed meanwhile).
registerApprovalKind({
  kind: RULE_CHANGE_KIND,
  apply: async (db, tenant, payload, ctx) => {
    const req = RuleChangeRequestSchema.parse(payload);
    const applied = await applyRuleChange(db, tenant, `${ctx.requestedBy} (approved by ${ctx.approvedBy})`, req);
    return { change_id: applied.changeId.toString(), entries_posted: applied.entriesPosted };
  },
});

export async function getRules(deps: Pick<AppDeps, 'db'>, caller: AppCaller): Promise<RulesResponse> {
  return rulesOf(deps.db, await tenantOf(deps.db, caller), canWrite(caller.user.roles));
}

export async function previewRules(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  req: RuleChangeRequest,
): Promise<RulePreviewResponse> {
  return previewForTenant(deps.db, await tenantOf(deps.db, caller), req);
}

export async function saveRules(
  deps: Pick<AppDeps, 'db' | 'jobs'>,
  caller: AppCaller,
  req: RuleChangeRequest,
): Promise<RuleSaveResponse> {
  const jobs = deps.jobs;
  // What the change posts reaches QuickBooks like any entry: a sync job in the same transaction.
  const afterPost: AfterPost | undefined = jobs
    ? async (tx, tenant) => {
        if (await hasActiveConnection(tx, tenant.id))
          await jobs.send(tx, QUEUES.sync, { tenantId: tenant.id.toString() }, { tenantKey: tenant.id.toString() });
      }
    : undefined;
  return saveForTenant(deps.db, await tenantOf(deps.db, caller), `stripe:${caller.user.id}`, req, afterPost);
}
