/**
 * Deferred revenue roll-forward (`docs/accounting.md §6c`): per period and currency,
 *   opening + billings − recognized − contra ± FX ± other = closing,
 * where each movement bucket comes from the kind of the entry that moved the account. The
 * closing is then compared with the ledger's own balance at the period end, computed by a
 * separate path (posting dates against the period's end date, not period keys and buckets), and
 * any difference is flagged: the two must tie to the minor unit.
 *
 * A parallel roll-forward is produced for `deferred_discounts` when the tenant has any such lines,
 * and for each monetary role that a period-end revaluation moved (its FX column).
 * All amounts are in the account's normal-balance sign (a credit balance of deferred revenue is
 * positive; a debit balance of deferred discounts is positive).
 */
import { ROLE_INFO, type AccountRole } from '../accounts.ts';
import type { LocalDate } from '../journal.ts';
import type { LedgerLine } from '../ledger-rows.ts';
import type { Currency } from '../money.ts';
import { AccrueError } from '../errors.ts';
import type { Period } from '../periods.ts';
import { addMonthsToMonthStart } from '../time.ts';
import { bucketOfKind, compareText, distinctSorted, type ReportProblem } from './common.ts';

/**
 * Roles that get a roll-forward; all but `deferred_revenue` only when they have lines. For the
 * contract liabilities of billing credits and stored value, billings are what was sold,
 * recognized is what was redeemed, and breakage is its own column:
 *   opening + sold − redeemed − breakage ± other = closing.
 */
export const ROLLFORWARD_ROLES = [
  'deferred_revenue',
  'deferred_discounts',
  'prepaid_credits',
  'stored_value',
] as const satisfies readonly AccountRole[];
/**
 * Monetary roles that get a roll-forward too when FX entries (period-end revaluations and their
 * reversals) moved them: their FX column is what the revaluation restated.
 */
export const REVALUED_ROLLFORWARD_ROLES = [
  'receivable',
  'unbilled_receivable',
  'cash_clearing',
  'customer_balance',
  'tax_liability',
] as const satisfies readonly AccountRole[];
export type RollforwardRole = (typeof ROLLFORWARD_ROLES)[number] | (typeof REVALUED_ROLLFORWARD_ROLES)[number];

export interface RollforwardRow {
  role: RollforwardRole;
  currency: Currency;
  period: string;
  start: LocalDate;
  /** Exclusive. */
  end: LocalDate;
  opening: bigint;
  /** Increases from billing (positive for ordinary invoices). */
  billings: bigint;
  /** Decreases from recognition (positive when revenue was recognized). */
  recognized: bigint;
  /** Decreases from refunds, credit notes, disputes, voids and bad debt. */
  contra: bigint;
  /** Decreases from breakage (prepaid credits and stored value; zero for deferred revenue). */
  breakage: bigint;
  /** Signed: FX entries that moved the account. */
  fx: bigint;
  /** Signed: everything else (reversals, manual entries, …). */
  other: bigint;
  /** opening + billings − recognized − contra − breakage + fx + other. */
  closing: bigint;
  /** The ledger's balance of the role at the period end, by posting date. */
  ledgerClosing: bigint;
  tiesOut: boolean;
}

export interface RollforwardReport {
  type: 'rollforward';
  periods: string[];
  rows: RollforwardRow[];
  problems: ReportProblem[];
}

/**
 * A monthly period key (`2026-02`) as a Period; other calendars must pass Period objects,
 * because their boundaries cannot be read off the key.
 */
function toPeriod(p: Period | string): Period {
  if (typeof p !== 'string') return p;
  if (!/^\d{4}-\d{2}$/.test(p))
    throw new AccrueError(
      'invalid_input',
      `period "${p}" is not a monthly key; pass Period objects from periodCalendar() instead`,
    );
  const start = `${p}-01`;
  return { key: p, start, end: addMonthsToMonthStart(start, 1) };
}

/**
 * Builds the roll-forward of deferred revenue (and deferred discounts, when present) over
 * `periods` (from `periodsBetween(periodCalendar(...), …)`, or monthly keys such as `2026-02`), for every currency the
 * role has lines in. The first opening is the ledger balance before the first period; each
 * later opening is the previous closing, so a gap in `periods` that hides movements shows up
 * as a mismatch instead of being papered over. Mismatches are listed in `problems`.
 */
export function rollforward(
  lines: readonly LedgerLine[],
  options: { periods: readonly (Period | string)[] },
): RollforwardReport {
  const periods = options.periods.map(toPeriod).sort((a, b) => compareText(a.start, b.start));
  const rows: RollforwardRow[] = [];
  const problems: ReportProblem[] = [];

  const revalued = REVALUED_ROLLFORWARD_ROLES.filter((role) => lines.some((l) => l.role === role && l.kind === 'fx'));
  for (const role of [...ROLLFORWARD_ROLES, ...revalued]) {
    const roleLines = lines.filter((l) => l.role === role);
    if (roleLines.length === 0 && role !== 'deferred_revenue') continue;
    const normal = BigInt(ROLE_INFO[role].normal);
    for (const currency of distinctSorted(roleLines.map((l) => l.currency))) {
      const cl = roleLines.filter((l) => l.currency === currency);
      const balanceBefore = (date: LocalDate): bigint => {
        let sum = 0n;
        for (const l of cl) if (l.postingDate < date) sum += l.amountMinor * normal;
        return sum;
      };
      let opening = periods.length > 0 ? balanceBefore(periods[0]!.start) : 0n;
      for (const p of periods) {
        const moves = { billings: 0n, recognized: 0n, contra: 0n, breakage: 0n, fx: 0n, other: 0n };
        for (const l of cl) {
          if (l.period !== p.key) continue;
          const normalAmount = l.amountMinor * normal;
          const bucket = bucketOfKind(l.kind);
          // Recognition and contra are shown as decreases (positive numbers that are subtracted).
          if (bucket === 'recognized' || bucket === 'contra' || bucket === 'breakage') moves[bucket] -= normalAmount;
          else moves[bucket] += normalAmount;
        }
        const closing =
          opening + moves.billings - moves.recognized - moves.contra - moves.breakage + moves.fx + moves.other;
        const ledgerClosing = balanceBefore(p.end);
        const tiesOut = closing === ledgerClosing;
        rows.push({
          role,
          currency,
          period: p.key,
          start: p.start,
          end: p.end,
          opening,
          ...moves,
          closing,
          ledgerClosing,
          tiesOut,
        });
        if (!tiesOut) {
          problems.push({
            code: 'rollforward_mismatch',
            message: `${role} roll-forward for ${p.key} in ${currency.toUpperCase()} closes at ${closing} but the ledger balance is ${ledgerClosing} (minor units)`,
            currency,
            period: p.key,
            difference: closing - ledgerClosing,
          });
        }
        opening = closing;
      }
    }
  }
  return { type: 'rollforward', periods: periods.map((p) => p.key), rows, problems };
}
