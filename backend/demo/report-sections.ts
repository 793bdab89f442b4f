/**
 * The parts of the demo report a controller reads first: the open exceptions with their reason
 * and next step, the revenue bridge (so the revenue totals on the page visibly tie), the MRR
 * chart and movements, and the forward schedule of what is still to be earned. Pure layout over
 * the reports in `shared/reports/`; money through `moneyText`, charts through `report-svg.ts`.
 */
import { ROLE_INFO } from '../../shared/accounts.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import type { Currency } from '../../shared/money.ts';
import {
  revenueBridge,
  type MetricsReport,
  type RevenueBridgeCurrency,
  type RpoReport,
} from '../../shared/reports/index.ts';
import { amountCell, escapeHtml as esc, moneyWithCode, percentText, seriesColour } from './report-format.ts';
import { band, barBetween, chartWindow, periodAxis, svgOpen, valueAxis, valueScale } from './report-svg.ts';

/** One open exception as the report lists it. */
export interface ReportException {
  id: string;
  kind: string;
  objectId: string;
  reason: string;
  details?: unknown;
}

/** Exceptions listed on the page; a longer queue is counted, and the App lists the rest. */
export const REPORT_EXCEPTIONS_MAX = 100;

/** What to do about an exception of each kind, in a bookkeeper's words. */
const NEXT_STEPS: Record<string, string> = {
  stripe_event:
    'Look at the event in Stripe; when its cause is fixed, retry it (Stripe App → Exceptions → Retry). If it should never be booked, exclude it with a reason.',
  mapping:
    'Map the account it names to a QuickBooks account (Stripe App → Settings → Account mapping), then retry the event.',
  engine:
    'Check the Stripe object it names: Accrue could not book it as it stands. Correct it in Stripe (or post a manual journal), then mark the exception reviewed.',
  qbo_post:
    'Check the QuickBooks connection and the accounts it names, then retry the posting (Stripe App → Exceptions → Retry).',
  reconcile:
    'Open the reconciliation for the period and account; find the entry changed in QuickBooks and undo the change there, or explain it and mark it reviewed.',
  recognition_changed:
    'A closed period would have recognized a different amount; the difference is booked in the first open period. Review it and mark it reviewed.',
  fx_rates:
    'Add the missing exchange rate (Settings → exchange rates, or the rate provider), then retry; entries wait until the rate is known.',
};

export function nextStepOf(kind: string): string {
  return NEXT_STEPS[kind] ?? 'Look at the object it names, fix the cause, then resolve it with a note.';
}

/** What the QuickBooks postings amount to, in words: "24 journal entries posted to QuickBooks, 1 failed". */
export function postingSummary(states: readonly { state: string; count: number }[]): string {
  const entries = (n: number) => `${n} journal entr${n === 1 ? 'y' : 'ies'}`;
  const words: Record<string, string> = {
    posted: 'posted to QuickBooks',
    pending: 'waiting to be posted',
    failed: 'failed to post (see the exceptions)',
  };
  const parts = states.filter((s) => s.count > 0).map((s) => `${entries(s.count)} ${words[s.state] ?? s.state}`);
  return parts.length ? parts.join(', ') : 'No journal entries posted to QuickBooks yet';
}

/** The open exceptions in words: "8 open (8 engine: Accrue could not book them) — listed below". */
export function exceptionSummary(
  errors: readonly { kind: string; count: number }[],
  warnings: readonly { kind: string; count: number }[],
): string {
  const total = errors.reduce((t, e) => t + e.count, 0);
  const list = (xs: readonly { kind: string; count: number }[]) =>
    xs.map((e) => `${e.count} ${e.kind.replace(/_/g, ' ')}`).join(', ');
  const head =
    total === 0 ? 'None need a person' : `${total} need a person (${list(errors)}); listed below with next steps`;
  return head + (warnings.length ? `; warnings: ${list(warnings)}` : '');
}

/** The open exceptions, each with its reason and next step; `total` counts every open one. */
export function exceptionsSection(list: readonly ReportException[], total: number): string {
  const shown = list.slice(0, REPORT_EXCEPTIONS_MAX);
  const rows = shown
    .map(
      (e) =>
        `<tr data-exception="${esc(e.id)}"><th scope="row">${esc(e.kind.replace(/_/g, ' '))}</th><td class="wrap"><code>${esc(e.objectId)}</code></td>` +
        `<td class="wrap">${esc(e.reason)}</td><td class="wrap next">${esc(nextStepOf(e.kind))}</td></tr>`,
    )
    .join('');
  const heading = `<h2 id="exceptions-h">Open exceptions</h2>`;
  if (total === 0)
    return `<section data-section="exceptions" aria-labelledby="exceptions-h">${heading}<p class="verdict ok">✓ No open exceptions: every Stripe event was booked and every entry posted.</p></section>`;
  return (
    `<section data-section="exceptions" aria-labelledby="exceptions-h">${heading}` +
    `<p>${total} exception${total === 1 ? '' : 's'} need${total === 1 ? 's' : ''} a person: each says what went wrong and what to do next.</p>` +
    `<div class="scroll"><table data-table="exceptions"><thead><tr><th scope="col">Kind</th><th scope="col">Object</th><th scope="col">Reason</th><th scope="col">Next step</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></div>` +
    (total > shown.length
      ? `<p class="note">${total - shown.length} more not listed; the Stripe App lists them all.</p>`
      : '') +
    `</section>`
  );
}

