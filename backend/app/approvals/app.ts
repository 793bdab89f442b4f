/**
 * The approval queue and manual journals as the Stripe App sees them. The caller's verified
 * Stripe user is who requests or decides (`stripe:<user id>` on the audit trail); posting a
 * journal needs edit rights (checked by the router), deciding needs an approver role
 * (`canApprove`: the account's administrators) and never one's own request.
 */
import {
  canApprove,
  type AppApproval,
  type ApprovalsQuery,
  type ApprovalsResponse,
  type DecideApprovalRequest,
  type ManualJournalRequest,
  type ManualJournalResponse,
} from '../../../shared/api/approvals.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { submitManualJournal } from './kinds.ts';
import { approveChange, listApprovals, materialityThreshold, rejectChange, type Approval } from './queue.ts';

/** How a Stripe App user is named on the audit trail. */
export const appActor = (caller: AppCaller) => `stripe:${caller.user.id}`;

function view(a: Approval, caller: AppCaller): AppApproval {
  return {
    id: a.id,
    kind: a.kind,
    summary: a.summary,
    reason: a.reason,
    movement_minor: a.movementMinor,
    status: a.status,
    requested_by: a.requestedBy,
    requested_at: a.requestedAt,
    decided_by: a.decidedBy,
    decided_at: a.decidedAt,
    decision_note: a.decisionNote,
    events: a.events,
    can_decide: a.status === 'pending' && canApprove(caller.user.roles) && a.requestedBy !== appActor(caller),
  };
}

export async function getApprovals(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  query: ApprovalsQuery,
): Promise<ApprovalsResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const threshold = materialityThreshold(tenant);
  const rows = await listApprovals(deps.db, tenant, { status: query.status, limit: 100 });
  return {
    currency: tenant.settings.functional_currency,
    threshold_minor: threshold === null ? null : threshold.toString(),
    you: appActor(caller),
    can_approve: canApprove(caller.user.roles),
    approvals: rows.map((a) => view(a, caller)),
  };
}

export async function decideApproval(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  id: string,
  req: DecideApprovalRequest,
): Promise<AppApproval> {
  const tenant = await tenantOf(deps.db, caller);
  const decider = { actor: appActor(caller), isApprover: canApprove(caller.user.roles) };
  const a =
    req.decision === 'approve'
      ? await approveChange(deps.db, tenant, id, decider, req.note)
      : await rejectChange(deps.db, tenant, id, decider, req.note ?? '');
  return view(a, caller);
}

export async function postManualJournal(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  req: ManualJournalRequest,
): Promise<ManualJournalResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const r = await submitManualJournal(deps.db, tenant, { csv: req.csv, author: appActor(caller), reason: req.reason });
  if ('approval' in r) {
    const pending = { entries: 0, posted: 0, already_posted: 0 };
    return { status: 'pending_approval', ...pending, approval: view(r.approval, caller) };
  }
  const { entries, posted, alreadyPosted } = r.applied;
  return { status: 'posted', entries, posted, already_posted: alreadyPosted, approval: null };
}
