/**
 * Builders of Stripe objects in `2026-10-28.endive` shapes (field lists from stripe@23.1.0 types and
 * /work/shared/reference/stripe-apps.md §8), for tests and the sample business. Each builder fills
 * the fields the engine reads with consistent values and takes overrides for the rest; ids are
 * passed in or drawn from a per-builder counter so tests stay deterministic.
 */
import type { StripeObject } from '../../stripe/reader.ts';

type Overrides = Record<string, unknown>;

let counter = 0;
/** A deterministic id with Stripe's prefix (`in_`, `ch_`, …); `resetIds()` restarts the sequence. */
export function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}_${String(counter).padStart(14, '0')}`;
}
export function resetIds(): void {
  counter = 0;
}

const obj = (o: Overrides): StripeObject => o as StripeObject;

export interface LineSpec {
  id?: string;
  amount: number;
  currency?: string;
  description?: string;
  price?: string;
  product?: string;
  quantity?: number;
  period: { start: number; end: number };
  subscription?: string | null;
  proration?: boolean;
  invoiceItem?: string | null;
  /** Where the line came from; defaults to the subscription unless `invoiceItem` is set. */
  parentType?: 'subscription_item_details' | 'invoice_item_details';
  discountAmounts?: { amount: number; discount: string }[];
  taxes?: { amount: number; tax_rate: string; taxable_amount: number }[];
  unitAmountDecimal?: string;
}

/** An invoice line item (`object: 'line_item'`). Subscription lines unless `invoiceItem` is set. */
export function invoiceLine(invoice: string, spec: LineSpec, overrides: Overrides = {}): StripeObject {
  const quantity = spec.quantity ?? 1;
  const fromItem = (spec.parentType ?? ((spec.invoiceItem !== null && spec.invoiceItem !== undefined) ? 'invoice_item_details' : 'subscription_item_details')) === 'invoice_item_details';
  const subscription = spec.subscription ?? null;
  return obj({
    id: spec.id ?? nextId('il'),
    object: 'line_item',
    amount: spec.amount,
    currency: spec.currency ?? 'usd',
    description: spec.description ?? `${quantity} × plan`,
    discount_amounts: spec.discountAmounts ?? [],
    discountable: true,
    discounts: (spec.discountAmounts ?? []).map((d) => d.discount),
    invoice,
    livemode: false,
    metadata: {},
    parent: fromItem
      ? {
          type: 'invoice_item_details',
          invoice_item_details: { invoice_item: spec.invoiceItem, proration: spec.proration ?? false, proration_details: { credited_items: null }, subscription },
          subscription_item_details: null,
        }
      : {
          type: 'subscription_item_details',
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: spec.invoiceItem ?? null,
            proration: spec.proration ?? false,
            proration_details: { credited_items: null },
            subscription,
            subscription_item: subscription ? `si_${subscription.slice(4)}` : null,
          },
        },
    period: spec.period,
    pretax_credit_amounts: (spec.discountAmounts ?? []).map((d) => ({ amount: d.amount, discount: d.discount, type: 'discount' })),
    pricing: {
      type: 'price_details',
      price_details: { price: spec.price ?? 'price_default', product: spec.product ?? 'prod_default' },
      unit_amount_decimal: spec.unitAmountDecimal ?? String(Math.trunc(spec.amount / quantity)),
    },
    quantity,
    quantity_decimal: String(quantity),
    subscription,
    subtotal: spec.amount,
    taxes: (spec.taxes ?? []).map((t) => ({
      amount: t.amount,
      tax_behavior: 'exclusive',
      tax_rate_details: { tax_rate: t.tax_rate },
      taxability_reason: 'standard_rated',
      taxable_amount: t.taxable_amount,
      type: 'tax_rate_details',
    })),
    ...overrides,
  });
}

export interface InvoiceSpec {
  id?: string;
  customer: string;
  currency?: string;
  created: number;
  lines: LineSpec[];
  status?: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  subscription?: string | null;
  number?: string;
  billingReason?: string;
  paidAt?: number | null;
}

/** A finalized invoice whose totals are summed from its lines; `lines.data` holds every line. */
export function invoice(spec: InvoiceSpec, overrides: Overrides = {}): StripeObject {
  const id = spec.id ?? nextId('in');
  const currency = spec.currency ?? 'usd';
  const lines = spec.lines.map((l) => invoiceLine(id, { currency, subscription: spec.subscription ?? null, ...l }));
  const subtotal = spec.lines.reduce((s, l) => s + l.amount, 0);
  const discount = spec.lines.reduce((s, l) => s + (l.discountAmounts ?? []).reduce((a, d) => a + d.amount, 0), 0);
  const tax = spec.lines.reduce((s, l) => s + (l.taxes ?? []).reduce((a, t) => a + t.amount, 0), 0);
  const total = subtotal - discount + tax;
  const status = spec.status ?? 'paid';
  const paid = status === 'paid';
  const periods = spec.lines.map((l) => l.period);
  return obj({
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Sample Co',
    account_tax_ids: null,
    amount_due: total,
    amount_overpaid: 0,
    amount_paid: paid ? total : 0,
    amount_paid_off_stripe: 0,
    amount_remaining: paid ? 0 : total,
    amount_shipping: 0,
    application: null,
    attempt_count: paid ? 1 : 0,
    attempted: paid,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: spec.billingReason ?? (spec.subscription ? 'subscription_cycle' : 'manual'),
    collection_method: 'charge_automatically',
    created: spec.created,
    currency,
    custom_fields: null,
    customer: spec.customer,
    customer_account: null,
    customer_email: null,
    customer_name: null,
    default_payment_method: null,
    description: null,
    discounts: [],
    due_date: null,
    effective_at: spec.created,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: lines, has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: spec.number ?? `INV-${id.slice(-6)}`,
    on_behalf_of: null,
    parent: spec.subscription
      ? { type: 'subscription_details', quote_details: null, subscription_details: { metadata: {}, subscription: spec.subscription } }
      : null,
    period_end: periods.length ? Math.max(...periods.map((p) => p.end)) : spec.created,
    period_start: periods.length ? Math.min(...periods.map((p) => p.start)) : spec.created,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    starting_balance: 0,
    statement_descriptor: null,
    status,
    status_transitions: {
      finalized_at: spec.created,
      marked_uncollectible_at: status === 'uncollectible' ? spec.created : null,
      paid_at: paid ? (spec.paidAt ?? spec.created) : null,
      voided_at: status === 'void' ? spec.created : null,
    },
    subtotal,
    subtotal_excluding_tax: subtotal,
    test_clock: null,
    total,
    total_discount_amounts: discount ? [{ amount: discount, discount: 'di_default' }] : [],
    total_excluding_tax: subtotal - discount,
    total_pretax_credit_amounts: [],
    total_taxes: tax
      ? [{ amount: tax, tax_behavior: 'exclusive', tax_rate_details: { tax_rate: 'txr_default' }, taxability_reason: 'standard_rated', taxable_amount: subtotal - discount, type: 'tax_rate_details' }]
      : [],
    webhooks_delivered_at: spec.created,
    ...overrides,
  });
}

/** A balance transaction; `exchange_rate` is set when the charge currency differs from settlement. */
export function balanceTransaction(spec: {
  id?: string;
  amount: number;
  fee?: number;
  currency?: string;
  created: number;
  type: string;
  source: string | null;
  exchangeRate?: number | null;
  reportingCategory?: string;
}, overrides: Overrides = {}): StripeObject {
  const fee = spec.fee ?? 0;
  return obj({
    id: spec.id ?? nextId('txn'),
    object: 'balance_transaction',
    amount: spec.amount,
    available_on: spec.created + 2 * 86_400,
    balance_type: 'payments',
    created: spec.created,
    currency: spec.currency ?? 'usd',
    description: null,
    exchange_rate: spec.exchangeRate ?? null,
    fee,
    fee_details: fee ? [{ amount: fee, application: null, currency: spec.currency ?? 'usd', description: 'Stripe processing fees', type: 'stripe_fee' }] : [],
    net: spec.amount - fee,
    reporting_category: spec.reportingCategory ?? spec.type,
    source: spec.source,
    status: 'available',
    type: spec.type,
    ...overrides,
  });
}

/** A payment intent that succeeded with one charge. */
export function paymentIntent(spec: { id?: string; amount: number; currency?: string; customer: string; created: number; latestCharge: string }, overrides: Overrides = {}): StripeObject {
  return obj({
    id: spec.id ?? nextId('pi'),
    object: 'payment_intent',
    amount: spec.amount,
    amount_capturable: 0,
    amount_received: spec.amount,
    application: null,
    application_fee_amount: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: null,
    confirmation_method: 'automatic',
    created: spec.created,
    currency: spec.currency ?? 'usd',
    customer: spec.customer,
    customer_account: null,
    description: null,
    last_payment_error: null,
    latest_charge: spec.latestCharge,
    livemode: false,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: 'pm_card_visa',
    payment_method_types: ['card'],
    status: 'succeeded',
    ...overrides,
  });
}

/** A captured charge. */
export function charge(spec: {
  id?: string;
  amount: number;
  currency?: string;
  customer: string;
  created: number;
  paymentIntent: string | null;
  balanceTransaction: string | null;
  amountRefunded?: number;
  disputed?: boolean;
}, overrides: Overrides = {}): StripeObject {
  const refunded = spec.amountRefunded ?? 0;
  return obj({
    id: spec.id ?? nextId('ch'),
    object: 'charge',
    amount: spec.amount,
    amount_captured: spec.amount,
    amount_refunded: refunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: spec.balanceTransaction,
    billing_details: { address: null, email: null, name: null, phone: null },
    calculated_statement_descriptor: 'SAMPLE CO',
    captured: true,
    created: spec.created,
    currency: spec.currency ?? 'usd',
    customer: spec.customer,
    description: null,
    disputed: spec.disputed ?? false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: {},
    on_behalf_of: null,
    outcome: { network_status: 'approved_by_network', reason: null, risk_level: 'normal', seller_message: 'Payment complete.', type: 'authorized' },
    paid: true,
    payment_intent: spec.paymentIntent,
    payment_method: 'pm_card_visa',
    receipt_email: null,
    receipt_number: null,
    refunded: refunded >= spec.amount && spec.amount > 0,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
    ...overrides,
  });
}

/** The link between an invoice and the payment that paid it. */
export function invoicePayment(spec: {
  id?: string;
  invoice: string;
  amount: number;
  currency?: string;
  created: number;
  paymentIntent?: string;
  charge?: string;
  status?: 'paid' | 'open' | 'canceled';
  isDefault?: boolean;
}, overrides: Overrides = {}): StripeObject {
  const status = spec.status ?? 'paid';
  return obj({
    id: spec.id ?? nextId('inpay'),
    object: 'invoice_payment',
    amount_paid: status === 'paid' ? spec.amount : null,
    amount_requested: spec.amount,
    created: spec.created,
    currency: spec.currency ?? 'usd',
    invoice: spec.invoice,
    is_default: spec.isDefault ?? true,
    livemode: false,
    payment: spec.paymentIntent ? { type: 'payment_intent', payment_intent: spec.paymentIntent } : { type: 'charge', charge: spec.charge },
    status,
    status_transitions: { canceled_at: status === 'canceled' ? spec.created : null, paid_at: status === 'paid' ? spec.created : null },
    ...overrides,
  });
}

/** A refund of (part of) a charge. */
export function refund(spec: { id?: string; amount: number; currency?: string; charge: string; paymentIntent: string | null; created: number; balanceTransaction: string | null }, overrides: Overrides = {}): StripeObject {
  return obj({
    id: spec.id ?? nextId('re'),
    object: 'refund',
    amount: spec.amount,
    balance_transaction: spec.balanceTransaction,
    charge: spec.charge,
    created: spec.created,
    currency: spec.currency ?? 'usd',
    customer: null,
    customer_account: null,
    metadata: {},
    payment_intent: spec.paymentIntent,
    payment_method: 'pm_card_visa',
    reason: 'requested_by_customer',
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
    ...overrides,
  });
}

export interface CreditNoteLineSpec {
  id?: string;
  amount: number;
  invoiceLineItem?: string;
  quantity?: number;
  description?: string;
}

/** A credit note line (`credit_note_line_item`). */
export function creditNoteLine(spec: CreditNoteLineSpec, overrides: Overrides = {}): StripeObject {
  const quantity = spec.quantity ?? 1;
  return obj({
    id: spec.id ?? nextId('cnli'),
    object: 'credit_note_line_item',
    amount: spec.amount,
    description: spec.description ?? 'Credit',
    discount_amount: 0,
    discount_amounts: [],
    ...(spec.invoiceLineItem ? { invoice_line_item: spec.invoiceLineItem } : {}),
    livemode: false,
    metadata: {},
    pretax_credit_amounts: [],
    quantity,
    tax_rates: [],
    taxes: [],
    type: spec.invoiceLineItem ? 'invoice_line_item' : 'custom_line_item',
    unit_amount: Math.trunc(spec.amount / quantity),
    unit_amount_decimal: String(Math.trunc(spec.amount / quantity)),
    ...overrides,
  });
}

/** A credit note against an invoice; amounts summed from its lines. */
export function creditNote(spec: {
  id?: string;
  invoice: string;
  customer: string;
  currency?: string;
  created: number;
  lines: CreditNoteLineSpec[];
  type?: 'pre_payment' | 'post_payment' | 'mixed';
  refunds?: { refund: string; amount_refunded: number }[];
  customerBalanceTransaction?: string | null;
}, overrides: Overrides = {}): StripeObject {
  const id = spec.id ?? nextId('cn');
  const total = spec.lines.reduce((s, l) => s + l.amount, 0);
  const type = spec.type ?? 'post_payment';
  return obj({
    id,
    object: 'credit_note',
    amount: total,
    amount_shipping: 0,
    created: spec.created,
    currency: spec.currency ?? 'usd',
    customer: spec.customer,
    customer_account: null,
    customer_balance_transaction: spec.customerBalanceTransaction ?? null,
    discount_amount: 0,
    discount_amounts: [],
    effective_at: spec.created,
    invoice: spec.invoice,
    lines: { object: 'list', data: spec.lines.map((l) => creditNoteLine(l)), has_more: false, url: `/v1/credit_notes/${id}/lines` },
    livemode: false,
    memo: null,
    metadata: {},
    number: `CN-${id.slice(-6)}`,
    out_of_band_amount: null,
    pdf: `https://pay.stripe.com/credit_notes/${id}/pdf`,
    post_payment_amount: type === 'pre_payment' ? 0 : total,
    pre_payment_amount: type === 'pre_payment' ? total : 0,
    pretax_credit_amounts: [],
    reason: 'order_change',
    refunds: (spec.refunds ?? []).map((r) => ({ amount_refunded: r.amount_refunded, refund: r.refund, type: 'refund' })),
    shipping_cost: null,
    status: 'issued',
    subtotal: total,
    subtotal_excluding_tax: total,
    total,
    total_excluding_tax: total,
    total_taxes: [],
    type,
    voided_at: null,
    ...overrides,
  });
}

