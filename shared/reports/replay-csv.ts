/**
 * The replay files: CSV documents that carry the ledger and its reports out of Accrue in a
 * form another tool (or a later replay of the same events) can compare line for line. Money is
 * a major-unit decimal string with the currency's own decimals; currency codes are upper case.
 *
 * Headers (each is exported as a constant and documented in docs/accounting.md by the lead):
 * - journal:       JOURNAL_CSV_HEADER (given by the product brief; one row per posted line)
 * - trial balance: TRIAL_BALANCE_CSV_HEADER (one row per role/account/currency)
 * - roll-forward:  ROLLFORWARD_CSV_HEADER (one row per role/currency/period)
 * - waterfall:     WATERFALL_CSV_HEADER (long form: one row per non-empty cell)
 */
import type { LedgerLine } from '../ledger-rows.ts';
import { formatMinor, type Currency } from '../money.ts';
import { compareLines, sides } from './common.ts';
import { csvDocument } from './csv.ts';
import type { JournalReport } from './journal-listing.ts';
import type { RollforwardReport } from './rollforward.ts';
import type { TrialBalanceReport } from './trial-balance.ts';
import type { WaterfallReport } from './waterfall.ts';

export const JOURNAL_CSV_HEADER = [
  'period',
  'posting_date',
  'entry_id',
  'account_role',
  'account',
  'currency',
  'debit',
  'credit',
  'original_currency',
  'original_amount',
  'source_object',
  'correction',
] as const;

/** `balance` is signed: positive is a debit balance. `through_period` is empty for "all". */
export const TRIAL_BALANCE_CSV_HEADER = [
  'through_period',
  'currency',
  'account_role',
  'account_kind',
  'account',
  'debit',
  'credit',
  'balance',
] as const;

/**
 * Amounts are in the account's normal-balance sign; `recognized` and `contra` are decreases
 * written as positive numbers; `fx` and `other` are signed; `ties_out` is true/false.
 */
export const ROLLFORWARD_CSV_HEADER = [
  'account_role',
  'currency',
  'period',
  'period_start',
  'period_end_exclusive',
  'opening',
  'billings',
  'recognized',
  'contra',
  'fx',
  'other',
  'closing',
  'ledger_closing',
  'ties_out',
  // Last, so the columns before it keep their places: prepaid credits and stored value only
  // (closing = opening + billings − recognized − contra − breakage + fx + other).
  'breakage',
] as const;

/** `invoices` and `invoice_lines` are space-separated ids (Stripe ids contain no spaces). */
export const WATERFALL_CSV_HEADER = [
  'currency',
  'booked_period',
  'recognition_period',
  'amount',
  'invoices',
  'invoice_lines',
  'ids_truncated',
] as const;

interface JournalCsvLine {
  period: string;
  postingDate: string;
  entryKey: string;
  role: string;
  account: string;
  currency: Currency;
  amountMinor: bigint;
  original?: { currency: Currency; amountMinor: bigint } | undefined;
  source: string | undefined;
  correction: boolean;
}

function journalCsvRow(l: JournalCsvLine): string[] {
  const s = sides(l.amountMinor);
  return [
    l.period,
    l.postingDate,
    l.entryKey,
    l.role,
    l.account,
    l.currency.toUpperCase(),
    l.amountMinor >= 0n ? formatMinor(s.debit, l.currency) : '',
    l.amountMinor < 0n ? formatMinor(s.credit, l.currency) : '',
    l.original ? l.original.currency.toUpperCase() : '',
    // Signed like the ledger (debit positive), in the original currency's own decimals.
    // The original amount is a magnitude, like debit and credit: the side is the column it sits beside.
    l.original
      ? formatMinor(l.original.amountMinor < 0n ? -l.original.amountMinor : l.original.amountMinor, l.original.currency)
      : '',
    l.source ?? '',
    l.correction ? 'true' : 'false',
  ];
}

/**
 * One row per posted line, in period / posting date / entry key / line order, with the exact
 * JOURNAL_CSV_HEADER. `entry_id` is the entry's idempotency key (stable across replays, unlike
 * database ids); `original_amount` is the amount in the original currency, unsigned like debit and
 * credit (the side is whichever of debit and credit is filled).
 */
export function toJournalCsv(lines: readonly LedgerLine[]): string {
  const rows = [...lines].sort(compareLines).map((l) =>
    journalCsvRow({
      period: l.period,
      postingDate: l.postingDate,
      entryKey: l.entryKey,
      role: l.role,
      account: l.account,
      currency: l.currency,
      amountMinor: l.amountMinor,
      original: l.original,
      source: l.sources[0],
      correction: l.correction,
    }),
  );
  return csvDocument(JOURNAL_CSV_HEADER, rows);
}

/** The journal listing report in the same columns as `toJournalCsv`. */
export function journalReportCsv(report: JournalReport): string {
  const rows: string[][] = [];
  for (const e of report.entries) {
    for (const l of e.lines) {
      rows.push(
        journalCsvRow({
          period: e.period,
          postingDate: e.postingDate,
          entryKey: e.entryKey,
          role: l.role,
          account: l.account,
          currency: l.currency,
          amountMinor: l.debit - l.credit,
          original: l.original,
          source: e.sources[0],
          correction: e.correction,
        }),
      );
    }
  }
  return csvDocument(JOURNAL_CSV_HEADER, rows);
}

/** The trial balance as CSV (TRIAL_BALANCE_CSV_HEADER), one row per account and currency. */
export function toTrialBalanceCsv(report: TrialBalanceReport): string {
  return csvDocument(
    TRIAL_BALANCE_CSV_HEADER,
    report.rows.map((r) => [
      report.throughPeriod ?? '',
      r.currency.toUpperCase(),
      r.role,
      r.kind,
      r.account,
      formatMinor(r.debits, r.currency),
      formatMinor(r.credits, r.currency),
      formatMinor(r.balance, r.currency),
    ]),
  );
}

/** The roll-forward as CSV (ROLLFORWARD_CSV_HEADER), one row per role, currency and period. */
export function toRollforwardCsv(report: RollforwardReport): string {
  return csvDocument(
    ROLLFORWARD_CSV_HEADER,
    report.rows.map((r) => [
      r.role,
      r.currency.toUpperCase(),
      r.period,
      r.start,
      r.end,
      ...[r.opening, r.billings, r.recognized, r.contra, r.fx, r.other, r.closing, r.ledgerClosing].map((v) =>
        formatMinor(v, r.currency),
      ),
      r.tiesOut ? 'true' : 'false',
      formatMinor(r.breakage, r.currency),
    ]),
  );
}

/** The waterfall as CSV (WATERFALL_CSV_HEADER): one row per non-empty cell, rows then columns. */
export function toWaterfallCsv(report: WaterfallReport): string {
  const rows: string[][] = [];
  for (const c of report.currencies) {
    for (const row of c.rows) {
      for (const col of c.columns) {
        const cell = row.cells[col];
        if (!cell) continue;
        rows.push([
          c.currency.toUpperCase(),
          row.bookedPeriod,
          col,
          formatMinor(cell.amountMinor, c.currency),
          cell.invoices.join(' '),
          cell.invoiceLines.join(' '),
          cell.truncated ? 'true' : 'false',
        ]);
      }
    }
  }
  return csvDocument(WATERFALL_CSV_HEADER, rows);
}
