/**
 * Trial balance: per account (role, account name, currency) the debits, credits and signed
 * balance of every posted line through a period, with per-currency totals. The totals of a
 * double-entry ledger net to zero in each currency; when they do not, the ledger is broken and
 * the report says so (by default it refuses to produce numbers at all).
 */
import { ROLE_INFO, type AccountKind, type AccountRole } from '../accounts.ts';
import { AccrueError } from '../errors.ts';
import type { LedgerLine } from '../ledger-rows.ts';
import type { Currency } from '../money.ts';
import {
  compareRole,
  compareText,
  distinctSorted,
  periodAtOrBefore,
  sides,
  unbalancedEntries,
  type ReportProblem,
} from './common.ts';

export interface TrialBalanceRow {
  role: AccountRole;
  kind: AccountKind;
  account: string;
  currency: Currency;
  /** Sum of debit lines, minor units (≥ 0). */
  debits: bigint;
  /** Sum of credit lines as a positive number of minor units (≥ 0). */
  credits: bigint;
  /** debits − credits: positive is a debit balance. */
  balance: bigint;
}

export interface TrialBalanceTotal {
  currency: Currency;
  debits: bigint;
  credits: bigint;
  /** debits − credits; zero in a healthy ledger. */
  net: bigint;
}

export interface TrialBalanceReport {
  type: 'trial_balance';
  /** Last period included; undefined means every line. */
  throughPeriod: string | undefined;
  rows: TrialBalanceRow[];
  totals: TrialBalanceTotal[];
  problems: ReportProblem[];
}

export interface TrialBalanceOptions {
  /** Include lines of this period and all earlier ones (period keys sort in calendar order). */
  throughPeriod?: string | undefined;
  /**
   * By default a ledger whose totals do not net to zero is an `unbalanced_entry` error. Set this
   * only for diagnostics screens that must show the broken numbers next to the problem list.
   */
  allowUnbalanced?: boolean | undefined;
}

/**
 * Builds the trial balance of one tenant's lines through `throughPeriod` (or all lines).
 * Throws `unbalanced_entry` when a currency's totals do not net to zero, unless
 * `allowUnbalanced` is set, in which case the breaks are listed in `problems`.
 */
export function trialBalance(lines: readonly LedgerLine[], options: TrialBalanceOptions = {}): TrialBalanceReport {
  const through = options.throughPeriod;
  const included = through === undefined ? lines : lines.filter((l) => periodAtOrBefore(l.period, through));

  const byAccount = new Map<string, TrialBalanceRow>();
  for (const l of included) {
    const key = `${l.currency}\u0000${l.role}\u0000${l.account}`;
    let row = byAccount.get(key);
    if (!row) {
      row = {
        role: l.role,
        kind: ROLE_INFO[l.role].kind,
        account: l.account,
        currency: l.currency,
        debits: 0n,
        credits: 0n,
        balance: 0n,
      };
      byAccount.set(key, row);
    }
    const s = sides(l.amountMinor);
    row.debits += s.debit;
    row.credits += s.credit;
    row.balance += l.amountMinor;
  }
  const rows = [...byAccount.values()].sort(
    (a, b) => compareText(a.currency, b.currency) || compareRole(a.role, b.role) || compareText(a.account, b.account),
  );

  const totals: TrialBalanceTotal[] = distinctSorted(rows.map((r) => r.currency)).map((currency) => {
    let debits = 0n;
    let credits = 0n;
    for (const r of rows) {
      if (r.currency !== currency) continue;
      debits += r.debits;
      credits += r.credits;
    }
    return { currency, debits, credits, net: debits - credits };
  });

  const problems: ReportProblem[] = [];
  for (const t of totals) {
    if (t.net !== 0n) {
      problems.push({
        code: 'unbalanced_currency',
        message: `trial balance in ${t.currency.toUpperCase()} does not net to zero: debits exceed credits by ${t.net} minor units`,
        currency: t.currency,
        period: through,
        difference: t.net,
      });
    }
  }
  if (problems.length > 0) for (const p of unbalancedEntries(included)) problems.push(p);

  if (problems.length > 0 && !options.allowUnbalanced) {
    throw new AccrueError(
      'unbalanced_entry',
      `the ledger does not balance: ${problems.map((p) => p.message).join('; ')}`,
      {
        problems: problems.map((p) => ({ ...p, difference: p.difference?.toString() })),
      },
    );
  }
  return { type: 'trial_balance', throughPeriod: through, rows, totals, problems };
}
