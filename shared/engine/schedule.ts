/**
 * Schedules: how one obligation's amount spreads over accounting periods (the four amortization
 * methods, docs/accounting.md §2), and how proportional cancel-type events (refunds, credit
 * notes, disputes, voids, write-offs: the proportional rule, docs/accounting.md §3) cut into it
 * at an instant.
 *
 * An obligation's release curve is a list of segments. The first segment spreads the booked
 * amount by the amortization method; each cancel event at instant t measures what was
 * recognized up to t, takes its share of the recognized and of the deferred part, and starts a
 * new segment that spreads the remaining deferred amount over the remaining time with the same
 * shape. All amounts are bigint minor units; every rounding is a truncation toward zero on a
 * cumulative amount, with the last slot taking the rest, so each segment sums exactly.
 */
import { Decimal } from '../money.ts';
import { AccrueError } from '../errors.ts';
import type { LocalDate } from '../journal.ts';
import type { Period, PeriodCalendar } from '../periods.ts';
import type { AmortizationMethod } from '../settings.ts';
import {
  addDays,
  daysBetween,
  localDateOf,
  startOfDay,
  addMonthsToMonthStart,
  parseDate,
  formatDate,
} from '../time.ts';

/** Service periods longer than this are refused: 50 years of monthly slots is already 600 rows. */
export const SERVICE_SECONDS_MAX = 50 * 366 * 86_400;

/** One accounting period's share of a segment. `a`..`b` is the part of the period the segment covers. */
export interface Slot {
  period: Period;
  /** Instants (Unix seconds) bounding the covered part; a == b for a point in time. */
  a: number;
  b: number;
  amountMinor: bigint;
  /**
   * Relative weight (used to re-spread after a cancel event): an integer (a number of seconds for
   * `by_time`, else a bigint) until a re-spread needs fractions.
   */
  weight: Decimal | bigint | number;
  /**
   * `by_day` slots count whole local days: `n` days from `from` (so an instant inside a day has
   * not earned that day yet).
   */
  days?: { from: LocalDate; n: number; tz: string } | undefined;
}

export interface Segment {
  /** Instant from which this segment applies. */
  from: number;
  /** Released before this segment started (cumulative). */
  releasedBefore: bigint;
  slots: Slot[];
}

/** An amount released in (or posted to) one period. */
export interface PeriodAmount {
  period: Period;
  amountMinor: bigint;
}

export type Timing =
  { kind: 'ratable'; start: number; end: number; method: AmortizationMethod } | { kind: 'point'; at: number | null };

/** Calendar context the schedule needs: the tenant's zone and period calendar. */
export interface CalendarContext {
  tz: string;
  calendar: PeriodCalendar;
}

/** A period's boundary instants in one zone, and the period after it (one lookup for both). */
interface PeriodNav {
  pa: number;
  pb: number;
  next: Period | undefined;
}

/** Period bounds and successors per zone, keyed by the (cached, shared) Period object. */
const navCache = new Map<string, WeakMap<Period, PeriodNav>>();
function navOf(p: Period, tz: string): PeriodNav {
  let byPeriod = navCache.get(tz);
  if (!byPeriod) navCache.set(tz, (byPeriod = new WeakMap()));
  let v = byPeriod.get(p);
  if (!v) {
    v = { pa: startOfDay(p.start, tz), pb: startOfDay(p.end, tz), next: undefined };
    byPeriod.set(p, v);
  }
  return v;
}

/** The period after `p` in the calendar, remembered with its bounds (periods are shared objects per calendar). */
function nextOf(p: Period, nav: PeriodNav, calendar: PeriodCalendar): Period {
  return (nav.next ??= calendar.next(p));
}

const utcDates: string[] = [];
/** The reporting-zone date of an instant; UTC dates come from a day-number table (the hot path). */
export function dateAt(at: number, tz: string): LocalDate {
  if (tz !== 'UTC' && tz !== 'Etc/UTC') return localDateOf(at, tz);
  const day = Math.floor(at / 86_400);
  const idx = day + 100_000;
  if (idx >= 0 && idx < 400_000) {
    let d = utcDates[idx];
    if (d === undefined) utcDates[idx] = d = localDateOf(day * 86_400, 'UTC');
    return d;
  }
  return localDateOf(at, tz);
}

/** The instant `months` calendar months after `at`, keeping the local time of day (day clamped to month end). */
export function addMonthsInstant(at: number, months: number, tz: string): number {
  const date = localDateOf(at, tz);
  const sinceMidnight = at - startOfDay(date, tz);
  const { d } = parseDate(date);
  const monthStart = addMonthsToMonthStart(date, months);
  const { y, m } = parseDate(monthStart);
  const lastDay = parseDate(addDays(addMonthsToMonthStart(monthStart, 1), -1)).d;
  const target = formatDate(y, m, Math.min(d, lastDay));
  return startOfDay(target, tz) + sinceMidnight;
}

