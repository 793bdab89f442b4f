/**
 * Report formatters: one function, `formatReport(report, 'table' | 'csv' | 'json')`, for every
 * report in this directory.
 *
 * - `table` is for a terminal 80–160 columns wide: aligned columns, money right-aligned in major
 *   units with the currency's own decimals; long text is shortened with "…", and a table wider
 *   than TABLE_WIDTH_MAX is split into column blocks that repeat the leading key columns.
 * - `csv` is RFC 4180 (see csv.ts); free text is guarded against spreadsheet formulas.
 * - `json` writes every money amount as a major-unit decimal string (never a number, so nothing
 *   is lost to floating point) next to the currency it is in.
 */
import { AccrueError } from '../errors.ts';
import { asCurrency, formatMinor, type Currency } from '../money.ts';
import type { ReportProblem } from './common.ts';
import { csvDocument, csvText } from './csv.ts';
import type { JournalReport } from './journal-listing.ts';
import { journalReportCsv, toRollforwardCsv, toTrialBalanceCsv, toWaterfallCsv } from './replay-csv.ts';
import type { RollforwardReport } from './rollforward.ts';
import type { BalanceSheetReport, IncomeStatementReport, StatementSection } from './statements.ts';
import type { TrialBalanceReport } from './trial-balance.ts';
import type { WaterfallReport } from './waterfall.ts';
import {
  metricsDefinitionLines,
  metricsTables,
  revenueBridgeTables,
  rpoTables,
  toMetricsCsv,
  toRevenueBridgeCsv,
  toRpoCsv,
} from './format-cockpit.ts';
import type { MetricsReport } from './metrics.ts';
import type { RevenueBridgeReport } from './revenue-bridge.ts';
import type { RpoReport } from './rpo.ts';

export type Report =
  | TrialBalanceReport
  | JournalReport
  | RollforwardReport
  | WaterfallReport
  | IncomeStatementReport
  | BalanceSheetReport
  | MetricsReport
  | RpoReport
  | RevenueBridgeReport;
export type ReportFormat = 'table' | 'csv' | 'json';

/** Widest table line; wider tables are split into column blocks (160 = a wide terminal). */
export const TABLE_WIDTH_MAX = 160;
/** Widest text cell (memos, keys, account names) before it is shortened with "…". */
export const TABLE_TEXT_CELL_MAX = 40;
/** Spaces between columns. */
const COLUMN_GAP = 2;

interface Column {
  header: string;
  align: 'left' | 'right';
}

/** A display table: rows of already-formatted strings; the first `keyColumns` repeat in blocks. */
export interface DisplayTable {
  title: string;
  columns: Column[];
  rows: string[][];
  keyColumns: number;
}

const text = (header: string): Column => ({ header, align: 'left' });
const money = (header: string): Column => ({ header, align: 'right' });

function shorten(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** Renders display tables as aligned plain text. */
export function renderTables(tables: readonly DisplayTable[], widthMax: number = TABLE_WIDTH_MAX): string {
  const out: string[] = [];
  for (const t of tables) {
    const cells = t.rows.map((r) =>
      r.map((c, i) => (t.columns[i]?.align === 'left' ? shorten(c, TABLE_TEXT_CELL_MAX) : c)),
    );
    // A loop, not Math.max(...cells): spreading a 100k-row table overflows the call stack.
    const widths = t.columns.map((c) => c.header.length);
    for (const r of cells) r.forEach((v, i) => (widths[i] = Math.max(widths[i] ?? 0, v.length)));
    // Split the non-key columns into blocks that fit the width, each block repeating the keys.
    const keyIdx = t.columns.map((_, i) => i).slice(0, t.keyColumns);
    const keyWidth = keyIdx.reduce((w, i) => w + widths[i]! + COLUMN_GAP, 0);
    const blocks: number[][] = [];
    let current: number[] = [];
    let used = keyWidth;
    for (let i = t.keyColumns; i < t.columns.length; i++) {
      const w = widths[i]! + COLUMN_GAP;
      if (current.length > 0 && used + w > widthMax) {
        blocks.push(current);
        current = [];
        used = keyWidth;
      }
      current.push(i);
      used += w;
    }
    if (current.length > 0 || blocks.length === 0) blocks.push(current);
    out.push(t.title);
    for (const block of blocks) {
      const idx = [...keyIdx, ...block];
      const line = (values: (i: number) => string) =>
        idx
          .map((i) => {
            const v = values(i);
            return t.columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!);
          })
          .join(' '.repeat(COLUMN_GAP))
          .trimEnd();
      out.push(line((i) => t.columns[i]!.header));
      out.push(idx.map((i) => '-'.repeat(widths[i]!)).join(' '.repeat(COLUMN_GAP)));
      for (const r of cells) out.push(line((i) => r[i] ?? ''));
      out.push('');
    }
  }
  return out.join('\n');
}

