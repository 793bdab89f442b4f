/**
 * An invoice while its facts are booked in order: its lines and their obligations, the open
 * receivable in both currencies, and the cancel-type entries booked so far (a failed refund or
 * a voided credit note reverses one of them). A charge without invoice is booked as an invoice
 * with one line (charges.ts).
 */
import { minor } from '../money.ts';
import type { AccountRole } from '../accounts.ts';
import type { LineDraft, LocalDate } from '../journal.ts';
import type { Period } from '../periods.ts';
import { convertMinor } from './allocation.ts';
import type { InvoiceFinalizedFact, InvoiceLineFact } from './facts.ts';
import type { AggregateBook } from './aggregate-book.ts';
import { originalAmount, type InvoiceCurrency } from './fx.ts';
import type { Obligation, ObligationCut } from './obligations.ts';
import type { PeriodAmount } from './schedule.ts';
import type { ForeignPending } from './pending-items-foreign.ts';
import type { Currency } from '../money.ts';
import type { ConnectIndex } from './connect-share.ts';

export interface BookedLine {
  line: InvoiceLineFact;
  /** Net amount of the line excluding tax, in the invoice currency and in the functional currency. */
  netInvoiceCurrency: bigint;
  netFunctional: bigint;
  obligations: Obligation[];
  /**
   * A pending invoice item's line: the item's own aggregate recognizes it (pending-items.ts);
   * this is the schedule it was accrued on, by posting period. Null for every other line.
   */
  pendingSchedule: PeriodAmount[] | null;
  /** A foreign pending item's line: the rates its finalization fixed (pending-items-foreign.ts). */
  foreignPending?: ForeignPending | undefined;
  /** The invoice's shipping (a line of its own, earned at booking to the shipping role). */
  shipping?: boolean;
}

/** A cancel-type entry as booked: what it took from each obligation, and its lines. */
export interface BookedCancellation {
  cuts: ObligationCut[];
  lines: LineDraft[];
}

export interface InvoiceState extends InvoiceCurrency {
  fact: InvoiceFinalizedFact;
  /** The period of the finalization date (catch-up posts earlier periods' recognition here). */
  bookingPeriod: Period;
  lines: BookedLine[];
  taxInvoiceCurrency: bigint;
  taxFunctional: bigint;
  /** Receivable still open, in the invoice currency and in the functional currency. */
  openInvoiceCurrency: bigint;
  openFunctional: bigint;
  /** Set when the invoice is written off as uncollectible: the receivable written off and its bad-debt share. */
  writtenOff: { functional: bigint; badDebtFunctional: bigint } | null;
  /** Cancel-type entries by entry key. */
  cancellations: Map<string, BookedCancellation>;
  /** Its Connect facts (charges with a connected share, transfers, reversals), when it has any. */
  connect?: ConnectIndex | undefined;
}

/** Customer and invoice dimensions of an invoice's lines. */
export function invoiceDimensions(invoice: InvoiceState): { customer: string | undefined; invoice: string } {
  return { customer: invoice.fact.customer ?? undefined, invoice: invoice.fact.invoice };
}

/** The dimensions every line booked for an invoice line carries (finalization, recognition). */
export interface LineDimensions {
  customer: string | undefined;
  invoice: string;
  invoiceLine: string;
  product: string | undefined;
  /** The date the obligation was booked (the finalization date), for the waterfall. */
  bookedOn: LocalDate;
}

export function lineDimensions(invoice: InvoiceState, line: InvoiceLineFact, bookedOn: LocalDate): LineDimensions {
  const fact = invoice.fact;
  return {
    customer: fact.customer ?? undefined,
    invoice: fact.invoice,
    invoiceLine: line.id,
    product: line.product ?? undefined,
    bookedOn,
  };
}

/** One invoice line being booked at finalization: where its obligations and entry lines go. */
export interface LineBooking {
  book: AggregateBook;
  invoice: InvoiceState;
  booked: BookedLine;
  dimensions: LineDimensions;
  /** The finalization entry's lines so far. */
  lines: LineDraft[];
}

/** Adds a finalization line for the line being booked, in both currencies. */
export function addLine(booking: LineBooking, role: AccountRole, functional: bigint, invoiceCurrency: bigint): void {
  const { book, invoice, dimensions } = booking;
  const original = originalAmount(invoice, invoiceCurrency);
  booking.lines.push({
    role,
    amountMinor: minor(functional),
    currency: book.context.functionalCurrency,
    original,
    ...dimensions,
  });
}

/**
 * Takes `amountInvoiceCurrency` off the open receivable and returns its functional amount: the
 * open receivable's functional share, truncated toward zero; the movement that clears it takes
 * exactly what is left, so the receivable of a settled invoice ends at zero.
 */
export function takeReceivable(
  invoice: InvoiceState,
  amountInvoiceCurrency: bigint,
  functionalCurrency: Currency,
): bigint {
  let functional: bigint;
  if (!invoice.foreign) {
    functional = amountInvoiceCurrency;
  } else if (amountInvoiceCurrency === invoice.openInvoiceCurrency) {
    functional = invoice.openFunctional;
  } else if (invoice.openInvoiceCurrency === 0n) {
    functional = convertMinor(amountInvoiceCurrency, invoice.fact.currency, functionalCurrency, invoice.rate);
  } else {
    functional = (invoice.openFunctional * amountInvoiceCurrency) / invoice.openInvoiceCurrency;
  }
  invoice.openInvoiceCurrency -= amountInvoiceCurrency;
  invoice.openFunctional -= functional;
  return functional;
}
