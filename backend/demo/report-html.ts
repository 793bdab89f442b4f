/**
 * The demo's HTML report: one self-contained page (inline CSS and inline SVG, no script, no
 * font, no network) that shows what the books say after a demo run — a summary, and for each
 * functional currency present in the ledger a revenue waterfall chart and table, a deferred
 * revenue chart and roll-forward table, and a compact trial balance; optionally the agreement of
 * the ledger with what QuickBooks holds.
 *
 * The numbers come from the pure reports in `shared/reports/`; this module only lays them out.
 * Every amount shown passes through `moneyText` (grouped `formatMinor` digits). Floats appear only as SVG coordinates.
 */
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { formatMinor, type Currency } from '../../shared/money.ts';
import type { Period } from '../../shared/periods.ts';
import {
  compareText,
  distinctSorted,
  rollforward,
  trialBalance,
  waterfall,
  type MetricsReport,
  type ReportProblem,
  type RpoReport,
  type RollforwardRow,
  type TrialBalanceReport,
  type WaterfallCurrency,
} from '../../shared/reports/index.ts';
import { amountCell, escapeHtml, moneyText, moneyWithCode, seriesColour } from './report-format.ts';
import {
  bridgeSection,
  exceptionsSection,
  metricsSection,
  rpoSection,
  type ReportException,
} from './report-sections.ts';
import { fxSection, stripeBalanceSection, type StripeSideBalance } from './report-fx.ts';
import { REPORT_STYLE } from './report-style.ts';
import {
  band,
  barBetween,
  CHART_PERIODS_MAX,
  chartWindow,
  periodAxis,
  px,
  svgOpen,
  valueAxis,
  valueScale,
  yOf,
} from './report-svg.ts';

export { escapeHtml } from './report-format.ts';
export { BAR_HEIGHT_PX_MIN, CHART_PERIODS_MAX } from './report-svg.ts';

/** One line of the QuickBooks agreement table: ledger and QuickBooks totals of one cell. */
export interface QboAgreementRow {
  period: string;
  currency: Currency;
  /** Account name (or QuickBooks id) as the reader knows it. */
  account: string;
  /** Debit-positive minor units in the ledger. */
  ledger_minor: bigint;
  /** Debit-positive minor units in the QuickBooks entries Accrue posted. */
  qbo_minor: bigint;
}

/** Whether the ledger and QuickBooks agree, with the cells compared (or only the ones that differ). */
export interface QboAgreement {
  agree: boolean;
  rows: readonly QboAgreementRow[];
}

export interface DemoReportInput {
  title: string;
  /** When the report was produced, shown as given (the caller owns the clock). */
  generatedAt: string;
  lines: readonly LedgerLine[];
  /** The periods of the roll-forward and the deferred revenue chart, in calendar order. */
  periods: readonly Period[];
  summary: readonly { label: string; value: string }[];
  qboAgreement?: QboAgreement | undefined;
  /** The tenant's functional currency, shown first; the other currencies follow in code order. */
  primaryCurrency?: Currency | undefined;
  /** The open exceptions (listed with reasons and next steps) and how many are open in all. */
  exceptions?: { list: readonly ReportException[]; total: number } | undefined;
  /** SaaS metrics (the MRR chart and movements), when the books have invoice facts. */
  metrics?: MetricsReport | undefined;
  /** The forward schedule of what is still to be earned. */
  rpo?: RpoReport | undefined;
  /** What Stripe says each balance holds, to check the books' Stripe balance per settlement currency against. */
  stripeBalances?: readonly StripeSideBalance[] | undefined;
}

/**
 * Rows of the QuickBooks agreement table. A demo tenant has a few dozen cells; a real one can
 * have thousands, which would make the page slow to open — the rest are counted, not listed.
 */
export const QBO_ROWS_MAX = 500;

/** Invoice ids named in a waterfall cell's tooltip; the full drill-down lives in the CSV export. */
export const TOOLTIP_INVOICES_MAX = 10;

const RECOGNIZED_COLOUR = '#009E73';
const DEFERRED_COLOUR = '#0072B2';

const esc = escapeHtml;
const money = moneyWithCode;
const colourOf = seriesColour;

/**
 * The waterfall chart: one stacked bar per recognition period, stacked by booking period
 * (earliest booking at the base). Positive cells stack up from zero, negative ones down.
 */
