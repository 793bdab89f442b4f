/**
 * Revenue waterfall (`docs/accounting.md §6c`): revenue recognized, by the period the obligation was
 * booked in (rows, from the line's `bookedPeriod`) against the period it was recognized in
 * (columns, the period of the recognition entry's revenue credit). Row and column totals, a
 * grand total, and per cell the invoice and invoice-line ids for drill-down.
 *
 * Recognition entries count, and so do reversals of recognition entries (negatively), so a
 * reversed-and-reposted recognition is shown once. Amounts are positive for revenue.
 */
import type { LedgerLine } from '../ledger-rows.ts';
import type { Currency } from '../money.ts';
import { compareText, distinctSorted } from './common.ts';

/** Row key used for revenue lines that carry no booking period (the engine always sets one). */
export const UNBOOKED_ROW = '(unbooked)';

/**
 * Drill-down ids kept per cell, at most this many distinct values each, so one busy cell cannot
 * make the report (and its JSON) unbounded; `truncated` says when some were left out.
 */
export const WATERFALL_DRILLDOWN_IDS_MAX = 500;

export interface WaterfallCell {
  bookedPeriod: string;
  recognitionPeriod: string;
  amountMinor: bigint;
  invoices: string[];
  invoiceLines: string[];
  truncated: boolean;
}

export interface WaterfallRow {
  bookedPeriod: string;
  /** Cells keyed by recognition period; only non-empty cells are present. */
  cells: Record<string, WaterfallCell>;
  total: bigint;
}

export interface WaterfallCurrency {
  currency: Currency;
  /** Recognition periods, the columns, in order. */
  columns: string[];
  rows: WaterfallRow[];
  columnTotals: Record<string, bigint>;
  total: bigint;
}

export interface WaterfallReport {
  type: 'waterfall';
  currencies: WaterfallCurrency[];
}

function addId(list: string[], id: string | undefined): boolean {
  if (id === undefined || list.includes(id)) return false;
  if (list.length >= WATERFALL_DRILLDOWN_IDS_MAX) return true;
  list.push(id);
  return false;
}

/**
 * Builds the waterfall from the revenue-role lines of recognition entries (and of reversals of
 * recognition entries) and the breakage of prepaid credits and stored value in `lines`, one grid
 * per currency.
 */
export function waterfall(lines: readonly LedgerLine[]): WaterfallReport {
  const recognitionEntryIds = new Set(lines.filter((l) => l.kind === 'recognition').map((l) => l.entryId));
  const revenueLines = lines.filter(
    (l) =>
      (l.role === 'revenue' &&
        (l.kind === 'recognition' ||
          (l.kind === 'reversal' && l.reversesEntryId !== undefined && recognitionEntryIds.has(l.reversesEntryId)))) ||
      // Breakage of paid credits and stored value is revenue of the period it is recognized in.
      (l.role === 'breakage' && (l.kind === 'breakage' || l.kind === 'credits_applied')),
  );

  const currencies: WaterfallCurrency[] = [];
  for (const currency of distinctSorted(revenueLines.map((l) => l.currency))) {
    const cl = revenueLines.filter((l) => l.currency === currency);
    const columns = distinctSorted(cl.map((l) => l.period));
    const rowsByKey = new Map<string, WaterfallRow>();
    const columnTotals: Record<string, bigint> = Object.fromEntries(columns.map((c) => [c, 0n]));
    let total = 0n;
    for (const l of cl) {
      const booked = l.bookedPeriod ?? UNBOOKED_ROW;
      let row = rowsByKey.get(booked);
      if (!row) {
        row = { bookedPeriod: booked, cells: {}, total: 0n };
        rowsByKey.set(booked, row);
      }
      let cell = row.cells[l.period];
      if (!cell) {
        cell = {
          bookedPeriod: booked,
          recognitionPeriod: l.period,
          amountMinor: 0n,
          invoices: [],
          invoiceLines: [],
          truncated: false,
        };
        row.cells[l.period] = cell;
      }
      // Revenue is a credit (negative); the waterfall shows it as a positive amount.
      const revenue = -l.amountMinor;
      cell.amountMinor += revenue;
      row.total += revenue;
      columnTotals[l.period] = (columnTotals[l.period] ?? 0n) + revenue;
      total += revenue;
      if (addId(cell.invoices, l.invoice)) cell.truncated = true;
      if (addId(cell.invoiceLines, l.invoiceLine)) cell.truncated = true;
    }
    for (const row of rowsByKey.values()) {
      for (const cell of Object.values(row.cells)) {
        cell.invoices.sort(compareText);
        cell.invoiceLines.sort(compareText);
      }
    }
    const rows = [...rowsByKey.values()].sort((a, b) => compareText(a.bookedPeriod, b.bookedPeriod));
    currencies.push({ currency, columns, rows, columnTotals, total });
  }
  return { type: 'waterfall', currencies };
}
