/**
 * Foreign currency (docs/accounting.md §3, "Foreign currency"): which rate an invoice or a
 * charge is booked at, the original-currency annotation of a line, and the cash a movement
 * really made in the functional currency. Exchange differences are the gap between that cash
 * and the booked amount; each booking step posts it to `fx_gain_loss` where it arises.
 */
import type { LineDraft, LocalDate } from '../journal.ts';
import { Decimal, type Currency, minor } from '../money.ts';
import type { TenantSettings } from '../settings.ts';
import { convertMinor } from './allocation.ts';
import { addException, addWarning, type AggregateBook } from './aggregate-book.ts';
import { dateOf, type EngineContext } from './context.ts';
import type { BalanceTxnFact, ChargeFact, InvoiceFinalizedFact, PaymentFact } from './facts.ts';

/** An invoice's currency as its lines need it: the invoice currency and the booking rate to the functional one. */
export interface InvoiceCurrency {
  fact: { currency: Currency };
  /** The invoice currency is not the functional currency. */
  foreign: boolean;
  /** Booking rate: functional units per unit of the invoice currency. */
  rate: Decimal;
  /** The booking rate as written on the lines' `original.rate`. */
  rateText: string;
}

/**
 * A rate to the functional currency as the engine chose it. `estimatedFrom` is set when no rate
 * existed on or before the date and the earliest later one was used (docs/accounting.md §3, "Foreign currency"):
 * the transaction books, and a warning says so.
 */
export interface RateChoice {
  rate: Decimal;
  estimatedFrom: LocalDate | null;
}

/** One row of the tenant's rate table. */
type RateRow = TenantSettings['fx_rates'][number];

/** True when a row gives the pair `from`→`to`, directly or (with a non-zero rate) as its inverse. */
function rowGives(configured: RateRow, from: string, to: string): boolean {
  if (configured.from === from && configured.to === to) return true;
  // A zero rate has no inverse (the settings refuse one; the same test as theirs, without a Decimal).
  return configured.from === to && configured.to === from && /[1-9]/.test(configured.rate);
}

/** The row's rate for `from`→`to`: its own, or the inverse of the other direction. */
function rowRate(configured: RateRow, from: string): Decimal {
  return configured.from === from ? new Decimal(configured.rate) : new Decimal(1).div(configured.rate);
}

/**
 * The rate from the tenant's rate source: the latest rate on or before `date`; when there is
 * none, the earliest rate after it, marked as an estimate. Null only when the pair has no rate at all.
 * Rows are compared by date first and only the chosen one is turned into a number (a provider's
 * table holds a row per day).
 */
export function configuredRate(settings: TenantSettings, from: string, to: string, date: LocalDate): RateChoice | null {
  if (from === to) return { rate: new Decimal(1), estimatedFrom: null };
  let before: RateRow | null = null;
  let after: RateRow | null = null;
  for (const configured of settings.fx_rates) {
    if (!rowGives(configured, from, to)) continue;
    const direct = configured.from === from;
    // On the same date the pair in the asked direction beats the inverse.
    if (configured.date <= date) {
      if (!before || configured.date > before.date || (configured.date === before.date && direct)) before = configured;
    } else if (!after || configured.date < after.date || (configured.date === after.date && direct)) {
      after = configured;
    }
  }
  if (before) return { rate: rowRate(before, from), estimatedFrom: null };
  return after ? { rate: rowRate(after, from), estimatedFrom: after.date } : null;
}

/** The rate from the configured source on `date` (an estimate from a later date when none is earlier); null when none. */
export function estimatedRate(settings: TenantSettings, from: string, to: string, date: LocalDate): Decimal | null {
  return configuredRate(settings, from, to, date)?.rate ?? null;
}

/** The warning raised when a transaction was booked at a later date's rate. */
export function estimatedRateWarning(from: string, to: string, date: LocalDate, choice: RateChoice): string {
  return (
    `estimated rate: no ${from.toUpperCase()}→${to.toUpperCase()} rate on or before ${date}; ` +
    `booked at the rate of ${choice.estimatedFrom} (${choice.rate.toString()}); add the rate of ${date} to correct it`
  );
}

