/**
 * SaaS metrics (`docs/accounting.md §6d`): MRR and ARR per day and per month, the MRR movements
 * (new, expansion, contraction, churn, reactivation), customers, ARPA, and net and gross revenue
 * retention, in the functional currency.
 *
 * Input is a list of recurring items — one billed service period of a subscription line, net of
 * discounts and tax, already in the functional currency (`metrics-facts.ts` builds them from the
 * engine's facts under Stripe's inclusion rules). An item contributes its normalized monthly
 * amount on every day of its service period [start, end). A customer's MRR on a day is the sum
 * of its items that day; the business's MRR is the sum over customers.
 *
 * Movements are found day by day, customer by customer, comparing the MRR at the end of a day
 * with the day before, so opening + movements = closing holds for every day and every month by
 * construction, and the report checks it anyway (a break is a `metrics_mismatch` problem).
 */
import { AccrueError } from '../errors.ts';
import type { LocalDate } from '../journal.ts';
import { Decimal, type Currency } from '../money.ts';
import { addDays, addMonthsToMonthStart, daysBetween, endOfMonth, parseDate } from '../time.ts';
import { compareText, type ReportProblem } from './common.ts';

/** Longest range of months one metrics report covers (days × items stays small). */
export const METRICS_MONTHS_MAX = 120;
/** Decimal places of the retention ratios (named rounding: half-even to 4 places, 0.9731 = 97.31 %). */
export const RETENTION_DECIMALS = 4;
/** Days a year counts when a period is neither whole months nor whole weeks (monthly = amount × 365 / 12 / days). */
const DAYS_PER_YEAR = 365;
const WEEKS_PER_YEAR = 52;
const MONTHS_PER_YEAR = 12;

export interface RecurringItem {
  customer: string;
  invoice: string;
  invoiceLine: string;
  product: string | null;
  /** Service period, first day inclusive, last day exclusive (the tenant's reporting zone). */
  start: LocalDate;
  end: LocalDate;
  /** Amount billed for the period, functional currency, net of discounts, tax excluded. */
  amountMinor: bigint;
}

export interface MrrMovements {
  new: bigint;
  expansion: bigint;
  /** Decreases, as positive numbers. */
  contraction: bigint;
  churn: bigint;
  reactivation: bigint;
}

export interface MetricsDay extends MrrMovements {
  date: LocalDate;
  mrr: bigint;
  arr: bigint;
  customers: number;
}

export interface MetricsMonth extends MrrMovements {
  month: string;
  /** MRR at the end of the day before the month. */
  opening: bigint;
  /** MRR at the end of the month's last day. */
  closing: bigint;
  arr: bigint;
  customers: number;
  /** closing / customers, half-even to the minor unit; 0 with no customers. */
  arpa: bigint;
  /** Σ closing of the customers that had MRR at the opening / their opening; null when opening is 0. */
  netRevenueRetention: string | null;
  /** Σ min(closing, opening) of the same customers / their opening; null when opening is 0. */
  grossRevenueRetention: string | null;
  /** opening + new + expansion + reactivation − contraction − churn = closing. */
  tiesOut: boolean;
}

export interface MetricsReport {
  type: 'metrics';
  currency: Currency;
  fromMonth: string;
  throughMonth: string;
  months: MetricsMonth[];
  /** Present when asked for (`days: true`). */
  days: MetricsDay[] | undefined;
  problems: ReportProblem[];
}

/** Normalized monthly amount of an item, half-even to the minor unit (named rounding: per item). */
export function monthlyAmount(item: Pick<RecurringItem, 'start' | 'end' | 'amountMinor'>): bigint {
  const days = daysBetween(item.start, item.end);
  if (days <= 0) return 0n;
  const s = parseDate(item.start);
  const e = parseDate(item.end);
  const months = (e.y - s.y) * MONTHS_PER_YEAR + (e.m - s.m);
  const amount = new Decimal(item.amountMinor.toString());
  let monthly: Decimal;
  if (months > 0 && sameDayOfMonth(item.start, item.end, months)) monthly = amount.div(months);
  else if (days % 7 === 0) monthly = amount.mul(WEEKS_PER_YEAR).div(MONTHS_PER_YEAR * (days / 7));
  else monthly = amount.mul(DAYS_PER_YEAR).div(MONTHS_PER_YEAR * days);
  return BigInt(monthly.toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toFixed(0));
}

