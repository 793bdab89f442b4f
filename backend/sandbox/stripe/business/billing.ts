/**
 * Billing one period of a subscription: the invoice's lines (one per site, the prorations waiting
 * since a plan change, a setup fee on the first invoice) with coupon discounts and exclusive tax,
 * the customer's credit balance applied first, then collection: paid at once, paid after a failed
 * attempt, or written off. Also mid-period plan changes, which leave proration items for the next
 * invoice.
 */
import type { StripeObject } from '../../../stripe/reader.ts';
import * as fx from '../fixtures.ts';
import { pay } from './payments.ts';
import type { Simulation } from './simulation.ts';
import {
  COUPON_OFF_PERCENT,
  DAY,
  HOUR,
  MULTI_SITE_LINES,
  PAYMENT_FAILURE_PER_MILLE,
  PLAN_PRODUCT,
  PRICES,
  priceId,
  type CustomerState,
  type PlanKey,
} from './shape.ts';

type BillingReason = 'subscription_create' | 'subscription_cycle';

interface Draft {
  invId: string;
  lineSpecs: fx.LineSpec[];
  coupon: boolean;
}

/** The invoice's lines, each with its coupon discount and tax; counts what makes the invoice interesting. */
function draftInvoice(
  sim: Simulation,
  c: CustomerState,
  periodStart: number,
  periodEnd: number,
  reason: BillingReason,
): Draft {
  const invId = sim.id('in');
  const cur = c.currency;
  const unit = PRICES[c.plan][cur];
  const coupon = c.couponLeft > 0;
  const lineSpecs: fx.LineSpec[] = [];
  const discountOf = (amount: number): fx.LineSpec['discountAmounts'] =>
    coupon && amount > 0
      ? [{ amount: Math.trunc((amount * COUPON_OFF_PERCENT) / 100), discount: `di_${c.id.slice(4)}` }]
      : [];
  const taxOf = (amount: number, discount: number): fx.LineSpec['taxes'] =>
    c.taxRate
      ? [
          {
            amount: Math.floor(((amount - discount) * c.taxBps + 5_000) / 10_000),
            tax_rate: c.taxRate,
            taxable_amount: amount - discount,
          },
        ]
      : [];
  const withMoney = (spec: Omit<fx.LineSpec, 'discountAmounts' | 'taxes'>, discountable: boolean): fx.LineSpec => {
    const discounts = discountable ? (discountOf(spec.amount) ?? []) : [];
    const off = discounts.reduce((s, d) => s + d.amount, 0);
    return { ...spec, discountAmounts: discounts, taxes: spec.amount > 0 ? taxOf(spec.amount, off) : [] };
  };
  for (let site = 0; site < c.sites; site++) {
    const description = c.sites > 1 ? `Site ${site + 1} × ${c.plan}` : `1 × ${c.plan}`;
    const line = {
      id: sim.id('il'),
      amount: unit,
      currency: cur,
      description,
      price: priceId(c.plan, cur),
      product: PLAN_PRODUCT[c.plan],
    };
    lineSpecs.push(
      withMoney({ ...line, period: { start: periodStart, end: periodEnd }, subscription: c.subscription }, true),
    );
  }
  // Prorations waiting since a plan change: credits are negative and carry no tax or discount here.
  for (const item of c.pendingItems) {
    const period = item.period as { start: number; end: number };
    const details = item.pricing as { price_details: { price: string; product: string } };
    const line = {
      id: sim.id('il'),
      amount: item.amount as number,
      currency: cur,
      description: item.description as string,
    };
    const source = {
      price: details.price_details.price,
      product: details.price_details.product,
      period,
      subscription: c.subscription,
    };
    lineSpecs.push(
      withMoney(
        { ...line, ...source, proration: true, invoiceItem: item.id, parentType: 'subscription_item_details' },
        false,
      ),
    );
    item.invoice = invId;
  }
  const proratedItems = c.pendingItems.length;
  c.pendingItems = [];
  if (reason === 'subscription_create' && c.setupFee)
    lineSpecs.push(withMoney(setupFeeLine(sim, c, invId, periodStart), false));
  if (coupon) {
    c.couponLeft -= 1;
    sim.count('discounted_invoices');
  }
  if (proratedItems) sim.count('invoices_with_prorations');
  if (c.sites > MULTI_SITE_LINES - 1) sim.count('invoices_over_10_lines');
  if (c.taxRate) sim.count('taxed_invoices');
  return { invId, lineSpecs, coupon };
}

