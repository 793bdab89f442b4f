/**
 * Income statement (one period's activity) and balance sheet (cumulative through a period),
 * grouped by the account kind in ROLE_INFO, one statement per currency.
 *
 * Signs are those a reader expects: in the income statement credits add to income (revenue is
 * positive, contra revenue and expenses negative); in the balance sheet assets are shown
 * debit-positive and liabilities credit-positive. Accrue posts no equity lines, so equity is the
 * cumulative net income ("retained earnings, unclosed"); assets = liabilities + equity is checked.
 */
import { ROLE_INFO, roleInfo, type AccountKind, type AccountRole, type RolePresentation } from '../accounts.ts';
import type { LedgerLine } from '../ledger-rows.ts';
import type { Currency } from '../money.ts';
import { compareRole, compareText, distinctSorted, periodAtOrBefore, type ReportProblem } from './common.ts';

export interface StatementRow {
  role: AccountRole;
  account: string;
  amountMinor: bigint;
}

export interface StatementSection {
  kind: AccountKind | 'equity';
  title: string;
  rows: StatementRow[];
  total: bigint;
}

export const INCOME_SECTIONS: readonly { kind: AccountKind; title: string }[] = [
  { kind: 'income', title: 'Revenue' },
  { kind: 'contra_income', title: 'Contra revenue' },
  { kind: 'expense', title: 'Expenses' },
  { kind: 'other_income', title: 'Other income' },
  { kind: 'other_expense', title: 'Other expenses' },
];

const BALANCE_KINDS: ReadonlySet<AccountKind> = new Set(['asset', 'liability', 'contra_liability']);

export interface IncomeStatementCurrency {
  currency: Currency;
  sections: StatementSection[];
  /** Revenue + contra revenue. */
  netRevenue: bigint;
  netIncome: bigint;
}

export interface IncomeStatementReport {
  type: 'income_statement';
  period: string;
  currencies: IncomeStatementCurrency[];
}

export interface BalanceSheetCurrency {
  currency: Currency;
  assets: StatementSection;
  liabilities: StatementSection;
  equity: StatementSection;
  totalAssets: bigint;
  totalLiabilitiesAndEquity: bigint;
}

export interface BalanceSheetReport {
  type: 'balance_sheet';
  throughPeriod: string;
  currencies: BalanceSheetCurrency[];
  problems: ReportProblem[];
}

/** Sums lines by (role, account), multiplying by `sign`, in chart-of-accounts order. */
function accountRows(lines: readonly LedgerLine[], sign: bigint): StatementRow[] {
  const byAccount = new Map<string, StatementRow>();
  for (const l of lines) {
    const k = `${l.role}\u0000${l.account}`;
    const row = byAccount.get(k);
    if (row) row.amountMinor += l.amountMinor * sign;
    else byAccount.set(k, { role: l.role, account: l.account, amountMinor: l.amountMinor * sign });
  }
  return [...byAccount.values()].sort((a, b) => compareRole(a.role, b.role) || compareText(a.account, b.account));
}

function section(kind: StatementSection['kind'], title: string, rows: StatementRow[]): StatementSection {
  return { kind, title, rows, total: rows.reduce((t, r) => t + r.amountMinor, 0n) };
}

/**
 * The income statement of one period: activity of income and expense accounts in that period.
 * `presentation` is the tenant's choice for bad debt (an expense, or contra revenue).
 */
export function incomeStatement(
  lines: readonly LedgerLine[],
  options: { period: string; presentation?: RolePresentation | undefined },
): IncomeStatementReport {
  const kindOf = (role: AccountRole): AccountKind => roleInfo(role, options.presentation).kind;
  const inPeriod = lines.filter((l) => l.period === options.period && !BALANCE_KINDS.has(kindOf(l.role)));
  const currencies = distinctSorted(inPeriod.map((l) => l.currency)).map((currency) => {
    const cl = inPeriod.filter((l) => l.currency === currency);
    const sections = INCOME_SECTIONS.map((s) =>
      section(
        s.kind,
        s.title,
        accountRows(
          cl.filter((l) => kindOf(l.role) === s.kind),
          -1n,
        ),
      ),
    ).filter((s) => s.rows.length > 0);
    const totalOf = (k: AccountKind) => sections.find((s) => s.kind === k)?.total ?? 0n;
    return {
      currency,
      sections,
      netRevenue: totalOf('income') + totalOf('contra_income'),
      netIncome: sections.reduce((t, s) => t + s.total, 0n),
    };
  });
  return { type: 'income_statement', period: options.period, currencies };
}

/**
 * The balance sheet at the end of `throughPeriod`: cumulative balances of asset and liability
 * accounts, and equity as cumulative net income. A sheet that does not balance is listed in
 * `problems` (the trial balance is where an unbalanced ledger is refused outright).
 */
export function balanceSheet(lines: readonly LedgerLine[], options: { throughPeriod: string }): BalanceSheetReport {
  const included = lines.filter((l) => periodAtOrBefore(l.period, options.throughPeriod));
  const problems: ReportProblem[] = [];
  const currencies = distinctSorted(included.map((l) => l.currency)).map((currency) => {
    const cl = included.filter((l) => l.currency === currency);
    const assets = section(
      'asset',
      'Assets',
      accountRows(
        cl.filter((l) => ROLE_INFO[l.role].kind === 'asset'),
        1n,
      ),
    );
    const liabilities = section(
      'liability',
      'Liabilities',
      accountRows(
        cl.filter((l) => ROLE_INFO[l.role].kind === 'liability' || ROLE_INFO[l.role].kind === 'contra_liability'),
        -1n,
      ),
    );
    let netIncome = 0n;
    for (const l of cl) if (!BALANCE_KINDS.has(ROLE_INFO[l.role].kind)) netIncome -= l.amountMinor;
    const equity: StatementSection = {
      kind: 'equity',
      title: 'Equity',
      rows: [],
      total: netIncome,
    };
    const totalLiabilitiesAndEquity = liabilities.total + equity.total;
    if (assets.total !== totalLiabilitiesAndEquity) {
      problems.push({
        code: 'balance_sheet_mismatch',
        message: `balance sheet in ${currency.toUpperCase()} through ${options.throughPeriod}: assets ${assets.total} ≠ liabilities + equity ${totalLiabilitiesAndEquity} (minor units)`,
        currency,
        period: options.throughPeriod,
        difference: assets.total - totalLiabilitiesAndEquity,
      });
    }
    return { currency, assets, liabilities, equity, totalAssets: assets.total, totalLiabilitiesAndEquity };
  });
  return { type: 'balance_sheet', throughPeriod: options.throughPeriod, currencies, problems };
}