/** True when `end` is `months` calendar months after `start` (a 31st start ends on a shorter month's last day). */
function sameDayOfMonth(start: LocalDate, end: LocalDate, months: number): boolean {
  const target = addMonthsToMonthStart(start, months);
  const last = endOfMonth(target);
  const day = parseDate(start).d;
  const wanted = day > parseDate(last).d ? last : `${target.slice(0, 8)}${String(day).padStart(2, '0')}`;
  return wanted === end;
}

function emptyMovements(): MrrMovements {
  return { new: 0n, expansion: 0n, contraction: 0n, churn: 0n, reactivation: 0n };
}

/** Adds the movement of one customer from `before` to `after` (`seen`: had MRR on some earlier day). */
function classify(m: MrrMovements, before: bigint, after: bigint, seen: boolean): void {
  if (before === after) return;
  if (before === 0n) {
    if (seen) m.reactivation += after;
    else m.new += after;
  } else if (after === 0n) m.churn += before;
  else if (after > before) m.expansion += after - before;
  else m.contraction += before - after;
}

function addMovements(into: MrrMovements, m: MrrMovements): void {
  into.new += m.new;
  into.expansion += m.expansion;
  into.contraction += m.contraction;
  into.churn += m.churn;
  into.reactivation += m.reactivation;
}

const netOf = (m: MrrMovements) => m.new + m.expansion + m.reactivation - m.contraction - m.churn;

/** Per-customer MRR on each day, computed incrementally from item starts and ends. */
class MrrTimeline {
  private readonly deltas = new Map<LocalDate, Map<string, bigint>>();
  private readonly current = new Map<string, bigint>();
  private readonly seen = new Set<string>();

  constructor(items: readonly RecurringItem[]) {
    for (const item of items) {
      const monthly = monthlyAmount(item);
      // Items worth nothing (trials) or less (credits) carry no recurring revenue.
      if (monthly <= 0n) continue;
      this.add(item.start, item.customer, monthly);
      this.add(item.end, item.customer, -monthly);
    }
  }

  private add(date: LocalDate, customer: string, amount: bigint): void {
    const day = this.deltas.get(date) ?? new Map<string, bigint>();
    day.set(customer, (day.get(customer) ?? 0n) + amount);
    this.deltas.set(date, day);
  }

  /** Applies every change dated before `date` without recording movements (the history before a report). */
  seekTo(date: LocalDate): void {
    for (const d of [...this.deltas.keys()].sort(compareText)) {
      if (d >= date) break;
      this.apply(d, emptyMovements());
      this.deltas.delete(d);
    }
  }

  /** Applies the changes of `date`, adding the movements to `m`. */
  apply(date: LocalDate, m: MrrMovements): void {
    const changes = this.deltas.get(date);
    if (!changes) return;
    for (const [customer, delta] of changes) {
      const before = this.current.get(customer) ?? 0n;
      const after = before + delta;
      classify(m, before, after, this.seen.has(customer));
      if (after !== 0n) {
        this.current.set(customer, after);
        this.seen.add(customer);
      } else this.current.delete(customer);
    }
  }

  snapshot(): Map<string, bigint> {
    return new Map(this.current);
  }

  total(): bigint {
    let t = 0n;
    for (const v of this.current.values()) t += v;
    return t;
  }

  customers(): number {
    let n = 0;
    for (const v of this.current.values()) if (v > 0n) n++;
    return n;
  }
}

/** A ratio of minor-unit sums, half-even to RETENTION_DECIMALS places, or null over zero. */
function ratio(numerator: bigint, denominator: bigint): string | null {
  if (denominator === 0n) return null;
  return new Decimal(numerator.toString())
    .div(denominator.toString())
    .toDecimalPlaces(RETENTION_DECIMALS, Decimal.ROUND_HALF_EVEN)
    .toFixed(RETENTION_DECIMALS);
}

function retention(opening: Map<string, bigint>, closing: Map<string, bigint>) {
  let base = 0n;
  let net = 0n;
  let gross = 0n;
  for (const [customer, open] of opening) {
    if (open <= 0n) continue;
    const close = closing.get(customer) ?? 0n;
    base += open;
    net += close;
    gross += close < open ? close : open;
  }
  return { netRevenueRetention: ratio(net, base), grossRevenueRetention: ratio(gross, base) };
}

