/**
 * A one-time charge with no invoice (docs/accounting.md §3, "One-time payment"): Dr the Stripe
 * balance / Cr deferred revenue at the charge, recognized at once in its period. It is booked as
 * an invoice with one line that is earned at the charge's instant and was paid at once, so its
 * refunds and disputes follow the invoice rules.
 */
import { formatMinor, minor } from '../money.ts';
import type { LocalDate } from '../journal.ts';
import type { Decimal } from '../money.ts';
import { emit, type AggregateBook } from './aggregate-book.ts';
import { convertMinor } from './allocation.ts';
import { dateOf, type EngineContext } from './context.ts';
import { factKey, type ChargeFact, type Fact, type InvoiceFinalizedFact, type InvoiceLineFact } from './facts.ts';
import { chargeBookingRate, originalAmount, rateOrException } from './fx.ts';
import { bookInvoiceEvent, type InvoiceEventFact } from './invoice-events.ts';
import type { InvoiceState } from './invoice-state.ts';
import { makeObligation } from './obligations.ts';
import { foreignCash } from './settlement-currency.ts';
import { bookFee } from './payments.ts';
import { bookRecognition } from './recognition.ts';
import { checkedSettlement, settlementLines } from './settlement.ts';
import {
  agentShareAtBooking,
  bookChargeShare,
  connectCauses,
  connectIndex,
  netPayable,
  payableLine,
} from './connect-share.ts';

/** A charge's refunds and disputes (never from a credit note: a charge without invoice has none). */
const CHARGE_EVENT_TYPES = new Set<Fact['type']>([
  'refund',
  'refund_failed',
  'dispute_funds_withdrawn',
  'dispute_funds_reinstated',
  'transfer',
  'transfer_reversal',
]);
const NO_CREDIT_NOTE_REFUNDS: ReadonlySet<string> = new Set();

export function bookCharge(book: AggregateBook, charge: ChargeFact, facts: Fact[]): void {
  const context = book.context;
  const currency = context.functionalCurrency;
  const date = dateOf(context, charge.at);
  const choice = chargeBookingRate(context, charge, date);
  const rate = rateOrException(book, choice, {
    objectId: charge.charge,
    factKey: factKey(charge),
    from: charge.currency,
    date,
  });
  if (!rate) return;
  const settled = charge.balanceTransaction;
  const settledFunctional = settled && settled.currency === currency;
  const sameCurrency = charge.currency === currency && (!settled || settledFunctional);
  const inBalance = foreignCash(book, settled, charge.charge, 1n);
  const cashFunctional = settledFunctional
    ? settled.amountMinor
    : (inBalance?.functional ?? convertMinor(charge.amountMinor, charge.currency, currency, rate));
  // In one currency the charge's own amount is what the customer paid; the cash may differ by a
  // cause (settlement.ts). A foreign charge is booked at what Stripe settled.
  const amountFunctional = sameCurrency ? charge.amountMinor : cashFunctional;
  // Agent (connect-share.ts): a destination charge's connected share is owed, never the sale's.
  const share = sameCurrency ? agentShareAtBooking(book, charge, cashFunctional) : 0n;
  const sale = { ...charge, amountMinor: charge.amountMinor - share };
  const invoice = chargeAsInvoice(context, sale, rate, amountFunctional - share, date);
  const amount = charge.amountMinor;
  const dimensions = { customer: charge.customer ?? undefined, invoiceLine: charge.charge, bookedOn: date };
  const settlement = sameCurrency
    ? checkedSettlement(book, charge.charge, amount, currency, charge.settlement)
    : undefined;
  emit(book, {
    key: `ch:${charge.charge}`,
    kind: 'payment',
    postingDate: date,
    memo: `One-time payment ${charge.charge}${charge.description ? ` (${charge.description})` : ''}`,
    sources: [charge.charge],
    lines: netPayable([
      {
        role: 'cash_clearing',
        amountMinor: minor(cashFunctional),
        currency,
        original: inBalance?.original ?? (settledFunctional ? undefined : originalAmount(invoice, amount)),
        ...dimensions,
      },
      ...settlementLines(book, {
        differenceMinor: amountFunctional - cashFunctional,
        foreign: !sameCurrency,
        causes: connectCauses(book, settlement),
        what: `one-time payment ${charge.charge} (${formatMinor(amount, currency)})`,
        ids: [charge.charge, ...(settled ? [settled.id] : [])],
        fxMemo: 'exchange difference on settlement',
        dimensions: { customer: dimensions.customer },
      }),
      payableLine(charge, share, currency),
      {
        role: 'deferred_revenue',
        amountMinor: minor(share - amountFunctional),
        currency,
        original: originalAmount(invoice, share - amount),
        ...dimensions,
      },
    ]),
  });
  bookFee(book, settled, charge.charge, date, 'processing');
  invoice.connect = connectIndex(book, facts);
  if (share === 0n) bookChargeShare(book, invoice, charge.charge, charge.at);
  const events = facts.filter((f): f is InvoiceEventFact => CHARGE_EVENT_TYPES.has(f.type));
  events.sort((a, b) => a.at - b.at || (factKey(a) < factKey(b) ? -1 : 1));
  for (const event of events) bookInvoiceEvent(book, invoice, event, NO_CREDIT_NOTE_REFUNDS);
  bookRecognition(book, invoice);
}

/** The charge as an invoice of one line, earned at the charge's instant; nothing is left open. */
function chargeAsInvoice(
  context: EngineContext,
  charge: ChargeFact,
  rate: Decimal,
  amountFunctional: bigint,
  date: LocalDate,
): InvoiceState {
  const line: InvoiceLineFact = {
    id: charge.charge,
    amountMinor: charge.amountMinor,
    discountMinor: 0n,
    creditMinor: 0n,
    inclusiveTaxMinor: 0n,
    exclusiveTaxMinor: 0n,
    periodStart: charge.at,
    periodEnd: charge.at,
    product: null,
    price: null,
    proration: false,
    invoiceItem: null,
    pendingItemCreatedAt: null,
    description: charge.description,
  };
  const fact: InvoiceFinalizedFact = {
    type: 'invoice_finalized',
    invoice: charge.charge,
    customer: charge.customer,
    currency: charge.currency,
    at: charge.at,
    totalMinor: charge.amountMinor,
    taxMinor: 0n,
    startingBalanceMinor: 0n,
    endingBalanceMinor: 0n,
    lines: [line],
  };
  const foreign = charge.currency !== context.functionalCurrency;
  const amounts = { functional: amountFunctional, invoiceCurrency: charge.amountMinor, foreign };
  const obligation = makeObligation(context, charge.charge, line, amounts, { kind: 'point', at: charge.at }, {});
  return {
    fact,
    rate,
    rateText: rate.toString(),
    foreign,
    bookingPeriod: context.calendar.periodOf(date),
    lines: [
      {
        line,
        netInvoiceCurrency: charge.amountMinor,
        netFunctional: amountFunctional,
        obligations: [obligation],
        pendingSchedule: null,
      },
    ],
    taxInvoiceCurrency: 0n,
    taxFunctional: 0n,
    openInvoiceCurrency: 0n,
    openFunctional: 0n,
    writtenOff: null,
    cancellations: new Map(),
  };
}
