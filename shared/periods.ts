/**
 * Accounting periods: calendar months in the reporting time zone (the default), or 4-4-5
 * periods (quarters of four, four and five weeks) counted from a fiscal-year start date.
 * A period is `[start, end)` in local dates; its key names it in reports and exports.
 */
import { AccrueError } from './errors.ts';
import type { LocalDate } from './journal.ts';
import { addDays, addMonthsToMonthStart, daysBetween, parseDate } from './time.ts';

export interface Period {
  key: string;
  start: LocalDate;
  /** Exclusive. */
  end: LocalDate;
}

export type PeriodCalendarSpec = { type: 'monthly' } | { type: '4-4-5'; fiscalYearStart: LocalDate };

export interface PeriodCalendar {
  spec: PeriodCalendarSpec;
  periodOf(date: LocalDate): Period;
  next(period: Period): Period;
}

const WEEKS_445 = [4, 4, 5, 4, 4, 5, 4, 4, 5, 4, 4, 5];

export function periodCalendar(spec: PeriodCalendarSpec): PeriodCalendar {
  if (spec.type === 'monthly') {
    const cache = new Map<string, Period>();
    // By the whole date as well (bounded), so the common lookup needs no month key cut from it.
    const byDate = new Map<string, Period>();
    const periodOf = (date: LocalDate): Period => {
      const known = byDate.get(date);
      if (known) return known;
      const k = date.slice(0, 7);
      let p = cache.get(k);
      if (!p) {
        parseDate(date);
        const start = `${k}-01`;
        p = { key: k, start, end: addMonthsToMonthStart(start, 1) };
        cache.set(k, p);
      }
      if (byDate.size < 100_000) byDate.set(date, p);
      return p;
    };
    return { spec, periodOf, next: (p) => periodOf(p.end) };
  }
  if (spec.type === '4-4-5') {
    parseDate(spec.fiscalYearStart);
    // One object per period, as the monthly calendar gives: callers cache by period object.
    const periods = new Map<string, Period>();
    const shared = (p: Period): Period => {
      const known = periods.get(p.key);
      if (known) return known;
      periods.set(p.key, p);
      return p;
    };
    const periodOf = (date: LocalDate): Period => {
      const offset = daysBetween(spec.fiscalYearStart, date);
      const year = Math.floor(offset / 364);
      const yearStart = addDays(spec.fiscalYearStart, year * 364);
      let day = offset - year * 364;
      let start = yearStart;
      for (let i = 0; i < 12; i++) {
        const len = WEEKS_445[i]! * 7;
        if (day < len) {
          const fy = Number(yearStart.slice(0, 4));
          return shared({ key: `${fy}-P${String(i + 1).padStart(2, '0')}`, start, end: addDays(start, len) });
        }
        day -= len;
        start = addDays(start, len);
      }
      throw new AccrueError('internal', '4-4-5 calendar overflow');
    };
    return { spec, periodOf, next: (p) => periodOf(p.end) };
  }
  throw new AccrueError('invalid_input', 'unknown period calendar');
}

/** The periods from the one containing `from` through the one containing `through`, in order. */
export function periodsBetween(cal: PeriodCalendar, from: LocalDate, through: LocalDate): Period[] {
  const out: Period[] = [];
  let p = cal.periodOf(from);
  const last = cal.periodOf(through);
  while (p.start <= last.start) {
    out.push(p);
    p = cal.next(p);
  }
  return out;
}
