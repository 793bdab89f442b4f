/**
 * The daily per-tenant tick, run by pg-boss's cron in the tenant's reporting time zone: release
 * revenue for every period that has ended, close periods automatically when the tenant's close
 * policy says so, queue a QuickBooks sync and reconciliation, and request a drain when events are
 * pending. The decision is a pure function of the tenant's settings, its periods and today's
 * date, so it is tested without a clock.
 */
import type { LocalDate } from '../../shared/journal.ts';
import type { TenantSettings } from '../../shared/settings.ts';
import { addDays, localDateOf } from '../../shared/time.ts';
import type { Db } from '../db/database.ts';
import { QUEUES, type Jobs } from '../jobs/runner.ts';
import { calendarOf, closePeriod, listPeriods, type PeriodRow } from '../ledger/periods.ts';
import { getTenantById, type Tenant } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { requestDrainIfEventsPending } from '../inbox/drain-request.ts';
import { releasedThrough, releaseThrough, type ProcessDeps } from './process.ts';
import { hasActiveConnection } from './qbo-sync.ts';
import { refreshProviderRates } from './rates.ts';

/** 00:30 every day in the tenant's zone: after midnight, so the day that just ended is complete. */
export const TICK_CRON = '30 0 * * *';

export interface TickPlan {
  /** Release through this date (the last day of the last period that has ended), if it moves. */
  releaseThrough: LocalDate | null;
  /** Periods to close, in order. */
  close: string[];
}

/** What the tick should do today. */
export function planTick(
  settings: TenantSettings,
  periods: readonly PeriodRow[],
  released: LocalDate,
  today: LocalDate,
): TickPlan {
  const cal = calendarOf(settings);
  const current = cal.periodOf(today);
  const lastEnded = addDays(current.start, -1);
  const close: string[] = [];
  if (settings.close_policy.mode === 'auto') {
    for (const p of [...periods].sort((a, b) => (a.start < b.start ? -1 : 1))) {
      if (p.status === 'closed') continue;
      // Closes N days after the period ends; periods close in order, so stop at the first that may not.
      if (addDays(p.end, settings.close_policy.days_after_period_end) > today) break;
      close.push(p.key);
    }
  }
  return { releaseThrough: lastEnded > released ? lastEnded : null, close };
}

export interface TickDeps {
  db: Db;
  jobs: Jobs;
  process: ProcessDeps;
  log?: Logger | undefined;
  now?: () => number;
}

/** Runs the tick for one tenant. */
export async function tenantTick(deps: TickDeps, tenantId: bigint): Promise<TickPlan> {
  const tenant = await getTenantById(deps.db, tenantId);
  if (tenant.status !== 'active') return { releaseThrough: null, close: [] };
  const today = localDateOf(Math.floor((deps.now?.() ?? Date.now()) / 1000), tenant.settings.reporting_time_zone);
  const plan = planTick(
    tenant.settings,
    await listPeriods(deps.db, tenantId),
    await releasedThrough(deps.db, tenantId),
    today,
  );
  // A safety net for ARCHITECTURE invariant 8 (see `requestDrainIfEventsPending`).
  const drainRequested = await requestDrainIfEventsPending(deps.db, deps.jobs, tenantId);
  // New reference rates first, so the release books at real rates rather than estimates.
  if (tenant.settings.fx_provider)
    await refreshProviderRates({ ...deps, afterPost: deps.process.afterPost }, tenant, today);
  if (plan.releaseThrough) await releaseThrough(deps.process, tenantId, plan.releaseThrough);
  for (const key of plan.close) await closePeriod(deps.db, tenant, key, 'auto-close');
  if (await hasActiveConnection(deps.db, tenantId)) {
    const key = tenantId.toString();
    await deps.jobs.send(deps.db, QUEUES.sync, { tenantId: key }, { tenantKey: key });
    await deps.jobs.send(deps.db, QUEUES.reconcile, { tenantId: key }, { tenantKey: key });
  }
  deps.log?.info({ tenant: tenant.accountId, ...plan, drainRequested }, 'daily tick');
  return plan;
}

/** Schedules (or re-schedules, after a time-zone change) the tenant's daily tick. */
export async function scheduleTenant(jobs: Jobs, tenant: Tenant): Promise<void> {
  await jobs.scheduleTenant(QUEUES.tick, tenant.id.toString(), TICK_CRON, tenant.settings.reporting_time_zone, {
    tenantId: tenant.id.toString(),
    tz: tenant.settings.reporting_time_zone,
  });
}