/** A period touched by a service period: `a`..`b` the covered instants, `pa`..`pb` the period's own bounds. */
interface CoveredPeriod {
  period: Period;
  a: number;
  b: number;
  pa: number;
  pb: number;
}

/** The periods touched by [start, end), with the covered instants of each. */
function coveredPeriods(start: number, end: number, ctx: CalendarContext): CoveredPeriod[] {
  const out: CoveredPeriod[] = [];
  let p = ctx.calendar.periodOf(dateAt(start, ctx.tz));
  for (let guard = 0; guard < 10_000; guard++) {
    const nav = navOf(p, ctx.tz);
    const { pa, pb } = nav;
    if (pa >= end) break;
    out.push({ period: p, a: Math.max(start, pa), b: Math.min(end, pb), pa, pb });
    p = nextOf(p, nav, ctx.calendar);
  }
  return out;
}

/** Cumulative truncation: slot k gets trunc(total × W_k / W) − trunc(total × W_{k−1} / W); the last takes the rest. */
function spreadByWeights(total: bigint, weights: bigint[]): bigint[] {
  let sum = 0n;
  for (const w of weights) sum += w;
  if (sum === 0n) throw new AccrueError('internal', 'spreadByWeights: zero weight');
  const out: bigint[] = new Array<bigint>(weights.length);
  const t = Number(total);
  const s = Number(sum);
  if (Math.abs(t) * s <= Number.MAX_SAFE_INTEGER) {
    // The same truncations in doubles: every product total × W_k is an exact integer below 2^53,
    // and a quotient of such integers is never rounded across an integer, so trunc is exact.
    let cumW = 0;
    let prev = 0;
    for (let i = 0; i < weights.length; i++) {
      cumW += Number(weights[i]!);
      const cum = i === weights.length - 1 ? t : Math.trunc((t * cumW) / s);
      out[i] = BigInt(cum - prev);
      prev = cum;
    }
    return out;
  }
  let cumW = 0n;
  let prev = 0n;
  for (let i = 0; i < weights.length; i++) {
    cumW += weights[i]!;
    const cum = i === weights.length - 1 ? total : (total * cumW) / sum;
    out[i] = cum - prev;
    prev = cum;
  }
  return out;
}

/**
 * The first segment of an obligation: `amount` spread by its timing and method.
 * A ratable obligation whose period is empty (start >= end) becomes a point in time at start.
 */
export function baseSegment(amount: bigint, timing: Timing, ctx: CalendarContext): Segment {
  if (timing.kind === 'point' || timing.end <= timing.start) {
    const at = timing.kind === 'point' ? timing.at : timing.start;
    if (at === null) return { from: -Infinity, releasedBefore: 0n, slots: [] };
    const period = ctx.calendar.periodOf(dateAt(at, ctx.tz));
    return { from: -Infinity, releasedBefore: 0n, slots: [{ period, a: at, b: at, amountMinor: amount, weight: 1n }] };
  }
  const { start, end, method } = timing;
  if (end - start > SERVICE_SECONDS_MAX) throw new AccrueError('invalid_input', 'service period longer than 50 years');
  if (method === 'by_time') return byTimeSegment(amount, start, end, ctx);
  const cover = coveredPeriods(start, end, ctx);
  let weights: bigint[];
  let daysCounted = false;
  if (method === 'by_day') {
    // Whole local days: the start day counts in full, a partial last day is cut off.
    const sd = dateAt(start, ctx.tz);
    const ed = dateAt(end, ctx.tz);
    weights = cover.map((c) => {
      const from = sd > c.period.start ? sd : c.period.start;
      const to = ed < c.period.end ? ed : c.period.end;
      return BigInt(Math.max(0, daysBetween(from, to)));
    });
    if (weights.every((w) => w === 0n)) weights = cover.map((c) => BigInt(c.b - c.a));
    else daysCounted = true;
  } else if (method === 'monthly_even') {
    // Equal shares over the periods touched, less the last when the service ends partway through it.
    const last = cover[cover.length - 1]!;
    const n = Math.max(1, last.b < last.pb ? cover.length - 1 : cover.length);
    weights = cover.map((_c, i) => (i < n ? 1n : 0n));
  } else {
    return proratedEnds(amount, start, end, cover);
  }
  const amounts = spreadByWeights(amount, weights);
  let days: ({ from: LocalDate; n: number; tz: string } | undefined)[] = [];
  if (method === 'by_day' && daysCounted) {
    const sd = dateAt(start, ctx.tz);
    days = cover.map((c, i) => ({
      from: sd > c.period.start ? sd : c.period.start,
      n: Number(weights[i]!),
      tz: ctx.tz,
    }));
  }
  return {
    from: -Infinity,
    releasedBefore: 0n,
    slots: cover.map((c, i) => ({
      period: c.period,
      a: c.a,
      b: c.b,
      amountMinor: amounts[i]!,
      weight: weights[i]!,
      days: days[i],
    })),
  };
}

