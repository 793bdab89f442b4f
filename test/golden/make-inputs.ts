/**
 * Writes the golden scenarios' inputs (input.jsonl, settings.json, scenario.json) from compact
 * definitions, so each Stripe object is written once with every field the mapping reads, in the
 * shapes of API version 2026-10-28.endive. Expected journals (expected.csv) are NOT generated:
 * they are written by hand from each scenario's README.
 *
 * Run: node bin/run-ts.js test/golden/make-inputs.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ACCOUNT = 'acct_golden';
const API_VERSION = '2026-10-28.endive';

/** Unix seconds of a UTC date (and hour). */
export function ts(date: string, hour = 0, minute = 0): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000 + hour * 3600 + minute * 60;
}

type Obj = Record<string, unknown> & { id: string; object: string };

interface LineSpec {
  id: string;
  amount: number;
  product: string;
  price?: string;
  start: number;
  end: number;
  discount?: number;
  tax?: { amount: number; inclusive?: boolean };
  invoiceItem?: string;
  proration?: boolean;
}

interface InvoiceSpec {
  id: string;
  customer?: string;
  currency?: string;
  created?: number;
  finalizedAt: number;
  paidAt?: number | null;
  voidedAt?: number | null;
  uncollectibleAt?: number | null;
  lines: LineSpec[];
  startingBalance?: number;
  endingBalance?: number;
  amountPaid?: number;
  paidOffStripe?: number;
  status?: string;
  /** Shipping before tax and its tax (`shipping_cost`, and `amount_shipping`). */
  shipping?: { amount: number; tax: number; rate: string };
}

export function lineItem(inv: string, currency: string, l: LineSpec): Obj {
  return {
    id: l.id,
    object: 'line_item',
    amount: l.amount,
    subtotal: l.amount,
    currency,
    description: `${l.product} line`,
    discount_amounts: l.discount ? [{ amount: l.discount, discount: `di_${l.id}` }] : [],
    discountable: true,
    discounts: l.discount ? [`di_${l.id}`] : [],
    invoice: inv,
    livemode: false,
    metadata: {},
    parent: l.invoiceItem
      ? {
          type: 'invoice_item_details',
          invoice_item_details: {
            invoice_item: l.invoiceItem,
            proration: l.proration ?? false,
            proration_details: null,
            subscription: 'sub_golden',
          },
          subscription_item_details: null,
        }
      : {
          type: 'subscription_item_details',
          subscription_item_details: {
            invoice_item: null,
            proration: false,
            proration_details: null,
            subscription: 'sub_golden',
            subscription_item: `si_${l.id}`,
          },
          invoice_item_details: null,
        },
    period: { start: l.start, end: l.end },
    pretax_credit_amounts: l.discount ? [{ amount: l.discount, discount: `di_${l.id}`, type: 'discount' }] : [],
    pricing: {
      type: 'price_details',
      price_details: { price: l.price ?? `price_${l.product}`, product: l.product },
      unit_amount_decimal: String(l.amount),
    },
    quantity: 1,
    quantity_decimal: '1',
    subscription: 'sub_golden',
    taxes: l.tax
      ? [
          {
            amount: l.tax.amount,
            tax_behavior: l.tax.inclusive ? 'inclusive' : 'exclusive',
            tax_rate_details: { tax_rate: 'txr_golden' },
            taxability_reason: 'standard_rated',
            taxable_amount: l.amount - (l.discount ?? 0),
            type: 'tax_rate_details',
          },
        ]
      : [],
  };
}

export function invoice(s: InvoiceSpec): Obj {
  const currency = s.currency ?? 'usd';
  const lines = s.lines.map((l) => lineItem(s.id, currency, l));
  let total = 0;
  let tax = 0;
  for (const l of s.lines) {
    total += l.amount - (l.discount ?? 0) + (l.tax && !l.tax.inclusive ? l.tax.amount : 0);
    tax += l.tax?.amount ?? 0;
  }
  if (s.shipping) total += s.shipping.amount + s.shipping.tax;
  const starting = s.startingBalance ?? 0;
  const ending = s.endingBalance ?? starting;
  const due = total - (ending - starting);
  const paid = s.amountPaid ?? (s.paidAt ? due : 0);
  return {
    id: s.id,
    object: 'invoice',
    account_tax_ids: null,
    amount_due: due,
    amount_paid: paid,
    amount_paid_off_stripe: s.paidOffStripe ?? 0,
    amount_overpaid: 0,
    amount_remaining: due - paid,
    amount_shipping: s.shipping?.amount ?? 0,
    ...(s.shipping ? { shipping_cost: shippingCost(s.shipping) } : {}),
    billing_reason: 'subscription_cycle',
    collection_method: 'charge_automatically',
    created: s.created ?? s.finalizedAt - 3600,
    currency,
    customer: s.customer ?? 'cus_golden',
    discounts: [],
    effective_at: s.finalizedAt,
    ending_balance: ending,
    lines: { object: 'list', data: lines, has_more: false, url: `/v1/invoices/${s.id}/lines` },
    livemode: false,
    metadata: {},
    number: `GOLD-${s.id}`,
    parent: {
      type: 'subscription_details',
      subscription_details: { subscription: 'sub_golden', metadata: {} },
      quote_details: null,
    },
    period_start: s.lines[0]?.start ?? s.finalizedAt,
    period_end: s.lines[0]?.end ?? s.finalizedAt,
    starting_balance: starting,
    status: s.status ?? (s.voidedAt ? 'void' : s.paidAt ? 'paid' : s.uncollectibleAt ? 'uncollectible' : 'open'),
    status_transitions: {
      finalized_at: s.finalizedAt,
      paid_at: s.paidAt ?? null,
      voided_at: s.voidedAt ?? null,
      marked_uncollectible_at: s.uncollectibleAt ?? null,
    },
    subtotal: total - tax,
    subtotal_excluding_tax: total - tax,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total - tax,
    total_pretax_credit_amounts: [],
    total_taxes: tax
      ? [
          {
            amount: tax,
            tax_behavior: s.lines.some((l) => l.tax?.inclusive) ? 'inclusive' : 'exclusive',
            tax_rate_details: { tax_rate: 'txr_golden' },
            taxability_reason: 'standard_rated',
            taxable_amount: total - tax,
            type: 'tax_rate_details',
          },
        ]
      : [],
  };
}

function shippingCost(shipping: { amount: number; tax: number; rate: string }): Record<string, unknown> {
  return {
    amount_subtotal: shipping.amount,
    amount_tax: shipping.tax,
    amount_total: shipping.amount + shipping.tax,
    shipping_rate: shipping.rate,
    taxes: shipping.tax
      ? [
          {
            amount: shipping.tax,
            rate: { id: 'txr_golden', object: 'tax_rate', percentage: 8, inclusive: false },
            taxability_reason: 'standard_rated',
            taxable_amount: shipping.amount,
          },
        ]
      : [],
  };
}

export function bt(
  id: string,
  amount: number,
  fee: number,
  created: number,
  opts: { currency?: string; rate?: number | null; type?: string; source?: string } = {},
): Obj {
  return {
    id,
    object: 'balance_transaction',
    amount,
    available_on: created + 2 * 86400,
    balance_type: 'payments',
    created,
    currency: opts.currency ?? 'usd',
    description: null,
    exchange_rate: opts.rate ?? null,
    fee,
    fee_details: fee
      ? [
          {
            amount: fee,
            application: null,
            currency: opts.currency ?? 'usd',
            description: 'Stripe processing fees',
            type: 'stripe_fee',
          },
        ]
      : [],
    net: amount - fee,
    reporting_category: opts.type ?? 'charge',
    source: opts.source ?? null,
    status: 'available',
    type: opts.type ?? 'charge',
  };
}

export function charge(
  id: string,
  amount: number,
  created: number,
  btId: string | null,
  opts: { currency?: string; refunds?: string[]; description?: string } = {},
): Obj {
  return {
    id,
    object: 'charge',
    amount,
    amount_captured: amount,
    amount_refunded: 0,
    balance_transaction: btId,
    captured: true,
    created,
    currency: opts.currency ?? 'usd',
    customer: 'cus_golden',
    description: opts.description ?? null,
    disputed: false,
    livemode: false,
    metadata: {},
    paid: true,
    payment_intent: null,
    refunded: false,
    refunds: {
      object: 'list',
      data: (opts.refunds ?? []).map((r) => ({ id: r, object: 'refund' })),
      has_more: false,
      url: `/v1/charges/${id}/refunds`,
    },
    status: 'succeeded',
  };
}

