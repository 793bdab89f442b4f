/**
 * The netted "QuickBooks format" export (`docs/accounting.md §6c`): one line per account per period
 * and currency, its debits and credits netted to one side, so each period and currency is one
 * balanced summary journal entry a bookkeeper can import or key in by hand. This is the shape of
 * Stripe's "debits and credits" summary export for QuickBooks users: per accounting period and
 * currency, per account, a debit or a credit.
 *
 * Columns (QUICKBOOKS_CSV_HEADER) follow the QuickBooks Online journal-entry import layout
 * (journal number, date, currency, account, debits, credits, description) with Accrue's
 * reference columns (period, role, mapped QuickBooks account id) appended at the end.
 */
import { ROLE_INFO, type AccountRole } from '../../shared/accounts.ts';
import { AccrueError } from '../../shared/errors.ts';
import type { LocalDate } from '../../shared/journal.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { formatMinor, type Currency } from '../../shared/money.ts';
import { compareRole, compareText, sides } from '../../shared/reports/common.ts';
import { csvDocument } from '../../shared/reports/csv.ts';
import { endOfMonth } from '../../shared/time.ts';

export const QUICKBOOKS_CSV_HEADER = [
  'JournalNo',
  'JournalDate',
  'Currency',
  'Account',
  'Debits',
  'Credits',
  'Description',
  'AccountingPeriod',
  'AccountRole',
  'QuickBooksAccountId',
] as const;

export interface NettedLine {
  period: string;
  journalDate: LocalDate;
  currency: Currency;
  role: AccountRole;
  account: string;
  externalAccountId: string | undefined;
  /** Net of the period's lines: positive is a net debit. Never zero (zero nets are dropped). */
  net: bigint;
}

export interface NettedOptions {
  /**
   * The date a period's summary entry is dated on. Default: the last day of the month for
   * `YYYY-MM` keys, else the latest posting date among the period's lines (pass the calendar's
   * period end for 4-4-5 tenants).
   */
  periodEndOf?: ((period: string) => LocalDate) | undefined;
}

/**
 * Nets the lines per (period, currency, role, account). Accounts that net to zero are left
 * out (QuickBooks rejects empty journal lines). Throws `unbalanced_entry` when a period and
 * currency does not net to zero overall, because that summary entry could not be posted.
 */
export function nettedLines(lines: readonly LedgerLine[], options: NettedOptions = {}): NettedLine[] {
  const groups = new Map<
    string,
    {
      period: string;
      currency: Currency;
      role: AccountRole;
      account: string;
      externalAccountId: string | undefined;
      net: bigint;
    }
  >();
  const latestDate = new Map<string, LocalDate>();
  const periodNet = new Map<string, bigint>();
  for (const l of lines) {
    const k = `${l.period}\u0000${l.currency}\u0000${l.role}\u0000${l.account}`;
    const g = groups.get(k);
    if (g) {
      g.net += l.amountMinor;
      g.externalAccountId ??= l.externalAccountId;
    } else {
      groups.set(k, {
        period: l.period,
        currency: l.currency,
        role: l.role,
        account: l.account,
        externalAccountId: l.externalAccountId,
        net: l.amountMinor,
      });
    }
    const d = latestDate.get(l.period);
    if (d === undefined || l.postingDate > d) latestDate.set(l.period, l.postingDate);
    const pk = `${l.period}\u0000${l.currency}`;
    periodNet.set(pk, (periodNet.get(pk) ?? 0n) + l.amountMinor);
  }
  for (const [pk, net] of periodNet) {
    if (net !== 0n) {
      const [period, currency] = pk.split('\u0000') as [string, string];
      throw new AccrueError(
        'unbalanced_entry',
        `lines of ${period} in ${currency.toUpperCase()} net to ${net} minor units, not zero`,
        { period, currency },
      );
    }
  }
  const endOf = (period: string): LocalDate => {
    if (options.periodEndOf) return options.periodEndOf(period);
    if (/^\d{4}-\d{2}$/.test(period)) return endOfMonth(`${period}-01`);
    return latestDate.get(period)!;
  };
  return [...groups.values()]
    .filter((g) => g.net !== 0n)
    .map((g) => ({ ...g, journalDate: endOf(g.period) }))
    .sort(
      (a, b) =>
        compareText(a.period, b.period) ||
        compareText(a.currency, b.currency) ||
        // Debits first, as an accountant writes an entry; then chart-of-accounts order.
        Number(b.net > 0n) - Number(a.net > 0n) ||
        compareRole(a.role, b.role) ||
        compareText(a.account, b.account),
    );
}

/** The netted lines as CSV with QUICKBOOKS_CSV_HEADER; one journal number per period and currency. */
export function toQuickBooksCsv(lines: readonly LedgerLine[], options: NettedOptions = {}): string {
  const rows = nettedLines(lines, options).map((n) => {
    const s = sides(n.net);
    return [
      `ACCRUE-${n.period}-${n.currency.toUpperCase()}`,
      n.journalDate,
      n.currency.toUpperCase(),
      n.account,
      s.debit > 0n ? formatMinor(s.debit, n.currency) : '',
      s.credit > 0n ? formatMinor(s.credit, n.currency) : '',
      `Accrue ${n.period} ${ROLE_INFO[n.role].defaultName} (net)`,
      n.period,
      n.role,
      n.externalAccountId ?? '',
    ];
  });
  return csvDocument(QUICKBOOKS_CSV_HEADER, rows);
}
