/**
 * Writes the inputs of the golden scenarios for a Connect platform's transfers: separate charges
 * and transfers, destination charges under `connect_revenue` agent and gross, and a destination
 * charge refunded with its transfer reversed and its application fee refunded. Stripe's shapes:
 * the charge's balance transaction is the whole amount, the transfer and the application fee
 * collected back have balance transactions of their own (`transfer`, `application_fee`), and a
 * refund's reversal and fee refund too (`transfer_refund`, `application_fee_refund`). Expected
 * journals are written by hand.
 *
 * Run: node bin/run-ts.js test/golden/make-inputs-transfers.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bt, charge, event, refund, ts } from './make-inputs.ts';

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

const list = (url: string, data: Obj[]): Record<string, unknown> => ({
  object: 'list',
  data,
  has_more: false,
  total_count: data.length,
  url,
});

function transfer(spec: {
  id: string;
  amount: number;
  destination: string | null;
  created: number;
  btId: string;
  source: string | null;
  reversals?: Obj[];
}): Obj {
  const reversed = (spec.reversals ?? []).reduce((s, r) => s + (r.amount as number), 0);
  return {
    id: spec.id,
    object: 'transfer',
    amount: spec.amount,
    amount_reversed: reversed,
    balance_transaction: spec.btId,
    created: spec.created,
    currency: 'usd',
    description: null,
    destination: spec.destination,
    destination_payment: `py_${spec.id.slice(3)}`,
    livemode: false,
    metadata: {},
    reversals: list(`/v1/transfers/${spec.id}/reversals`, spec.reversals ?? []),
    reversed: reversed >= spec.amount,
    source_transaction: spec.source,
    source_type: 'card',
    transfer_group: spec.source ? `group_${spec.source}` : null,
  };
}

function reversal(
  id: string,
  transferId: string,
  amount: number,
  created: number,
  btId: string,
  sourceRefund: string | null,
): Obj {
  return {
    id,
    object: 'transfer_reversal',
    amount,
    balance_transaction: btId,
    created,
    currency: 'usd',
    destination_payment_refund: null,
    metadata: {},
    source_refund: sourceRefund,
    transfer: transferId,
  };
}

function applicationFee(spec: {
  id: string;
  amount: number;
  created: number;
  btId: string;
  origin: string;
  refunds: Obj[];
}): Obj {
  const refunded = spec.refunds.reduce((s, r) => s + (r.amount as number), 0);
  return {
    id: spec.id,
    object: 'application_fee',
    account: 'acct_seller',
    amount: spec.amount,
    amount_refunded: refunded,
    application: 'ca_platform',
    balance_transaction: spec.btId,
    charge: 'py_seller_dest',
    created: spec.created,
    currency: 'usd',
    fee_source: { charge: 'py_seller_dest', type: 'charge' },
    livemode: false,
    originating_transaction: spec.origin,
    refunded: refunded >= spec.amount,
    refunds: list(`/v1/application_fees/${spec.id}/refunds`, spec.refunds),
  };
}

// 1. Separate charge and transfer: the platform charges 100.00 on Jan 5 (Stripe fee 3.20) and on
//    Jan 6 transfers 70.00 of it to acct_seller (`source_transaction` the charge).
{
  const at = ts('2026-01-05');
  const sent = ts('2026-01-06');
  const txn = bt('txn_sep', 10000, 320, at, { source: 'ch_sep' });
  const ch = {
    ...charge('ch_sep', 10000, at, 'txn_sep', { description: 'Marketplace order' }),
    transfer_group: 'group_ch_sep',
  } as Obj;
  const trTxn = bt('txn_tr_sep', -7000, 0, sent, { type: 'transfer', source: 'tr_sep' });
  const tr = transfer({
    id: 'tr_sep',
    amount: 7000,
    destination: 'acct_seller',
    created: sent,
    btId: 'txn_tr_sep',
    source: 'ch_sep',
  });
  const lines = [
    txn,
    ch,
    trTxn,
    tr,
    event('evt_sep1', 'charge.succeeded', at, ch),
    event('evt_sep2', 'transfer.created', sent, tr),
  ];
  scenarios.push({ name: 'connect-separate-charge-transfer', settings: {}, through: '2026-01-31', lines });
}

/**
 * A destination charge of 50.00 on Jan 1 to acct_seller with a 10.00 application fee (Stripe
 * fee 1.75): the whole 50.00 is transferred (`tr_dest2`), the fee comes back (`fee_dest2`). With
 * `refunded`, a full refund on Jan 10 with `reverse_transfer` and `refund_application_fee`.
 */