export function invoicePayment(
  id: string,
  inv: string,
  chargeId: string,
  amount: number,
  paidAt: number,
  currency = 'usd',
): Obj {
  return {
    id,
    object: 'invoice_payment',
    amount_paid: amount,
    amount_requested: amount,
    created: paidAt,
    currency,
    invoice: inv,
    is_default: true,
    livemode: false,
    payment: { type: 'charge', charge: chargeId },
    status: 'paid',
    status_transitions: { canceled_at: null, paid_at: paidAt },
  };
}

export function refund(
  id: string,
  chargeId: string,
  amount: number,
  created: number,
  btId: string | null,
  status = 'succeeded',
  failureBt?: string,
): Obj {
  return {
    id,
    object: 'refund',
    amount,
    balance_transaction: btId,
    charge: chargeId,
    created,
    currency: 'usd',
    metadata: {},
    payment_intent: null,
    reason: 'requested_by_customer',
    status,
    ...(failureBt ? { failure_balance_transaction: failureBt, failure_reason: 'expired_or_canceled_card' } : {}),
  };
}

export function event(id: string, type: string, created: number, object: Obj): Obj {
  return {
    id,
    object: 'event',
    type,
    account: ACCOUNT,
    livemode: false,
    created,
    api_version: API_VERSION,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

interface Scenario {
  name: string;
  settings: Record<string, unknown>;
  through?: string;
  lines: Obj[];
}

const scenarios: Scenario[] = [];
function add(s: Scenario): void {
  scenarios.push(s);
}

// ---------------------------------------------------------------------------------------------
// 1. Annual plan paid by card: 1,200.00 at 100.00 a month (monthly_even), fee, payout.
{
  const fin = ts('2026-01-01');
  const inv = invoice({
    id: 'in_annual',
    finalizedAt: fin,
    paidAt: fin + 60,
    lines: [{ id: 'il_annual', amount: 120000, product: 'prod_pro', start: fin, end: ts('2027-01-01') }],
  });
  const txn = bt('txn_annual', 120000, 3510, fin + 60, { source: 'ch_annual' });
  const ch = charge('ch_annual', 120000, fin + 60, 'txn_annual');
  const ip = invoicePayment('inpay_annual', 'in_annual', 'ch_annual', 120000, fin + 60);
  const po = {
    id: 'po_annual',
    object: 'payout',
    amount: 116490,
    currency: 'usd',
    arrival_date: ts('2026-01-05'),
    created: ts('2026-01-03'),
    status: 'paid',
    automatic: true,
    balance_transaction: 'txn_po_annual',
    failure_balance_transaction: null,
    method: 'standard',
    type: 'bank_account',
    reconciliation_status: 'completed',
    source_type: 'card',
  } as Obj;
  add({
    name: 'annual-monthly-even',
    settings: { amortization: 'monthly_even' },
    through: '2026-12-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      po,
      event('evt_a1', 'invoice.finalized', fin, inv),
      event('evt_a2', 'charge.succeeded', fin + 60, ch),
      event('evt_a3', 'invoice.paid', fin + 61, inv),
      event('evt_a4', 'invoice.payment_succeeded', fin + 61, inv),
      event('evt_a5', 'invoice_payment.paid', fin + 61, ip),
      event('evt_a6', 'payout.paid', ts('2026-01-05'), po),
    ],
  });
}

// 2. Stripe's "customer credit balance" contra example: 31 USD from Jan 15, -11 balance applied, 20 paid Feb 9.
{
  const fin = ts('2026-01-15');
  const inv = invoice({
    id: 'in_cb',
    finalizedAt: fin,
    paidAt: ts('2026-02-09'),
    startingBalance: -1100,
    endingBalance: 0,
    lines: [{ id: 'il_cb', amount: 3100, product: 'prod_basic', start: fin, end: ts('2026-02-15') }],
  });
  const txn = bt('txn_cb', 2000, 0, ts('2026-02-09'), { source: 'ch_cb' });
  const ch = charge('ch_cb', 2000, ts('2026-02-09'), 'txn_cb');
  const ip = invoicePayment('inpay_cb', 'in_cb', 'ch_cb', 2000, ts('2026-02-09'));
  add({
    name: 'customer-balance-mid-month',
    settings: { amortization: 'by_day' },
    through: '2026-02-28',
    lines: [
      inv,
      txn,
      ch,
      ip,
      event('evt_b1', 'invoice.finalized', fin, inv),
      event('evt_b2', 'invoice.paid', ts('2026-02-09'), inv),
    ],
  });
}

// 3–6. Stripe's amortization granularity example, one scenario per method.
for (const method of ['by_time', 'by_day', 'monthly_even', 'monthly_even_prorated_ends']) {
  const start = ts('2026-06-15', 12);
  const inv = invoice({
    id: 'in_gran',
    finalizedAt: start,
    paidAt: start,
    lines: [{ id: 'il_gran', amount: 12000, product: 'prod_gran', start, end: ts('2026-10-13', 12) }],
  });
  const txn = bt('txn_gran', 12000, 0, start, { source: 'ch_gran' });
  const ch = charge('ch_gran', 12000, start, 'txn_gran');
  const ip = invoicePayment('inpay_gran', 'in_gran', 'ch_gran', 12000, start);
  add({
    name: `granularity-${method.replace(/_/g, '-')}`,
    settings: { amortization: method },
    through: '2026-10-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      event('evt_g1', 'invoice.finalized', start, inv),
      event('evt_g2', 'invoice.paid', start, inv),
    ],
  });
}

// 7. Bundle: 150.00 split by SSP 130 / 30 into a device (at booking) and a 12-month warranty.
{
  const fin = ts('2026-03-01');
  const inv = invoice({
    id: 'in_bundle',
    finalizedAt: fin,
    lines: [{ id: 'il_bundle', amount: 15000, product: 'prod_bundle', start: fin, end: fin }],
  });
  add({
    name: 'bundle-ssp-warranty',
    settings: {
      amortization: 'monthly_even',
      product_rules: {
        prod_bundle: {
          rule: 'bundle',
          components: [
            { name: 'Device Revenue', ssp: '130', rule: 'point_in_time', trigger: 'booking' },
            { name: 'Warranty Revenue', ssp: '30', rule: 'custom_term', term_months: 12 },
          ],
        },
      },
    },
    through: '2026-05-31',
    lines: [inv, event('evt_bu1', 'invoice.finalized', fin, inv)],
  });
}

// 8. Setup fee 100.00 spread over 24 months (custom_term), monthly_even.
{
  const fin = ts('2026-01-01');
  const inv = invoice({
    id: 'in_setup',
    finalizedAt: fin,
    lines: [{ id: 'il_setup', amount: 10000, product: 'prod_setup', start: fin, end: fin }],
  });
  add({
    name: 'setup-fee-custom-term',
    settings: {
      amortization: 'monthly_even',
      product_rules: { prod_setup: { rule: 'custom_term', term_months: 24, account: 'Setup Fee Revenue' } },
    },
    through: '2026-06-30',
    lines: [inv, event('evt_s1', 'invoice.finalized', fin, inv)],
  });
}

// 9. Partial refund of a 3-month 90.00 plan on Feb 1 (monthly_even).
{
  const fin = ts('2026-01-01');
  const inv = invoice({
    id: 'in_pref',
    finalizedAt: fin,
    paidAt: fin,
    lines: [{ id: 'il_pref', amount: 9000, product: 'prod_q', start: fin, end: ts('2026-04-01') }],
  });
  const txn = bt('txn_pref', 9000, 0, fin, { source: 'ch_pref' });
  const ch = charge('ch_pref', 9000, fin, 'txn_pref', { refunds: ['re_pref'] });
  const ip = invoicePayment('inpay_pref', 'in_pref', 'ch_pref', 9000, fin);
  const rtx = bt('txn_re_pref', -4500, 0, ts('2026-02-01'), { type: 'refund' });
  const re = refund('re_pref', 'ch_pref', 4500, ts('2026-02-01'), 'txn_re_pref');
  add({
    name: 'refund-partial',
    settings: { amortization: 'monthly_even' },
    through: '2026-03-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      rtx,
      re,
      event('evt_p1', 'invoice.finalized', fin, inv),
      event('evt_p2', 'invoice.paid', fin, inv),
      event('evt_p3', 'charge.refunded', ts('2026-02-01'), ch),
      event('evt_p4', 'refund.created', ts('2026-02-01'), re),
    ],
  });
}

