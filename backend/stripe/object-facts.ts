/**
 * Stripe objects → facts, one builder per object type (invoice and its payments, charge, refund,
 * credit note, dispute, invoice item), and the small conversions they share. `mapping.ts` decides
 * which builders an event calls; these read the current objects through the `StripeReader`, take
 * every instant from the objects themselves, and report what they cannot map as an exception.
 */
import { cancellationOf, lineCredits, storedValueOfInvoice } from './credit-facts.ts';
import type Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';
import { shippingLineId } from '../../shared/engine/facts.ts';
import type {
  BalanceTxnFact,
  ChargeSettlementFact,
  CreditNoteFact,
  CreditNoteLineFact,
  InvoiceFinalizedFact,
  InvoiceLineFact,
  PaymentFact,
  RefundFact,
  ShippingFact,
} from '../../shared/engine/facts.ts';
import { usageBilledFacts } from './usage-facts.ts';
import type { StripeReader } from './reader.ts';
import type { MappingResult } from './mapping.ts';
import { chargedMinor, matchedInvoiceOf } from './charge-invoice.ts';
import { invoiceItemFact } from './invoice-item-facts.ts';
import { stripeCurrency } from './stripe-currency.ts';

/**
 * Metadata key that signals fulfillment (policy: "an API call or a metadata flag"), on an invoice
 * (the whole invoice) or on one invoice line; the value is the instant, Unix seconds or ISO 8601.
 */
export const FULFILLMENT_METADATA_KEY = 'accrue_fulfilled_at';

/** Parses a fulfillment instant; null when the value is neither Unix seconds nor an ISO 8601 date-time. */
function parseInstant(v: string): number | null {
  if (/^\d{9,11}$/.test(v)) return Number(v);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/** Fulfillment facts from the invoice's and its lines' metadata. */
function fulfillmentFacts(invoice: Stripe.Invoice, out: MappingResult): void {
  const sources: { meta: Record<string, string> | null | undefined; line: string | null }[] = [
    { meta: invoice.metadata, line: null },
    ...(invoice.lines?.data ?? []).map((l) => ({ meta: l.metadata, line: l.id })),
  ];
  for (const { meta, line } of sources) {
    const raw = meta?.[FULFILLMENT_METADATA_KEY];
    if (raw === undefined || raw === '') continue;
    const at = parseInstant(raw);
    if (at === null) {
      out.exceptions.push({
        objectId: line ?? invoice.id,
        reason: `metadata ${FULFILLMENT_METADATA_KEY}="${raw}" is not Unix seconds or an ISO 8601 date-time`,
      });
      continue;
    }
    out.facts.push({
      type: 'fulfillment',
      id: `meta:${invoice.id}:${line ?? '*'}`,
      invoice: invoice.id,
      invoiceLine: line,
      product: null,
      at,
    });
  }
}

/** Refunds on one charge we read at most; a charge refunded more often than this is reported, not truncated silently. */
export const REFUNDS_PER_CHARGE_MAX = 100;

export function idOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string') return (v as { id: string }).id;
  return null;
}

export function big(n: number | null | undefined): bigint {
  if (n === null || n === undefined) return 0n;
  if (!Number.isSafeInteger(n))
    throw new AccrueError('invalid_input', `amount ${n} is not an integer number of minor units`);
  return BigInt(n);
}

function sum<T>(items: readonly T[] | null | undefined, pick: (t: T) => number | null | undefined): bigint {
  let s = 0n;
  for (const i of items ?? []) s += big(pick(i));
  return s;
}

export function btFact(bt: Stripe.BalanceTransaction | null): BalanceTxnFact | null {
  if (!bt) return null;
  const applicationFee = sum(
    (bt.fee_details ?? []).filter((d) => d.type === 'application_fee'),
    (d) => d.amount,
  );
  return {
    id: bt.id,
    amountMinor: big(bt.amount),
    feeMinor: big(bt.fee),
    currency: stripeCurrency(bt.currency, bt.id),
    exchangeRate: bt.exchange_rate === null || bt.exchange_rate === undefined ? null : String(bt.exchange_rate),
    created: bt.created,
    ...(applicationFee !== 0n ? { applicationFeeMinor: applicationFee } : {}),
  };
}