function waterfallChart(w: WaterfallCurrency, columnKeys: readonly string[], id: string): string {
  const currency = w.currency;
  const win = chartWindow(columnKeys);
  const booked = w.rows.map((r) => r.bookedPeriod);
  const stackEnds: bigint[] = [];
  for (const col of win.keys) {
    let up = 0n;
    let down = 0n;
    for (const r of w.rows) {
      const a = r.cells[col]?.amountMinor ?? 0n;
      if (a > 0n) up += a;
      else down += a;
    }
    stackEnds.push(up, down);
  }
  const scale = valueScale(stackEnds);
  const bars: string[] = [];
  win.keys.forEach((col, i) => {
    const b = band(i, win.keys.length);
    const barWidth = b.width * 0.62;
    const x = b.x + (b.width - barWidth) / 2;
    let up = 0n;
    let down = 0n;
    w.rows.forEach((r, seriesIndex) => {
      const cell = r.cells[col];
      if (!cell || cell.amountMinor === 0n) return;
      const from = cell.amountMinor > 0n ? up : down;
      const to = from + cell.amountMinor;
      if (cell.amountMinor > 0n) up = to;
      else down = to;
      const g = barBetween(scale, x, barWidth, from, to);
      const invoices =
        cell.invoices.slice(0, TOOLTIP_INVOICES_MAX).join(', ') +
        (cell.invoices.length > TOOLTIP_INVOICES_MAX || cell.truncated ? ', …' : '');
      bars.push(
        `<rect data-bar data-booked="${esc(r.bookedPeriod)}" data-recognized="${esc(col)}" data-amount="${esc(formatMinor(cell.amountMinor, currency))}" ` +
          `x="${g.x}" y="${g.y}" width="${g.width}" height="${g.height}" fill="${colourOf(seriesIndex)}">` +
          `<title>${esc(`Booked ${r.bookedPeriod}, recognized ${col}: ${money(cell.amountMinor, currency)}${invoices ? ` (${invoices})` : ''}`)}</title></rect>`,
      );
    });
  });
  const label = `Revenue waterfall in ${currency.toUpperCase()}: revenue recognized per period, stacked by booking period; total ${money(w.total, currency)}`;
  const desc =
    `Stacked bars, one per recognition period (${win.keys[0] ?? '–'} to ${win.keys[win.keys.length - 1] ?? '–'}); each segment is the revenue of one booking period. ` +
    `The table below gives every amount.` +
    (win.omitted > 0 ? ` The ${win.omitted} earliest periods are left out of the chart but not of the table.` : '');
  const legend = booked
    .map((k, i) => `<li><span class="swatch" style="background:${colourOf(i)}"></span>Booked ${esc(k)}</li>`)
    .join('');
  return (
    `<figure>${svgOpen(id, 'waterfall', label, `Revenue waterfall (${currency.toUpperCase()})`, desc, win.keys.length)}` +
    valueAxis(scale, currency) +
    bars.join('') +
    periodAxis(win.keys) +
    `</svg><figcaption><ul class="legend">${legend}</ul>` +
    (win.omitted > 0
      ? `<p class="note">Chart shows the latest ${CHART_PERIODS_MAX} periods; ${win.omitted} earlier in the table only.</p>`
      : '') +
    `</figcaption></figure>`
  );
}

/** The waterfall table: booking periods down, recognition periods across, with totals. */
function waterfallTable(w: WaterfallCurrency, columnKeys: readonly string[]): string {
  const currency = w.currency;
  const head = columnKeys.map((c) => `<th scope="col" class="num">${esc(c)}</th>`).join('');
  const body = w.rows
    .map((r) => {
      const cells = columnKeys
        .map((c) => {
          const cell = r.cells[c];
          if (!cell) return `<td class="num empty"></td>`;
          const ids = cell.invoices.slice(0, TOOLTIP_INVOICES_MAX).join(', ');
          return amountCell(cell.amountMinor, currency, ids ? ` title="${esc(ids)}"` : '');
        })
        .join('');
      return `<tr><th scope="row">${esc(r.bookedPeriod)}</th>${cells}${amountCell(r.total, currency, ' data-row-total')}</tr>`;
    })
    .join('');
  const foot = columnKeys
    .map((c) => amountCell(w.columnTotals[c] ?? 0n, currency, ` data-column-total="${esc(c)}"`))
    .join('');
  return (
    `<div class="scroll"><table class="waterfall" data-table="waterfall"><caption>Revenue recognized, ${esc(currency.toUpperCase())}: booked in (rows) × recognized in (columns)</caption>` +
    `<thead><tr><th scope="col">Booked \\ Recognized</th>${head}<th scope="col" class="num">Total</th></tr></thead>` +
    `<tbody>${body}</tbody>` +
    `<tfoot><tr><th scope="row">Total</th>${foot}${amountCell(w.total, currency, ' data-total="waterfall"')}</tr></tfoot></table></div>`
  );
}