/** The setup fee: an invoice item on the first invoice, and its line. */
function setupFeeLine(
  sim: Simulation,
  c: CustomerState,
  invId: string,
  periodStart: number,
): Omit<fx.LineSpec, 'discountAmounts' | 'taxes'> {
  const cur = c.currency;
  const itemId = sim.id('ii');
  const money = { amount: PRICES.setup_fee[cur], currency: cur };
  const pricing = { price: priceId('setup_fee', cur), product: PLAN_PRODUCT.setup_fee };
  const period = { start: periodStart, end: periodStart };
  const setup = sim.keep(
    fx.invoiceItem(
      { id: itemId, ...money, customer: c.id, invoice: invId, date: periodStart, period, ...pricing },
      { description: 'Onboarding & setup' },
    ),
  );
  sim.emit('invoiceitem.created', periodStart, setup);
  const line = {
    id: sim.id('il'),
    ...money,
    description: 'Onboarding & setup',
    ...pricing,
    period: { start: periodStart, end: periodStart },
  };
  sim.count('setup_fees');
  return { ...line, invoiceItem: itemId, subscription: null };
}

/** Finalizes the invoice: totals, discounts, taxes, and the customer's credit balance applied first. */
function finalizeInvoice(
  sim: Simulation,
  c: CustomerState,
  draft: Draft,
  created: number,
  reason: BillingReason,
): { inv: StripeObject; due: number } {
  const { invId, lineSpecs, coupon } = draft;
  const cur = c.currency;
  const number = `${c.id.slice(-6).toUpperCase()}-${String(sim.allocated('in')).padStart(4, '0')}`;
  const inv = sim.keep(
    fx.invoice({
      id: invId,
      customer: c.id,
      currency: cur,
      created,
      lines: lineSpecs,
      status: 'open',
      subscription: c.subscription,
      billingReason: reason,
      number,
    }),
  );
  if (coupon) {
    inv.discounts = [`di_${c.id.slice(4)}`];
    inv.total_discount_amounts = [
      {
        amount: lineSpecs.reduce((s, l) => s + (l.discountAmounts ?? []).reduce((a, d) => a + d.amount, 0), 0),
        discount: `di_${c.id.slice(4)}`,
      },
    ];
  }
  if (c.taxRate) {
    const taxTotal = lineSpecs.reduce((s, l) => s + (l.taxes ?? []).reduce((a, t) => a + t.amount, 0), 0);
    (inv.total_taxes as { tax_rate_details: { tax_rate: string } }[]).forEach(
      (t) => (t.tax_rate_details.tax_rate = c.taxRate!),
    );
    if (taxTotal === 0) inv.total_taxes = [];
  }
  // A credit balance pays for (part of) the invoice first.
  const total = inv.total as number;
  const applied = c.balance < 0 ? Math.min(-c.balance, Math.max(0, total)) : 0;
  inv.starting_balance = c.balance;
  if (applied > 0) {
    c.balance += applied;
    sim.keep(
      fx.customerBalanceTransaction({
        id: sim.id('cbtxn'),
        customer: c.id,
        amount: applied,
        currency: cur,
        created,
        type: 'applied_to_invoice',
        invoice: invId,
        endingBalance: c.balance,
      }),
    );
    sim.count('balance_applied');
  }
  inv.ending_balance = c.balance;
  const due = Math.max(0, total - applied);
  inv.amount_due = due;
  inv.amount_remaining = due;
  inv.amount_paid = 0;
  (inv.status_transitions as Record<string, unknown>).paid_at = null;
  sim.emit('invoice.finalized', created, inv);
  return { inv, due };
}

function markPaid(inv: StripeObject, due: number, at: number): void {
  inv.status = 'paid';
  inv.amount_paid = due;
  inv.amount_remaining = 0;
  inv.attempted = true;
  inv.attempt_count = (inv.attempt_count as number) + 1;
  (inv.status_transitions as Record<string, unknown>).paid_at = at;
}

