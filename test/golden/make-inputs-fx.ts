/**
 * Writes the inputs of the golden scenarios for a Stripe balance in a foreign currency and for
 * period-end revaluation, with the helpers of make-inputs.ts. Expected journals are written by
 * hand (each scenario's README has the arithmetic).
 *
 * Run: node bin/run-ts.js test/golden/make-inputs-fx.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bt, charge, event, invoice, invoicePayment, refund, ts } from './make-inputs.ts';

const here = dirname(fileURLToPath(import.meta.url));

type Obj = Record<string, unknown> & { id: string; object: string };

interface Scenario {
  name: string;
  settings: Record<string, unknown>;
  through?: string;
  lines: Obj[];
}

const scenarios: Scenario[] = [];

const EUR_RATES = [
  { date: '2026-01-01', from: 'eur', to: 'usd', rate: '1.10' },
  { date: '2026-01-05', from: 'eur', to: 'usd', rate: '1.12' },
  { date: '2026-01-12', from: 'eur', to: 'usd', rate: '1.15' },
  { date: '2026-01-19', from: 'eur', to: 'usd', rate: '1.08' },
];

function payout(id: string, amount: number, currency: string, created: number, arrival: number, btId: string): Obj {
  return {
    id,
    object: 'payout',
    amount,
    currency,
    arrival_date: arrival,
    created,
    status: 'paid',
    automatic: true,
    balance_transaction: btId,
    failure_balance_transaction: null,
    method: 'standard',
    type: 'bank_account',
    reconciliation_status: 'completed',
    source_type: 'card',
  };
}

// 1. USD books, a Stripe balance in EUR: a 100.00 EUR sale paid Jan 5 (fee 3.20 EUR), 20.00 EUR
//    refunded Jan 12, the 76.80 EUR left paid out Jan 20 at a lower rate.
{
  const fin = ts('2026-01-05');
  const refundedAt = ts('2026-01-12');
  const inv = invoice({
    id: 'in_eurbal',
    currency: 'eur',
    finalizedAt: fin,
    paidAt: fin,
    lines: [{ id: 'il_eurbal', amount: 10000, product: 'prod_once', start: fin, end: fin }],
  });
  const txn = bt('txn_eurbal', 10000, 320, fin, { currency: 'eur', source: 'ch_eurbal' });
  const ch = { ...charge('ch_eurbal', 10000, fin, 'txn_eurbal', { currency: 'eur', refunds: ['re_eurbal'] }) };
  const ip = invoicePayment('inpay_eurbal', 'in_eurbal', 'ch_eurbal', 10000, fin, 'eur');
  const rtx = bt('txn_re_eurbal', -2000, 0, refundedAt, { currency: 'eur', type: 'refund', source: 're_eurbal' });
  const re = { ...refund('re_eurbal', 'ch_eurbal', 2000, refundedAt, 'txn_re_eurbal'), currency: 'eur' };
  const potx = bt('txn_po_eurbal', -7680, 0, ts('2026-01-19'), {
    currency: 'eur',
    type: 'payout',
    source: 'po_eurbal',
  });
  const po = payout('po_eurbal', 7680, 'eur', ts('2026-01-19'), ts('2026-01-20'), 'txn_po_eurbal');
  scenarios.push({
    name: 'fx-eur-balance-payout',
    settings: { fx_rates: EUR_RATES },
    through: '2026-01-31',
    lines: [
      inv,
      txn,
      { ...ch, amount_refunded: 2000 },
      ip,
      rtx,
      re,
      potx,
      po,
      event('evt_eb1', 'invoice.finalized', fin, inv),
      event('evt_eb2', 'invoice.paid', fin, inv),
      event('evt_eb3', 'charge.refunded', refundedAt, { ...ch, amount_refunded: 2000 }),
      event('evt_eb4', 'refund.created', refundedAt, re),
      event('evt_eb5', 'payout.paid', ts('2026-01-20'), po),
    ],
  });
}

// 2. Revaluation: a 100.00 EUR one-month plan finalized Jan 10 at 1.10, open at Jan 31 (rate
//    1.15), reversed Feb 1, paid Feb 10 into the USD balance at Stripe's 1.12.
{
  const fin = ts('2026-01-10');
  const paid = ts('2026-02-10');
  const inv = invoice({
    id: 'in_reval',
    currency: 'eur',
    finalizedAt: fin,
    paidAt: paid,
    lines: [{ id: 'il_reval', amount: 10000, product: 'prod_plan', start: fin, end: paid }],
  });
  const txn = bt('txn_reval', 11200, 0, paid, { rate: 1.12, source: 'ch_reval' });
  const ch = charge('ch_reval', 10000, paid, 'txn_reval', { currency: 'eur' });
  const ip = invoicePayment('inpay_reval', 'in_reval', 'ch_reval', 10000, paid, 'eur');
  scenarios.push({
    name: 'fx-revaluation-reversed',
    settings: {
      revalue_monetary_balances: true,
      fx_rates: [
        { date: '2026-01-10', from: 'eur', to: 'usd', rate: '1.10' },
        { date: '2026-01-31', from: 'eur', to: 'usd', rate: '1.15' },
        { date: '2026-02-28', from: 'eur', to: 'usd', rate: '1.18' },
      ],
    },
    through: '2026-02-28',
    lines: [
      inv,
      txn,
      ch,
      ip,
      event('evt_rv1', 'invoice.finalized', fin, inv),
      event('evt_rv2', 'invoice.paid', paid, inv),
    ],
  });
}

export const FX_SCENARIOS: readonly Scenario[] = scenarios;

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
