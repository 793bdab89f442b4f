/**
 * Writes the inputs of the golden scenarios for Connect and for cash that does not match what it
 * settles (application fees, destination charges, dispute balance shapes, unmatched cash, bad
 * debt presentation), with the helpers of make-inputs.ts. Expected journals are written by hand.
 *
 * Run: node bin/run-ts.js test/golden/make-inputs-connect.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bt, charge, event, invoice, invoicePayment, ts } from './make-inputs.ts';

const here = dirname(fileURLToPath(import.meta.url));

type Obj = Record<string, unknown> & { id: string; object: string };

interface Scenario {
  name: string;
  settings: Record<string, unknown>;
  through?: string;
  lines: Obj[];
}

const scenarios: Scenario[] = [];

const JAN = ts('2026-01-01');
const FEB = ts('2026-02-01');

/** An invoice of one line Jan 1 – Feb 1, finalized and paid on Jan 1 by `chargeId`. */
function paidInvoice(id: string, amount: number, chargeId: string): { inv: Obj; ip: Obj } {
  const inv = invoice({
    id,
    finalizedAt: JAN,
    paidAt: JAN,
    lines: [{ id: `il_${id.slice(3)}`, amount, product: 'prod_plan', start: JAN, end: FEB }],
  });
  return { inv, ip: invoicePayment(`inpay_${id.slice(3)}`, id, chargeId, amount, JAN) };
}

// 1. Platform: a 50.00 invoice paid by a destination charge with a 10.00 application fee; the
//    platform's balance transaction is the 10.00 it keeps, the 40.00 went to the connected account.
{
  const { inv, ip } = paidInvoice('in_dest', 5000, 'ch_dest');
  const txn = bt('txn_dest', 1000, 0, JAN, { source: 'ch_dest' });
  const ch = {
    ...charge('ch_dest', 5000, JAN, 'txn_dest'),
    application_fee_amount: 1000,
    transfer_data: { amount: null, destination: 'acct_seller' },
    transfer: 'tr_dest',
  } as Obj;
  const lines = [
    inv,
    txn,
    ch,
    ip,
    event('evt_cd1', 'invoice.finalized', JAN, inv),
    event('evt_cd2', 'invoice.paid', JAN, inv),
  ];
  // Under gross the transfer is a cost; under agent (the default) the platform's revenue is the 10.00 it keeps.
  scenarios.push({
    name: 'connect-destination-charge-invoice',
    settings: { connect_revenue: 'gross' },
    through: '2026-01-31',
    lines,
  });
  scenarios.push({ name: 'connect-destination-charge-invoice-agent', settings: {}, through: '2026-01-31', lines });
}

// 2. The same destination charge without an invoice (a one-time payment): the same answer.
{
  const txn = bt('txn_dest1', 1000, 0, JAN, { source: 'ch_dest1' });
  const ch = {
    ...charge('ch_dest1', 5000, JAN, 'txn_dest1', { description: 'Marketplace order' }),
    application_fee_amount: 1000,
    transfer_data: { amount: null, destination: 'acct_seller' },
    transfer: 'tr_dest1',
  } as Obj;
  scenarios.push({
    name: 'connect-destination-charge-one-time',
    settings: { connect_revenue: 'gross' },
    through: '2026-01-31',
    lines: [txn, ch, event('evt_co1', 'charge.succeeded', JAN, ch)],
  });
}

// 3. Connected account: a 100.00 invoice paid by a direct charge; the platform withheld a 10.00
//    application fee beside Stripe's 3.20 (fee_details).
{
  const { inv, ip } = paidInvoice('in_appfee', 10000, 'ch_appfee');
  const txn = {
    ...bt('txn_appfee', 10000, 1320, JAN, { source: 'ch_appfee' }),
    fee_details: [
      { amount: 320, application: null, currency: 'usd', description: 'Stripe processing fees', type: 'stripe_fee' },
      {
        amount: 1000,
        application: 'ca_platform',
        currency: 'usd',
        description: 'Platform fee',
        type: 'application_fee',
      },
    ],
  } as Obj;
  const ch = { ...charge('ch_appfee', 10000, JAN, 'txn_appfee'), application_fee_amount: 1000 } as Obj;
  scenarios.push({
    name: 'connect-application-fee-withheld',
    settings: {},
    through: '2026-01-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      event('evt_af1', 'invoice.finalized', JAN, inv),
      event('evt_af2', 'invoice.paid', JAN, inv),
    ],
  });
}

