/**
 * Billing credits and gift cards in the sample business, on customers of their own (so nothing
 * else in the business moves): a promotion that grants promotional credits to a few new
 * customers, whose first workshop invoice uses them; a pack of paid credits (product rule
 * `prepaid_credits`) partly used; and gift cards (product rule `stored_value`) that fund the
 * buyer's balance, partly redeemed on a later invoice. Runs last, after payouts, and uses no
 * random draws, so the rest of the business is the same with or without it.
 */
import type { StripeObject } from '../../../stripe/reader.ts';
import type { TenantSettingsInput } from '../../../../shared/settings.ts';
import * as fx from '../fixtures.ts';
import { pay } from './payments.ts';
import type { Simulation } from './simulation.ts';
import { DAY, HOUR, type CustomerState } from './shape.ts';

const PROMOTION_CUSTOMERS = 3;
const GIFT_CARD_CUSTOMERS = 3;
const PROMOTION_CREDIT = 2000;
const WORKSHOP_PRICE = 5000;
const CREDITS_PACK = 10_000;
const GIFT_CARD = 5000;

/** The product rules the credits and gift cards need. */
export const CREDIT_PRODUCT_RULES: NonNullable<TenantSettingsInput['product_rules']> = {
  prod_CreditsPack: { rule: 'prepaid_credits' },
  prod_GiftCard: { rule: 'stored_value' },
};

/** Adds the credit-grant promotion, a paid credits pack and gift cards to the business. */
export function addCreditsAndGiftCards(sim: Simulation): void {
  const first = sim.start + 30 * DAY;
  for (let i = 0; i < PROMOTION_CUSTOMERS; i++) promotion(sim, first + i * 20 * DAY);
  creditsPack(sim, first + 10 * DAY);
  for (let i = 0; i < GIFT_CARD_CUSTOMERS; i++) giftCard(sim, first + 5 * DAY + i * 25 * DAY);
}

function newCustomer(sim: Simulation, at: number): CustomerState {
  const c = sim.keep(fx.customer({ id: sim.id('cus'), created: at, currency: 'usd', name: 'Credits customer' }));
  sim.emit('customer.created', at, c);
  return { id: c.id, currency: 'usd', balance: 0 } as unknown as CustomerState;
}

function grant(sim: Simulation, c: CustomerState, category: 'paid' | 'promotional', amount: number, at: number) {
  const g = sim.keep({
    id: sim.id('credgr'),
    object: 'billing.credit_grant',
    amount: { monetary: { currency: 'usd', value: amount }, type: 'monetary' },
    applicability_config: { scope: { price_type: 'metered' } },
    category,
    created: at,
    customer: c.id,
    customer_account: null,
    effective_at: at,
    expires_at: null,
    livemode: false,
    metadata: {},
    name: category === 'paid' ? 'Prepaid credits' : 'Launch promotion',
    priority: 50,
    test_clock: null,
    updated: at,
    voided_at: null,
  });
  sim.emit('billing.credit_grant.created', at, g);
  return g;
}

/** A one-line invoice of a one-time product, finalized at `at`; `credit` names a credit balance transaction. */
function oneTimeInvoice(
  sim: Simulation,
  c: CustomerState,
  product: string,
  amount: number,
  at: number,
  options: { credit?: { txn: string; amount: number }; balance?: number } = {},
): StripeObject {
  const invId = sim.id('in');
  const item = sim.keep(
    fx.invoiceItem(
      { id: sim.id('ii'), amount, customer: c.id, invoice: invId, date: at, period: { start: at, end: at }, product },
      { description: product.replace('prod_', '') },
    ),
  );
  const inv = sim.keep(
    fx.invoice({
      id: invId,
      customer: c.id,
      created: at,
      status: 'open',
      subscription: null,
      billingReason: 'manual',
      lines: [
        {
          id: sim.id('il'),
          amount,
          description: product.replace('prod_', ''),
          price: `price_${product.slice(5)}`,
          product,
          period: { start: at, end: at },
          subscription: null,
          invoiceItem: item.id,
        },
      ],
    }),
  );
  const credit = options.credit?.amount ?? 0;
  if (options.credit) {
    const line = (inv.lines as { data: StripeObject[] }).data[0]!;
    line.pretax_credit_amounts = [
      {
        amount: credit,
        credit_balance_transaction: options.credit.txn,
        discount: null,
        type: 'credit_balance_transaction',
      },
    ];
    inv.total_pretax_credit_amounts = line.pretax_credit_amounts;
  }
  const total = amount - credit;
  const applied = Math.min(options.balance ?? 0, total);
  Object.assign(inv, {
    total,
    total_excluding_tax: total,
    starting_balance: -(options.balance ?? 0),
    ending_balance: -(options.balance ?? 0) + applied,
    amount_due: total - applied,
    amount_remaining: total - applied,
  });
  sim.emit('invoice.finalized', at, inv);
  return inv;
}