function destination(name: string, settings: Record<string, unknown>, refunded: boolean): Scenario {
  const back = ts('2026-01-10');
  const txn = bt('txn_dest2', 5000, 175, JAN, { source: 'ch_dest2' });
  const trTxn = bt('txn_tr_dest2', -5000, 0, JAN, { type: 'transfer', source: 'tr_dest2' });
  const feeTxn = bt('txn_fee_dest2', 1000, 0, JAN, { type: 'application_fee', source: 'fee_dest2' });
  const reTxn = bt('txn_re_dest2', -5000, 0, back, { type: 'refund', source: 're_dest2' });
  const trrTxn = bt('txn_trr_dest2', 5000, 0, back, { type: 'transfer_refund', source: 'trr_dest2' });
  const frTxn = bt('txn_fr_dest2', -1000, 0, back, { type: 'application_fee_refund', source: 'fr_dest2' });
  const reversals = refunded ? [reversal('trr_dest2', 'tr_dest2', 5000, back, 'txn_trr_dest2', 're_dest2')] : [];
  const feeRefunds: Obj[] = refunded
    ? [
        {
          id: 'fr_dest2',
          object: 'fee_refund',
          amount: 1000,
          balance_transaction: 'txn_fr_dest2',
          created: back,
          currency: 'usd',
          fee: 'fee_dest2',
          metadata: {},
        },
      ]
    : [];
  const ch = {
    ...charge('ch_dest2', 5000, JAN, 'txn_dest2', {
      description: 'Marketplace order',
      refunds: refunded ? ['re_dest2'] : [],
    }),
    application_fee: 'fee_dest2',
    application_fee_amount: 1000,
    on_behalf_of: 'acct_seller',
    transfer: 'tr_dest2',
    transfer_data: { amount: null, destination: 'acct_seller' },
    transfer_group: 'group_ch_dest2',
    ...(refunded ? { amount_refunded: 5000, refunded: true } : {}),
  } as Obj;
  const tr = (rs: Obj[]): Obj =>
    transfer({
      id: 'tr_dest2',
      amount: 5000,
      destination: 'acct_seller',
      created: JAN,
      btId: 'txn_tr_dest2',
      source: 'ch_dest2',
      reversals: rs,
    });
  const fee = (rs: Obj[]): Obj =>
    applicationFee({
      id: 'fee_dest2',
      amount: 1000,
      created: JAN,
      btId: 'txn_fee_dest2',
      origin: 'ch_dest2',
      refunds: rs,
    });
  const lines: Obj[] = [txn, trTxn, feeTxn, ch, tr(reversals), fee(feeRefunds)];
  lines.push(
    event(`evt_${name}1`, 'charge.succeeded', JAN, ch),
    event(`evt_${name}2`, 'transfer.created', JAN, tr([])),
    event(`evt_${name}3`, 'application_fee.created', JAN, fee([])),
  );
  if (refunded) {
    const re = { ...refund('re_dest2', 'ch_dest2', 5000, back, 'txn_re_dest2'), transfer_reversal: 'trr_dest2' } as Obj;
    lines.splice(3, 0, reTxn, trrTxn, frTxn, re);
    lines.push(
      event(`evt_${name}4`, 'charge.refunded', back, ch),
      event(`evt_${name}5`, 'transfer.reversed', back, tr(reversals)),
      event(`evt_${name}6`, 'application_fee.refunded', back, fee(feeRefunds)),
    );
  }
  return { name, settings, through: '2026-01-31', lines };
}

// 2–5. One destination charge under agent (the default) and gross, kept and refunded.
scenarios.push(destination('connect-destination-charge-agent', {}, false));
scenarios.push(destination('connect-destination-charge-gross', { connect_revenue: 'gross' }, false));
scenarios.push(destination('connect-destination-charge-refund', {}, true));
scenarios.push(destination('connect-destination-charge-refund-gross', { connect_revenue: 'gross' }, true));

export const TRANSFER_SCENARIOS: readonly Scenario[] = scenarios;

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