// 4. Cash that matches nothing: a 50.00 invoice whose charge's balance transaction is 47.50, with
//    no fee, application fee, transfer or partial capture to explain 2.50.
{
  const { inv, ip } = paidInvoice('in_short', 5000, 'ch_short');
  const txn = bt('txn_short', 4750, 0, JAN, { source: 'ch_short' });
  const ch = charge('ch_short', 5000, JAN, 'txn_short');
  scenarios.push({
    name: 'unmatched-cash-same-currency',
    settings: {},
    through: '2026-01-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      event('evt_um1', 'invoice.finalized', JAN, inv),
      event('evt_um2', 'invoice.paid', JAN, inv),
    ],
  });
}

// 4b. A partial capture: the invoice payment says 50.00, the charge captured 30.00 and its balance
//     transaction is 30.00. The receivable is settled by what was captured; 20.00 stays owed.
{
  const { inv, ip } = paidInvoice('in_partial', 5000, 'ch_partial');
  const txn = bt('txn_partial', 3000, 117, JAN, { source: 'ch_partial' });
  const ch = { ...charge('ch_partial', 5000, JAN, 'txn_partial'), amount_captured: 3000 } as Obj;
  scenarios.push({
    name: 'partial-capture-rest-receivable',
    settings: {},
    through: '2026-01-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      event('evt_pc1', 'invoice.finalized', JAN, inv),
      event('evt_pc2', 'invoice.paid', JAN, inv),
    ],
  });
}

/** A 9.99 invoice paid Jan 1, disputed Jan 16 with the given balance transactions (a 15.00 fee). */
function disputed(name: string, suffix: string, balanceTransactions: Obj[], status: string): Scenario {
  const { inv, ip } = paidInvoice(`in_${suffix}`, 999, `ch_${suffix}`);
  const txn = bt(`txn_${suffix}`, 999, 59, JAN, { source: `ch_${suffix}` });
  const ch = charge(`ch_${suffix}`, 999, JAN, `txn_${suffix}`);
  const dp = {
    id: `dp_${suffix}`,
    object: 'dispute',
    amount: 999,
    currency: 'usd',
    charge: `ch_${suffix}`,
    payment_intent: null,
    reason: 'fraudulent',
    status,
    balance_transactions: balanceTransactions,
    created: ts('2026-01-16'),
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
  } as Obj;
  const lines = [
    inv,
    txn,
    ch,
    ip,
    dp,
    event(`evt_${suffix}1`, 'invoice.finalized', JAN, inv),
    event(`evt_${suffix}2`, 'invoice.paid', JAN, inv),
    event(`evt_${suffix}3`, 'charge.dispute.funds_withdrawn', ts('2026-01-16'), dp),
  ];
  if (status === 'won') lines.push(event(`evt_${suffix}4`, 'charge.dispute.funds_reinstated', ts('2026-02-10'), dp));
  return { name, settings: {}, through: '2026-02-28', lines };
}

/** A dispute fee (or its refund) sent as its own balance transaction. */
function feeTxn(id: string, amount: number, created: number): Obj {
  return { ...bt(id, amount, 0, created, { type: 'stripe_fee' }), description: 'Dispute fee' } as Obj;
}

