/**
 * Pending invoice items in a foreign currency (docs/accounting.md §3, "Unbilled items in a
 * foreign currency"). The item accrues like a functional one, translated at the rate of its
 * creation date. The invoice that bills it books the receivable at the invoice's rate: what was
 * accrued leaves the unbilled receivable at the item's rate, the difference goes to
 * `fx_gain_loss`, and the rest is deferred at the invoice's rate. Later periods release that
 * deferral at the invoice's rate while the item's own aggregate keeps accruing at its rate; the
 * reclassification moves the difference into revenue, so recognized revenue after the invoice is
 * at the invoice's rate, like any line of a foreign invoice.
 *
 * Translation is cumulative: a period's functional amount is the converted running total less
 * the converted running total before it, so the periods always sum to the converted whole and
 * the item's aggregate and the invoice's reclassification agree to the minor unit.
 */
import { minor, type Currency, type Decimal } from '../money.ts';
import type { LineDraft } from '../journal.ts';
import type { Period } from '../periods.ts';
import { allocateSigned, convertMinor } from './allocation.ts';
import { dateOf, type EngineContext } from './context.ts';
import { configuredRate } from './fx.ts';
import type { InvoiceState, LineBooking, LineDimensions } from './invoice-state.ts';
import type { PeriodAmount } from './schedule.ts';

/** What the finalization of a foreign pending line fixed, for its later reclassification. */
export interface ForeignPending {
  /** The item's accrual rate (its creation date's rate) and as written on lines. */
  itemRate: Decimal;
  /** The line's gross amount in the invoice currency and in the functional currency at the invoice's rate. */
  grossInvoiceCurrency: bigint;
  grossFunctional: bigint;
}

/** The rate a foreign pending item accrues at: the configured rate of its creation date (null when there is none). */
export function pendingItemRate(context: EngineContext, currency: string, createdAt: number): Decimal | null {
  return (
    configuredRate(context.settings, currency, context.functionalCurrency, dateOf(context, createdAt))?.rate ?? null
  );
}

/** Functional amounts of consecutive amounts, translated on their running total (see the file comment). */
export function translateRunning(amounts: readonly bigint[], from: Currency, to: Currency, rate: Decimal): bigint[] {
  const out: bigint[] = [];
  let running = 0n;
  let before = 0n;
  for (const amount of amounts) {
    running += amount;
    const after = convertMinor(running, from, to, rate);
    out.push(after - before);
    before = after;
  }
  return out;
}

/**
 * Finalization lines of a foreign line that bills a pending item: the accrued part leaves the
 * unbilled receivable at the item's rate, its difference at the invoice's rate is an exchange
 * difference, the rest is deferred at the invoice's rate, the discount goes to discounts.
 */
export function bookForeignPendingLine(
  booking: LineBooking,
  schedule: PeriodAmount[],
  itemRate: Decimal,
): ForeignPending {
  const { book, invoice, booked, dimensions } = booking;
  const context = book.context;
  const currency = context.functionalCurrency;
  const invoiceCurrency = invoice.fact.currency;
  const grossInvoiceCurrency = booked.line.amountMinor;
  const discountInvoiceCurrency = grossInvoiceCurrency - booked.netInvoiceCurrency;
  // The line's functional net (its share of the receivable) split over gross and discount.
  const [grossFunctional, negativeDiscount] =
    discountInvoiceCurrency !== 0n && grossInvoiceCurrency !== 0n
      ? (allocateSigned(booked.netFunctional, [grossInvoiceCurrency, -discountInvoiceCurrency]) as [bigint, bigint])
      : [booked.netFunctional, 0n];
  const pending: ForeignPending = { itemRate, grossInvoiceCurrency, grossFunctional };
  let accrued = 0n;
  for (const release of schedule)
    if (release.period.start < invoice.bookingPeriod.start) accrued += release.amountMinor;
  const accruedAtItemRate = convertMinor(accrued, invoiceCurrency, currency, itemRate);
  const accruedAtInvoiceRate = atInvoiceRate(currency, invoice, pending, accrued);
  const original = (amount: bigint, rate: string): LineDraft['original'] => ({
    currency: invoiceCurrency,
    amountMinor: minor(amount),
    rate,
  });
  booking.lines.push(
    {
      role: 'unbilled_receivable',
      amountMinor: minor(-accruedAtItemRate),
      currency,
      original: original(-accrued, itemRate.toString()),
      ...dimensions,
    },
    {
      role: 'fx_gain_loss',
      amountMinor: minor(accruedAtItemRate - accruedAtInvoiceRate),
      currency,
      ...dimensions,
      memo: 'accrued at the item rate, billed at the invoice rate',
    },
    {
      role: 'deferred_revenue',
      amountMinor: minor(-(grossFunctional - accruedAtInvoiceRate)),
      currency,
      original: original(-(grossInvoiceCurrency - accrued), invoice.rateText),
      ...dimensions,
      memo: 'pending item not yet earned',
    },
    {
      role: 'discounts',
      amountMinor: minor(-negativeDiscount),
      currency,
      original: original(discountInvoiceCurrency, invoice.rateText),
      ...dimensions,
    },
  );
  return pending;
}

/** A running invoice-currency total of the line at the invoice's rate; the whole line is exactly its gross. */
function atInvoiceRate(to: Currency, invoice: InvoiceState, pending: ForeignPending, running: bigint): bigint {
  if (running === pending.grossInvoiceCurrency) return pending.grossFunctional;
  return convertMinor(running, invoice.fact.currency, to, invoice.rate);
}

/**
 * Recognition lines of a foreign pending line, period by period from the invoice's period on:
 * deferred revenue released at the invoice's rate, the unbilled receivable the item's aggregate
 * accrued at its rate, and the difference to revenue, so the period earns at the invoice's rate.
 */
export function addForeignPendingReclassification(
  context: EngineContext,
  invoice: InvoiceState,
  schedule: PeriodAmount[],
  pending: ForeignPending,
  revenue: { account: string | undefined; dimensions: LineDimensions },
  linesOf: (period: Period) => LineDraft[],
): void {
  const currency = context.functionalCurrency;
  const invoiceCurrency = invoice.fact.currency;
  let running = 0n;
  for (const release of schedule) {
    const before = running;
    running += release.amountMinor;
    if (release.period.start < invoice.bookingPeriod.start) continue;
    const atItem =
      convertMinor(running, invoiceCurrency, currency, pending.itemRate) -
      convertMinor(before, invoiceCurrency, currency, pending.itemRate);
    const atInvoice =
      atInvoiceRate(currency, invoice, pending, running) - atInvoiceRate(currency, invoice, pending, before);
    const { dimensions } = revenue;
    const lines = linesOf(release.period);
    lines.push(
      {
        role: 'deferred_revenue',
        amountMinor: minor(atInvoice),
        currency,
        original: { currency: invoiceCurrency, amountMinor: minor(release.amountMinor), rate: invoice.rateText },
        ...dimensions,
        memo: 'earned by pending item',
      },
      { role: 'unbilled_receivable', amountMinor: minor(-atItem), currency, ...dimensions },
      {
        role: 'revenue',
        account: revenue.account,
        amountMinor: minor(atItem - atInvoice),
        currency,
        ...dimensions,
        memo: 'pending item earned at the invoice rate',
      },
    );
  }
}