/** A dispute with its withdrawal (and, when won, reinstatement) balance transactions embedded. */
export function dispute(spec: {
  id?: string;
  amount: number;
  currency?: string;
  charge: string;
  paymentIntent: string | null;
  created: number;
  status: 'needs_response' | 'under_review' | 'won' | 'lost';
  balanceTransactions: StripeObject[];
}, overrides: Overrides = {}): StripeObject {
  return obj({
    id: spec.id ?? nextId('dp'),
    object: 'dispute',
    amount: spec.amount,
    balance_transactions: spec.balanceTransactions,
    charge: spec.charge,
    created: spec.created,
    currency: spec.currency ?? 'usd',
    enhanced_eligibility_types: [],
    evidence: {},
    evidence_details: { due_by: spec.created + 7 * 86_400, has_evidence: spec.status !== 'needs_response', past_due: false, submission_count: spec.status === 'needs_response' ? 0 : 1 },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode: false,
    metadata: {},
    network_reason_code: '10.4',
    payment_intent: spec.paymentIntent,
    reason: 'fraudulent',
    status: spec.status,
    ...overrides,
  });
}

/** A paid automatic payout. */
export function payout(spec: { id?: string; amount: number; currency?: string; created: number; balanceTransaction: string | null }, overrides: Overrides = {}): StripeObject {
  return obj({
    id: spec.id ?? nextId('po'),
    object: 'payout',
    amount: spec.amount,
    application_fee: null,
    application_fee_amount: null,
    arrival_date: spec.created + 2 * 86_400,
    automatic: true,
    balance_transaction: spec.balanceTransaction,
    created: spec.created,
    currency: spec.currency ?? 'usd',
    description: 'STRIPE PAYOUT',
    destination: 'ba_default',
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: false,
    metadata: {},
    method: 'standard',
    original_payout: null,
    payout_method: null,
    reconciliation_status: 'completed',
    reversed_by: null,
    source_type: 'card',
    statement_descriptor: null,
    status: 'paid',
    trace_id: { status: 'supported', value: null },
    type: 'bank_account',
    ...overrides,
  });
}