// 5–8. One dispute, its balance shapes, the same books: the fee inside the withdrawal (lost, and
//      won with the fee returned inside the reinstatement); the fee in its own balance
//      transaction; several (withdrawal, fee, reinstatement, fee refund).
{
  const w = ts('2026-01-16');
  const r = ts('2026-02-10');
  scenarios.push(
    disputed('dispute-fee-inside', 'dfi', [bt('txn_dfi_w', -999, 1500, w, { type: 'adjustment' })], 'lost'),
  );
  scenarios.push(
    disputed(
      'dispute-fee-own-balance-transaction',
      'dfo',
      [bt('txn_dfo_w', -999, 0, w, { type: 'adjustment' }), feeTxn('txn_dfo_fee', -1500, w)],
      'lost',
    ),
  );
  scenarios.push(
    disputed(
      'dispute-fee-inside-won',
      'dfw',
      [bt('txn_dfw_w', -999, 1500, w, { type: 'adjustment' }), bt('txn_dfw_r', 999, -1500, r, { type: 'adjustment' })],
      'won',
    ),
  );
  scenarios.push(
    disputed(
      'dispute-several-balance-transactions',
      'dfs',
      [
        bt('txn_dfs_w', -999, 0, w, { type: 'adjustment' }),
        feeTxn('txn_dfs_fee', -1500, w),
        bt('txn_dfs_r', 999, 0, r, { type: 'adjustment' }),
        feeTxn('txn_dfs_feer', 1500, r),
      ],
      'won',
    ),
  );
}

// 9. Bad debt presented as contra revenue: the books are those of an expense; only the
//    presentation (income statement, QuickBooks account type) changes.
{
  const inv = invoice({
    id: 'in_badc',
    finalizedAt: JAN,
    uncollectibleAt: ts('2026-01-16'),
    lines: [{ id: 'il_badc', amount: 10000, product: 'prod_plan', start: JAN, end: FEB }],
  });
  scenarios.push({
    name: 'uncollectible-bad-debt-as-contra',
    settings: { bad_debt_as_contra: true },
    through: '2026-01-31',
    lines: [
      inv,
      event('evt_bc1', 'invoice.finalized', JAN, inv),
      event('evt_bc2', 'invoice.marked_uncollectible', ts('2026-01-16'), inv),
    ],
  });
}

// A platform collects a 5.00 application fee on a connected account's charge (Jan 10) and refunds
// 2.00 of it (Jan 20): agent revenue of 3.00, no deferral.
{
  const at = ts('2026-01-10');
  const refundedAt = ts('2026-01-20');
  const txn = bt('txn_af1', 500, 0, at, { type: 'application_fee', source: 'fee_af1' });
  const refundTxn = bt('txn_afr1', -200, 0, refundedAt, { type: 'application_fee_refund', source: 'fr_af1' });
  const fee = (refunds: Obj[]): Obj => ({
    id: 'fee_af1',
    object: 'application_fee',
    account: 'acct_connected1',
    amount: 500,
    amount_refunded: refunds.reduce((s, r) => s + (r.amount as number), 0),
    application: 'ca_platform',
    balance_transaction: 'txn_af1',
    charge: 'ch_connected1',
    created: at,
    currency: 'usd',
    fee_source: { charge: 'ch_connected1', type: 'charge' },
    livemode: false,
    originating_transaction: null,
    refunded: refunds.length > 0,
    refunds: {
      object: 'list',
      data: refunds,
      has_more: false,
      total_count: refunds.length,
      url: '/v1/application_fees/fee_af1/refunds',
    },
  });
  const refund = {
    id: 'fr_af1',
    object: 'fee_refund',
    amount: 200,
    balance_transaction: 'txn_afr1',
    created: refundedAt,
    currency: 'usd',
    fee: 'fee_af1',
    metadata: {},
  };
  scenarios.push({
    name: 'connect-application-fee-collected',
    settings: {},
    through: '2026-01-31',
    lines: [
      txn,
      refundTxn,
      fee([refund]),
      event('evt_af1', 'application_fee.created', at, fee([])),
      event('evt_af2', 'application_fee.refunded', refundedAt, fee([refund])),
    ],
  });
}

export const CONNECT_SCENARIOS: readonly Scenario[] = scenarios;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const s of scenarios) {
    const dir = join(here, s.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'input.jsonl'), s.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(s.settings, null, 2) + '\n');
    if (s.through) writeFileSync(join(dir, 'scenario.json'), JSON.stringify({ through: s.through }, null, 2) + '\n');
  }
  console.log(`wrote ${scenarios.length} scenarios`);
}