function problemLines(problems: readonly ReportProblem[]): string {
  if (problems.length === 0) return '';
  return ['PROBLEMS', ...problems.map((p) => `  [${p.code}] ${p.message}`), ''].join('\n');
}

function trialBalanceTables(r: TrialBalanceReport): DisplayTable[] {
  const byCurrency = new Map<Currency, string[][]>();
  for (const row of r.rows) {
    const rows = byCurrency.get(row.currency) ?? [];
    rows.push([
      row.role,
      row.account,
      formatMinor(row.debits, row.currency),
      formatMinor(row.credits, row.currency),
      formatMinor(row.balance, row.currency),
    ]);
    byCurrency.set(row.currency, rows);
  }
  return r.totals.map((t) => ({
    title: `Trial balance ${t.currency.toUpperCase()}${r.throughPeriod ? ` through ${r.throughPeriod}` : ''}`,
    columns: [text('Role'), text('Account'), money('Debits'), money('Credits'), money('Balance')],
    rows: [
      ...(byCurrency.get(t.currency) ?? []),
      [
        'TOTAL',
        '',
        formatMinor(t.debits, t.currency),
        formatMinor(t.credits, t.currency),
        formatMinor(t.net, t.currency),
      ],
    ],
    keyColumns: 2,
  }));
}

function journalTables(r: JournalReport): DisplayTable[] {
  const rows: string[][] = [];
  for (const e of r.entries) {
    const flag = e.correction ? ` [correction${e.originalDate ? ` of ${e.originalDate}` : ''}]` : '';
    rows.push([e.postingDate, e.entryKey, `${e.kind}: ${e.memo}${flag}`, '', '', '']);
    for (const l of e.lines) {
      rows.push([
        '',
        '',
        `  ${l.account} (${l.role})`,
        l.currency.toUpperCase(),
        l.debit > 0n ? formatMinor(l.debit, l.currency) : '',
        l.credit > 0n ? formatMinor(l.credit, l.currency) : '',
      ]);
    }
  }
  return [
    {
      title: `Journal${r.period ? ` ${r.period}` : ''} (${r.entries.length} entries)`,
      columns: [text('Date'), text('Entry'), text('Account / memo'), text('Cur'), money('Debit'), money('Credit')],
      rows,
      keyColumns: 3,
    },
  ];
}

function rollforwardTables(r: RollforwardReport): DisplayTable[] {
  const groups = new Map<string, RollforwardReport['rows']>();
  for (const row of r.rows) {
    const k = `${row.role} ${row.currency}`;
    groups.set(k, [...(groups.get(k) ?? []), row]);
  }
  return [...groups.values()].map((rows) => {
    const first = rows[0]!;
    const m = (v: bigint) => formatMinor(v, first.currency);
    return {
      title: `Roll-forward ${first.role} ${first.currency.toUpperCase()}`,
      columns: [
        text('Period'),
        money('Opening'),
        money('Billings'),
        money('Recognized'),
        money('Contra'),
        money('Breakage'),
        money('FX'),
        money('Other'),
        money('Closing'),
        money('Ledger'),
        text('Ties'),
      ],
      rows: rows.map((x) => [
        x.period,
        m(x.opening),
        m(x.billings),
        m(x.recognized),
        m(x.contra),
        m(x.breakage),
        m(x.fx),
        m(x.other),
        m(x.closing),
        m(x.ledgerClosing),
        x.tiesOut ? 'yes' : 'NO',
      ]),
      keyColumns: 1,
    };
  });
}

function waterfallTables(r: WaterfallReport): DisplayTable[] {
  return r.currencies.map((c) => {
    const m = (v: bigint | undefined) => (v === undefined ? '' : formatMinor(v, c.currency));
    return {
      title: `Revenue waterfall ${c.currency.toUpperCase()} (rows: booked, columns: recognized)`,
      columns: [text('Booked'), ...c.columns.map(money), money('Total')],
      rows: [
        ...c.rows.map((row) => [
          row.bookedPeriod,
          ...c.columns.map((col) => m(row.cells[col]?.amountMinor)),
          m(row.total),
        ]),
        ['TOTAL', ...c.columns.map((col) => m(c.columnTotals[col])), m(c.total)],
      ],
      keyColumns: 1,
    };
  });
}

function sectionRows(s: StatementSection, currency: Currency): string[][] {
  const rows = s.rows.map((r) => [`  ${r.account} (${r.role})`, formatMinor(r.amountMinor, currency)]);
  return [[s.title, ''], ...rows, [`Total ${s.title.toLowerCase()}`, formatMinor(s.total, currency)]];
}

function incomeStatementTables(r: IncomeStatementReport): DisplayTable[] {
  return r.currencies.map((c) => ({
    title: `Income statement ${c.currency.toUpperCase()} ${r.period}`,
    columns: [text('Line'), money('Amount')],
    rows: [
      ...c.sections.flatMap((s) => sectionRows(s, c.currency)),
      ['Net revenue', formatMinor(c.netRevenue, c.currency)],
      ['NET INCOME', formatMinor(c.netIncome, c.currency)],
    ],
    keyColumns: 1,
  }));
}