// 10. Stripe's one-time payment refund: 90.00 on Jan 1, refunded in full on Feb 1.
{
  const t0 = ts('2026-01-01');
  const txn = bt('txn_once', 9000, 291, t0, { source: 'ch_once' });
  const ch = charge('ch_once', 9000, t0, 'txn_once', { description: 'Workshop ticket', refunds: ['re_once'] });
  const rtx = bt('txn_re_once', -9000, 0, ts('2026-02-01'), { type: 'refund' });
  const re = refund('re_once', 'ch_once', 9000, ts('2026-02-01'), 'txn_re_once');
  add({
    name: 'one-time-charge-refund',
    settings: {},
    through: '2026-02-28',
    lines: [
      txn,
      ch,
      rtx,
      re,
      event('evt_o1', 'charge.succeeded', t0, ch),
      event('evt_o2', 'charge.refunded', ts('2026-02-01'), ch),
      event('evt_o3', 'refund.created', ts('2026-02-01'), re),
    ],
  });
}

// 11. Taxed invoice refunded in full halfway: 100.00 + 10.00 tax, by_time over March, refund on Mar 16.
{
  const fin = ts('2026-03-01');
  const inv = invoice({
    id: 'in_tax',
    finalizedAt: fin,
    paidAt: fin,
    lines: [
      { id: 'il_tax', amount: 10000, product: 'prod_tax', start: fin, end: ts('2026-04-01'), tax: { amount: 1000 } },
    ],
  });
  const txn = bt('txn_tax', 11000, 349, fin, { source: 'ch_tax' });
  const ch = charge('ch_tax', 11000, fin, 'txn_tax', { refunds: ['re_tax'] });
  const ip = invoicePayment('inpay_tax', 'in_tax', 'ch_tax', 11000, fin);
  const rtx = bt('txn_re_tax', -11000, 0, ts('2026-03-16'), { type: 'refund' });
  const re = refund('re_tax', 'ch_tax', 11000, ts('2026-03-16'), 'txn_re_tax');
  add({
    name: 'refund-full-with-tax',
    settings: {},
    through: '2026-04-30',
    lines: [
      inv,
      txn,
      ch,
      ip,
      rtx,
      re,
      event('evt_t1', 'invoice.finalized', fin, inv),
      event('evt_t2', 'invoice.paid', fin, inv),
      event('evt_t3', 'refund.created', ts('2026-03-16'), re),
    ],
  });
}

// 12. Credit note before payment, at finalization: 100.00 April plan, 20.00 credited, 80.00 paid Apr 2.
{
  const fin = ts('2026-04-01');
  const inv = invoice({
    id: 'in_cnpre',
    finalizedAt: fin,
    paidAt: ts('2026-04-02'),
    amountPaid: 8000,
    lines: [{ id: 'il_cnpre', amount: 10000, product: 'prod_plan', start: fin, end: ts('2026-05-01') }],
  });
  const cn = {
    id: 'cn_pre',
    object: 'credit_note',
    invoice: 'in_cnpre',
    customer: 'cus_golden',
    currency: 'usd',
    amount: 2000,
    subtotal: 2000,
    total: 2000,
    total_excluding_tax: 2000,
    discount_amount: 0,
    discount_amounts: [],
    pretax_credit_amounts: [],
    total_taxes: [],
    pre_payment_amount: 2000,
    post_payment_amount: 0,
    out_of_band_amount: null,
    refunds: [],
    status: 'issued',
    voided_at: null,
    effective_at: fin,
    created: fin,
    type: 'pre_payment',
    reason: 'order_change',
    customer_balance_transaction: null,
    lines: {
      object: 'list',
      has_more: false,
      data: [
        {
          id: 'cnli_pre',
          object: 'credit_note_line_item',
          type: 'invoice_line_item',
          invoice_line_item: 'il_cnpre',
          amount: 2000,
          discount_amount: 0,
          discount_amounts: [],
          pretax_credit_amounts: [],
          taxes: [],
          tax_rates: [],
          quantity: 1,
        },
      ],
    },
  } as Obj;
  const txn = bt('txn_cnpre', 8000, 262, ts('2026-04-02'), { source: 'ch_cnpre' });
  const ch = charge('ch_cnpre', 8000, ts('2026-04-02'), 'txn_cnpre');
  const ip = invoicePayment('inpay_cnpre', 'in_cnpre', 'ch_cnpre', 8000, ts('2026-04-02'));
  add({
    name: 'credit-note-before-payment',
    settings: {},
    through: '2026-04-30',
    lines: [
      inv,
      cn,
      txn,
      ch,
      ip,
      event('evt_c1', 'invoice.finalized', fin, inv),
      event('evt_c2', 'credit_note.created', fin, cn),
      event('evt_c3', 'invoice.paid', ts('2026-04-02'), inv),
    ],
  });
}

// 13. Credit note after payment with a refund, custom line (no invoice line named): two lines 60 + 40, 50.00 credited May 16.
{
  const fin = ts('2026-05-01');
  const inv = invoice({
    id: 'in_cnpost',
    finalizedAt: fin,
    paidAt: fin,
    lines: [
      { id: 'il_cnpost_a', amount: 6000, product: 'prod_a', start: fin, end: ts('2026-06-01') },
      { id: 'il_cnpost_b', amount: 4000, product: 'prod_b', start: fin, end: ts('2026-06-01') },
    ],
  });
  const txn = bt('txn_cnpost', 10000, 0, fin, { source: 'ch_cnpost' });
  const ch = charge('ch_cnpost', 10000, fin, 'txn_cnpost', { refunds: ['re_cnpost'] });
  const ip = invoicePayment('inpay_cnpost', 'in_cnpost', 'ch_cnpost', 10000, fin);
  const t = ts('2026-05-16');
  const rtx = bt('txn_re_cnpost', -5000, 0, t, { type: 'refund' });
  const re = refund('re_cnpost', 'ch_cnpost', 5000, t, 'txn_re_cnpost');
  const cn = {
    id: 'cn_post',
    object: 'credit_note',
    invoice: 'in_cnpost',
    customer: 'cus_golden',
    currency: 'usd',
    amount: 5000,
    subtotal: 5000,
    total: 5000,
    total_excluding_tax: 5000,
    discount_amount: 0,
    discount_amounts: [],
    pretax_credit_amounts: [],
    total_taxes: [],
    pre_payment_amount: 0,
    post_payment_amount: 5000,
    out_of_band_amount: null,
    refunds: [{ refund: 're_cnpost', amount_refunded: 5000, type: 'refund', payment_record_refund: null }],
    status: 'issued',
    voided_at: null,
    effective_at: t,
    created: t,
    type: 'post_payment',
    reason: 'product_unsatisfactory',
    customer_balance_transaction: null,
    lines: {
      object: 'list',
      has_more: false,
      data: [
        {
          id: 'cnli_post',
          object: 'credit_note_line_item',
          type: 'custom_line_item',
          amount: 5000,
          discount_amount: 0,
          discount_amounts: [],
          pretax_credit_amounts: [],
          taxes: [],
          tax_rates: [],
          quantity: 1,
          description: 'Goodwill credit',
        },
      ],
    },
  } as Obj;
  add({
    name: 'credit-note-after-payment-refund',
    settings: {},
    through: '2026-05-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      rtx,
      re,
      cn,
      event('evt_d1', 'invoice.finalized', fin, inv),
      event('evt_d2', 'invoice.paid', fin, inv),
      event('evt_d3', 'credit_note.created', t, cn),
      event('evt_d4', 'refund.created', t, re),
    ],
  });
}

