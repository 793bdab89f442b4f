/**
 * The demo report's exchange differences: what foreign currency moved in the functional books,
 * period by period. Deferred revenue is non-monetary — it stays at the rate of the invoice that
 * billed it — so its roll-forward's FX column is zero by design; what moves is shown here:
 *
 * - realized differences (`fx_gain_loss`) when a foreign receivable is paid or refunded at another
 *   rate than it was billed at, and when a payout from a foreign Stripe balance converts at its own
 *   day's rate;
 * - with period-end revaluation, the foreign balances of the monetary accounts restated at the
 *   period end's rate (`fx_unrealized`), and the reversal of the previous period end's restatement;
 * - the roll-forward of each restated balance, its FX column being that restatement, tied to the
 *   ledger's balance at every period end.
 *
 * Gains are positive. Pure layout over ledger lines and `shared/reports`.
 */
import { ROLE_INFO } from '../../shared/accounts.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import type { Currency } from '../../shared/money.ts';
import type { Period } from '../../shared/periods.ts';
import { REVALUED_ROLLFORWARD_ROLES, stripeBalance, type RollforwardRow } from '../../shared/reports/index.ts';
import { amountCell, escapeHtml as esc, moneyText, moneyWithCode } from './report-format.ts';

/** One period's exchange differences in the functional currency, gains positive. */
export interface FxPeriodRow {
  period: string;
  /** Realized on payments, refunds, disputes and invoice true-ups. */
  realizedSettlement: bigint;
  /** Realized when a foreign Stripe balance was paid out. */
  realizedPayout: bigint;
  /** Period-end restatement of foreign monetary balances. */
  revaluation: bigint;
  /** Reversal of the previous period end's restatement. */
  reversal: bigint;
  total: bigint;
}

const PAYOUT_KINDS = new Set(['payout', 'payout_failed']);
const REVERSAL_SUFFIX = ':reversal';

const isFx = (l: LedgerLine, currency: Currency) =>
  l.currency === currency && (l.role === 'fx_gain_loss' || l.role === 'fx_unrealized');

/**
 * Exchange differences per period (in order), from the ledger's lines in `currency`, and the tie:
 * the rows' total against what the two exchange accounts gained between the first period's start
 * and the last one's end, read by posting date rather than by period key.
 */
export function fxMovements(lines: readonly LedgerLine[], periods: readonly Period[], currency: Currency) {
  const rows = new Map<string, FxPeriodRow>(
    periods.map((p) => [
      p.key,
      { period: p.key, realizedSettlement: 0n, realizedPayout: 0n, revaluation: 0n, reversal: 0n, total: 0n },
    ]),
  );
  const from = periods[0]?.start;
  const to = periods.at(-1)?.end;
  let ledger = 0n;
  for (const l of lines) {
    if (!isFx(l, currency)) continue;
    const gain = -l.amountMinor;
    if (from !== undefined && to !== undefined && l.postingDate >= from && l.postingDate < to) ledger += gain;
    const row = rows.get(l.period);
    if (!row) continue;
    if (l.role === 'fx_unrealized') {
      if (l.entryKey.endsWith(REVERSAL_SUFFIX)) row.reversal += gain;
      else row.revaluation += gain;
    } else if (PAYOUT_KINDS.has(l.kind)) row.realizedPayout += gain;
    else row.realizedSettlement += gain;
    row.total += gain;
  }
  const list = [...rows.values()];
  const total = list.reduce((s, r) => s + r.total, 0n);
  return { rows: list, total, ledger, ties: total === ledger };
}

/**
 * The summary line: realized over the report's periods, and unrealized — each period's restatement
 * less the reversal of the one before, so their sum is the restatement still open at the end.
 */
export function fxSummaryText(lines: readonly LedgerLine[], periods: readonly Period[], currency: Currency): string {
  const { rows } = fxMovements(lines, periods, currency);
  const realized = rows.reduce((s, r) => s + r.realizedSettlement + r.realizedPayout, 0n);
  const payout = rows.reduce((s, r) => s + r.realizedPayout, 0n);
  const open = rows.reduce((s, r) => s + r.revaluation + r.reversal, 0n);
  return (
    `realized ${moneyWithCode(realized, currency)} (at payouts ${moneyText(payout, currency)}); ` +
    `unrealized, open at the end ${moneyWithCode(open, currency)} (gains positive)`
  );
}

