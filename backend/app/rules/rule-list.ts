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
import { RULE_PREVIEW_INVOICES_MAX } from '../../../shared/api/rules.ts';
import { orderedRules } from '../../../shared/engine/rules.ts';
import type { Db } from '../../db/database.ts';
import { QUEUES } from '../../jobs/runner.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AfterPost } from '../booking.ts';
import { hasActiveConnection } from '../qbo-sync.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { applyRuleChange, previewRuleChange, type RuleChangePreview } from './rule-change.ts';
import { loadRules, ruleRevision } from './rule-store.ts';

/** The rule list of a tenant, its product rules in the same shape, and the revision. */
export async function rulesOf(db: Db, tenant: Tenant, canEdit: boolean): Promise<RulesResponse> {
  const rules = await loadRules(db, tenant.id);
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
  const applied = await applyRuleChange(db, tenant, actor, req, afterPost);
  return {
    change_id: applied.changeId.toString(),
    revision: applied.revision,
    entries_posted: applied.entriesPosted,
    preview: previewAnswer(applied.revision, applied.preview),
  };
}

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
