/**
 * The kinds of change that wait for approval, and the way each surface submits them: a manual
 * journal moving more than the threshold in any period (`manual_journal`), any period reopen while
 * approvals are on (`period_reopen`). Importing this module registers both with the queue.
 *
 * A rule change is the third kind: `backend/app/rules/rule-list.ts` registers `rule_change` and
 * submits every save with the largest revenue its preview moves in one period.
 */
import { formatMinor } from '../../../shared/money.ts';
import { AccrueError } from '../../../shared/errors.ts';
import type { Db } from '../../db/database.ts';
import { listPeriods, reopenPeriod, resolvePeriod } from '../../ledger/periods.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import {
  checkManualJournal,
  importManualJournal,
  largestPeriodMovement,
  type ManualJournalResult,
} from '../imports/manual-journal.ts';
import { materialityThreshold, registerApprovalKind, submitChange, type Approval } from './queue.ts';

export const MANUAL_JOURNAL_KIND = 'manual_journal';
export const PERIOD_REOPEN_KIND = 'period_reopen';
/** Registered by the rules' use cases; listed here so every surface names it the same way. */
export const RULE_CHANGE_KIND = 'rule_change';

const approvedAuthor = (requestedBy: string, approvedBy: string) => `${requestedBy} (approved by ${approvedBy})`;

registerApprovalKind({
  kind: MANUAL_JOURNAL_KIND,
  apply: async (db, tenant, payload, ctx) => {
    const { csv } = payload as { csv: string };
    return importManualJournal(db, tenant, { csv, author: approvedAuthor(ctx.requestedBy, ctx.approvedBy) });
  },
});

registerApprovalKind({
  kind: PERIOD_REOPEN_KIND,
  apply: async (db, tenant, payload, ctx) => {
    const { period } = payload as { period: string };
    const why = `${ctx.reason} (approved by ${ctx.approvedBy}, request ${ctx.id})`;
    const p = await reopenPeriod(db, tenant, period, ctx.requestedBy, why);
    return { key: p.key, start: p.start, end: p.end, status: p.status };
  },
});

export type Submitted<R> = { applied: R } | { approval: Approval };

/**
 * A manual journal from any surface: checked in full first (a bad file is refused, never
 * queued); posted at once when approvals are off or it moves no more than the threshold in any
 * period; queued otherwise. The request's reason is the one given, or the entries' own reasons.
 */
export async function submitManualJournal(
  db: Db,
  tenant: Tenant,
  input: { csv: string; author: string; reason?: string | undefined },
): Promise<Submitted<ManualJournalResult>> {
  const post = () => importManualJournal(db, tenant, { csv: input.csv, author: input.author });
  if (materialityThreshold(tenant) === null) return { applied: await post() };
  const { result, fresh } = await checkManualJournal(db, tenant, { csv: input.csv, author: input.author });
  const movement = largestPeriodMovement(tenant, fresh);
  const c = tenant.settings.functional_currency;
  const reason = input.reason?.trim() || [...new Set(fresh.map((d) => d.memo))].join('; ');
  return submitChange(
    db,
    tenant,
    {
      kind: MANUAL_JOURNAL_KIND,
      payload: { csv: input.csv },
      summary: `Manual journal: ${fresh.length} of ${result.entries} entries new, moving up to ${formatMinor(movement, c)} ${c.toUpperCase()} in a period`,
      reason,
      movementMinor: movement,
      requestedBy: input.author,
    },
    post,
  );
}

/** A period reopen from any surface: applied at once when approvals are off, queued otherwise. */
export async function submitPeriodReopen(
  db: Db,
  tenant: Tenant,
  input: { period: string; actor: string; reason: string },
): Promise<Submitted<Awaited<ReturnType<typeof reopenPeriod>>>> {
  if (!input.reason?.trim()) throw new AccrueError('invalid_input', 'reopening a period needs a reason');
  const p = resolvePeriod(tenant, input.period);
  const reopen = () => reopenPeriod(db, tenant, input.period, input.actor, input.reason);
  if (materialityThreshold(tenant) === null) return { applied: await reopen() };
  const row = (await listPeriods(db, tenant.id)).find((r) => r.key === p.key);
  if (row?.status !== 'closed') throw new AccrueError('conflict', `period ${p.key} is not closed`);
  return submitChange(
    db,
    tenant,
    {
      kind: PERIOD_REOPEN_KIND,
      payload: { period: p.key },
      summary: `Reopen period ${p.key} (${p.start} to ${p.end})`,
      reason: input.reason,
      movementMinor: null,
      requestedBy: input.actor,
    },
    reopen,
  );
}
