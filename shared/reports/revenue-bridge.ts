/**
 * One revenue figure (`docs/accounting.md §6d`): the reports state "revenue recognized" three
 * ways, and this bridge shows, per currency, the items between them so the totals visibly tie.
 *
 * - **Income** (the income statement's income section): every line on an account of the income
 *   kind, credit positive: revenue, and shipping and application fees, which are income but not
 *   subscription revenue. Income = revenue + shipping + application fees, each its own line.
 * - **Revenue** (trial balance, summary): every line on a `revenue`-role account, credit
 *   positive. This is the figure of record.
 * - **Waterfall**: the revenue lines of recognition entries and of reversals of recognition
 *   entries. Revenue = waterfall + revenue booked by other kinds of entry (unbilled accruals,
 *   FX, manual entries, reversals of other entries …), listed per kind.
 * - **Roll-forward "recognized"**: the Deferred Revenue debits of recognition entries. Waterfall =
 *   roll-forward recognized + what recognition entries moved on other accounts (revenue earned
 *   straight from Unbilled Receivables, deferred revenue moved to Unbilled Receivables, the
 *   discount pair under `discounts_as_contra`, listed per role) + the revenue of reversals of
 *   recognition entries (the roll-forward counts those under "other").
 *
 * All three are taken over the same lines (optionally periods `fromPeriod`…`throughPeriod`), so
 * each identity holds to the minor unit; a break would be a bug and is listed in `problems`.
 */
import { ROLE_INFO, type AccountRole } from '../accounts.ts';
import type { EntryKind } from '../journal.ts';
import type { LedgerLine } from '../ledger-rows.ts';
import type { Currency } from '../money.ts';
import { compareRole, compareText, distinctSorted, type ReportProblem } from './common.ts';

export interface RevenueBridgeKindItem {
  kind: EntryKind;
  /** Revenue (credit positive) booked by entries of this kind outside the waterfall. */
  amountMinor: bigint;
}

export interface RevenueBridgeRoleItem {
  role: AccountRole;
  /** Signed, debit positive: what recognition entries moved on this account. */
  amountMinor: bigint;
}

export interface RevenueBridgeCurrency {
  currency: Currency;
  /** Income statement income: −Σ lines on every income-kind role (revenue, shipping, application fees). */
  income: bigint;
  /** Income on roles other than revenue (shipping, application fees), credit positive, per role. */
  otherIncome: RevenueBridgeRoleItem[];
  /** Trial balance revenue: −Σ revenue-role lines. */
  revenue: bigint;
  /** Revenue booked by entries outside the waterfall, per entry kind. */
  outsideWaterfall: RevenueBridgeKindItem[];
  /** The waterfall's grand total. */
  waterfall: bigint;
  /** Revenue of reversals of recognition entries (in the waterfall; "other" in the roll-forward). */
  reversalsOfRecognition: bigint;
  /** Lines of recognition entries on roles other than revenue and deferred revenue. */
  recognitionOtherAccounts: RevenueBridgeRoleItem[];
  /** The roll-forward's "recognized" column summed over the periods. */
  rollforwardRecognized: bigint;
  /**
   * income = revenue + Σ otherIncome, revenue = waterfall + Σ outsideWaterfall and
   * waterfall = recognized + Σ other + reversals.
   */
  tiesOut: boolean;
}

export interface RevenueBridgeReport {
  type: 'revenue_bridge';
  fromPeriod: string | undefined;
  throughPeriod: string | undefined;
  currencies: RevenueBridgeCurrency[];
  problems: ReportProblem[];
}

export interface RevenueBridgeOptions {
  fromPeriod?: string | undefined;
  throughPeriod?: string | undefined;
}

function addTo<K extends string>(map: Map<K, bigint>, key: K, amount: bigint): void {
  map.set(key, (map.get(key) ?? 0n) + amount);
}