/** The bridge of one currency as labelled steps: each total, then the items that lead to the next. */
function bridgeRows(c: RevenueBridgeCurrency): { label: string; amount: bigint; total: boolean; key: string }[] {
  return [
    { key: 'income', label: 'Income in the income statement', amount: c.income, total: true },
    ...c.otherIncome.map((i) => ({
      key: `other_income:${i.role}`,
      label: `less ${ROLE_INFO[i.role].defaultName.toLowerCase()} (income, but not subscription revenue)`,
      amount: -i.amountMinor,
      total: false,
    })),
    { key: 'revenue', label: 'Revenue (trial balance; the summary above)', amount: c.revenue, total: true },
    ...c.outsideWaterfall.map((i) => ({
      key: `outside:${i.kind}`,
      label: `less revenue of ${i.kind.replace(/_/g, ' ')} entries (not in the waterfall)`,
      amount: -i.amountMinor,
      total: false,
    })),
    { key: 'waterfall', label: 'Revenue waterfall total', amount: c.waterfall, total: true },
    {
      key: 'reversals',
      label: 'less reversals of recognition (the roll-forward counts them under "Other")',
      amount: -c.reversalsOfRecognition,
      total: false,
    },
    ...c.recognitionOtherAccounts.map((i) => ({
      key: `recognition_other:${i.role}`,
      label: `less recognition moved on ${ROLE_INFO[i.role].defaultName}`,
      amount: -i.amountMinor,
      total: false,
    })),
    {
      key: 'rollforward',
      label: 'Deferred revenue roll-forward: recognized',
      amount: c.rollforwardRecognized,
      total: true,
    },
  ].filter((r) => r.total || r.amount !== 0n);
}

/** One revenue figure: the bridge per currency, so every revenue total on the page ties. */
export function bridgeSection(lines: readonly LedgerLine[], currencies: readonly Currency[]): string {
  const report = revenueBridge(lines);
  const tables = currencies
    .map((cur) => report.currencies.find((c) => c.currency === cur))
    .filter((c): c is RevenueBridgeCurrency => c !== undefined)
    .map((c) => {
      const body = bridgeRows(c)
        .map(
          (r) =>
            `<tr${r.total ? ' class="total"' : ''} data-bridge="${esc(r.key)}"><th scope="row"${r.total ? '' : ' class="item"'}>${esc(r.label)}</th>${amountCell(r.amount, c.currency)}</tr>`,
        )
        .join('');
      return (
        `<div class="scroll"><table data-table="bridge" data-currency="${esc(c.currency)}"><caption>${esc(`Revenue bridge, ${c.currency.toUpperCase()}: each total plus the items under it gives the next total`)}</caption>` +
        `<tbody>${body}</tbody></table></div>` +
        `<p class="verdict ${c.tiesOut ? 'ok' : 'bad'}" data-bridge-ties="${c.tiesOut}">${c.tiesOut ? '✓ The income statement, the waterfall and the roll-forward tie.' : '✗ The revenue totals do not tie.'}</p>`
      );
    })
    .join('');
  return `<section data-section="bridge" aria-labelledby="bridge-h"><h2 id="bridge-h">One revenue figure</h2><p>The report states revenue in three places; these are the items between them.</p>${tables}</section>`;
}