/**
 * `by_time`: each covered period weighs its covered seconds; the same cumulative truncation as
 * `spreadByWeights`, with the slots built as the periods are walked (the engine's commonest schedule).
 */
function byTimeSegment(amount: bigint, start: number, end: number, ctx: CalendarContext): Segment {
  const slots: Slot[] = [];
  let total = 0;
  let p = ctx.calendar.periodOf(dateAt(start, ctx.tz));
  for (let guard = 0; guard < 10_000; guard++) {
    const nav = navOf(p, ctx.tz);
    if (nav.pa >= end) break;
    const a = Math.max(start, nav.pa);
    const b = Math.min(end, nav.pb);
    total += b - a;
    slots.push({ period: p, a, b, amountMinor: 0n, weight: b - a, days: undefined });
    p = nextOf(p, nav, ctx.calendar);
  }
  if (total === 0) throw new AccrueError('internal', 'spreadByWeights: zero weight');
  const last = slots.length - 1;
  const t = Number(amount);
  let cumW = 0;
  if (Math.abs(t) * total <= Number.MAX_SAFE_INTEGER) {
    // Exact in doubles: see spreadByWeights.
    let prev = 0;
    for (let i = 0; i <= last; i++) {
      const slot = slots[i]!;
      cumW += slot.b - slot.a;
      const cum = i === last ? t : Math.trunc((t * cumW) / total);
      slot.amountMinor = BigInt(cum - prev);
      prev = cum;
    }
  } else {
    const sum = BigInt(total);
    let prev = 0n;
    for (let i = 0; i <= last; i++) {
      const slot = slots[i]!;
      cumW += slot.b - slot.a;
      const cum = i === last ? amount : (amount * BigInt(cumW)) / sum;
      slot.amountMinor = cum - prev;
      prev = cum;
    }
  }
  return { from: -Infinity, releasedBefore: 0n, slots };
}

/**
 * `monthly_even_prorated_ends`: a partial first and a partial last period by time over the whole
 * service; the full periods between share the rest evenly (truncated share), the last full one
 * taking the residue (92.00 over three full months: 30.66, 30.66, 30.68).
 */
function proratedEnds(amount: bigint, start: number, end: number, cover: CoveredPeriod[]): Segment {
  const total = BigInt(end - start);
  const n = cover.length;
  const amounts: bigint[] = new Array<bigint>(n).fill(0n);
  const weights: Decimal[] = cover.map((c) => new Decimal(c.b - c.a));
  if (n === 1) {
    amounts[0] = amount;
  } else {
    const first = cover[0]!;
    const last = cover[n - 1]!;
    const firstPartial = first.a > first.pa;
    const lastPartial = last.b < last.pb;
    let rest = amount;
    if (firstPartial) {
      amounts[0] = (amount * BigInt(first.b - first.a)) / total;
      rest -= amounts[0];
    }
    if (lastPartial) {
      amounts[n - 1] = (amount * BigInt(last.b - last.a)) / total;
      rest -= amounts[n - 1]!;
    }
    const fullIdx: number[] = [];
    for (let i = 0; i < n; i++) if (!((i === 0 && firstPartial) || (i === n - 1 && lastPartial))) fullIdx.push(i);
    if (fullIdx.length === 0) {
      amounts[n - 1] = amounts[n - 1]! + rest;
    } else {
      const share = rest / BigInt(fullIdx.length);
      for (const i of fullIdx) amounts[i] = share;
      amounts[fullIdx[fullIdx.length - 1]!] = rest - share * BigInt(fullIdx.length - 1);
      // Even weights for the full periods so a re-spread keeps the method's shape.
      const evenW = new Decimal(rest.toString()).div(fullIdx.length);
      const totalD = new Decimal(amount.toString());
      for (const i of fullIdx) weights[i] = totalD.isZero() ? new Decimal(1) : evenW.div(totalD).mul(end - start);
    }
  }
  return {
    from: -Infinity,
    releasedBefore: 0n,
    slots: cover.map((c, i) => ({ period: c.period, a: c.a, b: c.b, amountMinor: amounts[i]!, weight: weights[i]! })),
  };
}

function dec(w: Decimal | bigint | number): Decimal {
  if (typeof w === 'bigint') return new Decimal(w.toString());
  return typeof w === 'number' ? new Decimal(w) : w;
}

/** Whole days of a `by_day` slot elapsed by instant t (the day containing t not yet counted). */
function daysElapsed(d: { from: LocalDate; n: number; tz: string }, t: number): number {
  return Math.min(d.n, Math.max(0, daysBetween(d.from, dateAt(t, d.tz))));
}

