/** The report window: the tenant's last periods, ending with the one containing today. */
import { periodCalendar, type Period, type PeriodCalendar } from '../../../shared/periods.ts';
import type { TenantSettings } from '../../../shared/settings.ts';
import { addDays } from '../../../shared/time.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { todayOf } from '../app-api/support.ts';
import type { AppDeps } from '../app-api/types.ts';

function calendarOf(settings: TenantSettings): PeriodCalendar {
  const calendar = settings.period_calendar;
  return periodCalendar(
    calendar.type === 'monthly' ? { type: 'monthly' } : { type: '4-4-5', fiscalYearStart: calendar.fiscal_year_start },
  );
}

/** The last `count` periods of the tenant's calendar, oldest first, ending with the one containing today. */
export function lastPeriods(clock: AppDeps['clock'], tenant: Tenant, count: number): Period[] {
  const calendar = calendarOf(tenant.settings);
  let period = calendar.periodOf(todayOf(clock, tenant));
  const out = [period];
  while (out.length < count) {
    period = calendar.periodOf(addDays(period.start, -1));
    out.unshift(period);
  }
  return out;
}