/**
 * Where a charge's money went besides the merchant's balance (Connect: application fee, transfer
 * to a connected account) and how much was captured; undefined when the charge is a plain one.
 */
export function chargeSettlement(charge: Stripe.Charge): ChargeSettlementFact | undefined {
  const amount = big(charge.amount);
  const captured = charge.captured && charge.amount_captured > 0 ? big(charge.amount_captured) : amount;
  const applicationFee = big(charge.application_fee_amount);
  const destination = charge.transfer_data ? idOf(charge.transfer_data.destination) : null;
  let transfer = 0n;
  let gross = 0n;
  if (charge.transfer_data) {
    const fixed = charge.transfer_data.amount;
    transfer = fixed === null || fixed === undefined ? captured - applicationFee : big(fixed);
    gross = fixed === null || fixed === undefined ? captured : big(fixed);
  }
  if (captured === amount && applicationFee === 0n && transfer === 0n) return undefined;
  return {
    capturedMinor: captured < amount ? captured : null,
    applicationFeeMinor: applicationFee,
    transferMinor: transfer,
    transferDestination: destination,
    ...(destination
      ? { transferGrossMinor: gross, transfer: idOf(charge.transfer), onBehalfOf: idOf(charge.on_behalf_of) }
      : {}),
  };
}

const PAYOUT_TYPES = new Set(['payout', 'payout_cancel', 'payout_failure']);

/**
 * The balance transactions an automatic payout paid out, without the payout's own; undefined
 * for a manual payout or when the reader cannot list them.
 */
export async function paidOutTransactions(
  reader: StripeReader,
  po: Stripe.Payout,
): Promise<BalanceTxnFact[] | undefined> {
  if (!reader.payoutBalanceTransactions || po.automatic === false) return undefined;
  const listed = await reader.payoutBalanceTransactions(po.id);
  const facts: BalanceTxnFact[] = [];
  for (const bt of listed) if (!PAYOUT_TYPES.has(bt.type)) facts.push(btFact(bt)!);
  return facts.length > 0 ? facts : undefined;
}

export async function readBt(reader: StripeReader, ref: unknown): Promise<BalanceTxnFact | null> {
  if (ref && typeof ref === 'object' && (ref as { object?: string }).object === 'balance_transaction')
    return btFact(ref as Stripe.BalanceTransaction);
  const id = idOf(ref);
  if (!id) return null;
  return btFact(await reader.getBalanceTransaction(id));
}

/** Maps one event to facts by re-reading the objects it concerns. */
export async function failureInstant(reader: StripeReader, po: Stripe.Payout): Promise<number> {
  const bt = idOf(po.failure_balance_transaction);
  if (bt) {
    const t = await reader.getBalanceTransaction(bt);
    if (t) return t.created;
  }
  return po.arrival_date;
}

/** Whether an invoice item was pending (created before the invoice that bills it) and spans time. */
export function isPendingItem(item: Stripe.InvoiceItem, invoiceCreated: number | null): boolean {
  if (invoiceCreated !== null && !(item.date < invoiceCreated)) return false;
  return item.proration || item.period.end > item.period.start;
}

function lineProduct(line: Stripe.InvoiceLineItem): { product: string | null; price: string | null } {
  const d = line.pricing?.price_details;
  return { product: d ? idOf(d.product) : null, price: d ? idOf(d.price) : null };
}

function lineInvoiceItem(line: Stripe.InvoiceLineItem): { item: string | null; proration: boolean } {
  const p = line.parent;
  if (!p) return { item: null, proration: false };
  if (p.invoice_item_details)
    return { item: p.invoice_item_details.invoice_item, proration: p.invoice_item_details.proration };
  if (p.subscription_item_details)
    return { item: p.subscription_item_details.invoice_item ?? null, proration: p.subscription_item_details.proration };
  return { item: null, proration: false };
}

/**
 * A document's shipping, net of tax and its tax (`shipping_cost`, else `amount_shipping` untaxed);
 * null when none. `amount_shipping` of zero says there is none, whatever `shipping_cost` holds.
 */