// 14. Dispute: 300.00 quarterly plan, funds withdrawn Feb 1 (fee 15.00), won Mar 1 (fee returned).
{
  const fin = ts('2026-01-01');
  const inv = invoice({
    id: 'in_disp',
    finalizedAt: fin,
    paidAt: fin,
    lines: [{ id: 'il_disp', amount: 30000, product: 'prod_q', start: fin, end: ts('2026-04-01') }],
  });
  const txn = bt('txn_disp', 30000, 900, fin, { source: 'ch_disp' });
  const ch = charge('ch_disp', 30000, fin, 'txn_disp');
  const ip = invoicePayment('inpay_disp', 'in_disp', 'ch_disp', 30000, fin);
  const w = bt('txn_dp_w', -30000, 1500, ts('2026-02-01'), { type: 'adjustment' });
  const r = bt('txn_dp_r', 30000, -1500, ts('2026-03-01'), { type: 'adjustment' });
  const dp = {
    id: 'dp_golden',
    object: 'dispute',
    amount: 30000,
    currency: 'usd',
    charge: 'ch_disp',
    payment_intent: null,
    reason: 'fraudulent',
    status: 'won',
    balance_transactions: [w, r],
    created: ts('2026-02-01'),
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
  } as Obj;
  const dpOpen = { ...dp, status: 'needs_response', balance_transactions: [w] };
  add({
    name: 'dispute-withdrawn-then-won',
    settings: { amortization: 'monthly_even' },
    through: '2026-03-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      dp,
      event('evt_e1', 'invoice.finalized', fin, inv),
      event('evt_e2', 'invoice.paid', fin, inv),
      event('evt_e3', 'charge.dispute.funds_withdrawn', ts('2026-02-01'), dpOpen),
      event('evt_e4', 'charge.dispute.closed', ts('2026-03-01'), dp),
      event('evt_e5', 'charge.dispute.funds_reinstated', ts('2026-03-01'), dp),
    ],
  });
  add({
    name: 'dispute-won-recover-as-gains-off',
    settings: { amortization: 'monthly_even', recover_as_gains: false },
    through: '2026-03-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      dp,
      event('evt_e1', 'invoice.finalized', fin, inv),
      event('evt_e2', 'invoice.paid', fin, inv),
      event('evt_e3', 'charge.dispute.funds_withdrawn', ts('2026-02-01'), dpOpen),
      event('evt_e5', 'charge.dispute.funds_reinstated', ts('2026-03-01'), dp),
    ],
  });
}

// 15. Void: 100.00 service Jan 10 – Feb 10 (by_time), voided Jan 20.
{
  const fin = ts('2026-01-10');
  const inv = invoice({
    id: 'in_void',
    finalizedAt: fin,
    voidedAt: ts('2026-01-20'),
    lines: [{ id: 'il_void', amount: 10000, product: 'prod_plan', start: fin, end: ts('2026-02-10') }],
  });
  add({
    name: 'invoice-voided',
    settings: {},
    through: '2026-02-28',
    lines: [
      inv,
      event('evt_v1', 'invoice.finalized', fin, inv),
      event('evt_v2', 'invoice.voided', ts('2026-01-20'), inv),
    ],
  });
}

// 16. Uncollectible on Jan 16, then paid in full on Mar 2.
{
  const fin = ts('2026-01-01');
  const paid = ts('2026-03-02');
  const inv = invoice({
    id: 'in_unc',
    finalizedAt: fin,
    uncollectibleAt: ts('2026-01-16'),
    paidAt: paid,
    status: 'paid',
    lines: [{ id: 'il_unc', amount: 10000, product: 'prod_plan', start: fin, end: ts('2026-02-01') }],
  });
  const txn = bt('txn_unc', 10000, 320, paid, { source: 'ch_unc' });
  const ch = charge('ch_unc', 10000, paid, 'txn_unc');
  const ip = invoicePayment('inpay_unc', 'in_unc', 'ch_unc', 10000, paid);
  add({
    name: 'uncollectible-then-paid',
    settings: {},
    through: '2026-03-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      event('evt_u1', 'invoice.finalized', fin, inv),
      event('evt_u2', 'invoice.marked_uncollectible', ts('2026-01-16'), inv),
      event('evt_u3', 'invoice.paid', paid, inv),
    ],
  });
}

// 17. Payout paid, then failed.
{
  const po = {
    id: 'po_fail',
    object: 'payout',
    amount: 50000,
    currency: 'usd',
    arrival_date: ts('2026-03-03'),
    created: ts('2026-03-01'),
    status: 'failed',
    automatic: true,
    balance_transaction: 'txn_po',
    failure_balance_transaction: 'txn_po_fail',
    failure_code: 'account_closed',
    method: 'standard',
    type: 'bank_account',
    reconciliation_status: 'not_applicable',
    source_type: 'card',
  } as Obj;
  const fbt = bt('txn_po_fail', 50000, 0, ts('2026-03-05'), { type: 'payout_failure' });
  add({
    name: 'payout-paid-then-failed',
    settings: {},
    through: '2026-03-31',
    lines: [
      po,
      fbt,
      event('evt_po1', 'payout.paid', ts('2026-03-03'), { ...po, status: 'paid' }),
      event('evt_po2', 'payout.failed', ts('2026-03-05'), po),
    ],
  });
}

// 18. Paid out of band: 250.00 consulting retainer for February, paid by bank transfer outside Stripe.
{
  const fin = ts('2026-02-01');
  const inv = invoice({
    id: 'in_oob',
    finalizedAt: fin,
    paidAt: ts('2026-02-10'),
    paidOffStripe: 25000,
    lines: [{ id: 'il_oob', amount: 25000, product: 'prod_retainer', start: fin, end: ts('2026-03-01') }],
  });
  add({
    name: 'paid-out-of-band',
    settings: {},
    through: '2026-02-28',
    lines: [
      inv,
      event('evt_ob1', 'invoice.finalized', fin, inv),
      event('evt_ob2', 'invoice.paid', ts('2026-02-10'), inv),
    ],
  });
}

// 19–20. Discount 20.00 on a 100.00 January plan: net (default) and as contra revenue.
for (const contra of [false, true]) {
  const fin = ts('2026-01-01');
  const inv = invoice({
    id: 'in_disc',
    finalizedAt: fin,
    lines: [{ id: 'il_disc', amount: 10000, discount: 2000, product: 'prod_plan', start: fin, end: ts('2026-02-01') }],
  });
  add({
    name: contra ? 'discount-as-contra' : 'discount-net',
    settings: { discounts_as_contra: contra },
    through: '2026-01-31',
    lines: [inv, event('evt_di1', 'invoice.finalized', fin, inv)],
  });
}

// 21. Proration billed later: 31.00 upgrade item for Jan 16 – Feb 16 created Jan 16, billed on the Feb 1 renewal.
{
  const created = ts('2026-01-16');
  const ii = {
    id: 'ii_upgrade',
    object: 'invoiceitem',
    amount: 3100,
    currency: 'usd',
    customer: 'cus_golden',
    date: created,
    invoice: 'in_renew',
    period: { start: created, end: ts('2026-02-16') },
    pricing: {
      type: 'price_details',
      price_details: { price: 'price_pro', product: 'prod_pro' },
      unit_amount_decimal: '3100',
    },
    proration: true,
    quantity: 1,
    quantity_decimal: '1',
    discountable: false,
    livemode: false,
    metadata: {},
    parent: null,
  } as Obj;
  const fin = ts('2026-02-01');
  const inv = invoice({
    id: 'in_renew',
    created: fin - 3600,
    finalizedAt: fin,
    lines: [
      {
        id: 'il_renew_up',
        amount: 3100,
        product: 'prod_pro',
        price: 'price_pro',
        start: created,
        end: ts('2026-02-16'),
        invoiceItem: 'ii_upgrade',
        proration: true,
      },
    ],
  });
  add({
    name: 'proration-unbilled-then-invoiced',
    settings: {},
    through: '2026-02-28',
    lines: [
      ii,
      inv,
      event('evt_pr1', 'invoiceitem.created', created, { ...ii, invoice: null }),
      event('evt_pr2', 'invoice.finalized', fin, inv),
    ],
  });
  // The same books when the invoiceitem.created event was never delivered: the invoice names its pending item.
  add({
    name: 'proration-without-item-event',
    settings: {},
    through: '2026-02-28',
    lines: [ii, inv, event('evt_pr2', 'invoice.finalized', fin, inv)],
  });
}