/**
 * What a slot has released by an instant t strictly inside it: whole days elapsed for `by_day`,
 * else in proportion to time; truncated toward zero.
 */
function partialRelease(s: Slot, t: number): bigint {
  if (s.days) return s.days.n === 0 ? 0n : (s.amountMinor * BigInt(daysElapsed(s.days, t))) / BigInt(s.days.n);
  return (s.amountMinor * BigInt(t - s.a)) / BigInt(s.b - s.a);
}

/** Released by the segment's own slots up to instant t (inclusive of a point slot at t). */
function releasedWithin(seg: Segment, t: number): bigint {
  let r = 0n;
  for (const s of seg.slots) {
    if (s.b <= t) {
      if (s.a === s.b && s.a > t) continue;
      r += s.amountMinor;
    } else if (s.a < t) r += partialRelease(s, t);
  }
  return r;
}

/** Cumulative amount released up to instant t over a list of segments. */
export function releasedAt(segments: Segment[], t: number): bigint {
  let seg = segments[0]!;
  for (const s of segments) if (s.from <= t) seg = s;
  return seg.releasedBefore + releasedWithin(seg, t);
}

/**
 * Starts a new segment at instant t that spreads `remaining` over what is left of the current
 * segment's slots, keeping their relative weights (the cut slot keeps the uncovered fraction).
 */
export function resegment(
  segments: Segment[],
  t: number,
  releasedBefore: bigint,
  remaining: bigint,
  cal: CalendarContext,
): Segment {
  let cur = segments[0]!;
  for (const s of segments) if (s.from <= t) cur = s;
  const slots: Slot[] = [];
  for (const s of cur.slots) {
    if (s.a === s.b) {
      if (s.a > t) slots.push({ ...s });
      continue;
    }
    if (s.b <= t) continue;
    if (s.a >= t) slots.push({ ...s });
    else if (s.days) {
      const left = s.days.n - daysElapsed(s.days, t);
      const frac = s.days.n === 0 ? new Decimal(0) : new Decimal(left).div(s.days.n);
      const days = { from: dateAt(t, s.days.tz), n: left, tz: s.days.tz };
      slots.push({ ...s, a: t, weight: dec(s.weight).mul(frac), days });
    } else {
      const frac = new Decimal(s.b - t).div(s.b - s.a);
      slots.push({ ...s, a: t, weight: dec(s.weight).mul(frac) });
    }
  }
  if (slots.length === 0) {
    // A point in time still waiting for its trigger keeps waiting: the remainder stays deferred.
    if (cur.slots.length === 0) return { from: t, releasedBefore, slots };
    // Nothing left in time: whatever remains is released at t (only non-zero after a reversal).
    if (remaining !== 0n) {
      const period = cal.calendar.periodOf(localDateOf(t, cal.tz));
      slots.push({ period, a: t, b: t, amountMinor: remaining, weight: new Decimal(1) });
    }
    return { from: t, releasedBefore, slots };
  }
  let totalW = new Decimal(0);
  for (const s of slots) totalW = totalW.add(dec(s.weight));
  let cumW = new Decimal(0);
  let prev = 0n;
  const remD = new Decimal(remaining.toString());
  for (let i = 0; i < slots.length; i++) {
    cumW = cumW.add(dec(slots[i]!.weight));
    const cum =
      i === slots.length - 1 || totalW.isZero()
        ? i === slots.length - 1
          ? remaining
          : 0n
        : BigInt(remD.mul(cumW).div(totalW).toDecimalPlaces(0, Decimal.ROUND_DOWN).toFixed(0));
    slots[i]!.amountMinor = cum - prev;
    prev = cum;
  }
  return { from: t, releasedBefore, slots };
}

/** Amount released in each slot of every segment, as (period, amount) in time order. */
export function releasesByPeriod(segments: Segment[]): readonly PeriodAmount[] {
  // Without cancel events the first segment's slots are the releases (the common, hot case).
  if (segments.length === 1) {
    const slots = segments[0]!.slots;
    let zero = false;
    for (const sl of slots) if (sl.amountMinor === 0n) zero = true;
    return zero ? slots.filter((sl) => sl.amountMinor !== 0n) : slots;
  }
  const out: PeriodAmount[] = [];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const next = segments[i + 1];
    const cut = next ? next.from : Infinity;
    for (const s of seg.slots) {
      let amt: bigint;
      if (s.a === s.b) amt = s.a <= cut ? s.amountMinor : 0n;
      else if (s.b <= cut) amt = s.amountMinor;
      else if (s.a >= cut) amt = 0n;
      else amt = partialRelease(s, cut);
      if (amt !== 0n) out.push({ period: s.period, amountMinor: amt });
    }
  }
  return out;
}
