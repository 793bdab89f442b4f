/**
 * Money moving for an invoice: a payment (payment intent, charge, balance transaction with fee and
 * exchange rate, invoice payment), a refund (maybe with a credit note), or a credit to the
 * customer's balance by credit note.
 */
import type { StripeObject } from '../../../stripe/reader.ts';
import * as fx from '../fixtures.ts';
import type { Simulation } from './simulation.ts';
import { DAY, type CustomerState } from './shape.ts';

/** Charges an amount for an invoice: payment intent, charge, balance transaction, invoice payment. */
export function pay(sim: Simulation, inv: StripeObject, c: CustomerState, amount: number, at: number): StripeObject {
  const settled = sim.settle(amount, c.currency, at);
  const fee = sim.stripeFee(settled.amount, settled.currency);
  const chId = sim.id('ch');
  const piId = sim.id('pi');
  const bt = sim.keep(
    fx.balanceTransaction({
      id: sim.id('txn'),
      amount: settled.amount,
      fee,
      currency: settled.currency,
      created: at,
      type: 'charge',
      source: chId,
      exchangeRate: settled.exchangeRate,
    }),
  );
  sim.settled.push({ availableOn: at + 2 * DAY, net: settled.amount - fee, currency: settled.currency });
  const ch = sim.keep(
    fx.charge({
      id: chId,
      amount,
      currency: c.currency,
      customer: c.id,
      created: at,
      paymentIntent: piId,
      balanceTransaction: bt.id,
    }),
  );
  const pi = sim.keep(
    fx.paymentIntent({ id: piId, amount, currency: c.currency, customer: c.id, created: at, latestCharge: chId }),
  );
  const ip = sim.keep(
    fx.invoicePayment({
      id: sim.id('inpay'),
      invoice: inv.id,
      amount,
      currency: c.currency,
      created: at,
      paymentIntent: piId,
    }),
  );
  sim.emit('payment_intent.succeeded', at, pi);
  sim.emit('charge.succeeded', at, ch);
  sim.emit('invoice_payment.paid', at, ip);
  sim.count(`charges_${c.currency}`);
  return ch;
}

/** A one-line credit note against an invoice's first line (untaxed invoices only). */
function creditNoteFor(
  sim: Simulation,
  inv: StripeObject,
  c: CustomerState,
  at: number,
  spec: { id: string; amount: number; description: string } & Partial<
    Pick<fx.CreditNoteSpec, 'refunds' | 'customerBalanceTransaction'>
  >,
): StripeObject {
  const firstLine = (inv.lines as { data: StripeObject[] }).data[0];
  const { id, amount, description, ...links } = spec;
  const cn = sim.keep(
    fx.creditNote({
      id,
      invoice: inv.id,
      customer: c.id,
      currency: c.currency,
      created: at,
      lines: [{ id: sim.id('cnli'), amount, ...(firstLine ? { invoiceLineItem: firstLine.id } : {}), description }],
      type: 'post_payment',
      ...links,
    }),
  );
  inv.post_payment_credit_notes_amount = (inv.post_payment_credit_notes_amount as number) + amount;
  sim.emit('credit_note.created', at, cn);
  return cn;
}

/** Refunds part or all of a paid invoice's charge, maybe with a credit note. */
export function refundInvoice(
  sim: Simulation,
  inv: StripeObject,
  ch: StripeObject,
  c: CustomerState,
  at: number,
  withCreditNote: boolean,
): void {
  const full = sim.rng.chance(500);
  const chargeAmount = ch.amount as number;
  const amount = full ? chargeAmount : Math.floor(chargeAmount / 2);
  if (amount <= 0) return;
  const settled = sim.settle(amount, c.currency, at);
  const reId = sim.id('re');
  // A refund leaves the balance at once: its balance transaction is available when it is created.
  const bt = sim.keep(
    fx.balanceTransaction(
      {
        id: sim.id('txn'),
        amount: -settled.amount,
        currency: settled.currency,
        created: at,
        type: 'refund',
        source: reId,
        exchangeRate: settled.exchangeRate,
      },
      { available_on: at },
    ),
  );
  sim.settled.push({ availableOn: at, net: -settled.amount, currency: settled.currency });
  const re = sim.keep(
    fx.refund({
      id: reId,
      amount,
      currency: c.currency,
      charge: ch.id,
      paymentIntent: ch.payment_intent as string,
      created: at,
      balanceTransaction: bt.id,
    }),
  );
  ch.amount_refunded = (ch.amount_refunded as number) + amount;
  ch.refunded = (ch.amount_refunded as number) >= chargeAmount;
  sim.emit('charge.refunded', at, ch);
  sim.emit('refund.created', at, re);
  sim.count(full ? 'refunds_full' : 'refunds_partial');
  if (!withCreditNote) return;
  creditNoteFor(sim, inv, c, at, {
    id: sim.id('cn'),
    amount,
    description: 'Refund',
    refunds: [{ refund: reId, amount_refunded: amount }],
  });
  sim.count('credit_notes_refund');
}

/** Credits part of a paid invoice to the customer's balance (applied to their next invoice). */
export function creditToBalance(sim: Simulation, inv: StripeObject, c: CustomerState, at: number): void {
  const amount = Math.floor((inv.subtotal as number) / 5);
  if (amount <= 0) return;
  const cbtId = sim.id('cbtxn');
  const cnId = sim.id('cn');
  c.balance -= amount;
  sim.keep(
    fx.customerBalanceTransaction({
      id: cbtId,
      customer: c.id,
      amount: -amount,
      currency: c.currency,
      created: at,
      type: 'credit_note',
      creditNote: cnId,
      endingBalance: c.balance,
    }),
  );
  creditNoteFor(sim, inv, c, at, {
    id: cnId,
    amount,
    description: 'Service credit',
    customerBalanceTransaction: cbtId,
  });
  sim.count('credit_notes_balance');
}