/** Charges `due` at `at` and marks the invoice paid, unless `at` is past the end of the simulation. */
function collectAt(
  sim: Simulation,
  c: CustomerState,
  inv: StripeObject,
  due: number,
  at: number,
): { inv: StripeObject; charge: StripeObject | null } {
  if (at >= sim.end) return { inv, charge: null };
  const ch = pay(sim, inv, c, due, at);
  markPaid(inv, due, at);
  sim.emit('invoice.paid', at, inv);
  return { inv, charge: ch };
}

/** Collects a finalized invoice: nothing due, paid an hour later, or a failed attempt (retried or written off). */
function collect(
  sim: Simulation,
  c: CustomerState,
  inv: StripeObject,
  due: number,
  reason: BillingReason,
): { inv: StripeObject; charge: StripeObject | null } {
  const created = inv.created as number;
  if (due === 0) {
    markPaid(inv, due, created);
    sim.emit('invoice.paid', created, inv);
    return { inv, charge: null };
  }
  if (!(c.writeOff || (reason === 'subscription_cycle' && sim.rng.chance(PAYMENT_FAILURE_PER_MILLE))))
    return collectAt(sim, c, inv, due, created + HOUR);
  inv.attempted = true;
  inv.attempt_count = 1;
  inv.next_payment_attempt = created + 3 * DAY;
  sim.emit('invoice.payment_failed', created + HOUR, inv);
  sim.count('payment_failures');
  if (!c.writeOff) {
    if (created + 3 * DAY >= sim.end) return { inv, charge: null };
    inv.next_payment_attempt = null;
    return collectAt(sim, c, inv, due, created + 3 * DAY);
  }
  const at = created + 30 * DAY;
  if (at >= sim.end) return { inv, charge: null }; // still open when the simulation stops
  inv.status = 'uncollectible';
  inv.next_payment_attempt = null;
  (inv.status_transitions as Record<string, unknown>).marked_uncollectible_at = at;
  sim.emit('invoice.marked_uncollectible', at, inv);
  sim.count('written_off');
  return { inv, charge: null };
}

/** Finalizes (and usually collects) one invoice for a customer's period. */
export function bill(
  sim: Simulation,
  c: CustomerState,
  periodStart: number,
  periodEnd: number,
  reason: BillingReason,
): { inv: StripeObject; charge: StripeObject | null } {
  const draft = draftInvoice(sim, c, periodStart, periodEnd, reason);
  const { inv, due } = finalizeInvoice(sim, c, draft, periodStart, reason);
  return collect(sim, c, inv, due, reason);
}

/** Changes plan mid-period: a credit for the unused old plan, a charge for the new one. */
export function changePlan(
  sim: Simulation,
  c: CustomerState,
  to: PlanKey,
  at: number,
  periodStart: number,
  periodEnd: number,
): void {
  const length = periodEnd - periodStart;
  const remaining = periodEnd - at;
  const cur = c.currency;
  const credit = -Math.trunc((PRICES[c.plan][cur] * c.sites * remaining) / length);
  const debit = Math.trunc((PRICES[to][cur] * c.sites * remaining) / length);
  const period = { start: at, end: periodEnd };
  for (const [plan, amount, what] of [
    [c.plan, credit, 'Unused time on'],
    [to, debit, 'Remaining time on'],
  ] as const) {
    const item = sim.keep(
      fx.invoiceItem(
        {
          id: sim.id('ii'),
          amount,
          currency: cur,
          customer: c.id,
          invoice: null,
          date: at,
          period,
          price: priceId(plan, cur),
          product: PLAN_PRODUCT[plan],
        },
        {
          description: `${what} ${plan} after ${new Date(at * 1000).toISOString().slice(0, 10)}`,
          proration: true,
          parent: {
            type: 'subscription_details',
            subscription_details: { subscription: c.subscription, subscription_item: `si_${c.subscription.slice(4)}` },
          },
          pricing: {
            type: 'price_details',
            price_details: { price: priceId(plan, cur), product: PLAN_PRODUCT[plan] },
            unit_amount_decimal: String(amount),
          },
        },
      ),
    );
    c.pendingItems.push(item);
    sim.emit('invoiceitem.created', at, item);
  }
  sim.count(PRICES[to][cur] > PRICES[c.plan][cur] ? 'upgrades' : 'downgrades');
  c.plan = to;
}
