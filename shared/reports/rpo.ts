/**
 * Remaining performance obligations (`docs/accounting.md §6d`): the revenue still to be earned on
 * what has been billed, at an as-of date, by the month it will be recognized in, by customer and
 * by product, split into current (recognized within twelve months) and non-current, as the
 * ASC 606 / IFRS 15 disclosure asks.
 *
 * The source is the engine's schedule of every invoice obligation: what is scheduled after the
 * as-of date is still to be earned. The total must tie, to the minor unit, with the ledger's
 * contract liability at that date: Deferred Revenue (credit) less Deferred Discounts (debit), by
 * posting date. A difference is listed in `problems`. Items not yet invoiced (pending invoice
 * items) are earned as unbilled revenue, not deferred, and are not part of this schedule.
 */
import { ROLE_INFO } from '../accounts.ts';
import type { LocalDate } from '../journal.ts';
import type { LedgerLine } from '../ledger-rows.ts';
import type { Currency } from '../money.ts';
import { addDays, addMonthsToMonthStart, monthKey } from '../time.ts';
import { compareText, type ReportProblem } from './common.ts';

/** Months after the as-of month whose recognition counts as current (ASC 606: the next twelve). */
export const RPO_CURRENT_MONTHS = 12;
/** Customers and products listed one by one; the rest are summed into one "others" row. */
export const RPO_ROWS_MAX = 200;

export interface RpoScheduleLine {
  invoice: string | null;
  customer: string | null;
  product: string | null;
  /** The date the recognition entry for this amount is (or will be) posted on. */
  postingDate: LocalDate;
  /** Functional-currency minor units, signed like the obligation. */
  amountMinor: bigint;
}

export interface RpoMonth {
  month: string;
  amountMinor: bigint;
  current: boolean;
}

export interface RpoParty {
  /** Customer or product id; `(none)` when the line has none; `(others)` for the rows past RPO_ROWS_MAX. */
  id: string;
  currentMinor: bigint;
  nonCurrentMinor: bigint;
  totalMinor: bigint;
}

export interface RpoReport {
  type: 'rpo';
  currency: Currency;
  asOf: LocalDate;
  /** Recognition on or before this date is current. */
  currentThrough: LocalDate;
  months: RpoMonth[];
  customers: RpoParty[];
  products: RpoParty[];
  currentMinor: bigint;
  nonCurrentMinor: bigint;
  totalMinor: bigint;
  /** Deferred Revenue less Deferred Discounts in the ledger at the as-of date (normal balance). */
  ledgerDeferredMinor: bigint;
  tiesOut: boolean;
  problems: ReportProblem[];
}

/** Contract liability at the end of `asOf`: Deferred Revenue credit less Deferred Discounts debit. */
export function deferredBalanceAt(lines: readonly LedgerLine[], currency: Currency, asOf: LocalDate): bigint {
  let total = 0n;
  for (const l of lines) {
    if (l.currency !== currency || l.postingDate > asOf) continue;
    if (l.role === 'deferred_revenue') total += l.amountMinor * BigInt(ROLE_INFO.deferred_revenue.normal);
    else if (l.role === 'deferred_discounts') total -= l.amountMinor * BigInt(ROLE_INFO.deferred_discounts.normal);
  }
  return total;
}

function parties(lines: readonly (RpoScheduleLine & { current: boolean })[], idOf: (l: RpoScheduleLine) => string) {
  const by = new Map<string, RpoParty>();
  for (const l of lines) {
    const id = idOf(l);
    const p = by.get(id) ?? { id, currentMinor: 0n, nonCurrentMinor: 0n, totalMinor: 0n };
    if (l.current) p.currentMinor += l.amountMinor;
    else p.nonCurrentMinor += l.amountMinor;
    p.totalMinor += l.amountMinor;
    by.set(id, p);
  }
  const sorted = [...by.values()]
    .filter((p) => p.totalMinor !== 0n || p.currentMinor !== 0n)
    .sort((a, b) => (b.totalMinor > a.totalMinor ? 1 : b.totalMinor < a.totalMinor ? -1 : compareText(a.id, b.id)));
  if (sorted.length <= RPO_ROWS_MAX) return sorted;
  const rest = sorted.slice(RPO_ROWS_MAX);
  const others: RpoParty = { id: '(others)', currentMinor: 0n, nonCurrentMinor: 0n, totalMinor: 0n };
  for (const p of rest) {
    others.currentMinor += p.currentMinor;
    others.nonCurrentMinor += p.nonCurrentMinor;
    others.totalMinor += p.totalMinor;
  }
  return [...sorted.slice(0, RPO_ROWS_MAX), others];
}

/**
 * The forward schedule at `asOf` of the invoice schedule lines (`schedule`, in the functional
 * `currency`), tied to the ledger's deferred balance from `ledgerLines`.
 */
export function remainingObligations(
  schedule: readonly RpoScheduleLine[],
  options: { currency: Currency; asOf: LocalDate; ledgerLines: readonly LedgerLine[] },
): RpoReport {
  const { asOf, currency } = options;
  const currentBefore = addMonthsToMonthStart(asOf, RPO_CURRENT_MONTHS + 1);
  const remaining = schedule
    .filter((s) => s.invoice !== null && s.postingDate > asOf && s.amountMinor !== 0n)
    .map((s) => ({ ...s, current: s.postingDate < currentBefore }));
  const byMonth = new Map<string, RpoMonth>();
  let currentMinor = 0n;
  let nonCurrentMinor = 0n;
  for (const s of remaining) {
    const month = monthKey(s.postingDate);
    const m = byMonth.get(month) ?? { month, amountMinor: 0n, current: s.current };
    m.amountMinor += s.amountMinor;
    byMonth.set(month, m);
    if (s.current) currentMinor += s.amountMinor;
    else nonCurrentMinor += s.amountMinor;
  }
  const totalMinor = currentMinor + nonCurrentMinor;
  const ledgerDeferredMinor = deferredBalanceAt(options.ledgerLines, currency, asOf);
  const tiesOut = totalMinor === ledgerDeferredMinor;
  const problems: ReportProblem[] = tiesOut
    ? []
    : [
        {
          code: 'rpo_mismatch',
          message: `remaining obligations at ${asOf} total ${totalMinor} but the ledger's deferred revenue less deferred discounts is ${ledgerDeferredMinor} (minor units); unreleased periods or entries not yet posted explain a difference`,
          currency,
          difference: totalMinor - ledgerDeferredMinor,
        },
      ];
  return {
    type: 'rpo',
    currency,
    asOf,
    currentThrough: addDays(currentBefore, -1),
    months: [...byMonth.values()].sort((a, b) => compareText(a.month, b.month)),
    customers: parties(remaining, (l) => l.customer ?? '(none)'),
    products: parties(remaining, (l) => l.product ?? '(none)'),
    currentMinor,
    nonCurrentMinor,
    totalMinor,
    ledgerDeferredMinor,
    tiesOut,
    problems,
  };
}
