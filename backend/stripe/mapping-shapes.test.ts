// Proves the mapping of the billing shapes of issue 13: an invoice's shipping becomes its own
// fact (amount excluding tax, its tax, its rate); a credit note with shipping credits the
// invoice's shipping line; and a charge with a payment intent that no invoice payment names pays
// the customer's invoice due in its amount, never a one-time sale — unless an invoice payment
// already settles that invoice.
import { collectFacts } from './mapping.ts';
import { createMemoryReader } from '../sandbox/stripe/store.ts';
import { shippingLineId, type Fact } from '../../shared/engine/facts.ts';
import { bt, charge, event, invoice, invoicePayment, ts } from '../../test/golden/make-inputs.ts';
import type Stripe from 'stripe';

const fin = ts('2026-01-01');
const shipped = invoice({
  id: 'in_s',
  finalizedAt: fin,
  lines: [{ id: 'il_s', amount: 5000, product: 'prod_s', start: fin, end: fin }],
  shipping: { amount: 700, tax: 56, rate: 'shr_1' },
});

async function mapped(type: string, object: Record<string, unknown>, objects: unknown[]): Promise<Fact[]> {
  const reader = createMemoryReader(objects);
  const evt = event(`evt_${type}`, type, fin + 100, object as never) as unknown as Stripe.Event;
  const { facts, exceptions } = await collectFacts(evt, reader);
  expect(exceptions).toEqual([]);
  return facts;
}

describe('shipping', () => {
  it('maps shipping_cost to the invoice fact: excluding tax, its tax, its rate', async () => {
    const facts = await mapped('invoice.finalized', shipped, [shipped]);
    const f = facts.find((x) => x.type === 'invoice_finalized');
    expect(f?.type === 'invoice_finalized' && f.shipping).toEqual({
      amountMinor: 700n,
      taxMinor: 56n,
      shippingRate: 'shr_1',
    });
    expect(f?.type === 'invoice_finalized' && f.totalMinor).toBe(5756n);
  });

  it('leaves shipping out of an invoice that charges none', async () => {
    const plain = { ...shipped, amount_shipping: 0, shipping_cost: null, total: 5000 };
    const facts = await mapped('invoice.finalized', plain, [plain]);
    expect(facts.find((x) => x.type === 'invoice_finalized')).not.toHaveProperty('shipping');
    // amount_shipping 0 wins over a shipping_cost that says otherwise.
    const zero = { ...shipped, amount_shipping: 0, total: 5000 };
    const zeroFacts = await mapped('invoice.finalized', zero, [zero]);
    expect(zeroFacts.find((x) => x.type === 'invoice_finalized')).not.toHaveProperty('shipping');
  });

  it('credits the shipping line and the shipping tax of a credit note with shipping_cost', async () => {
    const cn = {
      id: 'cn_s',
      object: 'credit_note',
      invoice: 'in_s',
      currency: 'usd',
      total: 756,
      total_taxes: [],
      pre_payment_amount: 756,
      post_payment_amount: 0,
      out_of_band_amount: null,
      refunds: [],
      status: 'issued',
      effective_at: fin,
      created: fin,
      shipping_cost: { amount_subtotal: 700, amount_tax: 56, amount_total: 756, shipping_rate: 'shr_1' },
      lines: { object: 'list', has_more: false, data: [] },
    };
    const facts = await mapped('credit_note.created', cn, [shipped, cn]);
    const f = facts.find((x) => x.type === 'credit_note');
    expect(f?.type === 'credit_note' && [f.lines, f.taxMinor]).toEqual([
      [{ invoiceLine: shippingLineId('in_s'), amountMinor: 700n }],
      56n,
    ]);
  });
});

describe('a charge that no invoice payment names', () => {
  const at = fin + 60;
  const open = invoice({
    id: 'in_o',
    finalizedAt: fin,
    lines: [{ id: 'il_o', amount: 3000, product: 'prod_o', start: fin, end: ts('2026-02-01') }],
  });
  const txn = bt('txn_o', 3000, 117, at, { source: 'ch_o' });
  const ch = { ...charge('ch_o', 3000, at, 'txn_o'), payment_intent: 'pi_o' };

  it('is the payment of the customer open invoice due in its amount', async () => {
    const facts = await mapped('charge.succeeded', ch, [open, txn, ch]);
    expect(facts.map((f) => f.type).sort()).toEqual(['invoice_finalized', 'payment']);
    const p = facts.find((f) => f.type === 'payment');
    expect(p?.type === 'payment' && [p.invoice, p.payment, p.amountMinor, p.balanceTransaction?.feeMinor]).toEqual([
      'in_o',
      'ch_o',
      3000n,
      117n,
    ]);
  });

  it('is a one-time sale without a payment intent, or when the invoice is due in another amount', async () => {
    const noIntent = { ...ch, payment_intent: null };
    expect((await mapped('charge.succeeded', noIntent, [open, txn, noIntent])).map((f) => f.type)).toEqual(['charge']);
    const other = { ...open, amount_due: 2500, amount_remaining: 2500 };
    expect((await mapped('charge.succeeded', ch, [other, txn, ch])).map((f) => f.type)).toEqual(['charge']);
  });

  it('is a one-time sale when an invoice payment already settles that invoice', async () => {
    const settled = invoicePayment('inpay_x', 'in_o', 'ch_x', 3000, at);
    expect((await mapped('charge.succeeded', ch, [open, txn, ch, settled])).map((f) => f.type)).toEqual(['charge']);
  });
});