// 22. Foreign currency: 100.00 EUR January plan, estimated rate 1.10 at booking, paid Jan 10 at 1.12.
{
  const fin = ts('2026-01-01');
  const paid = ts('2026-01-10');
  const inv = invoice({
    id: 'in_eur',
    currency: 'eur',
    finalizedAt: fin,
    paidAt: paid,
    lines: [{ id: 'il_eur', amount: 10000, product: 'prod_plan', start: fin, end: ts('2026-02-01') }],
  });
  const txn = bt('txn_eur', 11200, 350, paid, { rate: 1.12, source: 'ch_eur' });
  const ch = { ...charge('ch_eur', 10000, paid, 'txn_eur', { currency: 'eur' }) } as Obj;
  const ip = invoicePayment('inpay_eur', 'in_eur', 'ch_eur', 10000, paid, 'eur');
  add({
    name: 'fx-estimated-rate-then-paid',
    settings: { fx_rates: [{ date: '2025-12-31', from: 'eur', to: 'usd', rate: '1.10' }] },
    through: '2026-01-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      event('evt_fx1', 'invoice.finalized', fin, inv),
      event('evt_fx2', 'invoice.paid', paid, inv),
    ],
  });
}

// 23. Refund that fails: 50.00 one-off (no service period), refunded Jan 20, refund failed Jan 25.
{
  const fin = ts('2026-01-05');
  const inv = invoice({
    id: 'in_rf',
    finalizedAt: fin,
    paidAt: fin,
    lines: [{ id: 'il_rf', amount: 5000, product: 'prod_kit', start: fin, end: fin }],
  });
  const txn = bt('txn_rf', 5000, 0, fin, { source: 'ch_rf' });
  const ch = charge('ch_rf', 5000, fin, 'txn_rf', { refunds: ['re_rf'] });
  const ip = invoicePayment('inpay_rf', 'in_rf', 'ch_rf', 5000, fin);
  const rtx = bt('txn_re_rf', -5000, 0, ts('2026-01-20'), { type: 'refund' });
  const ftx = bt('txn_re_rf_fail', 5000, 0, ts('2026-01-25'), { type: 'refund_failure' });
  const re = refund('re_rf', 'ch_rf', 5000, ts('2026-01-20'), 'txn_re_rf', 'failed', 'txn_re_rf_fail');
  add({
    name: 'refund-failed',
    settings: {},
    through: '2026-01-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      rtx,
      ftx,
      re,
      event('evt_rf1', 'invoice.finalized', fin, inv),
      event('evt_rf2', 'invoice.paid', fin, inv),
      event('evt_rf3', 'refund.created', ts('2026-01-20'), { ...re, status: 'succeeded' }),
      event('evt_rf4', 'refund.failed', ts('2026-01-25'), re),
    ],
  });
}

// 24–25. Late invoice: 90.00 for Jan 1 – Apr 1 finalized Mar 10, with and without catch-up.
for (const catchUp of [true, false]) {
  const fin = ts('2026-03-10');
  const inv = invoice({
    id: 'in_late',
    finalizedAt: fin,
    lines: [{ id: 'il_late', amount: 9000, product: 'prod_q', start: ts('2026-01-01'), end: ts('2026-04-01') }],
  });
  add({
    name: catchUp ? 'catch-up-on' : 'catch-up-off',
    settings: { amortization: 'monthly_even', catch_up: catchUp },
    through: '2026-03-31',
    lines: [inv, event('evt_l1', 'invoice.finalized', fin, inv)],
  });
}

// 26. Rules: an excluded pass-through fee and a course recognized when paid (point_in_time, payment).
{
  const fin = ts('2026-01-05');
  const paid = ts('2026-02-02');
  const inv = invoice({
    id: 'in_rules',
    finalizedAt: fin,
    paidAt: paid,
    lines: [
      { id: 'il_course', amount: 10000, product: 'prod_course', start: fin, end: fin },
      { id: 'il_passthru', amount: 500, product: 'prod_passthru', start: fin, end: fin },
    ],
  });
  const txn = bt('txn_rules', 10500, 0, paid, { source: 'ch_rules' });
  const ch = charge('ch_rules', 10500, paid, 'txn_rules');
  const ip = invoicePayment('inpay_rules', 'in_rules', 'ch_rules', 10500, paid);
  add({
    name: 'exclude-and-point-in-time-payment',
    settings: {
      product_rules: {
        prod_course: { rule: 'point_in_time', trigger: 'payment', account: 'Course Revenue' },
        prod_passthru: { rule: 'exclude' },
      },
    },
    through: '2026-02-28',
    lines: [
      inv,
      txn,
      ch,
      ip,
      event('evt_r1', 'invoice.finalized', fin, inv),
      event('evt_r2', 'invoice.paid', paid, inv),
    ],
  });
}