function bridgeOfCurrency(
  currency: Currency,
  lines: readonly LedgerLine[],
  recognitionIds: ReadonlySet<string>,
): RevenueBridgeCurrency {
  const isRecognitionReversal = (l: LedgerLine) =>
    l.kind === 'reversal' && l.reversesEntryId !== undefined && recognitionIds.has(l.reversesEntryId);

  let revenue = 0n;
  let waterfall = 0n;
  let reversals = 0n;
  let recognized = 0n;
  const outside = new Map<EntryKind, bigint>();
  const otherRoles = new Map<AccountRole, bigint>();
  const otherIncomeRoles = new Map<AccountRole, bigint>();
  for (const l of lines) {
    // Shipping and application fees: income, but outside revenue; bridged as their own lines.
    if (l.role !== 'revenue' && ROLE_INFO[l.role].kind === 'income') addTo(otherIncomeRoles, l.role, -l.amountMinor);
    if (l.role === 'revenue') {
      revenue -= l.amountMinor;
      if (l.kind === 'recognition') waterfall -= l.amountMinor;
      else if (isRecognitionReversal(l)) {
        waterfall -= l.amountMinor;
        reversals -= l.amountMinor;
      } else addTo(outside, l.kind, -l.amountMinor);
    } else if (l.kind === 'recognition') {
      if (l.role === 'deferred_revenue') recognized += l.amountMinor;
      else addTo(otherRoles, l.role, l.amountMinor);
    }
  }
  const outsideWaterfall = [...outside]
    .filter(([, a]) => a !== 0n)
    .map(([kind, amountMinor]) => ({ kind, amountMinor }))
    .sort((a, b) => compareText(a.kind, b.kind));
  const recognitionOtherAccounts = [...otherRoles]
    .filter(([, a]) => a !== 0n)
    .map(([role, amountMinor]) => ({ role, amountMinor }))
    .sort((a, b) => compareRole(a.role, b.role));
  const otherIncome = [...otherIncomeRoles]
    .filter(([, a]) => a !== 0n)
    .map(([role, amountMinor]) => ({ role, amountMinor }))
    .sort((a, b) => compareRole(a.role, b.role));
  const sumOf = (items: readonly { amountMinor: bigint }[]) => items.reduce((t, i) => t + i.amountMinor, 0n);
  const income = revenue + sumOf(otherIncome);
  const tiesOut =
    revenue === waterfall + sumOf(outsideWaterfall) &&
    waterfall === recognized + sumOf(recognitionOtherAccounts) + reversals;
  return {
    currency,
    income,
    otherIncome,
    revenue,
    outsideWaterfall,
    waterfall,
    reversalsOfRecognition: reversals,
    recognitionOtherAccounts,
    rollforwardRecognized: recognized,
    tiesOut,
  };
}

/**
 * The bridge between the revenue of the income statement, the waterfall and the deferred
 * revenue roll-forward, per currency, over the lines of periods `fromPeriod`…`throughPeriod`.
 */
export function revenueBridge(lines: readonly LedgerLine[], options: RevenueBridgeOptions = {}): RevenueBridgeReport {
  const { fromPeriod, throughPeriod } = options;
  const included = lines.filter(
    (l) =>
      (fromPeriod === undefined || l.period >= fromPeriod) &&
      (throughPeriod === undefined || l.period <= throughPeriod),
  );
  // A reversal in the window of a recognition entry before it is still a reversal of recognition.
  const recognitionIds = new Set(lines.filter((l) => l.kind === 'recognition').map((l) => l.entryId));
  const problems: ReportProblem[] = [];
  const currencies = distinctSorted(included.map((l) => l.currency)).map((currency) => {
    const c = bridgeOfCurrency(
      currency,
      included.filter((l) => l.currency === currency),
      recognitionIds,
    );
    if (!c.tiesOut)
      problems.push({
        code: 'revenue_bridge_mismatch',
        message: `revenue in ${currency.toUpperCase()} does not tie between the income statement, the waterfall and the roll-forward`,
        currency,
      });
    return c;
  });
  return { type: 'revenue_bridge', fromPeriod, throughPeriod, currencies, problems };
}
