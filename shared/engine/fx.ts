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

/** The estimated rate from the configured source: the latest rate on or before `date`. */
export function estimatedRate(settings: TenantSettings, from: string, to: string, date: LocalDate): Decimal | null {
  if (from === to) return new Decimal(1);
  let best: { date: string; rate: Decimal } | null = null;
  for (const configured of settings.fx_rates) {
    if (configured.date > date) continue;
    let rate: Decimal | null = null;
    if (configured.from === from && configured.to === to) {
      rate = new Decimal(configured.rate);
    } else if (configured.from === to && configured.to === from && !new Decimal(configured.rate).isZero()) {
      // Only the inverse pair is configured.
      rate = new Decimal(1).div(configured.rate);
    }
    if (!rate) continue;
    // The latest date wins; on the same date the pair in the asked direction beats the inverse.
    const later = !best || configured.date > best.date || (configured.date === best.date && configured.from === from);
    if (later) best = { date: configured.date, rate };
  }
  return best ? best.rate : null;
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
): Decimal | null {
  if (fact.currency === context.functionalCurrency) return new Decimal(1);
  const bookedOn = dateOf(context, fact.at);
  const atOnce = payments.find((p) => p.balanceTransaction?.exchangeRate && dateOf(context, p.at) === bookedOn);
  if (atOnce) return new Decimal(atOnce.balanceTransaction!.exchangeRate!);
  return estimatedRate(context.settings, fact.currency, context.functionalCurrency, bookedOn);
}

/** A charge's booking rate: its balance transaction's rate, else the configured estimate. */
export function chargeBookingRate(context: EngineContext, charge: ChargeFact, date: LocalDate): Decimal | null {
  if (charge.currency === context.functionalCurrency) return new Decimal(1);
  const settled = charge.balanceTransaction?.exchangeRate ?? null;
  if (settled) return new Decimal(settled);
  return estimatedRate(context.settings, charge.currency, context.functionalCurrency, date);
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