function shippingOf(doc: {
  shipping_cost?: { amount_total: number; amount_tax: number; shipping_rate?: unknown } | null;
  amount_shipping?: number | null;
}): ShippingFact | null {
  if (doc.amount_shipping === 0) return null;
  const cost = doc.shipping_cost;
  const total = cost ? big(cost.amount_total) : big(doc.amount_shipping);
  const tax = cost ? big(cost.amount_tax) : 0n;
  if (total === 0n && tax === 0n) return null;
  return { amountMinor: total - tax, taxMinor: tax, shippingRate: cost ? idOf(cost.shipping_rate) : null };
}

async function invoiceFinalizedFact(
  reader: StripeReader,
  invoice: Stripe.Invoice,
  out: MappingResult,
): Promise<InvoiceFinalizedFact> {
  const lines: InvoiceLineFact[] = [];
  for (const line of invoice.lines?.data ?? []) {
    const { product, price } = lineProduct(line);
    const { item, proration } = lineInvoiceItem(line);
    let pendingItemCreatedAt: number | null = null;
    if (item) {
      const ii = await reader.getInvoiceItem(item).catch((e: unknown) => {
        if (e instanceof AccrueError && e.code === 'not_found') return null;
        throw e;
      });
      if (ii && isPendingItem(ii, invoice.created)) {
        pendingItemCreatedAt = ii.date;
        // The item's own accrual, in case its invoiceitem.created event never arrives (same fact, deduplicated).
        out.facts.push(invoiceItemFact(ii));
      }
    }
    const credits = await lineCredits(reader, line, out);
    lines.push({
      id: line.id,
      amountMinor: big(line.amount),
      discountMinor: sum(line.discount_amounts, (d) => d.amount),
      creditMinor: credits.promotional,
      ...(credits.paid !== 0n ? { paidCreditMinor: credits.paid } : {}),
      inclusiveTaxMinor: sum(
        (line.taxes ?? []).filter((t) => t.tax_behavior === 'inclusive'),
        (t) => t.amount,
      ),
      exclusiveTaxMinor: sum(
        (line.taxes ?? []).filter((t) => t.tax_behavior !== 'inclusive'),
        (t) => t.amount,
      ),
      periodStart: line.period.start,
      periodEnd: line.period.end,
      product,
      price,
      proration,
      invoiceItem: item,
      pendingItemCreatedAt,
      description: line.description ?? null,
      ...nonEmptyMetadata(line.metadata),
    });
  }
  const shipping = shippingOf(invoice);
  return {
    type: 'invoice_finalized',
    invoice: invoice.id,
    customer: idOf(invoice.customer),
    ...(await customerMetadataOf(reader, invoice.customer)),
    currency: stripeCurrency(invoice.currency, invoice.id),
    at: invoice.status_transitions.finalized_at!,
    totalMinor: big(invoice.total),
    taxMinor: sum(invoice.total_taxes, (t) => t.amount),
    startingBalanceMinor: big(invoice.starting_balance),
    endingBalanceMinor: big(invoice.ending_balance ?? invoice.starting_balance),
    lines,
    ...(shipping ? { shipping } : {}),
  };
}