function settle(sim: Simulation, c: CustomerState, inv: StripeObject, at: number): void {
  const due = inv.amount_due as number;
  if (due > 0) pay(sim, inv, c, due, at);
  Object.assign(inv, { status: 'paid', amount_paid: due, amount_remaining: 0 });
  (inv.status_transitions as Record<string, unknown>).paid_at = at;
  sim.emit('invoice.paid', at, inv);
}

function creditApplied(
  sim: Simulation,
  id: string,
  g: StripeObject,
  inv: StripeObject,
  amount: number,
  at: number,
): StripeObject {
  const line = (inv.lines as { data: StripeObject[] }).data[0]!;
  const txn = sim.keep({
    id,
    object: 'billing.credit_balance_transaction',
    created: at,
    credit: null,
    credit_grant: g.id,
    debit: {
      amount: { monetary: { currency: 'usd', value: amount }, type: 'monetary' },
      credits_applied: { invoice: inv.id, invoice_line_item: line.id },
      type: 'credits_applied',
    },
    effective_at: at,
    livemode: false,
    test_clock: null,
    type: 'debit',
  });
  sim.emit('billing.credit_balance_transaction.created', at, txn);
  return txn;
}

/** Promotional credits of 20.00 used on a 50.00 workshop: a price reduction. */
function promotion(sim: Simulation, at: number): void {
  const c = newCustomer(sim, at);
  const g = grant(sim, c, 'promotional', PROMOTION_CREDIT, at);
  finishWithCredits(sim, c, g, PROMOTION_CREDIT, at + DAY);
  sim.count('promotional_credit_grants');
}

/** A 100.00 pack of paid credits, 50.00 of which pays a workshop a month later. */
function creditsPack(sim: Simulation, at: number): void {
  const c = newCustomer(sim, at);
  settle(sim, c, oneTimeInvoice(sim, c, 'prod_CreditsPack', CREDITS_PACK, at), at + HOUR);
  const g = grant(sim, c, 'paid', CREDITS_PACK, at + HOUR);
  finishWithCredits(sim, c, g, WORKSHOP_PRICE, at + 30 * DAY);
  sim.count('paid_credit_grants');
}

/** A workshop invoice with `credit` of the grant applied; the rest is charged. */
function finishWithCredits(sim: Simulation, c: CustomerState, g: StripeObject, credit: number, at: number): void {
  // The invoice names the credit balance transaction, which names the invoice: one id for both.
  const txnId = sim.id('cbtxn');
  const inv = oneTimeInvoice(sim, c, 'prod_Workshop', WORKSHOP_PRICE, at, { credit: { txn: txnId, amount: credit } });
  creditApplied(sim, txnId, g, inv, credit, at);
  settle(sim, c, inv, at + HOUR);
}

/** A 50.00 gift card bought and loaded on the buyer's balance; 30.00 redeemed on a workshop later. */
function giftCard(sim: Simulation, at: number): void {
  const c = newCustomer(sim, at);
  settle(sim, c, oneTimeInvoice(sim, c, 'prod_GiftCard', GIFT_CARD, at), at + HOUR);
  const loaded = at + 2 * HOUR;
  sim.keep(
    fx.customerBalanceTransaction(
      {
        id: sim.id('cbtxn'),
        customer: c.id,
        amount: -GIFT_CARD,
        created: loaded,
        type: 'adjustment',
        endingBalance: -GIFT_CARD,
      },
      { metadata: { stored_value: `GIFT-${c.id.slice(-4)}` }, description: 'Gift card loaded' },
    ),
  );
  const customer = sim.objects.get(c.id)!;
  customer.balance = -GIFT_CARD;
  sim.emit('customer.updated', loaded, customer, { balance: 0 });
  const used = 3000;
  const redeemAt = at + 40 * DAY;
  const inv = oneTimeInvoice(sim, c, 'prod_Workshop', used, redeemAt, { balance: GIFT_CARD });
  sim.keep(
    fx.customerBalanceTransaction({
      id: sim.id('cbtxn'),
      customer: c.id,
      amount: used,
      created: redeemAt,
      type: 'applied_to_invoice',
      invoice: inv.id,
      endingBalance: used - GIFT_CARD,
    }),
  );
  customer.balance = used - GIFT_CARD;
  settle(sim, c, inv, redeemAt);
  sim.count('gift_cards');
}
