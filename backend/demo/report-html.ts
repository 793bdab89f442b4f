/**
 * The demo's HTML report: one self-contained page (inline CSS and inline SVG, no script, no
 * font, no network) that shows what the books say after a demo run — a summary, and for each
 * functional currency present in the ledger a revenue waterfall chart and table, a deferred
 * revenue chart and roll-forward table, and a compact trial balance; optionally the agreement of
 * the ledger with what QuickBooks holds.
 *
 * The numbers come from the pure reports in `shared/reports/`; this module only lays them out.
 * Every amount shown passes through `formatMinor`. Floats appear only as SVG coordinates.
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
  type ReportProblem,
  type RollforwardRow,
  type TrialBalanceReport,
  type WaterfallCurrency,
} from '../../shared/reports/index.ts';
import { REPORT_STYLE } from './report-style.ts';

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
}

/**
 * Periods drawn per chart. A 640-pixel plot keeps bars at least ~14 px wide up to 36 bands
 * (three years of months); beyond that the chart draws the latest 36 and says so, while the
 * tables keep every period.
 */
export const CHART_PERIODS_MAX = 36;

/**
 * Rows of the QuickBooks agreement table. A demo tenant has a few dozen cells; a real one can
 * have thousands, which would make the page slow to open — the rest are counted, not listed.
 */
export const QBO_ROWS_MAX = 500;

/** Invoice ids named in a waterfall cell's tooltip; the full drill-down lives in the CSV export. */
export const TOOLTIP_INVOICES_MAX = 10;

/**
 * Smallest drawn height of a non-zero bar, in pixels, so that a cell worth one cent next to one
 * worth a million is still visible (and clickable) instead of vanishing into a zero-height rect.
 */
export const BAR_HEIGHT_PX_MIN = 1.5;

/** Gridlines aimed for on the value axis; the step is rounded to 1, 2 or 5 × 10ⁿ minor units. */
const VALUE_TICKS_TARGET = 5;

/** Period labels are turned 45° when more than this many would sit side by side. */
const UPRIGHT_LABELS_MAX = 10;

/**
 * Height of the room under the plot that upright labels leave unused; the viewBox is cut by it
 * so a short chart has no blank band between its axis and its legend.
 */
const UPRIGHT_LABELS_SPARE = 34;

/**
 * Colours of the booking-month series (Okabe–Ito, readable with the common colour-vision
 * deficiencies), repeated when there are more booking months than colours; the legend and each
 * bar's tooltip name the month, so a repeat is never ambiguous.
 */
const SERIES_COLOURS = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#000000',
] as const;
const RECOGNIZED_COLOUR = '#009E73';
const DEFERRED_COLOUR = '#0072B2';

/** Chart geometry in SVG user units (the SVG scales to its container). */
const CHART = { width: 760, height: 340, left: 96, right: 24, top: 20, bottom: 64 } as const;

/** Escapes text for HTML and SVG content and attribute values (account names can hold `<` and `&`). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

const esc = escapeHtml;

/** A money string with its currency code, e.g. "123.45 USD". */
function money(amount: bigint, currency: Currency): string {
  return `${formatMinor(amount, currency)} ${currency.toUpperCase()}`;
}

/** A table cell holding an amount (right-aligned, tabular digits). */
function amountCell(amount: bigint, currency: Currency, attrs = ''): string {
  return `<td class="num"${attrs}>${esc(formatMinor(amount, currency))}</td>`;
}

/** A fixed number with up to two decimals, for SVG coordinates only. */
function px(value: number): string {
  return (Math.round(value * 100) / 100).toString();
}

/**
 * The value axis of a chart: from a multiple of `step` at or below min(0, values) to one at or
 * above max(0, values). All in bigint minor units; only the mapping to pixels is a float.
 */
interface ValueScale {
  bottom: bigint;
  top: bigint;
  step: bigint;
}

function niceStep(range: bigint): bigint {
  if (range <= 0n) return 1n;
  // Ceiling division so that VALUE_TICKS_TARGET steps always cover the range.
  const raw = (range + BigInt(VALUE_TICKS_TARGET) - 1n) / BigInt(VALUE_TICKS_TARGET);
  let magnitude = 1n;
  while (magnitude * 10n <= raw) magnitude *= 10n;
  for (const m of [1n, 2n, 5n]) if (m * magnitude >= raw) return m * magnitude;
  return 10n * magnitude;
}