/**
 * The deferred revenue chart: bars of revenue recognized in each period and a line through the
 * closing balance of deferred revenue at each period end.
 */
function deferredChart(rows: readonly RollforwardRow[], currency: Currency, id: string): string {
  const win = chartWindow(rows.map((r) => r.period));
  const shown = rows.slice(rows.length - win.keys.length);
  const scale = valueScale(shown.flatMap((r) => [r.closing, r.recognized]));
  const bars: string[] = [];
  const points: string[] = [];
  const path: string[] = [];
  shown.forEach((r, i) => {
    const b = band(i, shown.length);
    const cx = b.x + b.width / 2;
    if (r.recognized !== 0n) {
      const barWidth = b.width * 0.42;
      const g = barBetween(scale, cx - barWidth / 2, barWidth, 0n, r.recognized);
      bars.push(
        `<rect data-bar data-period="${esc(r.period)}" data-amount="${esc(formatMinor(r.recognized, currency))}" x="${g.x}" y="${g.y}" width="${g.width}" height="${g.height}" fill="${RECOGNIZED_COLOUR}" fill-opacity="0.75">` +
          `<title>${esc(`Recognized in ${r.period}: ${money(r.recognized, currency)}`)}</title></rect>`,
      );
    }
    const cy = yOf(scale, r.closing);
    path.push(`${i === 0 ? 'M' : 'L'}${px(cx)} ${px(cy)}`);
    points.push(
      `<circle data-point data-period="${esc(r.period)}" data-amount="${esc(formatMinor(r.closing, currency))}" cx="${px(cx)}" cy="${px(cy)}" r="5" fill="${DEFERRED_COLOUR}" stroke="#fff" stroke-width="1.5">` +
        `<title>${esc(`Deferred revenue at the end of ${r.period}: ${money(r.closing, currency)}`)}</title></circle>`,
    );
  });
  const last = shown[shown.length - 1];
  const label = `Deferred revenue in ${currency.toUpperCase()}: closing balance per period with revenue recognized per period${last ? `; closing ${money(last.closing, currency)} at the end of ${last.period}` : ''}`;
  const desc =
    `Bars: revenue recognized in each period. Line and points: the deferred revenue balance at each period end. The roll-forward table below gives every amount.` +
    (win.omitted > 0 ? ` The ${win.omitted} earliest periods are left out of the chart but not of the table.` : '');
  return (
    `<figure>${svgOpen(id, 'deferred', label, `Deferred revenue (${currency.toUpperCase()})`, desc, win.keys.length)}` +
    valueAxis(scale, currency) +
    bars.join('') +
    (path.length > 0 ? `<path class="balance" d="${path.join(' ')}" stroke="${DEFERRED_COLOUR}"/>` : '') +
    points.join('') +
    periodAxis(win.keys) +
    `</svg><figcaption><ul class="legend">` +
    `<li><span class="swatch" style="background:${RECOGNIZED_COLOUR}"></span>Recognized in period</li>` +
    `<li><span class="swatch line" style="background:${DEFERRED_COLOUR}"></span>Deferred revenue, closing</li></ul>` +
    (win.omitted > 0
      ? `<p class="note">Chart shows the latest ${CHART_PERIODS_MAX} periods; ${win.omitted} earlier in the table only.</p>`
      : '') +
    `</figcaption></figure>`
  );
}

