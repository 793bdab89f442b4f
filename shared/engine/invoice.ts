/**
 * Booking an invoice (docs/accounting.md §3): its rate, its finalization entry and the
 * obligations of its lines, the customer balance applied, its later events in order, and
 * recognition period by period.
 */
import { minor } from '../money.ts';
import type { Decimal } from '../money.ts';
import { addException, emit, type AggregateBook } from './aggregate-book.ts';
import { allocateSignedOrZeros, convertMinor } from './allocation.ts';
import { dateOf } from './context.ts';
import {
  factKey,
  shippingLineId,
  type Fact,
  type InvoiceFinalizedFact,
  type InvoiceLineFact,
  type PaymentFact,
  type ShippingFact,
} from './facts.ts';
import { invoiceBookingRate, originalAmount, rateOrException } from './fx.ts';
import { connectIndex } from './connect-share.ts';
import { bookInvoiceEvents } from './invoice-events.ts';
import { bookFinalization } from './invoice-lines.ts';
import { invoiceDimensions, takeReceivable, type BookedLine, type InvoiceState } from './invoice-state.ts';
import { bookRecognition } from './recognition.ts';

export function bookInvoice(book: AggregateBook, fact: InvoiceFinalizedFact, facts: Fact[]): void {
  const context = book.context;
  const payments = facts
    .filter((f): f is PaymentFact => f.type === 'payment')
    .sort((a, b) => a.at - b.at || (a.payment < b.payment ? -1 : 1));
  const rate = rateOrException(book, invoiceBookingRate(context, fact, payments), {
    objectId: fact.invoice,
    factKey: factKey(fact),
    from: fact.currency,
    date: dateOf(context, fact.at),
  });
  if (!rate) return;
  const balanceApplied = fact.endingBalanceMinor - fact.startingBalanceMinor;
  const paidAt = paidInstant(fact, facts, payments, balanceApplied);
  const invoice = newInvoiceState(book, fact, rate);
  invoice.connect = connectIndex(book, facts);
  bookFinalization(book, invoice, { context, invoice: fact, facts, paidAt });
  // Paid billing credits settle their part of the receivable; the grant books that entry (credit-grants.ts).
  takeReceivable(invoice, paidCredits(fact), context.functionalCurrency);
  bookCustomerBalance(book, invoice, balanceApplied);
  bookInvoiceEvents(book, invoice, facts);
  bookRecognition(book, invoice);
}

/**
 * When the invoice was fully paid (the trigger of payment-triggered obligations): at
 * finalization when nothing was due after the customer balance and pre-payment credit notes,
 * else at the payment that covered what was due; null while it is not paid.
 */
function paidInstant(
  fact: InvoiceFinalizedFact,
  facts: Fact[],
  payments: PaymentFact[],
  balanceApplied: bigint,
): number | null {
  let due = fact.totalMinor - balanceApplied;
  for (const f of facts) if (f.type === 'credit_note') due -= f.prePaymentMinor;
  if (due <= 0n) return fact.at;
  let paid = 0n;
  for (const payment of payments) {
    paid += payment.amountMinor;
    if (paid >= due) return payment.at;
  }
  return null;
}

/** Credits from paid grants applied to an invoice's lines: consideration, not a price reduction. */
function paidCredits(fact: InvoiceFinalizedFact): bigint {
  let total = 0n;
  for (const line of fact.lines) total += line.paidCreditMinor ?? 0n;
  return total;
}

/** Net of a line excluding tax: amount − discounts − promotional credits − inclusive tax (paid credits stay). */
function lineNet(line: InvoiceLineFact): bigint {
  if (line.discountMinor === 0n && line.creditMinor === 0n && line.inclusiveTaxMinor === 0n) return line.amountMinor;
  return line.amountMinor - line.discountMinor - line.creditMinor - line.inclusiveTaxMinor;
}

/**
 * The invoice's state at finalization. The receivable is its lines' nets, its shipping (one more
 * line) and tax (an invoice total that differs is an exception, booked on the lines), converted
 * once; the lines and tax are split from the converted total by largest remainder, so the entry
 * balances exactly.
 */
