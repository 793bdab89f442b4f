/**
 * Shared vocabulary of the reports: the problem record every report can carry, period-key
 * ordering, the kind → roll-forward bucket classification, and small grouping helpers.
 *
 * Reports are pure functions over `LedgerLine[]` of ONE tenant. Period keys (`YYYY-MM` for
 * monthly calendars, `YYYY-Pnn` for 4-4-5) sort lexicographically in calendar order, which is
 * what every "through period" comparison here relies on.
 */
import { ACCOUNT_ROLES, type AccountRole } from '../accounts.ts';
import type { EntryKind } from '../journal.ts';
import type { LedgerLine } from '../ledger-rows.ts';
import type { Currency } from '../money.ts';

/** A broken invariant found while building a report. Reports list them; callers decide to stop. */
export interface ReportProblem {
  code:
    | 'unbalanced_currency'
    | 'unbalanced_entry'
    | 'rollforward_mismatch'
    | 'balance_sheet_mismatch'
    | 'mixed_entry_header'
    | 'metrics_mismatch'
    | 'rpo_mismatch'
    | 'revenue_bridge_mismatch';
  message: string;
  currency?: Currency | undefined;
  period?: string | undefined;
  entryId?: string | undefined;
  /** Difference in minor units, when the problem is an amount that does not tie. */
  difference?: bigint | undefined;
}

/** The movement buckets of a roll-forward (`docs/accounting.md §6c`). */
export type RollforwardBucket = 'billings' | 'recognized' | 'contra' | 'breakage' | 'fx' | 'other';

/**
 * Which roll-forward bucket an entry kind belongs to. Billings are invoice finalizations and
 * the unbilled-to-billed conversions (they post under `invoice_finalized` or `unbilled_accrual`);
 * contra are the cancel-type events (`docs/accounting.md §6c`); everything else, including
 * reversals and manual entries, is `other` so that nothing falls between the buckets.
 */
export function bucketOfKind(kind: EntryKind): RollforwardBucket {
  switch (kind) {
    case 'invoice_finalized':
    case 'unbilled_accrual':
      return 'billings';
    // For prepaid credits and stored value, "recognized" is what was redeemed (`credits_applied`).
    case 'recognition':
    case 'credits_applied':
      return 'recognized';
    case 'breakage':
      return 'breakage';
    case 'refund':
    case 'credit_note':
    case 'dispute':
    case 'void':
    case 'uncollectible':
      return 'contra';
    case 'fx':
      return 'fx';
    default:
      return 'other';
  }
}

/** True when `period` is at or before `through` (period keys sort in calendar order). */
export function periodAtOrBefore(period: string, through: string): boolean {
  return period <= through;
}

/** Sorts currencies, periods and names the same way everywhere so output is deterministic. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Order of roles in reports: the chart-of-accounts order of ACCOUNT_ROLES (assets first). */
const ROLE_ORDER = new Map<AccountRole, number>(ACCOUNT_ROLES.map((r, i) => [r, i]));
export function compareRole(a: AccountRole, b: AccountRole): number {
  return (ROLE_ORDER.get(a) ?? 0) - (ROLE_ORDER.get(b) ?? 0);
}

/** Canonical line order: period, posting date, entry key, entry id, line number. */
export function compareLines(a: LedgerLine, b: LedgerLine): number {
  return (
    compareText(a.period, b.period) ||
    compareText(a.postingDate, b.postingDate) ||
    compareText(a.entryKey, b.entryKey) ||
    compareText(a.entryId, b.entryId) ||
    a.lineNo - b.lineNo
  );
}

/** Groups items by a string key, keeping first-seen order inside each group. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    let bucket = out.get(k);
    if (!bucket) {
      bucket = [];
      out.set(k, bucket);
    }
    bucket.push(item);
  }
  return out;
}

/** Distinct values in sorted order. */
export function distinctSorted<T extends string>(values: Iterable<T>): T[] {
  return [...new Set(values)].sort(compareText);
}

/** Splits a signed amount into debit and credit magnitudes (one of them is zero). */
export function sides(amount: bigint): { debit: bigint; credit: bigint } {
  return amount >= 0n ? { debit: amount, credit: 0n } : { debit: 0n, credit: -amount };
}

/** Sum of signed amounts. */
export function sumAmounts(lines: readonly { amountMinor: bigint }[]): bigint {
  let total = 0n;
  for (const l of lines) total += l.amountMinor;
  return total;
}

/**
 * Checks that every entry balances per currency. Reports run this on their input so a broken
 * ledger is named, with the entry, instead of surfacing later as a total that does not net.
 */
export function unbalancedEntries(lines: readonly LedgerLine[]): ReportProblem[] {
  const sums = new Map<string, { entryId: string; currency: Currency; period: string; total: bigint }>();
  for (const l of lines) {
    const k = `${l.entryId}\u0000${l.currency}`;
    const s = sums.get(k);
    if (s) s.total += l.amountMinor;
    else sums.set(k, { entryId: l.entryId, currency: l.currency, period: l.period, total: l.amountMinor });
  }
  const problems: ReportProblem[] = [];
  for (const s of sums.values()) {
    if (s.total !== 0n) {
      problems.push({
        code: 'unbalanced_entry',
        message: `entry ${s.entryId} does not balance in ${s.currency.toUpperCase()}: off by ${s.total} minor units`,
        entryId: s.entryId,
        currency: s.currency,
        period: s.period,
        difference: s.total,
      });
    }
  }
  return problems.sort(
    (a, b) => compareText(a.entryId ?? '', b.entryId ?? '') || compareText(a.currency ?? '', b.currency ?? ''),
  );
}