/** The roll-forward table of one role and currency, with a totals row. */
function rollforwardTable(rows: readonly RollforwardRow[], currency: Currency, caption: string, role: string): string {
  const body = rows
    .map(
      (r) =>
        `<tr${r.tiesOut ? '' : ' class="off"'}><th scope="row">${esc(r.period)}</th>` +
        [r.opening, r.billings, r.recognized, r.contra, r.fx, r.other, r.closing, r.ledgerClosing]
          .map((a) => amountCell(a, currency))
          .join('') +
        `<td class="tie">${r.tiesOut ? '✓ ties' : esc(`off by ${moneyText(r.closing - r.ledgerClosing, currency)}`)}</td></tr>`,
    )
    .join('');
  const sum = (pick: (r: RollforwardRow) => bigint): bigint => rows.reduce((s, r) => s + pick(r), 0n);
  const first = rows[0];
  const last = rows[rows.length - 1];
  const broken = rows.filter((r) => !r.tiesOut).length;
  const foot =
    first && last
      ? `<tfoot><tr><th scope="row">${esc(`${first.period} – ${last.period}`)}</th>` +
        amountCell(first.opening, currency, ' data-total="opening"') +
        amountCell(
          sum((r) => r.billings),
          currency,
          ' data-total="billings"',
        ) +
        amountCell(
          sum((r) => r.recognized),
          currency,
          ' data-total="recognized"',
        ) +
        amountCell(
          sum((r) => r.contra),
          currency,
          ' data-total="contra"',
        ) +
        amountCell(
          sum((r) => r.fx),
          currency,
          ' data-total="fx"',
        ) +
        amountCell(
          sum((r) => r.other),
          currency,
          ' data-total="other"',
        ) +
        amountCell(last.closing, currency, ' data-total="closing"') +
        amountCell(last.ledgerClosing, currency, ' data-total="ledger"') +
        `<td class="tie">${broken === 0 ? '✓ all tie' : esc(`${broken} period(s) do not tie`)}</td></tr></tfoot>`
      : '';
  return (
    `<div class="scroll"><table class="rollforward" data-table="rollforward" data-role="${esc(role)}"><caption>${esc(caption)}</caption>` +
    `<thead><tr><th scope="col">Period</th><th scope="col" class="num">Opening</th><th scope="col" class="num">Billings</th><th scope="col" class="num">Recognized</th>` +
    `<th scope="col" class="num">Contra</th><th scope="col" class="num">FX</th><th scope="col" class="num">Other</th><th scope="col" class="num">Closing</th><th scope="col" class="num">Ledger balance</th><th scope="col">Tie-out</th></tr></thead>` +
    `<tbody>${body}</tbody>${foot}</table></div>`
  );
}

/** The trial balance of one currency through the last period. */
function trialBalanceTable(tb: TrialBalanceReport, currency: Currency): string {
  const rows = tb.rows.filter((r) => r.currency === currency);
  const total = tb.totals.find((t) => t.currency === currency);
  const body = rows
    .map(
      (r) =>
        `<tr><th scope="row">${esc(r.account)}</th><td>${esc(r.role)}</td>${amountCell(r.debits, currency)}${amountCell(r.credits, currency)}${amountCell(r.balance, currency)}</tr>`,
    )
    .join('');
  const foot = total
    ? `<tfoot><tr><th scope="row">Total</th><td></td>${amountCell(total.debits, currency, ' data-total="debits"')}${amountCell(total.credits, currency, ' data-total="credits"')}${amountCell(total.net, currency, ' data-total="net"')}</tr></tfoot>`
    : '';
  return (
    `<div class="scroll"><table class="trial-balance" data-table="trial-balance"><caption>${esc(`Trial balance, ${currency.toUpperCase()}${tb.throughPeriod ? `, through ${tb.throughPeriod}` : ''} (balance: debit positive)`)}</caption>` +
    `<thead><tr><th scope="col">Account</th><th scope="col">Role</th><th scope="col" class="num">Debits</th><th scope="col" class="num">Credits</th><th scope="col" class="num">Balance</th></tr></thead>` +
    `<tbody>${body}</tbody>${foot}</table></div>`
  );
}

function problemList(problems: readonly ReportProblem[]): string {
  if (problems.length === 0) return '';
  return `<div class="problems" role="alert"><h4>Problems found</h4><ul>${problems.map((p) => `<li><code>${esc(p.code)}</code> ${esc(p.message)}</li>`).join('')}</ul></div>`;
}

/** The QuickBooks agreement block: a verdict and the compared cells. */
function qboSection(q: QboAgreement): string {
  const rows = [...q.rows].sort(
    (a, b) =>
      compareText(a.period, b.period) || compareText(a.currency, b.currency) || compareText(a.account, b.account),
  );
  const listed = rows.slice(0, QBO_ROWS_MAX);
  const body = listed
    .map((r) => {
      const agree = r.ledger_minor === r.qbo_minor;
      return (
        `<tr${agree ? '' : ' class="off"'}><th scope="row">${esc(r.period)}</th><td>${esc(r.currency.toUpperCase())}</td><td>${esc(r.account)}</td>` +
        amountCell(r.ledger_minor, r.currency) +
        amountCell(r.qbo_minor, r.currency) +
        amountCell(r.ledger_minor - r.qbo_minor, r.currency) +
        `<td class="tie">${agree ? '✓ agree' : '✗ differ'}</td></tr>`
      );
    })
    .join('');
  return (
    `<section class="qbo" data-section="qbo" aria-labelledby="qbo-h"><h2 id="qbo-h">Ledger against QuickBooks</h2>` +
    `<p class="verdict ${q.agree ? 'ok' : 'bad'}" data-qbo-agree="${q.agree ? 'true' : 'false'}">${q.agree ? '✓ The ledger and QuickBooks agree.' : '✗ The ledger and QuickBooks do not agree.'}</p>` +
    (rows.length > 0
      ? `<div class="scroll"><table data-table="qbo"><caption>Totals per period, currency and account (debit positive)</caption>` +
        `<thead><tr><th scope="col">Period</th><th scope="col">Currency</th><th scope="col">Account</th><th scope="col" class="num">Ledger</th><th scope="col" class="num">QuickBooks</th><th scope="col" class="num">Difference</th><th scope="col">Status</th></tr></thead>` +
        `<tbody>${body}</tbody></table></div>` +
        (rows.length > listed.length ? `<p class="note">${rows.length - listed.length} more rows not listed.</p>` : '')
      : '') +
    `</section>`
  );
}

