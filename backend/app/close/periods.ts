/**
 * Periods in the Stripe App: the list with the one period that may be closed next and the one
 * that may be reopened, and closing and reopening through the ledger's own functions (in order
 * only, never a period that has not begun, reopening only the latest closed one, with a reason),
 * each with its App audit row in the same transaction. Writes need a write role (the router).
 */
import type { PeriodItem, PeriodReopenRequest, PeriodResponse, PeriodsResponse } from '../../../shared/api/close.ts';
import {
  closePeriod,
  listPeriods,
  reopenPeriod,
  resolvePeriod,
  calendarOf,
  type PeriodRow,
} from '../../ledger/periods.ts';
import { tenantOf, todayOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { auditAppAction } from './audit.ts';

/** Close and reopen rows listed with the periods, newest first. */
export const PERIOD_HISTORY_MAX = 20;

function periodItem(p: PeriodRow): PeriodItem {
  return {
    key: p.key,
    start: p.start,
    end: p.end,
    status: p.status,
    closed_at: p.closedAt?.toISOString() ?? null,
    closed_by: p.closedBy,
  };
}

/** The tenant's periods, with which one may be closed next and which one reopened. */
export async function listAppPeriods(deps: Pick<AppDeps, 'db' | 'clock'>, caller: AppCaller): Promise<PeriodsResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const rows = await listPeriods(deps.db, tenant.id);
  const today = todayOf(deps.clock, tenant);
  const cal = calendarOf(tenant.settings);
  const lastClosed = [...rows].reverse().find((p) => p.status === 'closed');
  // The next to close: the period after the last closed one (or the first with activity), if it has begun.
  const candidate = lastClosed
    ? cal.next(cal.periodOf(lastClosed.start))
    : rows[0]
      ? cal.periodOf(rows[0].start)
      : null;
  const history = await deps.db
    .selectFrom('period_audit')
    .select(['period_key', 'action', 'actor', 'reason', 'at'])
    .where('tenant_id', '=', tenant.id)
    .orderBy('id', 'desc')
    .limit(PERIOD_HISTORY_MAX)
    .execute();
  // A period without activity has no row yet; list the next one anyway so it can be closed.
  const periods = rows.map(periodItem);
  if (candidate && candidate.start <= today && !rows.some((r) => r.key === candidate.key))
    periods.push({
      key: candidate.key,
      start: candidate.start,
      end: candidate.end,
      status: 'open',
      closed_at: null,
      closed_by: null,
    });
  return {
    periods,
    next_to_close: candidate && candidate.start <= today ? candidate.key : null,
    reopenable: lastClosed?.key ?? null,
    history: history.map((h) => ({
      period: h.period_key,
      action: h.action,
      actor: h.actor,
      reason: h.reason,
      at: h.at.toISOString(),
    })),
  };
}

/** Closes a period (the ledger refuses one out of order or not yet begun: `conflict`). */
export async function closeAppPeriod(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  caller: AppCaller,
  key: string,
): Promise<PeriodResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const p = resolvePeriod(tenant, key);
  const row = await closePeriod(deps.db, tenant, p.key, caller.user.id, deps.clock.now_ms(), (tx) =>
    auditAppAction(tx, tenant.id, caller, 'period_close', p.key, null),
  );
  return { period: periodItem(row) };
}

/** Reopens the latest closed period, with the reason on record. */
export async function reopenAppPeriod(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  key: string,
  req: PeriodReopenRequest,
): Promise<PeriodResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const p = resolvePeriod(tenant, key);
  const row = await reopenPeriod(deps.db, tenant, p.key, caller.user.id, req.reason, (tx) =>
    auditAppAction(tx, tenant.id, caller, 'period_reopen', p.key, req.reason),
  );
  return { period: periodItem(row) };
}