/** The exchange differences table, with a totals row tied to the ledger. */
function movementsTable(lines: readonly LedgerLine[], periods: readonly Period[], currency: Currency): string {
  const m = fxMovements(lines, periods, currency);
  const sum = (pick: (r: FxPeriodRow) => bigint) => m.rows.reduce((s, r) => s + pick(r), 0n);
  const cells = (r: Omit<FxPeriodRow, 'period'>, attr = (_: string) => '') =>
    amountCell(r.realizedSettlement, currency, attr('settlement')) +
    amountCell(r.realizedPayout, currency, attr('payout')) +
    amountCell(r.revaluation, currency, attr('revaluation')) +
    amountCell(r.reversal, currency, attr('reversal')) +
    amountCell(r.total, currency, attr('total'));
  const body = m.rows.map((r) => `<tr><th scope="row">${esc(r.period)}</th>${cells(r)}</tr>`).join('');
  const totals = {
    realizedSettlement: sum((r) => r.realizedSettlement),
    realizedPayout: sum((r) => r.realizedPayout),
    revaluation: sum((r) => r.revaluation),
    reversal: sum((r) => r.reversal),
    total: m.total,
  };
  const first = m.rows[0]?.period ?? '';
  const lastKey = m.rows.at(-1)?.period ?? '';
  return (
    `<div class="scroll"><table data-table="fx-movements" data-fx-ties="${m.ties ? 'true' : 'false'}"><caption>${esc(
      `Exchange differences, ${currency.toUpperCase()} (gains positive): realized + unrealized = the period's exchange result`,
    )}</caption>` +
    `<thead><tr><th scope="col">Period</th><th scope="col" class="num">Realized: payments, refunds</th><th scope="col" class="num">Realized: payouts</th>` +
    `<th scope="col" class="num">Unrealized: period-end restatement</th><th scope="col" class="num">Unrealized: reversal of the last one</th><th scope="col" class="num">Total</th></tr></thead>` +
    `<tbody>${body}</tbody><tfoot><tr><th scope="row">${esc(`${first} – ${lastKey}`)}</th>${cells(totals, (k) => ` data-total="${k}"`)}</tr></tfoot></table></div>` +
    `<p class="note" data-fx-ledger>${
      m.ties
        ? `✓ Ties to the ledger: the exchange accounts (${esc(ROLE_INFO.fx_gain_loss.defaultName)}, ${esc(ROLE_INFO.fx_unrealized.defaultName)}) gained ${esc(moneyWithCode(m.ledger, currency))} over ${esc(first)} – ${esc(lastKey)} by posting date.`
        : `✗ Does not tie: the exchange accounts gained ${esc(moneyWithCode(m.ledger, currency))} over ${esc(first)} – ${esc(lastKey)} by posting date.`
    }</p>`
  );
}

/** A restated balance's roll-forward: opening, movements other than FX, the FX restatement, closing, ledger. */
function revaluedTable(rows: readonly RollforwardRow[], currency: Currency): string {
  const role = rows[0]!.role;
  const body = rows
    .map((r) => {
      const moves = r.billings - r.recognized - r.contra - r.breakage + r.other;
      return (
        `<tr${r.tiesOut ? '' : ' class="off"'}><th scope="row">${esc(r.period)}</th>` +
        [r.opening, moves, r.fx, r.closing, r.ledgerClosing].map((a) => amountCell(a, currency)).join('') +
        `<td class="tie">${r.tiesOut ? '✓ ties' : esc(`off by ${moneyText(r.closing - r.ledgerClosing, currency)}`)}</td></tr>`
      );
    })
    .join('');
  const name = ROLE_INFO[role].defaultName;
  return (
    `<div class="scroll"><table class="rollforward" data-table="rollforward" data-role="${esc(role)}"><caption>${esc(
      `${name} roll-forward, ${currency.toUpperCase()} (${ROLE_INFO[role].normal > 0 ? 'debit' : 'credit'} balance positive): opening + movements ± FX = closing`,
    )}</caption>` +
    `<thead><tr><th scope="col">Period</th><th scope="col" class="num">Opening</th><th scope="col" class="num">Movements</th><th scope="col" class="num">FX</th>` +
    `<th scope="col" class="num">Closing</th><th scope="col" class="num">Ledger balance</th><th scope="col">Tie-out</th></tr></thead><tbody>${body}</tbody></table></div>`
  );
}

/** The section: what moved, why deferred revenue does not, and each restated balance's roll-forward. */
export function fxSection(
  lines: readonly LedgerLine[],
  rollforwardRows: readonly RollforwardRow[],
  periods: readonly Period[],
  currency: Currency,
): string {
  const hasFx = lines.some((l) => isFx(l, currency) || (l.currency === currency && !!l.original));
  if (!hasFx) return '';
  const revalued = REVALUED_ROLLFORWARD_ROLES.map((role) =>
    rollforwardRows.filter((r) => r.role === role && r.currency === currency),
  ).filter((rows) => rows.length > 0);
  return (
    `<div data-section="fx"><h3>Exchange differences</h3>` +
    `<p>Deferred revenue is not a monetary balance: it stays at the rate of the invoice that billed it, so the FX column of its roll-forward is zero by design. ` +
    `What foreign currency moved is here. <strong>Realized</strong>: a foreign invoice paid or refunded at another rate than it was billed at, and a payout from a foreign Stripe balance converted at its own day's rate against the carrying amount of what it paid out. ` +
    `<strong>Unrealized</strong>: at each period end the foreign balances of receivables, the Stripe balance, customer balances and tax are restated at that day's rate; the restatement is reversed on the next day, so each period shows its own restatement less the previous one.</p>` +
    movementsTable(lines, periods, currency) +
    (revalued.length > 0
      ? `<h4>Restated balances</h4><p class="note">Each balance the restatement moved, in ${esc(currency.toUpperCase())}: its FX column is the restatement of the period end less the reversal of the previous one.</p>` +
        revalued.map((rows) => revaluedTable(rows, currency)).join('')
      : `<p class="note">Period-end revaluation is off, or no foreign balance was open at a period end.</p>`) +
    `</div>`
  );
}