/** A one-off invoice item (setup fee, manual charge). */
export function invoiceItem(spec: { id?: string; amount: number; currency?: string; customer: string; invoice: string | null; date: number; period: { start: number; end: number }; price?: string; product?: string }, overrides: Overrides = {}): StripeObject {
  return obj({
    id: spec.id ?? nextId('ii'),
    object: 'invoiceitem',
    amount: spec.amount,
    currency: spec.currency ?? 'usd',
    customer: spec.customer,
    customer_account: null,
    date: spec.date,
    description: 'One-off item',
    discountable: true,
    discounts: [],
    invoice: spec.invoice,
    livemode: false,
    metadata: {},
    parent: null,
    period: spec.period,
    pricing: { type: 'price_details', price_details: { price: spec.price ?? 'price_default', product: spec.product ?? 'prod_default' }, unit_amount_decimal: String(spec.amount) },
    proration: false,
    quantity: 1,
    quantity_decimal: '1',
    tax_rates: [],
    test_clock: null,
    ...overrides,
  });
}

/** A customer. */
export function customer(spec: { id?: string; created: number; currency?: string; name?: string; balance?: number }, overrides: Overrides = {}): StripeObject {
  const id = spec.id ?? nextId('cus');
  return obj({
    id,
    object: 'customer',
    address: null,
    balance: spec.balance ?? 0,
    created: spec.created,
    currency: spec.currency ?? 'usd',
    default_source: null,
    delinquent: false,
    description: null,
    email: `${id}@example.test`,
    invoice_prefix: id.slice(-8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: {},
    name: spec.name ?? `Customer ${id.slice(-4)}`,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
    ...overrides,
  });
}

/** A change to a customer's credit balance (applied to an invoice, or from a credit note). */
export function customerBalanceTransaction(spec: { id?: string; customer: string; amount: number; currency?: string; created: number; type: string; invoice?: string | null; creditNote?: string | null; endingBalance: number }, overrides: Overrides = {}): StripeObject {
  return obj({
    id: spec.id ?? nextId('cbtxn'),
    object: 'customer_balance_transaction',
    amount: spec.amount,
    checkout_session: null,
    created: spec.created,
    credit_note: spec.creditNote ?? null,
    currency: spec.currency ?? 'usd',
    customer: spec.customer,
    customer_account: null,
    description: null,
    ending_balance: spec.endingBalance,
    invoice: spec.invoice ?? null,
    livemode: false,
    metadata: {},
    type: spec.type,
    ...overrides,
  });
}

/** A product. */
export function product(spec: { id?: string; name: string; created: number }, overrides: Overrides = {}): StripeObject {
  return obj({
    id: spec.id ?? nextId('prod'),
    object: 'product',
    active: true,
    created: spec.created,
    default_price: null,
    description: null,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: {},
    name: spec.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    type: 'service',
    unit_label: null,
    updated: spec.created,
    url: null,
    ...overrides,
  });
}

/** A price; recurring when `interval` is given. */
export function price(spec: { id?: string; product: string; unitAmount: number; currency?: string; created: number; interval?: 'month' | 'year' | null }, overrides: Overrides = {}): StripeObject {
  return obj({
    id: spec.id ?? nextId('price'),
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: spec.created,
    currency: spec.currency ?? 'usd',
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: spec.product,
    recurring: spec.interval ? { interval: spec.interval, interval_count: 1, meter: null, usage_type: 'licensed' } : null,
    tax_behavior: 'exclusive',
    tiers_mode: null,
    transform_quantity: null,
    type: spec.interval ? 'recurring' : 'one_time',
    unit_amount: spec.unitAmount,
    unit_amount_decimal: String(spec.unitAmount),
    ...overrides,
  });
}

/** A Connect event carrying a snapshot of `object`. */
export function event(spec: { id?: string; type: string; created: number; account?: string; object: StripeObject; previousAttributes?: Record<string, unknown> }): StripeObject {
  return obj({
    id: spec.id ?? nextId('evt'),
    object: 'event',
    ...(spec.account ? { account: spec.account } : {}),
    api_version: '2026-10-28.endive',
    context: spec.account ?? null,
    created: spec.created,
    data: { object: structuredClone(spec.object), ...(spec.previousAttributes ? { previous_attributes: spec.previousAttributes } : {}) },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: spec.type,
  });
}