// 27. Stripe's "credit note before a payment": 120.00 for three months from Jan 1 (by day), a 30.00
// pre-payment credit note at finalization, 90.00 paid Feb 1.
{
  const fin = ts('2026-01-01');
  const paid = ts('2026-02-01');
  const inv = invoice({
    id: 'in_sbefore',
    finalizedAt: fin,
    paidAt: paid,
    amountPaid: 9000,
    lines: [{ id: 'il_sbefore', amount: 12000, product: 'prod_q', start: fin, end: ts('2026-04-01') }],
  });
  const cn = {
    id: 'cn_sbefore',
    object: 'credit_note',
    invoice: 'in_sbefore',
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
    effective_at: fin,
    created: fin,
    type: 'pre_payment',
    reason: null,
    customer_balance_transaction: null,
    lines: {
      object: 'list',
      has_more: false,
      data: [
        {
          id: 'cnli_sbefore',
          object: 'credit_note_line_item',
          type: 'invoice_line_item',
          invoice_line_item: 'il_sbefore',
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
  } as Obj;
  const txn = bt('txn_sbefore', 9000, 0, paid, { source: 'ch_sbefore' });
  const ch = charge('ch_sbefore', 9000, paid, 'txn_sbefore');
  const ip = invoicePayment('inpay_sbefore', 'in_sbefore', 'ch_sbefore', 9000, paid);
  add({
    name: 'stripe-credit-note-before-payment',
    settings: { amortization: 'by_day' },
    through: '2026-03-31',
    lines: [
      inv,
      cn,
      txn,
      ch,
      ip,
      event('evt_sb1', 'invoice.finalized', fin, inv),
      event('evt_sb2', 'credit_note.created', fin, cn),
      event('evt_sb3', 'invoice_payment.paid', paid, ip),
      event('evt_sb4', 'invoice.paid', paid, inv),
    ],
  });
}

// 28. Stripe's "credit note after a payment": 90.00 for three months from Jan 1 (by day), paid at once;
// on Feb 1 a 45.00 credit note: 15.00 refunded, 10.00 to the customer balance, 20.00 out of band.
{
  const fin = ts('2026-01-01');
  const t = ts('2026-02-01');
  const inv = invoice({
    id: 'in_safter',
    finalizedAt: fin,
    paidAt: fin,
    lines: [{ id: 'il_safter', amount: 9000, product: 'prod_q', start: fin, end: ts('2026-04-01') }],
  });
  const txn = bt('txn_safter', 9000, 0, fin, { source: 'ch_safter' });
  const ch = charge('ch_safter', 9000, fin, 'txn_safter', { refunds: ['re_safter'] });
  const ip = invoicePayment('inpay_safter', 'in_safter', 'ch_safter', 9000, fin);
  const rtx = bt('txn_re_safter', -1500, 0, t, { type: 'refund' });
  const re = refund('re_safter', 'ch_safter', 1500, t, 'txn_re_safter');
  const cn = {
    id: 'cn_safter',
    object: 'credit_note',
    invoice: 'in_safter',
    customer: 'cus_golden',
    currency: 'usd',
    amount: 4500,
    subtotal: 4500,
    total: 4500,
    total_excluding_tax: 4500,
    discount_amount: 0,
    discount_amounts: [],
    pretax_credit_amounts: [],
    total_taxes: [],
    pre_payment_amount: 0,
    post_payment_amount: 4500,
    out_of_band_amount: 2000,
    refunds: [{ refund: 're_safter', amount_refunded: 1500, type: 'refund', payment_record_refund: null }],
    status: 'issued',
    voided_at: null,
    effective_at: t,
    created: t,
    type: 'post_payment',
    reason: 'order_change',
    customer_balance_transaction: 'cbtxn_safter',
    lines: {
      object: 'list',
      has_more: false,
      data: [
        {
          id: 'cnli_safter',
          object: 'credit_note_line_item',
          type: 'invoice_line_item',
          invoice_line_item: 'il_safter',
          amount: 4500,
          discount_amount: 0,
          discount_amounts: [],
          pretax_credit_amounts: [],
          taxes: [],
          tax_rates: [],
          quantity: 1,
        },
      ],
    },
  } as Obj;
  add({
    name: 'stripe-credit-note-after-payment',
    settings: { amortization: 'by_day' },
    through: '2026-03-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      rtx,
      re,
      cn,
      event('evt_sa1', 'invoice.finalized', fin, inv),
      event('evt_sa2', 'invoice.paid', fin, inv),
      event('evt_sa3', 'credit_note.created', t, cn),
      event('evt_sa4', 'charge.refunded', t, ch),
    ],
  });
}

// 29. Stripe's FX loss example: 30 EUR finalized Jan 1 at 1.20, paid Feb 1 at 1.10 (33.00 USD).
{
  const fin = ts('2026-01-01');
  const paid = ts('2026-02-01');
  const inv = invoice({
    id: 'in_fxloss',
    currency: 'eur',
    finalizedAt: fin,
    paidAt: paid,
    lines: [{ id: 'il_fxloss', amount: 3000, product: 'prod_once', start: fin, end: fin }],
  });
  const txn = bt('txn_fxloss', 3300, 0, paid, { rate: 1.1, source: 'ch_fxloss' });
  const ch = charge('ch_fxloss', 3000, paid, 'txn_fxloss', { currency: 'eur' });
  const ip = invoicePayment('inpay_fxloss', 'in_fxloss', 'ch_fxloss', 3000, paid, 'eur');
  add({
    name: 'stripe-fx-loss',
    settings: { fx_rates: [{ date: '2026-01-01', from: 'eur', to: 'usd', rate: '1.20' }] },
    through: '2026-02-28',
    lines: [
      inv,
      txn,
      ch,
      ip,
      event('evt_fl1', 'invoice.finalized', fin, inv),
      event('evt_fl2', 'invoice.paid', paid, inv),
    ],
  });
}

// 30. Stripe's multi-currency example: 30 EUR finalized and paid at once at 1.20 (36.00 USD): no FX.
{
  const fin = ts('2026-01-01');
  const inv = invoice({
    id: 'in_fxonce',
    currency: 'eur',
    finalizedAt: fin,
    paidAt: fin,
    lines: [{ id: 'il_fxonce', amount: 3000, product: 'prod_once', start: fin, end: fin }],
  });
  const txn = bt('txn_fxonce', 3600, 0, fin, { rate: 1.2, source: 'ch_fxonce' });
  const ch = charge('ch_fxonce', 3000, fin, 'txn_fxonce', { currency: 'eur' });
  const ip = invoicePayment('inpay_fxonce', 'in_fxonce', 'ch_fxonce', 3000, fin, 'eur');
  add({
    name: 'stripe-fx-paid-at-once',
    settings: {},
    through: '2026-01-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      event('evt_fo1', 'invoice.finalized', fin, inv),
      event('evt_fo2', 'invoice.paid', fin, inv),
    ],
  });
}

// 31. Refund beyond what the invoice still carries: 100.00 January plan paid at once, 50.00 credited
// to the customer balance at finalization, then the whole 100.00 refunded on Jan 16.
{
  const fin = ts('2026-01-01');
  const t = ts('2026-01-16');
  const inv = invoice({
    id: 'in_over',
    finalizedAt: fin,
    paidAt: fin + 60,
    lines: [{ id: 'il_over', amount: 10000, product: 'prod_plan', start: fin, end: ts('2026-02-01') }],
  });
  const txn = bt('txn_over', 10000, 0, fin + 60, { source: 'ch_over' });
  const ch = charge('ch_over', 10000, fin + 60, 'txn_over', { refunds: ['re_over'] });
  const ip = invoicePayment('inpay_over', 'in_over', 'ch_over', 10000, fin + 60);
  const cn = {
    id: 'cn_over',
    object: 'credit_note',
    invoice: 'in_over',
    customer: 'cus_golden',
    currency: 'usd',
    amount: 5000,
    subtotal: 5000,
    total: 5000,
    total_excluding_tax: 5000,
    discount_amount: 0,
    discount_amounts: [],
    pretax_credit_amounts: [],
    total_taxes: [],
    pre_payment_amount: 0,
    post_payment_amount: 5000,
    out_of_band_amount: null,
    refunds: [],
    status: 'issued',
    voided_at: null,
    effective_at: fin + 120,
    created: fin + 120,
    type: 'post_payment',
    reason: 'order_change',
    customer_balance_transaction: 'cbtxn_over',
    lines: {
      object: 'list',
      has_more: false,
      data: [
        {
          id: 'cnli_over',
          object: 'credit_note_line_item',
          type: 'invoice_line_item',
          invoice_line_item: 'il_over',
          amount: 5000,
          discount_amount: 0,
          discount_amounts: [],
          pretax_credit_amounts: [],
          taxes: [],
          tax_rates: [],
          quantity: 1,
        },
      ],
    },
  } as Obj;
  const rtx = bt('txn_re_over', -10000, 0, t, { type: 'refund' });
  const re = refund('re_over', 'ch_over', 10000, t, 'txn_re_over');
  add({
    name: 'refund-beyond-recognized',
    settings: {},
    through: '2026-01-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      cn,
      rtx,
      re,
      event('evt_ov1', 'invoice.finalized', fin, inv),
      event('evt_ov2', 'credit_note.created', fin + 120, cn),
      event('evt_ov3', 'invoice.paid', fin + 60, inv),
      event('evt_ov4', 'refund.created', t, re),
    ],
  });
}

// 32. Mid-cycle upgrade invoiced at once (proration_behavior always_invoice): 30.00 basic plan for
// January paid Jan 1; on Jan 16 an upgrade to the 60.00 plan bills −15.48 unused basic and +30.97 pro.
{
  const jan1 = ts('2026-01-01');
  const up = ts('2026-01-16');
  const feb1 = ts('2026-02-01');
  const inv1 = invoice({
    id: 'in_basic',
    finalizedAt: jan1,
    paidAt: jan1,
    lines: [{ id: 'il_basic', amount: 3000, product: 'prod_basic', start: jan1, end: feb1 }],
  });
  const inv2 = invoice({
    id: 'in_upgrade',
    finalizedAt: up,
    paidAt: up,
    lines: [
      { id: 'il_unused_basic', amount: -1548, product: 'prod_basic', start: up, end: feb1, proration: true },
      { id: 'il_remaining_pro', amount: 3097, product: 'prod_pro', start: up, end: feb1, proration: true },
    ],
  });
  const t1 = bt('txn_basic', 3000, 117, jan1, { source: 'ch_basic' });
  const c1 = charge('ch_basic', 3000, jan1, 'txn_basic');
  const p1 = invoicePayment('inpay_basic', 'in_basic', 'ch_basic', 3000, jan1);
  const t2 = bt('txn_upgrade', 1549, 75, up, { source: 'ch_upgrade' });
  const c2 = charge('ch_upgrade', 1549, up, 'txn_upgrade');
  const p2 = invoicePayment('inpay_upgrade', 'in_upgrade', 'ch_upgrade', 1549, up);
  add({
    name: 'upgrade-proration-invoiced-at-once',
    settings: {},
    through: '2026-01-31',
    lines: [
      inv1,
      inv2,
      t1,
      c1,
      p1,
      t2,
      c2,
      p2,
      event('evt_up1', 'invoice.finalized', jan1, inv1),
      event('evt_up2', 'invoice.paid', jan1, inv1),
      event('evt_up3', 'invoice.finalized', up, inv2),
      event('evt_up5', 'charge.succeeded', up, c2),
    ],
  });
}