/** What Stripe says a balance holds: its balance transactions' nets, payouts counted once paid. */
export interface StripeSideBalance {
  currency: Currency;
  amountMinor: bigint;
}

/**
 * The Stripe balance per settlement currency (`stripeBalance`): what came in, what payouts took,
 * what is left in that currency and its carrying amount in the books — against what Stripe's own
 * balance transactions say is left — and the exchange difference realized at the payouts.
 */
export function stripeBalanceSection(
  lines: readonly LedgerLine[],
  stripe: readonly StripeSideBalance[],
  functional: Currency,
): string {
  const report = stripeBalance(lines);
  if (report.rows.length === 0) return '';
  const body = report.rows
    .map((r) => {
      const said = stripe.find((s) => s.currency === r.currency)?.amountMinor ?? 0n;
      const agree = said === r.balance;
      return (
        `<tr${agree ? '' : ' class="off"'} data-balance-currency="${esc(r.currency)}"><th scope="row">${esc(r.currency.toUpperCase())}</th>` +
        amountCell(r.settledIn, r.currency) +
        amountCell(r.paidOut, r.currency) +
        amountCell(r.balance, r.currency) +
        amountCell(said, r.currency) +
        amountCell(r.carrying, functional) +
        amountCell(realizedIn(report.payouts, r.currency), functional) +
        `<td class="tie">${agree ? '✓ agrees with Stripe' : esc(`off by ${moneyText(r.balance - said, r.currency)}`)}</td></tr>`
      );
    })
    .join('');
  return (
    `<section data-section="stripe-balance" aria-labelledby="sb-h"><h2 id="sb-h">Stripe balance per settlement currency</h2>` +
    `<p>Each Stripe balance is its own sub-ledger: every Stripe Balance line keeps the amount in the balance's currency. A payout converts at its own day's rate; the difference against the carrying amount of what it paid out is realized.</p>` +
    `<div class="scroll"><table data-table="stripe-balance"><caption>${esc(
      `Stripe balance by settlement currency, in that currency; carrying amount and realized difference in ${functional.toUpperCase()} (gains positive)`,
    )}</caption>` +
    `<thead><tr><th scope="col">Balance</th><th scope="col" class="num">Came in (net)</th><th scope="col" class="num">Paid out</th><th scope="col" class="num">Left, in the books</th>` +
    `<th scope="col" class="num">Left, per Stripe</th><th scope="col" class="num">Carrying amount</th><th scope="col" class="num">Realized at payouts</th><th scope="col">Check</th></tr></thead>` +
    `<tbody>${body}</tbody></table></div></section>`
  );
}

/** Gains realized at the payouts of one settlement currency (the report's lines are debit positive). */
function realizedIn(payouts: ReturnType<typeof stripeBalance>['payouts'], currency: Currency): bigint {
  return payouts.filter((p) => p.currency === currency).reduce((s, p) => s - p.realized, 0n);
}
