/**
 * Writes the inputs of the cutover golden scenarios (never their expected journals): Stripe
 * objects and events, the tenant's settings, and the opening balances file imported at the
 * cutover. `node bin/run-ts.js test/golden/make-inputs-cutover.ts`. They live under
 * `test/golden/cutover/`, apart from the pure scenarios, because they need the database (the
 * import and the opening release); `cutover.test.ts` runs them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bt, charge, event, invoice, invoicePayment, refund, ts } from './make-inputs.ts';

const here = join(dirname(fileURLToPath(import.meta.url)), 'cutover');

// Invoice A: an annual plan (1,200.00, 2026) paid on Jan 1, before the cutover on Apr 1; half refunded on May 1.
const finA = ts('2026-01-01');
const invA = invoice({
  id: 'in_cutA',
  finalizedAt: finA,
  paidAt: finA,
  lines: [{ id: 'il_cutA', amount: 120000, product: 'prod_annual', start: finA, end: ts('2027-01-01') }],
});
const txnA = bt('txn_cutA', 120000, 0, finA, { source: 'ch_cutA' });
const chA = charge('ch_cutA', 120000, finA, 'txn_cutA', { refunds: ['re_cutA'] });
const ipA = invoicePayment('inpay_cutA', 'in_cutA', 'ch_cutA', 120000, finA);
const rtxA = bt('txn_re_cutA', -60000, 0, ts('2026-05-01'), { type: 'refund' });
const reA = refund('re_cutA', 'ch_cutA', 60000, ts('2026-05-01'), 'txn_re_cutA');

// Invoice B: a quarterly plan (300.00, March to May) finalized Mar 1 and unpaid at the cutover; a
// 30.00 credit note on its line on May 1, the remaining 270.00 paid on May 2.
const finB = ts('2026-03-01');
const invB = invoice({
  id: 'in_cutB',
  finalizedAt: finB,
  paidAt: ts('2026-05-02'),
  amountPaid: 27000,
  lines: [{ id: 'il_cutB', amount: 30000, product: 'prod_quarter', start: finB, end: ts('2026-06-01') }],
});
const cnB = {
  id: 'cn_cutB',
  object: 'credit_note',
  invoice: 'in_cutB',
  customer: 'cus_golden',
  currency: 'usd',
  amount: 3000,
  subtotal: 3000,
  total: 3000,
  total_excluding_tax: 3000,
  discount_amount: 0,
  discount_amounts: [],
  pretax_credit_amounts: [],
  total_taxes: [],
  pre_payment_amount: 3000,
  post_payment_amount: 0,
  out_of_band_amount: null,
  refunds: [],
  status: 'issued',
  voided_at: null,
  effective_at: ts('2026-05-01'),
  created: ts('2026-05-01'),
  type: 'pre_payment',
  reason: 'order_change',
  customer_balance_transaction: null,
  lines: {
    object: 'list',
    has_more: false,
    data: [
      {
        id: 'cnli_cutB',
        object: 'credit_note_line_item',
        type: 'invoice_line_item',
        invoice_line_item: 'il_cutB',
        amount: 3000,
        discount_amount: 0,
        discount_amounts: [],
        pretax_credit_amounts: [],
        taxes: [],
        tax_rates: [],
        quantity: 1,
      },
    ],
  },
};
const txnB = bt('txn_cutB', 27000, 0, ts('2026-05-02'), { source: 'ch_cutB' });
const chB = charge('ch_cutB', 27000, ts('2026-05-02'), 'txn_cutB');
const ipB = invoicePayment('inpay_cutB', 'in_cutB', 'ch_cutB', 27000, ts('2026-05-02'));

const lines = [
  invA,
  txnA,
  chA,
  ipA,
  rtxA,
  reA,
  invB,
  cnB,
  txnB,
  chB,
  ipB,
  event('evt_cut1', 'invoice.finalized', finA, invA),
  event('evt_cut2', 'invoice.paid', finA, invA),
  event('evt_cut3', 'invoice.finalized', finB, invB),
  event('evt_cut4', 'credit_note.created', ts('2026-05-01'), cnB),
  event('evt_cut5', 'charge.refunded', ts('2026-05-01'), chA),
  event('evt_cut6', 'refund.created', ts('2026-05-01'), reA),
  event('evt_cut7', 'invoice.paid', ts('2026-05-02'), invB),
];

const opening = [
  'type,customer,invoice,invoice_line,currency,amount,remaining_start,remaining_end,revenue_account,memo',
  'deferred_revenue,cus_golden,in_cutA,il_cutA,usd,900.00,,2026-12-31,,annual plan: April to December',
  'deferred_revenue,cus_golden,in_cutB,il_cutB,usd,200.00,,2026-05-31,,quarterly plan: April and May',
  'receivable,cus_golden,in_cutB,,usd,300.00,,,,unpaid at the cutover',
];

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = join(here, 'imported-refund-credit-note');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'input.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ amortization: 'monthly_even' }, null, 2) + '\n');
  writeFileSync(
    join(dir, 'scenario.json'),
    JSON.stringify({ cutover: '2026-04-01', through: '2026-12-31', tick_at: '2027-01-02T12:00:00Z' }, null, 2) + '\n',
  );
  writeFileSync(join(dir, 'opening.csv'), opening.join('\n') + '\n');
  console.log(`wrote ${dir}`);
}