// 33. Credit note voided: 100.00 April plan paid Apr 1; 20.00 credited to the customer balance on
// Apr 11, the credit note voided on Apr 21.
{
  const fin = ts('2026-04-01');
  const t = ts('2026-04-11');
  const v = ts('2026-04-21');
  const inv = invoice({
    id: 'in_cnv',
    finalizedAt: fin,
    paidAt: fin,
    lines: [{ id: 'il_cnv', amount: 10000, product: 'prod_plan', start: fin, end: ts('2026-05-01') }],
  });
  const txn = bt('txn_cnv', 10000, 0, fin, { source: 'ch_cnv' });
  const ch = charge('ch_cnv', 10000, fin, 'txn_cnv');
  const ip = invoicePayment('inpay_cnv', 'in_cnv', 'ch_cnv', 10000, fin);
  const cnBase = {
    id: 'cn_v',
    object: 'credit_note',
    invoice: 'in_cnv',
    customer: 'cus_golden',
    currency: 'usd',
    amount: 2000,
    subtotal: 2000,
    total: 2000,
    total_excluding_tax: 2000,
    discount_amount: 0,
    discount_amounts: [],
    pretax_credit_amounts: [],
    total_taxes: [],
    pre_payment_amount: 0,
    post_payment_amount: 2000,
    out_of_band_amount: null,
    refunds: [],
    effective_at: t,
    created: t,
    type: 'post_payment',
    reason: 'duplicate',
    customer_balance_transaction: 'cbtxn_v',
    lines: {
      object: 'list',
      has_more: false,
      data: [
        {
          id: 'cnli_v',
          object: 'credit_note_line_item',
          type: 'invoice_line_item',
          invoice_line_item: 'il_cnv',
          amount: 2000,
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
  const cn = { ...cnBase, status: 'void', voided_at: v } as Obj;
  add({
    name: 'credit-note-voided',
    settings: {},
    through: '2026-04-30',
    lines: [
      inv,
      txn,
      ch,
      ip,
      cn,
      event('evt_cv1', 'invoice.finalized', fin, inv),
      event('evt_cv2', 'invoice.paid', fin, inv),
      event('evt_cv3', 'credit_note.created', t, { ...cnBase, status: 'issued', voided_at: null } as Obj),
      event('evt_cv4', 'credit_note.voided', v, cn),
    ],
  });
}

// 34. FX on a refund: 30 EUR booked at 1.20, paid Feb 1 at 1.10 (33.00 USD), refunded Mar 1 when
// Stripe takes back 30.00 USD (rate 1.00).
{
  const fin = ts('2026-01-01');
  const paid = ts('2026-02-01');
  const back = ts('2026-03-01');
  const inv = invoice({
    id: 'in_fxref',
    currency: 'eur',
    finalizedAt: fin,
    paidAt: paid,
    lines: [{ id: 'il_fxref', amount: 3000, product: 'prod_once', start: fin, end: fin }],
  });
  const txn = bt('txn_fxref', 3300, 0, paid, { rate: 1.1, source: 'ch_fxref' });
  const ch = charge('ch_fxref', 3000, paid, 'txn_fxref', { currency: 'eur', refunds: ['re_fxref'] });
  const ip = invoicePayment('inpay_fxref', 'in_fxref', 'ch_fxref', 3000, paid, 'eur');
  const rtx = bt('txn_re_fxref', -3000, 0, back, { rate: 1.0, type: 'refund' });
  const re = { ...refund('re_fxref', 'ch_fxref', 3000, back, 'txn_re_fxref'), currency: 'eur' } as Obj;
  add({
    name: 'fx-refund-at-another-rate',
    settings: { fx_rates: [{ date: '2026-01-01', from: 'eur', to: 'usd', rate: '1.20' }] },
    through: '2026-03-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      rtx,
      re,
      event('evt_fr1', 'invoice.finalized', fin, inv),
      event('evt_fr2', 'invoice.paid', paid, inv),
      event('evt_fr3', 'refund.created', back, re),
    ],
  });
}

// 35. Stripe's tax-inclusive example: a one-month service from Jan 1, 34.10 with 10% tax included,
// invoiced and paid the same day.
{
  const fin = ts('2026-01-01');
  const inv = invoice({
    id: 'in_incl',
    finalizedAt: fin,
    paidAt: fin,
    lines: [
      {
        id: 'il_incl',
        amount: 3410,
        product: 'prod_svc',
        start: fin,
        end: ts('2026-02-01'),
        tax: { amount: 310, inclusive: true },
      },
    ],
  });
  const txn = bt('txn_incl', 3410, 0, fin, { source: 'ch_incl' });
  const ch = charge('ch_incl', 3410, fin, 'txn_incl');
  const ip = invoicePayment('inpay_incl', 'in_incl', 'ch_incl', 3410, fin);
  add({
    name: 'stripe-tax-inclusive',
    settings: { amortization: 'by_day' },
    through: '2026-01-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      event('evt_ti1', 'invoice.finalized', fin, inv),
      event('evt_ti2', 'invoice.paid', fin, inv),
    ],
  });
}

// 31. A proration in EUR on USD books: 31.00 EUR for Jan 16 – Feb 16 created Jan 16 (rate 1.10),
// billed on the Feb 1 renewal (rate 1.20), not yet paid.
{
  const created = ts('2026-01-16');
  const ii = {
    id: 'ii_eur_up',
    object: 'invoiceitem',
    amount: 3100,
    currency: 'eur',
    customer: 'cus_golden',
    date: created,
    invoice: 'in_eur_renew',
    period: { start: created, end: ts('2026-02-16') },
    pricing: {
      type: 'price_details',
      price_details: { price: 'price_pro', product: 'prod_pro' },
      unit_amount_decimal: '3100',
    },
    proration: true,
    quantity: 1,
    quantity_decimal: '1',
    discountable: false,
    livemode: false,
    metadata: {},
    parent: null,
  } as Obj;
  const fin = ts('2026-02-01');
  const inv = invoice({
    id: 'in_eur_renew',
    currency: 'eur',
    created: fin - 3600,
    finalizedAt: fin,
    lines: [
      {
        id: 'il_eur_up',
        amount: 3100,
        product: 'prod_pro',
        price: 'price_pro',
        start: created,
        end: ts('2026-02-16'),
        invoiceItem: 'ii_eur_up',
        proration: true,
      },
    ],
  });
  add({
    name: 'fx-proration-unbilled-then-invoiced',
    settings: {
      fx_rates: [
        { date: '2026-01-15', from: 'eur', to: 'usd', rate: '1.10' },
        { date: '2026-02-01', from: 'eur', to: 'usd', rate: '1.20' },
      ],
    },
    through: '2026-02-28',
    lines: [
      ii,
      inv,
      event('evt_fxpr1', 'invoiceitem.created', created, { ...ii, invoice: null }),
      event('evt_fxpr2', 'invoice.finalized', fin, inv),
    ],
  });
}

// 36. Shipping as its own obligation: a 90.00 quarterly box (monthly_even, Jan–Mar) with 10.00
// shipping taxed 0.80, paid Jan 1; half of the 100.80 refunded on Feb 1.
{
  const fin = ts('2026-01-01');
  const t = ts('2026-02-01');
  const inv = invoice({
    id: 'in_ship',
    finalizedAt: fin,
    paidAt: fin,
    shipping: { amount: 1000, tax: 80, rate: 'shr_ground' },
    lines: [{ id: 'il_box', amount: 9000, product: 'prod_box', start: fin, end: ts('2026-04-01') }],
  });
  const txn = bt('txn_ship', 10080, 322, fin, { source: 'ch_ship' });
  const ch = charge('ch_ship', 10080, fin, 'txn_ship', { refunds: ['re_ship'] });
  const ip = invoicePayment('inpay_ship', 'in_ship', 'ch_ship', 10080, fin);
  const rtx = bt('txn_re_ship', -5040, 0, t, { type: 'refund' });
  const re = refund('re_ship', 'ch_ship', 5040, t, 'txn_re_ship');
  add({
    name: 'shipping-own-obligation',
    settings: { amortization: 'monthly_even' },
    through: '2026-03-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      rtx,
      re,
      event('evt_sh1', 'invoice.finalized', fin, inv),
      event('evt_sh2', 'invoice.paid', fin, inv),
      event('evt_sh3', 'refund.created', t, re),
    ],
  });
}

// 37–38. A free add-on (20.00, discounted 100%) beside a 100.00 January plan, paid Jan 1; on Jan 16
// a 5.00 credit note names the add-on and credits the customer balance. Net and as contra revenue.
for (const contra of [false, true]) {
  const fin = ts('2026-01-01');
  const t = ts('2026-01-16');
  const inv = invoice({
    id: 'in_free',
    finalizedAt: fin,
    paidAt: fin,
    lines: [
      { id: 'il_plan', amount: 10000, product: 'prod_plan', start: fin, end: ts('2026-02-01') },
      { id: 'il_addon', amount: 2000, discount: 2000, product: 'prod_addon', start: fin, end: ts('2026-02-01') },
    ],
  });
  const txn = bt('txn_free', 10000, 0, fin, { source: 'ch_free' });
  const ch = charge('ch_free', 10000, fin, 'txn_free');
  const ip = invoicePayment('inpay_free', 'in_free', 'ch_free', 10000, fin);
  const cn = {
    id: 'cn_free',
    object: 'credit_note',
    invoice: 'in_free',
    customer: 'cus_golden',
    currency: 'usd',
    amount: 500,
    amount_shipping: 0,
    subtotal: 500,
    total: 500,
    total_excluding_tax: 500,
    discount_amount: 0,
    discount_amounts: [],
    pretax_credit_amounts: [],
    total_taxes: [],
    pre_payment_amount: 0,
    post_payment_amount: 500,
    out_of_band_amount: null,
    refunds: [],
    shipping_cost: null,
    status: 'issued',
    voided_at: null,
    effective_at: t,
    created: t,
    type: 'post_payment',
    reason: 'product_unsatisfactory',
    customer_balance_transaction: 'cbtxn_free',
    lines: {
      object: 'list',
      has_more: false,
      data: [
        {
          id: 'cnli_free',
          object: 'credit_note_line_item',
          type: 'invoice_line_item',
          invoice_line_item: 'il_addon',
          amount: 500,
          discount_amount: 0,
          discount_amounts: [],
          pretax_credit_amounts: [],
          taxes: [],
          tax_rates: [],
          quantity: 1,
        },
      ],
    },
  } as Obj;
  add({
    name: contra ? 'zero-net-line-as-contra' : 'zero-net-line',
    settings: { discounts_as_contra: contra },
    through: '2026-01-31',
    lines: [
      inv,
      txn,
      ch,
      ip,
      cn,
      event('evt_zn1', 'invoice.finalized', fin, inv),
      event('evt_zn2', 'invoice.paid', fin, inv),
      event('evt_zn3', 'credit_note.created', t, cn),
    ],
  });
}

// 39. No invoice payment in the stream: a 30.00 February plan finalized Feb 1 10:00 and paid by a
// charge with a payment intent five seconds later; 10.00 of it refunded Feb 15. A 12.00 charge of
// the same customer on Feb 10 matches no invoice: a one-time sale.
{
  const fin = ts('2026-02-01', 10);
  const paid = fin + 5;
  const back = ts('2026-02-15');
  const shop = ts('2026-02-10', 9);
  const open = invoice({
    id: 'in_nolink',
    finalizedAt: fin,
    lines: [{ id: 'il_nolink', amount: 3000, product: 'prod_plan', start: ts('2026-02-01'), end: ts('2026-03-01') }],
  });
  const paidInv = invoice({
    id: 'in_nolink',
    finalizedAt: fin,
    paidAt: paid,
    lines: [{ id: 'il_nolink', amount: 3000, product: 'prod_plan', start: ts('2026-02-01'), end: ts('2026-03-01') }],
  });
  const txn = bt('txn_nolink', 3000, 117, paid, { source: 'ch_nolink' });
  const ch = { ...charge('ch_nolink', 3000, paid, 'txn_nolink'), payment_intent: 'pi_nolink' } as Obj;
  const pi: Obj = {
    id: 'pi_nolink',
    object: 'payment_intent',
    amount: 3000,
    amount_received: 3000,
    created: paid,
    currency: 'usd',
    customer: 'cus_golden',
    latest_charge: 'ch_nolink',
    livemode: false,
    metadata: {},
    status: 'succeeded',
  };
  const rtx = bt('txn_re_nolink', -1000, 0, back, { type: 'refund' });
  const re = { ...refund('re_nolink', 'ch_nolink', 1000, back, 'txn_re_nolink'), payment_intent: 'pi_nolink' } as Obj;
  const stx = bt('txn_shop', 1200, 65, shop, { source: 'ch_shop' });
  const chShop = {
    ...charge('ch_shop', 1200, shop, 'txn_shop', { description: 'Sticker pack' }),
    payment_intent: 'pi_shop',
  } as Obj;
  add({
    name: 'charge-matched-to-open-invoice',
    settings: {},
    through: '2026-02-28',
    lines: [
      txn,
      rtx,
      stx,
      event('evt_nl1', 'invoice.finalized', fin, open),
      event('evt_nl2', 'payment_intent.succeeded', paid, pi),
      event('evt_nl3', 'charge.succeeded', paid, ch),
      event('evt_nl4', 'invoice.paid', paid, paidInv),
      event('evt_nl5', 'charge.succeeded', shop, chShop),
      event('evt_nl6', 'refund.created', back, re),
    ],
  });
}

// 40. A credit note for the shipping alone: 50.00 of goods (earned at booking) with 7.00 shipping
// taxed 0.56, finalized Mar 1; on Mar 5 a credit note refunds nothing but credits the shipping and
// its tax before payment; 50.00 paid Mar 10.
{
  const fin = ts('2026-03-01');
  const t = ts('2026-03-05');
  const paid = ts('2026-03-10');
  const inv = invoice({
    id: 'in_shipcn',
    finalizedAt: fin,
    paidAt: paid,
    amountPaid: 5000,
    shipping: { amount: 700, tax: 56, rate: 'shr_express' },
    lines: [{ id: 'il_goods', amount: 5000, product: 'prod_goods', start: fin, end: fin }],
  });
  const cn = {
    id: 'cn_ship',
    object: 'credit_note',
    invoice: 'in_shipcn',
    customer: 'cus_golden',
    currency: 'usd',
    amount: 756,
    amount_shipping: 700,
    subtotal: 0,
    total: 756,
    total_excluding_tax: 700,
    discount_amount: 0,
    discount_amounts: [],
    pretax_credit_amounts: [],
    total_taxes: [],
    pre_payment_amount: 756,
    post_payment_amount: 0,
    out_of_band_amount: null,
    refunds: [],
    shipping_cost: { amount_subtotal: 700, amount_tax: 56, amount_total: 756, shipping_rate: 'shr_express' },
    status: 'issued',
    voided_at: null,
    effective_at: t,
    created: t,
    type: 'pre_payment',
    reason: 'order_change',
    customer_balance_transaction: null,
    lines: { object: 'list', has_more: false, data: [] },
  } as Obj;
  const txn = bt('txn_shipcn', 5000, 0, paid, { source: 'ch_shipcn' });
  const ch = charge('ch_shipcn', 5000, paid, 'txn_shipcn');
  const ip = invoicePayment('inpay_shipcn', 'in_shipcn', 'ch_shipcn', 5000, paid);
  add({
    name: 'shipping-credit-note',
    settings: {},
    through: '2026-03-31',
    lines: [
      inv,
      cn,
      txn,
      ch,
      ip,
      event('evt_sc1', 'invoice.finalized', fin, inv),
      event('evt_sc2', 'credit_note.created', t, cn),
      event('evt_sc3', 'invoice.paid', paid, inv),
    ],
  });
}

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