/** Why a fact in `from` could not be booked: no rate to the functional currency `to`. */
export function noRateReason(from: string, to: string, date: LocalDate): string {
  return `no exchange rate ${from.toUpperCase()}→${to.toUpperCase()} on or before ${date}`;
}

/**
 * An invoice's booking rate: the balance transaction's rate when it is paid the same day it is
 * finalized ("paid at once": no exposure), else the configured estimate; null when there is none.
 */
export function invoiceBookingRate(
  context: EngineContext,
  fact: InvoiceFinalizedFact,
  payments: PaymentFact[],
): RateChoice | null {
  if (fact.currency === context.functionalCurrency) return { rate: new Decimal(1), estimatedFrom: null };
  const bookedOn = dateOf(context, fact.at);
  // Stripe's rate is to the settlement currency: it is the booking rate only for a functional balance.
  const atOnce = payments.find(
    (p) =>
      p.balanceTransaction?.exchangeRate &&
      p.balanceTransaction.currency === context.functionalCurrency &&
      dateOf(context, p.at) === bookedOn,
  );
  if (atOnce) return { rate: new Decimal(atOnce.balanceTransaction!.exchangeRate!), estimatedFrom: null };
  return configuredRate(context.settings, fact.currency, context.functionalCurrency, bookedOn);
}

/** A charge's booking rate: its balance transaction's rate, else the configured estimate. */
export function chargeBookingRate(context: EngineContext, charge: ChargeFact, date: LocalDate): RateChoice | null {
  if (charge.currency === context.functionalCurrency) return { rate: new Decimal(1), estimatedFrom: null };
  const bt = charge.balanceTransaction;
  const settled = bt?.currency === context.functionalCurrency ? bt.exchangeRate : null;
  if (settled) return { rate: new Decimal(settled), estimatedFrom: null };
  return configuredRate(context.settings, charge.currency, context.functionalCurrency, date);
}

/**
 * The rate a fact in `from` books at, from `choose`: an exception (and null) when there is none,
 * a warning when it is an estimate from a later date.
 */
export function rateOrException(
  book: AggregateBook,
  choice: RateChoice | null,
  fact: { objectId: string; factKey: string; from: string; date: LocalDate },
): Decimal | null {
  const to = book.context.functionalCurrency;
  if (!choice) {
    const reason = `${noRateReason(fact.from, to, fact.date)}; add one to the tenant's fx_rates`;
    addException(book, fact.objectId, fact.factKey, reason);
    return null;
  }
  if (choice.estimatedFrom !== null) {
    addWarning(book, fact.objectId, fact.factKey, estimatedRateWarning(fact.from, to, fact.date, choice));
  }
  return choice.rate;
}

/** The original-currency annotation of a line of a foreign invoice (none in the functional currency). */
export function originalAmount(invoice: InvoiceCurrency, amountInvoiceCurrency: bigint): LineDraft['original'] {
  if (!invoice.foreign) return undefined;
  return { currency: invoice.fact.currency, amountMinor: minor(amountInvoiceCurrency), rate: invoice.rateText };
}

/**
 * The functional cash a movement of `amountInvoiceCurrency` made: what its balance transaction
 * settled in the functional currency (signed by `sign`), else the amount at the booking rate.
 */
export function cashMoved(
  context: EngineContext,
  invoice: InvoiceCurrency,
  amountInvoiceCurrency: bigint,
  balanceTransaction: BalanceTxnFact | null,
  sign: 1n | -1n,
): bigint {
  const settled = balanceTransaction;
  if (settled && settled.currency === context.functionalCurrency && settled.amountMinor !== 0n) {
    return settled.amountMinor * sign;
  }
  return convertMinor(amountInvoiceCurrency, invoice.fact.currency, context.functionalCurrency, invoice.rate);
}