function checkMonth(fromMonth: string, throughMonth: string): number {
  for (const m of [fromMonth, throughMonth])
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(m))
      throw new AccrueError('invalid_input', `"${m}" is not a month; write it as YYYY-MM, e.g. 2026-03`);
  const count = monthsBetween(fromMonth, throughMonth);
  if (count <= 0) throw new AccrueError('invalid_input', `the range ${fromMonth} to ${throughMonth} is empty`);
  if (count > METRICS_MONTHS_MAX)
    throw new AccrueError('invalid_input', `at most ${METRICS_MONTHS_MAX} months at a time; ${count} were asked`);
  return count;
}

function monthsBetween(from: string, through: string): number {
  const a = parseDate(`${from}-01`);
  const b = parseDate(`${through}-01`);
  return (b.y - a.y) * MONTHS_PER_YEAR + (b.m - a.m) + 1;
}

/** ARPA: MRR per paying customer, half-even to the minor unit. */
function arpaOf(mrr: bigint, customers: number): bigint {
  if (customers === 0) return 0n;
  return BigInt(new Decimal(mrr.toString()).div(customers).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toFixed(0));
}

/**
 * The metrics of months `fromMonth`…`throughMonth` (YYYY-MM) over `items`, in `currency` (the
 * functional currency the items are in); with `days`, the daily series too.
 */
export function saasMetrics(
  items: readonly RecurringItem[],
  options: { currency: Currency; fromMonth: string; throughMonth: string; days?: boolean | undefined },
): MetricsReport {
  const count = checkMonth(options.fromMonth, options.throughMonth);
  const timeline = new MrrTimeline(items);
  const first = `${options.fromMonth}-01`;
  timeline.seekTo(first);
  const months: MetricsMonth[] = [];
  const days: MetricsDay[] = [];
  const problems: MetricsReport['problems'] = [];
  for (let i = 0; i < count; i++) {
    const start = addMonthsToMonthStart(first, i);
    const next = addMonthsToMonthStart(first, i + 1);
    const openingByCustomer = timeline.snapshot();
    const opening = timeline.total();
    const monthMoves = emptyMovements();
    for (let d = start; d < next; d = addDays(d, 1)) {
      const dayMoves = emptyMovements();
      timeline.apply(d, dayMoves);
      addMovements(monthMoves, dayMoves);
      if (options.days) {
        const mrr = timeline.total();
        days.push({ date: d, mrr, arr: mrr * BigInt(MONTHS_PER_YEAR), customers: timeline.customers(), ...dayMoves });
      }
    }
    const closing = timeline.total();
    const customers = timeline.customers();
    const tiesOut = opening + netOf(monthMoves) === closing;
    const month = start.slice(0, 7);
    if (!tiesOut)
      problems.push({
        code: 'metrics_mismatch',
        message: `MRR of ${month}: opening ${opening} + movements ${netOf(monthMoves)} ≠ closing ${closing} (minor units)`,
        period: month,
      });
    months.push({
      month,
      opening,
      ...monthMoves,
      closing,
      arr: closing * BigInt(MONTHS_PER_YEAR),
      customers,
      arpa: arpaOf(closing, customers),
      ...retention(openingByCustomer, timeline.snapshot()),
      tiesOut,
    });
  }
  return {
    type: 'metrics',
    currency: options.currency,
    fromMonth: options.fromMonth,
    throughMonth: options.throughMonth,
    months,
    days: options.days ? days : undefined,
    problems,
  };
}

/** What each metric means, for the screens and the CLI to show next to the numbers. */
export const METRIC_DEFINITIONS: Readonly<Record<string, string>> = {
  mrr: 'Monthly recurring revenue: the monthly value of every active or past-due subscription line, net of discounts, without tax, trials, one-time, metered or proration items, in the functional currency.',
  arr: 'Annual recurring revenue: MRR × 12.',
  new: 'MRR of customers who had none before and start paying.',
  expansion: 'MRR added by customers who already paid (upgrades, more seats).',
  contraction: 'MRR lost from customers who still pay (downgrades, fewer seats).',
  churn: 'MRR of customers whose last subscription line ended.',
  reactivation: 'MRR of customers who had churned and pay again.',
  customers: 'Customers with MRR above zero at the end of the period.',
  arpa: 'Average revenue per account: MRR ÷ customers.',
  net_revenue_retention:
    "MRR at the end of the month of the customers who paid at its start, ÷ their MRR at the start (expansion counts, new customers don't).",
  gross_revenue_retention:
    'The same without expansion: each of those customers counts at most its starting MRR; 1 means nothing was lost.',
};