/** Everything an invoice's current state says: finalization, payments, void, write-off. */
export async function invoiceFacts(
  reader: StripeReader,
  invoiceId: string,
  out: MappingResult,
  withPayments: boolean,
  quietIfDraft = false,
): Promise<void> {
  const invoice = await reader.getInvoice(invoiceId);
  const st = invoice.status_transitions;
  if (!st.finalized_at) {
    if (!quietIfDraft)
      out.exceptions.push({ objectId: invoice.id, reason: 'invoice is not finalized yet; nothing to book' });
    return;
  }
  const finalized = await invoiceFinalizedFact(reader, invoice, out);
  out.facts.push(finalized, ...usageBilledFacts(finalized));
  // The balance applied may be stored value: the customer's balance transactions say.
  if (finalized.customer && finalized.endingBalanceMinor !== finalized.startingBalanceMinor)
    await storedValueOfInvoice(reader, finalized.customer, invoice.id, out);
  fulfillmentFacts(invoice, out);
  if (st.voided_at) out.facts.push({ type: 'invoice_voided', invoice: invoice.id, at: st.voided_at });
  if (st.marked_uncollectible_at)
    out.facts.push({ type: 'invoice_uncollectible', invoice: invoice.id, at: st.marked_uncollectible_at });
  if (!withPayments) return;
  let payments = await reader.listInvoicePayments(invoice.id);
  // Fallbacks when Stripe lists no invoice payment: the invoice's own `payments` (when the
  // object was sent with them expanded), then the `charge` field invoices had before API
  // version 2025-03-31 — both name the same payment the list would have.
  if (!payments.length) {
    const embedded = (invoice as unknown as { payments?: { data?: Stripe.InvoicePayment[] } }).payments?.data;
    if (embedded?.length) payments = embedded;
  }
  if (!payments.length) {
    const legacyCharge = idOf((invoice as unknown as { charge?: unknown }).charge);
    const paidOnStripe = big(invoice.amount_paid ?? 0) - big(invoice.amount_paid_off_stripe ?? 0);
    if (legacyCharge && paidOnStripe > 0n) {
      payments = [
        {
          id: `legacy:${invoice.id}`,
          object: 'invoice_payment',
          amount_paid: Number(paidOnStripe),
          currency: invoice.currency,
          status: 'paid',
          created: st.paid_at ?? st.finalized_at,
          status_transitions: { paid_at: st.paid_at ?? st.finalized_at, canceled_at: null },
          payment: { type: 'charge', charge: legacyCharge },
        } as unknown as Stripe.InvoicePayment,
      ];
    }
  }
  let outOfBandSeen = false;
  for (const p of payments) {
    if (p.status !== 'paid') continue;
    const f = await paymentFact(reader, invoice, p, out);
    if (f) {
      if (f.method === 'out_of_band') outOfBandSeen = true;
      out.facts.push(f);
    }
  }
  const offStripe = big(invoice.amount_paid_off_stripe ?? 0);
  if (offStripe > 0n && !outOfBandSeen) {
    out.facts.push({
      type: 'payment',
      invoice: invoice.id,
      payment: `oob:${invoice.id}`,
      method: 'out_of_band',
      amountMinor: offStripe,
      currency: stripeCurrency(invoice.currency, invoice.id),
      at: st.paid_at ?? st.finalized_at,
      balanceTransaction: null,
    });
  }
}

async function paymentFact(
  reader: StripeReader,
  invoice: Stripe.Invoice,
  p: Stripe.InvoicePayment,
  out: MappingResult,
): Promise<PaymentFact | null> {
  const amount = big(p.amount_paid ?? 0);
  const at = p.status_transitions.paid_at ?? p.created;
  const pay = p.payment;
  if (pay.type === 'payment_record') {
    return {
      type: 'payment',
      invoice: invoice.id,
      payment: idOf(pay.payment_record) ?? p.id,
      method: 'out_of_band',
      amountMinor: amount,
      currency: stripeCurrency(p.currency, p.id),
      at,
      balanceTransaction: null,
    };
  }
  let chargeId = idOf(pay.charge);
  if (!chargeId && pay.payment_intent) {
    chargeId = await reader.latestChargeOf(idOf(pay.payment_intent)!);
  }
  if (!chargeId) {
    out.exceptions.push({
      objectId: p.id,
      reason: 'invoice payment has no charge to read the balance transaction from',
    });
    return null;
  }
  const charge = await reader.getCharge(chargeId);
  const settlement = chargeSettlement(charge);
  return {
    type: 'payment',
    invoice: invoice.id,
    payment: charge.id,
    method: 'stripe',
    amountMinor: amount,
    currency: stripeCurrency(p.currency, p.id),
    at,
    balanceTransaction: await readBt(reader, charge.balance_transaction),
    ...(settlement ? { settlement } : {}),
  };
}

/**
 * A successful charge: an invoice payment when an invoice payment points at it; the payment of the
 * customer's open invoice of that amount when it has a payment intent that no invoice payment
 * names yet; else a one-time payment.
 */
