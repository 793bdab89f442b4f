/**
 * Calendar arithmetic in a tenant's reporting time zone, without IO or the clock.
 *
 * Instants are Unix seconds (as Stripe sends them); calendar dates are `YYYY-MM-DD` strings in
 * the reporting zone. Month and day boundaries are local midnights, found with the runtime's
 * IANA zone data (Intl) and cached, because the engine asks for the same boundaries many times.
 */
import { AccrueError } from './errors.ts';
import type { LocalDate } from './journal.ts';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-CA', {
        timeZone: tz,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      throw new AccrueError('invalid_input', `"${tz}" is not an IANA time zone`);
    }
    formatters.set(tz, f);
  }
  return f;
}

/** True when `tz` is an IANA zone name the runtime knows. */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

interface Parts {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

function partsAt(epochSeconds: number, tz: string): Parts {
  const out: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(epochSeconds * 1000))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return { y: out.year!, m: out.month!, d: out.day!, h: out.hour!, mi: out.minute!, s: out.second! };
}

/** Offset of `tz` from UTC at an instant, in seconds (e.g. -18000 for New York in winter). */
function offsetAt(epochSeconds: number, tz: string): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  const p = partsAt(epochSeconds, tz);
  const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s) / 1000;
  return asUtc - epochSeconds;
}

const dateCache = new Map<string, LocalDate>();
/** The calendar date, in `tz`, of an instant. */
export function localDateOf(epochSeconds: number, tz: string): LocalDate {
  if (tz === 'UTC' || tz === 'Etc/UTC') return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
  const key = `${tz}|${Math.floor(epochSeconds / 900)}`; // offsets change on quarter-hour boundaries at most
  const hit = dateCache.get(key);
  if (hit && epochSeconds % 900 === 0) return hit;
  const p = partsAt(epochSeconds, tz);
  const d = `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
  if (epochSeconds % 900 === 0) dateCache.set(key, d);
  return d;
}

const midnightCache = new Map<string, number>();
/** The instant (Unix seconds) of local midnight starting `date` in `tz`. */
export function startOfDay(date: LocalDate, tz: string): number {
  const key = `${tz}|${date}`;
  const hit = midnightCache.get(key);
  if (hit !== undefined) return hit;
  const { y, m, d } = parseDate(date);
  const guess = Date.UTC(y, m - 1, d) / 1000;
  let t = guess - offsetAt(guess, tz);
  // A second pass settles dates where the offset changes between the guess and the answer.
  t = guess - offsetAt(t, tz);
  midnightCache.set(key, t);
  return t;
}

export function parseDate(date: LocalDate): { y: number; m: number; d: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new AccrueError('invalid_input', `"${date}" is not a date (YYYY-MM-DD)`);
  const y = Number(m[1]),
    mo = Number(m[2]),
    d = Number(m[3]);
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d)
    throw new AccrueError('invalid_input', `"${date}" is not a calendar date`);
  return { y, m: mo, d };
}

export function formatDate(y: number, m: number, d: number): LocalDate {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.toISOString().slice(0, 10);
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const { y, m, d } = parseDate(date);
  return formatDate(y, m, d + days);
}

/** First day of the month `months` after the month of `date`. */
export function addMonthsToMonthStart(date: LocalDate, months: number): LocalDate {
  const { y, m } = parseDate(date);
  return formatDate(y, m + months, 1);
}

/** Whole days from `a` to `b` (b − a). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  const pa = parseDate(a),
    pb = parseDate(b);
  return Math.round((Date.UTC(pb.y, pb.m - 1, pb.d) - Date.UTC(pa.y, pa.m - 1, pa.d)) / 86_400_000);
}

export function monthKey(date: LocalDate): string {
  return date.slice(0, 7);
}

export function minDate(a: LocalDate, b: LocalDate): LocalDate {
  return a < b ? a : b;
}

export function maxDate(a: LocalDate, b: LocalDate): LocalDate {
  return a > b ? a : b;
}

/** Last calendar day of the month containing `date`. */
export function endOfMonth(date: LocalDate): LocalDate {
  return addDays(addMonthsToMonthStart(date, 1), -1);
}