/**
 * Renders the demo report as one self-contained HTML document. A Content-Security-Policy meta
 * tag forbids every fetch, so the page provably works offline. One section per currency the
 * ledger has lines in; roll-forward and chart periods are `input.periods`.
 */
export function renderDemoReport(input: DemoReportInput): string {
  const wf = waterfall(input.lines);
  const rf = rollforward(input.lines, { periods: input.periods });
  const lastPeriod = input.periods[input.periods.length - 1];
  const tb = trialBalance(input.lines, { throughPeriod: lastPeriod?.key, allowUnbalanced: true });
  const primary = input.primaryCurrency?.toLowerCase();
  const currencies = distinctSorted(input.lines.map((l) => l.currency)).sort(
    (a, b) => Number(b === primary) - Number(a === primary),
  );

  const summary =
    `<section data-section="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2><dl class="summary">` +
    input.summary.map((s) => `<div><dt>${esc(s.label)}</dt><dd>${esc(s.value)}</dd></div>`).join('') +
    `</dl></section>`;

  const sections = currencies.map((currency, ci) => {
    const cur = currency.toUpperCase();
    const w = wf.currencies.find((c) => c.currency === currency);
    // Columns: the report's periods and any recognition period outside them, in order, so a
    // period with no recognition still shows as an empty band.
    const columns = w ? distinctSorted([...input.periods.map((p) => p.key), ...w.columns]) : [];
    const deferred = rf.rows.filter((r) => r.currency === currency && r.role === 'deferred_revenue');
    const discounts = rf.rows.filter((r) => r.currency === currency && r.role === 'deferred_discounts');
    const problems = [...rf.problems, ...tb.problems].filter(
      (p) => p.currency === undefined || p.currency === currency,
    );
    return (
      `<section class="currency" data-currency="${esc(currency)}" aria-labelledby="cur-${ci}-h"><h2 id="cur-${ci}-h">${esc(cur)} books</h2>` +
      problemList(problems) +
      `<h3>Revenue waterfall</h3>` +
      (w
        ? waterfallChart(w, columns, `wf-${ci}`) + waterfallTable(w, columns)
        : `<p class="note">No revenue recognized in ${esc(cur)}.</p>`) +
      `<h3>Deferred revenue</h3>` +
      (deferred.length > 0
        ? deferredChart(deferred, currency, `dr-${ci}`) +
          rollforwardTable(
            deferred,
            currency,
            `Deferred revenue roll-forward, ${cur}: opening + billings − recognized − contra ± FX ± other = closing (FX stays zero: deferred revenue is never restated; see Exchange differences)`,
            'deferred_revenue',
          )
        : `<p class="note">No deferred revenue in ${esc(cur)}.</p>`) +
      (discounts.length > 0
        ? rollforwardTable(
            discounts,
            currency,
            `Deferred discounts roll-forward, ${cur} (debit balance positive)`,
            'deferred_discounts',
          )
        : '') +
      fxSection(input.lines, rf.rows, input.periods, currency) +
      `<h3>Trial balance</h3>` +
      trialBalanceTable(tb, currency) +
      `</section>`
    );
  });

  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${esc(input.title)}</title><style>${REPORT_STYLE}</style></head><body><main>` +
    `<header><h1>${esc(input.title)}</h1><p>Generated ${esc(input.generatedAt)}. Amounts in major units of each currency, with thousands separators; tables name their currency.</p></header>` +
    summary +
    (input.exceptions ? exceptionsSection(input.exceptions.list, input.exceptions.total) : '') +
    bridgeSection(input.lines, currencies) +
    (input.metrics ? metricsSection(input.metrics) : '') +
    (input.rpo ? rpoSection(input.rpo) : '') +
    sections.join('') +
    (input.stripeBalances
      ? stripeBalanceSection(input.lines, input.stripeBalances, input.primaryCurrency ?? currencies[0]!)
      : '') +
    (input.qboAgreement ? qboSection(input.qboAgreement) : '') +
    `</main></body></html>\n`
  );
}