export async function chargeFacts(reader: StripeReader, chargeId: string, out: MappingResult): Promise<void> {
  const ip = await reader.findInvoicePaymentByCharge(chargeId);
  if (ip) {
    const invoiceId = idOf(ip.invoice);
    if (invoiceId) await invoiceFacts(reader, invoiceId, out, true);
    return;
  }
  const charge = await reader.getCharge(chargeId);
  // Charges carried their invoice before API version 2025-03-31; honour it when it is there.
  const legacyInvoice = idOf((charge as unknown as { invoice?: unknown }).invoice);
  if (legacyInvoice) {
    await invoiceFacts(reader, legacyInvoice, out, true);
    return;
  }
  const matched = await matchedInvoiceOf(reader, charge);
  if (matched) {
    await invoiceFacts(reader, matched.id, out, true);
    out.facts.push(await matchedPaymentFact(reader, charge, matched.id));
    return;
  }
  if (charge.status !== 'succeeded' || !charge.captured) {
    out.exceptions.push({
      objectId: chargeId,
      reason: `charge is ${charge.status}${charge.captured ? '' : ' and not captured'}; nothing to book`,
    });
    return;
  }
  const settlement = chargeSettlement(charge);
  out.facts.push({
    type: 'charge',
    charge: charge.id,
    customer: idOf(charge.customer),
    amountMinor: chargedMinor(charge),
    currency: stripeCurrency(charge.currency, charge.id),
    at: charge.created,
    balanceTransaction: await readBt(reader, charge.balance_transaction),
    description: charge.description ?? null,
    ...(settlement ? { settlement } : {}),
  });
}

/**
 * The invoice a charge paid: its invoice payment's, its own (before 2025-03-31), or the matched
 * open invoice's — whose payment by this charge is then among the facts, as no invoice payment
 * reports it.
 */
export async function invoiceOfCharge(
  reader: StripeReader,
  chargeId: string,
  out: MappingResult,
): Promise<string | null> {
  const ip = await reader.findInvoicePaymentByCharge(chargeId);
  if (ip) return idOf(ip.invoice);
  const charge = await reader.getCharge(chargeId);
  const legacy = idOf((charge as unknown as { invoice?: unknown }).invoice);
  if (legacy) return legacy;
  const matched = await matchedInvoiceOf(reader, charge);
  if (!matched) return null;
  out.facts.push(await matchedPaymentFact(reader, charge, matched.id));
  return matched.id;
}

/** The payment of a matched invoice by a charge no invoice payment names. */
async function matchedPaymentFact(reader: StripeReader, charge: Stripe.Charge, invoice: string): Promise<PaymentFact> {
  return {
    type: 'payment',
    invoice,
    payment: charge.id,
    method: 'stripe',
    amountMinor: chargedMinor(charge),
    currency: stripeCurrency(charge.currency, charge.id),
    at: charge.created,
    balanceTransaction: await readBt(reader, charge.balance_transaction),
  };
}

export async function refundFacts(reader: StripeReader, refundId: string, out: MappingResult): Promise<void> {
  const r = await reader.getRefund(refundId);
  let charge = idOf(r.charge);
  if (!charge && r.payment_intent) charge = await reader.latestChargeOf(idOf(r.payment_intent)!);
  if (!charge) {
    out.exceptions.push({ objectId: r.id, reason: 'refund has no charge (payment record refunds are not supported)' });
    return;
  }
  const invoice = await invoiceOfCharge(reader, charge, out);
  if (!invoice) await chargeFacts(reader, charge, out);
  else {
    await invoiceFacts(reader, invoice, out, true);
    // How a refund of an invoice's payment is booked depends on the invoice's credit notes: the
    // one that made this refund, if any (a refund does not name it), and those that reduced what
    // the invoice carries. Stripe delivers events in no fixed order, so the refund's event may be
    // processed before theirs: their facts come with the refund's.
    for (const creditNote of await reader.creditNotesOfInvoice(invoice)) await creditNoteFacts(reader, creditNote, out);
  }
  const fact: RefundFact = {
    type: 'refund',
    refund: r.id,
    charge,
    invoice,
    amountMinor: big(r.amount),
    currency: stripeCurrency(r.currency, r.id),
    at: r.created,
    balanceTransaction: await readBt(reader, r.balance_transaction),
  };
  out.facts.push(fact);
  if (r.status === 'failed' || r.status === 'canceled') {
    const failBt = r.failure_balance_transaction ? await readBt(reader, r.failure_balance_transaction) : null;
    out.facts.push({ type: 'refund_failed', refund: r.id, charge, invoice, at: failBt?.created ?? r.created });
  }
}