function newInvoiceState(book: AggregateBook, fact: InvoiceFinalizedFact, rate: Decimal): InvoiceState {
  const context = book.context;
  const shippingLine = fact.shipping ? shippingLineOf(fact, fact.shipping) : null;
  const invoiceLines = shippingLine ? [...fact.lines, shippingLine] : fact.lines;
  const lineNets = invoiceLines.map(lineNet);
  let total = fact.taxMinor;
  for (const net of lineNets) total += net;
  // Shipping tax counts once: added to the invoice's tax unless `total_taxes` already holds it.
  const shippingTax = fact.shipping && fact.totalMinor - total === fact.shipping.taxMinor ? fact.shipping.taxMinor : 0n;
  const tax = fact.taxMinor + shippingTax;
  total += shippingTax;
  // Stripe's total is after every pretax credit; paid credits are still owed, by the grant.
  const expected = fact.totalMinor + paidCredits(fact);
  if (total !== expected) {
    const reason =
      `invoice total ${expected} (with paid credits) differs from its lines, shipping and tax (${total}); ` +
      'booked on the lines (invoice-level amounts other than shipping are not supported)';
    addException(book, fact.invoice, factKey(fact), reason);
  }
  const totalFunctional = convertMinor(total, fact.currency, context.functionalCurrency, rate);
  const weights = [...lineNets, tax];
  // Shares of a total equal to the weights' own sum are the weights themselves (nothing to round).
  const partsFunctional =
    totalFunctional === total && total !== 0n ? weights : allocateSignedOrZeros(totalFunctional, weights);
  const dateBooked = dateOf(context, fact.at);
  return {
    fact,
    rate,
    rateText: rate.toString(),
    foreign: fact.currency !== context.functionalCurrency,
    bookingPeriod: context.calendar.periodOf(dateBooked),
    lines: invoiceLines.map((line, i) => {
      const booked: BookedLine = {
        line,
        netInvoiceCurrency: lineNets[i]!,
        netFunctional: partsFunctional[i]!,
        obligations: [],
        pendingSchedule: null,
      };
      if (line === shippingLine) booked.shipping = true;
      return booked;
    }),
    taxInvoiceCurrency: tax,
    taxFunctional: partsFunctional[partsFunctional.length - 1]!,
    openInvoiceCurrency: total,
    openFunctional: totalFunctional,
    writtenOff: null,
    cancellations: new Map(),
  };
}

/** An invoice's shipping as one more line: no service period (earned at booking), named by its shipping rate. */
function shippingLineOf(fact: InvoiceFinalizedFact, shipping: ShippingFact): InvoiceLineFact {
  return {
    id: shippingLineId(fact.invoice),
    amountMinor: shipping.amountMinor,
    discountMinor: 0n,
    creditMinor: 0n,
    inclusiveTaxMinor: 0n,
    exclusiveTaxMinor: 0n,
    periodStart: fact.at,
    periodEnd: fact.at,
    product: shipping.shippingRate,
    price: null,
    proration: false,
    invoiceItem: null,
    pendingItemCreatedAt: null,
    description: 'Shipping',
  };
}

/**
 * The customer balance applied at finalization (or credited, for a negative invoice):
 * Dr customer balance / Cr receivable.
 */
function bookCustomerBalance(book: AggregateBook, invoice: InvoiceState, applied: bigint): void {
  if (applied === 0n) return;
  const context = book.context;
  const currency = context.functionalCurrency;
  const functional = takeReceivable(invoice, applied, currency);
  const dimensions = invoiceDimensions(invoice);
  emit(book, {
    key: `inv:${invoice.fact.invoice}:balance`,
    kind: 'customer_balance',
    postingDate: dateOf(context, invoice.fact.at),
    memo: `Customer balance applied to ${invoice.fact.invoice}`,
    sources: [invoice.fact.invoice],
    lines: [
      {
        role: 'customer_balance',
        amountMinor: minor(functional),
        currency,
        original: originalAmount(invoice, applied),
        ...dimensions,
      },
      {
        role: 'receivable',
        amountMinor: minor(-functional),
        currency,
        original: originalAmount(invoice, -applied),
        ...dimensions,
      },
    ],
  });
}