function balanceSheetTables(r: BalanceSheetReport): DisplayTable[] {
  return r.currencies.map((c) => ({
    title: `Balance sheet ${c.currency.toUpperCase()} at the end of ${r.throughPeriod}`,
    columns: [text('Line'), money('Amount')],
    rows: [
      ...sectionRows(c.assets, c.currency),
      ...sectionRows(c.liabilities, c.currency),
      ['Equity', ''],
      ['  Net income to date (unclosed)', formatMinor(c.equity.total, c.currency)],
      ['TOTAL ASSETS', formatMinor(c.totalAssets, c.currency)],
      ['TOTAL LIABILITIES AND EQUITY', formatMinor(c.totalLiabilitiesAndEquity, c.currency)],
    ],
    keyColumns: 1,
  }));
}

/** The display tables of any report (what `table` renders). */
export function displayTables(report: Report): DisplayTable[] {
  switch (report.type) {
    case 'trial_balance':
      return trialBalanceTables(report);
    case 'journal':
      return journalTables(report);
    case 'rollforward':
      return rollforwardTables(report);
    case 'waterfall':
      return waterfallTables(report);
    case 'income_statement':
      return incomeStatementTables(report);
    case 'balance_sheet':
      return balanceSheetTables(report);
    case 'metrics':
      return metricsTables(report);
    case 'rpo':
      return rpoTables(report);
    case 'revenue_bridge':
      return revenueBridgeTables(report);
  }
}

function statementCsv(report: IncomeStatementReport | BalanceSheetReport): string {
  const rows: string[][] = [];
  const push = (currency: Currency, s: StatementSection) => {
    for (const r of s.rows)
      rows.push([currency.toUpperCase(), s.kind, r.role, csvText(r.account), formatMinor(r.amountMinor, currency)]);
    rows.push([currency.toUpperCase(), s.kind, '', 'TOTAL', formatMinor(s.total, currency)]);
  };
  for (const c of report.currencies) {
    if (report.type === 'income_statement') {
      for (const s of (c as IncomeStatementReport['currencies'][number]).sections) push(c.currency, s);
    } else {
      const b = c as BalanceSheetReport['currencies'][number];
      push(c.currency, b.assets);
      push(c.currency, b.liabilities);
      push(c.currency, b.equity);
    }
  }
  return csvDocument(['currency', 'section', 'account_role', 'account', 'amount'], rows);
}

/**
 * Converts a report to plain JSON data: every bigint becomes a major-unit decimal string in
 * the currency of the nearest enclosing object that names one (`currency` field). A bigint
 * with no currency in scope would be ambiguous, so it is a bug and throws.
 */
export function reportToJsonValue(value: unknown, currency?: Currency): unknown {
  if (typeof value === 'bigint') {
    if (currency === undefined) throw new AccrueError('internal', 'a report holds an amount with no currency in scope');
    return formatMinor(value, currency);
  }
  if (Array.isArray(value)) return value.map((v) => reportToJsonValue(v, currency));
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    // A report's `currency` fields come from ledger lines, already validated.
    const own = typeof obj['currency'] === 'string' ? asCurrency(obj['currency']) : currency;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) continue;
      // Minor units become a major-unit string, so the key loses its `Minor` suffix.
      const key = typeof v === 'bigint' ? k.replace(/Minor$/, '') : k;
      // The `original` amount of a line is in its own currency, named inside it.
      out[key] = k === 'currency' && typeof v === 'string' ? v.toUpperCase() : reportToJsonValue(v, own);
    }
    return out;
  }
  return value;
}

/** Formats any report as an aligned text table, RFC 4180 CSV, or lossless JSON. */
export function formatReport(report: Report, format: ReportFormat): string {
  switch (format) {
    case 'table': {
      const problems = 'problems' in report ? problemLines(report.problems) : '';
      const definitions = report.type === 'metrics' ? `\n${metricsDefinitionLines()}` : '';
      return renderTables(displayTables(report)) + definitions + (problems ? `\n${problems}` : '');
    }
    case 'json':
      return JSON.stringify({ money: 'major-unit decimal strings', ...(reportToJsonValue(report) as object) }, null, 2);
    case 'csv':
      switch (report.type) {
        case 'trial_balance':
          return toTrialBalanceCsv(report);
        case 'journal':
          return journalReportCsv(report);
        case 'rollforward':
          return toRollforwardCsv(report);
        case 'waterfall':
          return toWaterfallCsv(report);
        case 'income_statement':
        case 'balance_sheet':
          return statementCsv(report);
        case 'metrics':
          return toMetricsCsv(report);
        case 'rpo':
          return toRpoCsv(report);
        case 'revenue_bridge':
          return toRevenueBridgeCsv(report);
      }
  }
}