function valueScale(values: readonly bigint[]): ValueScale {
  let min = 0n;
  let max = 0n;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const step = niceStep(max - min);
  // Floor for the bottom (min ≤ 0, so truncating division rounds toward zero: subtract one step
  // when there is a remainder), ceiling for the top.
  const bottom = min % step === 0n ? min : (min / step - 1n) * step;
  const top = max % step === 0n ? max : (max / step + 1n) * step;
  return { bottom, top: top === bottom ? bottom + step : top, step };
}

/**
 * Vertical pixel position of a value. The ratio is taken as Number(bigint) / Number(bigint):
 * a float is acceptable here because it only places pixels; no amount is ever read back from it.
 */
function yOf(scale: ValueScale, value: bigint): number {
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  return CHART.top + (plotHeight * Number(scale.top - value)) / Number(scale.top - scale.bottom);
}

/** Gridlines with money labels, and the zero line drawn stronger. */
function valueAxis(scale: ValueScale, currency: Currency): string {
  const parts: string[] = [];
  for (let v = scale.bottom; v <= scale.top; v += scale.step) {
    const y = px(yOf(scale, v));
    parts.push(
      `<line class="${v === 0n ? 'zero' : 'grid'}" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${y}" y2="${y}"/>`,
      `<text class="tick" x="${CHART.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(formatMinor(v, currency))}</text>`,
    );
  }
  return parts.join('');
}

/** Band layout along the x axis: left edge and width of band i of n. */
function band(i: number, n: number): { x: number; width: number } {
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const width = plotWidth / Math.max(n, 1);
  return { x: CHART.left + i * width, width };
}

/** Period labels under the bands, turned when they would overlap. */
function periodAxis(keys: readonly string[]): string {
  const turned = keys.length > UPRIGHT_LABELS_MAX;
  return keys
    .map((k, i) => {
      const b = band(i, keys.length);
      const x = px(b.x + b.width / 2);
      const y = CHART.height - CHART.bottom + 16;
      return turned
        ? `<text class="tick" x="${x}" y="${y}" text-anchor="end" transform="rotate(-45 ${x} ${y})">${esc(k)}</text>`
        : `<text class="tick" x="${x}" y="${y}" text-anchor="middle">${esc(k)}</text>`;
    })
    .join('');
}

/** A rect between two values on the scale, never thinner than BAR_HEIGHT_PX_MIN. */
function barBetween(
  scale: ValueScale,
  x: number,
  width: number,
  from: bigint,
  to: bigint,
): { x: string; y: string; width: string; height: string } {
  const y0 = yOf(scale, from);
  const y1 = yOf(scale, to);
  const height = Math.max(Math.abs(y1 - y0), BAR_HEIGHT_PX_MIN);
  // Grow a too-thin positive bar upwards from its base and a negative one downwards.
  const y = to >= from ? Math.max(y0, y1) - height : Math.min(y0, y1);
  return { x: px(x), y: px(y), width: px(width), height: px(height) };
}

/** The latest CHART_PERIODS_MAX keys, and how many earlier ones were left out of the chart. */
function chartWindow(keys: readonly string[]): { keys: string[]; omitted: number } {
  const omitted = Math.max(0, keys.length - CHART_PERIODS_MAX);
  return { keys: keys.slice(omitted), omitted };
}

function colourOf(seriesIndex: number): string {
  return SERIES_COLOURS[seriesIndex % SERIES_COLOURS.length] ?? SERIES_COLOURS[0];
}

function svgOpen(id: string, chart: string, label: string, title: string, desc: string, bands: number): string {
  const height = bands > UPRIGHT_LABELS_MAX ? CHART.height : CHART.height - UPRIGHT_LABELS_SPARE;
  return (
    `<svg class="chart" data-chart="${chart}" role="img" aria-label="${esc(label)}" aria-labelledby="${id}-title" aria-describedby="${id}-desc" ` +
    `viewBox="0 0 ${CHART.width} ${height}" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${esc(title)}</title><desc id="${id}-desc">${esc(desc)}</desc>`
  );
}

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
        `<td class="tie">${r.tiesOut ? '✓ ties' : esc(`off by ${formatMinor(r.closing - r.ledgerClosing, currency)}`)}</td></tr>`,
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
            `Deferred revenue roll-forward, ${cur}: opening + billings − recognized − contra ± FX ± other = closing`,
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
    `<header><h1>${esc(input.title)}</h1><p>Generated ${esc(input.generatedAt)}. Amounts in major units of each currency.</p></header>` +
    summary +
    sections.join('') +
    (input.qboAgreement ? qboSection(input.qboAgreement) : '') +
    `</main></body></html>\n`
  );
}
