/**
 * What every booking step needs to know about the tenant and the run: its settings, the date
 * the books are run through, its reporting time zone, functional currency and period calendar
 * (docs/accounting.md §1 Conventions, §5 Settings); and the date arithmetic built on them.
 */
import type { LocalDate } from '../journal.ts';
import { periodCalendar, type Period, type PeriodCalendar } from '../periods.ts';
import type { Rule, TenantSettings } from '../settings.ts';
import { addDays } from '../time.ts';
import { dateAt, type CalendarContext } from './schedule.ts';
import type { Currency } from '../money.ts';

export interface EngineContext {
  settings: TenantSettings;
  /** Recognition is released for periods that ended on or before this date. */
  through: LocalDate;
  timeZone: string;
  /** The currency the books balance in: every journal line's `currency`. */
  functionalCurrency: Currency;
  calendar: PeriodCalendar;
  /** The zone and calendar, as the schedule module takes them. */
  schedule: CalendarContext;
  /** The settings' rules in evaluation order, computed on first use in the run (rules.ts `resolveRuleIn`). */
  orderedRules: Rule[] | undefined;
}

/**
 * Calendars by their spec, shared by every engine run: a calendar is pure, and its periods are
 * the keys of the schedule's caches (period bounds per zone), so a run that books one invoice
 * finds them filled by the runs before it instead of paying for them again (a fixed cost per call).
 */
const calendars = new Map<string, PeriodCalendar>();
function calendarFor(configured: TenantSettings['period_calendar']): PeriodCalendar {
  const key = configured.type === 'monthly' ? 'monthly' : `4-4-5:${configured.fiscal_year_start}`;
  let calendar = calendars.get(key);
  if (!calendar) {
    calendar = periodCalendar(
      configured.type === 'monthly'
        ? { type: 'monthly' }
        : { type: '4-4-5', fiscalYearStart: configured.fiscal_year_start },
    );
    calendars.set(key, calendar);
  }
  return calendar;
}

export function makeContext(settings: TenantSettings, through: LocalDate): EngineContext {
  const calendar = calendarFor(settings.period_calendar);
  const timeZone = settings.reporting_time_zone;
  return {
    settings,
    through,
    timeZone,
    functionalCurrency: settings.functional_currency,
    calendar,
    schedule: { tz: timeZone, calendar },
    orderedRules: undefined,
  };
}

/** The reporting-zone date of an instant (Unix seconds). */
export function dateOf(context: EngineContext, at: number): LocalDate {
  return dateAt(at, context.timeZone);
}

const lastDayCache = new Map<string, LocalDate>();
/** The last calendar day of a period (its end is exclusive): where its recognition is dated. */
export function lastDay(period: Period): LocalDate {
  let day = lastDayCache.get(period.end);
  if (day === undefined) {
    day = addDays(period.end, -1);
    lastDayCache.set(period.end, day);
  }
  return day;
}

/** A period is released (its recognition is booked) once its last day is on or before `through`. */
export function isReleased(context: EngineContext, period: Period): boolean {
  return lastDay(period) <= context.through;
}