/** MRR per month: closing MRR bars, and the movements from opening to closing in the table. */
export function metricsSection(m: MetricsReport): string {
  const currency = m.currency;
  const win = chartWindow(m.months.map((x) => x.month));
  const shown = m.months.slice(m.months.length - win.keys.length);
  const scale = valueScale(shown.map((x) => x.closing));
  const bars = shown
    .map((x, i) => {
      const b = band(i, shown.length);
      const w = b.width * 0.6;
      const g = barBetween(scale, b.x + (b.width - w) / 2, w, 0n, x.closing);
      return (
        `<rect data-bar data-month="${esc(x.month)}" x="${g.x}" y="${g.y}" width="${g.width}" height="${g.height}" fill="${seriesColour(0)}">` +
        `<title>${esc(`MRR at the end of ${x.month}: ${moneyWithCode(x.closing, currency)}`)}</title></rect>`
      );
    })
    .join('');
  const last = shown[shown.length - 1];
  const chart =
    `<figure>${svgOpen('mrr', 'mrr', `Monthly recurring revenue in ${currency.toUpperCase()}${last ? `; ${moneyWithCode(last.closing, currency)} at the end of ${last.month}` : ''}`, `MRR (${currency.toUpperCase()})`, 'Bars: MRR at the end of each month. The table below gives the movements.', shown.length)}` +
    valueAxis(scale, currency) +
    bars +
    periodAxis(win.keys) +
    `</svg><figcaption><ul class="legend"><li><span class="swatch" style="background:${seriesColour(0)}"></span>MRR at month end</li></ul></figcaption></figure>`;
  const head = [
    'Month',
    'Opening MRR',
    'New',
    'Expansion',
    'Reactivation',
    'Contraction',
    'Churn',
    'Closing MRR',
    'Customers',
    'ARPA',
    'NRR',
    'GRR',
  ];
  const body = m.months
    .map(
      (x) =>
        `<tr><th scope="row">${esc(x.month)}</th>` +
        [x.opening, x.new, x.expansion, x.reactivation, -x.contraction, -x.churn, x.closing]
          .map((a) => amountCell(a, currency))
          .join('') +
        `<td class="num">${x.customers}</td>${amountCell(x.arpa, currency)}` +
        `<td class="num">${esc(percentText(x.netRevenueRetention))}</td><td class="num">${esc(percentText(x.grossRevenueRetention))}</td></tr>`,
    )
    .join('');
  return (
    `<section data-section="metrics" aria-labelledby="metrics-h"><h2 id="metrics-h">SaaS metrics</h2>` +
    `<p>MRR counts active and past-due subscriptions at their monthly amount, after forever coupons; trials, tax, one-time and metered items are left out. Opening + new + expansion + reactivation − contraction − churn = closing.</p>` +
    chart +
    `<div class="scroll"><table data-table="metrics"><caption>${esc(`MRR movements, ${currency.toUpperCase()}`)}</caption><thead><tr>${head.map((h, i) => `<th scope="col"${i > 0 ? ' class="num"' : ''}>${h}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table></div>` +
    `</section>`
  );
}

/** The forward schedule: what is still to be earned, by month, current (next 12 months) and not. */
export function rpoSection(r: RpoReport): string {
  const currency = r.currency;
  const win = chartWindow(r.months.map((x) => x.month));
  const shown = r.months.slice(r.months.length - win.keys.length);
  const scale = valueScale(shown.map((x) => x.amountMinor));
  const colour = (current: boolean) => seriesColour(current ? 0 : 1);
  const bars = shown
    .map((x, i) => {
      const b = band(i, shown.length);
      const w = b.width * 0.6;
      const g = barBetween(scale, b.x + (b.width - w) / 2, w, 0n, x.amountMinor);
      return (
        `<rect data-bar data-month="${esc(x.month)}" x="${g.x}" y="${g.y}" width="${g.width}" height="${g.height}" fill="${colour(x.current)}">` +
        `<title>${esc(`To be earned in ${x.month}: ${moneyWithCode(x.amountMinor, currency)}`)}</title></rect>`
      );
    })
    .join('');
  const chart =
    shown.length === 0
      ? `<p class="note">Nothing left to earn after ${esc(r.asOf)}.</p>`
      : `<figure>${svgOpen('rpo', 'rpo', `Remaining performance obligations in ${currency.toUpperCase()} by month after ${r.asOf}; total ${moneyWithCode(r.totalMinor, currency)}`, `Still to be earned (${currency.toUpperCase()})`, 'Bars: revenue still to be earned in each future month, current (next 12 months) and non-current.', shown.length)}` +
        valueAxis(scale, currency) +
        bars +
        periodAxis(win.keys) +
        `</svg><figcaption><ul class="legend"><li><span class="swatch" style="background:${colour(true)}"></span>Current (through ${esc(r.currentThrough)})</li>` +
        `<li><span class="swatch" style="background:${colour(false)}"></span>Non-current</li></ul></figcaption></figure>`;
  return (
    `<section data-section="rpo" aria-labelledby="rpo-h"><h2 id="rpo-h">What is still to be earned</h2>` +
    `<dl class="summary"><div><dt>Current (next 12 months)</dt><dd>${esc(moneyWithCode(r.currentMinor, currency))}</dd></div>` +
    `<div><dt>Non-current</dt><dd>${esc(moneyWithCode(r.nonCurrentMinor, currency))}</dd></div>` +
    `<div><dt>Total at ${esc(r.asOf)}</dt><dd data-total="rpo">${esc(moneyWithCode(r.totalMinor, currency))}</dd></div>` +
    `<div><dt>Deferred revenue in the ledger</dt><dd>${esc(moneyWithCode(r.ledgerDeferredMinor, currency))} ${r.tiesOut ? '✓ ties' : '✗ differs'}</dd></div></dl>` +
    chart +
    `</section>`
  );
}