export async function creditNoteFacts(reader: StripeReader, cnId: string, out: MappingResult): Promise<void> {
  const cn = await reader.getCreditNote(cnId);
  const invoiceId = idOf(cn.invoice);
  if (!invoiceId) {
    out.exceptions.push({ objectId: cn.id, reason: 'credit note names no invoice' });
    return;
  }
  await invoiceFacts(reader, invoiceId, out, true);
  const refundMinor = sum(cn.refunds, (r) => r.amount_refunded);
  const lines = creditNoteLines(cn);
  let taxMinor = sum(cn.total_taxes, (t) => t.amount);
  const shipping = shippingOf(cn);
  if (shipping) {
    lines.push({ invoiceLine: shippingLineId(invoiceId), amountMinor: shipping.amountMinor });
    // Shipping tax counts once: added unless `total_taxes` already holds it.
    let rest = big(cn.total) - taxMinor - shipping.amountMinor;
    for (const line of lines.slice(0, -1)) rest -= line.amountMinor;
    if (rest === shipping.taxMinor) taxMinor += shipping.taxMinor;
  }
  const outOfBand = big(cn.out_of_band_amount ?? 0);
  const post = big(cn.post_payment_amount);
  const noteAt = cn.effective_at ?? cn.created;
  const cancellationAt = await cancellationOf(
    reader,
    invoiceId,
    lines.map((l) => l.invoiceLine),
    noteAt,
  );
  const fact: CreditNoteFact = {
    ...(cancellationAt !== undefined ? { cancellationAt } : {}),
    type: 'credit_note',
    creditNote: cn.id,
    invoice: invoiceId,
    currency: stripeCurrency(cn.currency, cn.id),
    at: cn.effective_at ?? cn.created,
    totalMinor: big(cn.total),
    taxMinor,
    lines,
    prePaymentMinor: big(cn.pre_payment_amount),
    refundMinor,
    outOfBandMinor: outOfBand,
    // What the post-payment amount did not refund or settle out of band went to the customer balance.
    customerBalanceMinor: post - refundMinor - outOfBand,
    refunds: cn.refunds.map((r) => idOf(r.refund)).filter((x): x is string => x !== null),
  };
  out.facts.push(fact);
  if (cn.status === 'void' && cn.voided_at)
    out.facts.push({ type: 'credit_note_voided', creditNote: cn.id, invoice: invoiceId, at: cn.voided_at });
}

/** A credit note's lines, each net of its discounts, billing credits and inclusive tax. */
function creditNoteLines(cn: Stripe.CreditNote): CreditNoteLineFact[] {
  return (cn.lines?.data ?? []).map((l) => ({
    invoiceLine: l.type === 'invoice_line_item' ? (l.invoice_line_item ?? null) : null,
    amountMinor:
      big(l.amount) -
      big(l.discount_amount) -
      sum(
        (l.pretax_credit_amounts ?? []).filter((c) => c.type === 'credit_balance_transaction'),
        (c) => c.amount,
      ) -
      sum(
        (l.taxes ?? []).filter((t) => t.tax_behavior === 'inclusive'),
        (t) => t.amount,
      ),
  }));
}

/** `{ metadata }` when the object has any, else nothing, so facts without metadata keep their shape. */
function nonEmptyMetadata(metadata: Stripe.Metadata | null | undefined): { metadata?: Record<string, string> } {
  return metadata && Object.keys(metadata).length > 0 ? { metadata: { ...metadata } } : {};
}

/** The customer's metadata (rules may match on it), expanded or read; none for a deleted or unknown one. */
async function customerMetadataOf(reader: StripeReader, customer: Stripe.Invoice['customer']) {
  const metadata =
    typeof customer === 'string'
      ? await reader.customerMetadata?.(customer).catch((e: unknown) => {
          if (e instanceof AccrueError && e.code === 'not_found') return null;
          throw e;
        })
      : customer && !customer.deleted && customer.metadata;
  return metadata && Object.keys(metadata).length > 0 ? { customerMetadata: { ...metadata } } : {};
}
