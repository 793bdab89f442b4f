/**
 * An invoice's finalization entry (docs/accounting.md §3, "Invoice finalized"): Dr receivable
 * for the total; for each line, Cr deferred revenue per obligation (a bundle has one per
 * component, docs/accounting.md §4), a deferred discount with discounts as contra, the excluded
 * account for excluded products, the unbilled receivable for a pending item; Cr sales tax.
 */
import type { LineDraft } from '../journal.ts';
import { allocate, decimalWeights, formatMinor, minor } from '../money.ts';
import { addException, emit, type AggregateBook } from './aggregate-book.ts';
import { allocateSigned, convertMinor } from './allocation.ts';
import { dateOf } from './context.ts';
import { factKey } from './facts.ts';
import { classifyFailure } from './failures.ts';
import { originalAmount } from './fx.ts';
import { addLine, lineDimensions, type BookedLine, type InvoiceState, type LineBooking } from './invoice-state.ts';
import { makeObligation } from './obligations.ts';
import { bookPendingLine, pendingSchedule } from './pending-items.ts';
import { bookForeignPendingLine, pendingItemRate } from './pending-items-foreign.ts';
import {
  lineSubject,
  resolveRuleIn,
  timingFor,
  type ObligationTerms,
  type ResolvedRule,
  type TimingInputs,
} from './rules.ts';

/** One obligation a line's rule makes (a bundle makes one per component), with its gross amounts. */
interface ObligationPiece {
  id: string;
  terms: ObligationTerms;
  account: string | undefined;
  functional: bigint;
  invoiceCurrency: bigint;
}

/** Books the finalization entry and creates every line's obligations. */
export function bookFinalization(book: AggregateBook, invoice: InvoiceState, timingInputs: TimingInputs): void {
  const context = book.context;
  const currency = context.functionalCurrency;
  const fact = invoice.fact;
  const bookedOn = dateOf(context, fact.at);
  const customer = fact.customer ?? undefined;
  // At finalization the whole total is open.
  const lines: LineDraft[] = [
    {
      role: 'receivable',
      amountMinor: minor(invoice.openFunctional),
      currency,
      original: originalAmount(invoice, invoice.openInvoiceCurrency),
      customer,
      invoice: fact.invoice,
    },
  ];
  for (const booked of invoice.lines) {
    const dimensions = lineDimensions(invoice, booked.line, bookedOn);
    bookLineOrHold({ book, invoice, booked, dimensions, lines }, timingInputs);
  }
  lines.push({
    role: 'tax_liability',
    amountMinor: minor(-invoice.taxFunctional),
    currency,
    original: originalAmount(invoice, -invoice.taxInvoiceCurrency),
    invoice: fact.invoice,
    customer,
  });
  emit(book, {
    key: `inv:${fact.invoice}:finalized`,
    kind: 'invoice_finalized',
    postingDate: bookedOn,
    memo: `Invoice ${fact.invoice} finalized`,
    sources: [fact.invoice],
    lines,
  });
}

/**
 * Books a line by its rule; a line whose data its rule cannot book (a refusal) never stops the
 * rest of the invoice or its payments: its net is held in deferred revenue, unscheduled, and an
 * exception names the line, the amount held and the reason.
 */
function bookLineOrHold(booking: LineBooking, timingInputs: TimingInputs): void {
  const mark = booking.lines.length;
  try {
    bookLine(booking, timingInputs);
  } catch (error) {
    if (classifyFailure(error) !== 'refusal') throw error;
    const { book, invoice, booked } = booking;
    booking.lines.length = mark;
    booked.obligations = [];
    booked.pendingSchedule = null;
    booked.foreignPending = undefined;
    const amounts = {
      functional: booked.netFunctional,
      invoiceCurrency: booked.netInvoiceCurrency,
      foreign: invoice.foreign,
    };
    const timing = { kind: 'point', at: invoice.fact.at } as const;
    booked.obligations.push(makeObligation(book.context, booked.line.id, booked.line, amounts, timing, HELD_OPTIONS));
    addLine(booking, 'deferred_revenue', -booked.netFunctional, -booked.netInvoiceCurrency);
    const held = formatMinor(booked.netInvoiceCurrency, invoice.fact.currency);
    const reason =
      `line ${booked.line.id} of invoice ${invoice.fact.invoice} could not be booked by its rule ` +
      `(${(error as Error).message}); its ${held} ${invoice.fact.currency.toUpperCase()} is held in deferred ` +
      'revenue and not recognized until the line is corrected; the rest of the invoice and its payments are booked';
    addException(book, booked.line.id, factKey(invoice.fact), reason);
  }
}

/** A held line: its amount waits in deferred revenue with no schedule. */
const HELD_OPTIONS = { deferredRole: 'deferred_revenue', incomeRole: 'deferred_revenue', scheduled: false } as const;

function bookLine(booking: LineBooking, timingInputs: TimingInputs): void {
  const { book, invoice, booked } = booking;
  const context = book.context;
  const line = booked.line;
  if (booked.shipping) return bookShippingLine(booking);
  if (line.pendingItemCreatedAt !== null) {
    // Pending item: its own aggregate accrued it; here we bill what was accrued and defer the rest.
    if (!invoice.foreign) return bookPendingLine(booking);
    const itemRate = pendingItemRate(context, invoice.fact.currency, line.pendingItemCreatedAt);
    if (itemRate) {
      const schedule = pendingSchedule(context, line, line.pendingItemCreatedAt);
      booked.pendingSchedule = schedule;
      booked.foreignPending = bookForeignPendingLine(booking, schedule, itemRate);
      return;
    }
    // No rate at all for the item (its own aggregate says so): nothing was accrued, so bill it as an ordinary line.
  }
  const rule = resolveRuleIn(context, lineSubject(invoice.fact, line), booking.dimensions.bookedOn);
  if (rule.rule === 'exclude') return bookExcludedLine(booking);
  // A sale of credits (by its product's rule, or named by a grant's `metadata.invoice`) funds a liability.
  if (rule.rule === 'prepaid_credits' || timingInputs.facts.some((f) => f.type === 'credit_grant_sale'))
    return bookLiabilityLine(booking, 'prepaid_credits');
  if (rule.rule === 'stored_value') return bookLiabilityLine(booking, 'stored_value');
  bookScheduledLine(booking, rule, timingInputs);
}

/** Shipping: its own obligation, deferred at finalization and earned at booking to the shipping role. */
function bookShippingLine(booking: LineBooking): void {
  const { book, invoice, booked } = booking;
  const { netFunctional, netInvoiceCurrency } = booked;
  const amounts = { functional: netFunctional, invoiceCurrency: netInvoiceCurrency, foreign: invoice.foreign };
  const timing = { kind: 'point', at: invoice.fact.at } as const;
  const options = { incomeRole: 'shipping' } as const;
  booked.obligations.push(makeObligation(book.context, booked.line.id, booked.line, amounts, timing, options));
  addLine(booking, 'deferred_revenue', -netFunctional, -netInvoiceCurrency);
}

/** A sale of paid credits or stored value: no revenue and no schedule; the amount is a liability until redeemed. */
function bookLiabilityLine(booking: LineBooking, role: 'prepaid_credits' | 'stored_value'): void {
  const { book, invoice, booked } = booking;
  const { netFunctional, netInvoiceCurrency } = booked;
  const amounts = { functional: netFunctional, invoiceCurrency: netInvoiceCurrency, foreign: invoice.foreign };
  const options = { deferredRole: role, incomeRole: role, scheduled: false } as const;
  const timing = { kind: 'point', at: invoice.fact.at } as const;
  booked.obligations.push(makeObligation(book.context, booked.line.id, booked.line, amounts, timing, options));
  addLine(booking, role, -netFunctional, -netInvoiceCurrency);
}

/** An excluded product: no schedule, the amount sits in the excluded account. */
function bookExcludedLine(booking: LineBooking): void {
  const { book, invoice, booked } = booking;
  const { netFunctional, netInvoiceCurrency } = booked;
  const amounts = { functional: netFunctional, invoiceCurrency: netInvoiceCurrency, foreign: invoice.foreign };
  const options = { deferredRole: 'excluded', incomeRole: 'excluded', scheduled: false } as const;
  const timing = { kind: 'point', at: invoice.fact.at } as const;
  booked.obligations.push(makeObligation(book.context, booked.line.id, booked.line, amounts, timing, options));
  addLine(booking, 'excluded', -netFunctional, -netInvoiceCurrency);
}

/**
 * A line earned over time or at a point: one obligation per piece (the line, or each bundle
 * component) deferred at its gross amount, and with discounts as contra a discount obligation
 * per piece that follows the piece's own schedule.
 */
function bookScheduledLine(booking: LineBooking, rule: ResolvedRule, timingInputs: TimingInputs): void {
  const { book, invoice, booked, dimensions } = booking;
  const context = book.context;
  const line = booked.line;
  const gross = grossAndDiscount(book, invoice, booked);
  const pieces = linePieces(rule, line.id, gross);
  const discounts = discountParts(pieces, gross);
  pieces.forEach((piece, k) => {
    const when = timingFor(timingInputs, piece.terms, line);
    const amounts = { functional: piece.functional, invoiceCurrency: piece.invoiceCurrency, foreign: invoice.foreign };
    booked.obligations.push(makeObligation(context, piece.id, line, amounts, when, { account: piece.account }));
    booking.lines.push({
      role: 'deferred_revenue',
      amountMinor: minor(-piece.functional),
      currency: context.functionalCurrency,
      original: originalAmount(invoice, -piece.invoiceCurrency),
      ...dimensions,
      memo: piece.account ? `for ${piece.account}` : undefined,
    });
    if (!discounts) return;
    const discountFunctional = discounts.functional[k]!;
    const discountInvoiceCurrency = discounts.invoiceCurrency[k]!;
    if (discountFunctional === 0n && discountInvoiceCurrency === 0n) return;
    const discountAmounts = {
      functional: -discountFunctional,
      invoiceCurrency: -discountInvoiceCurrency,
      foreign: invoice.foreign,
    };
    const discountId = `${piece.id}#discount`;
    booked.obligations.push(makeObligation(context, discountId, line, discountAmounts, when, DISCOUNT_OPTIONS));
    addLine(booking, 'deferred_discounts', discountFunctional, discountInvoiceCurrency);
  });
}

/** A discount obligation: deferred in deferred discounts, earned as discounts, cancelled to discounts. */
const DISCOUNT_OPTIONS = {
  deferredRole: 'deferred_discounts',
  incomeRole: 'discounts',
  contraOverride: 'discounts',
} as const;

/** A line's gross amount and discount, in both currencies (gross = net without discounts as contra). */
interface GrossAndDiscount {
  contra: boolean;
  grossFunctional: bigint;
  grossInvoiceCurrency: bigint;
  /** The discount as a positive amount. */
  discountFunctional: bigint;
  discountInvoiceCurrency: bigint;
}

/**
 * With discounts as contra a discounted line is booked gross; the functional net is split over
 * gross and discount by their invoice-currency amounts (docs/accounting.md §5, discounts_as_contra).
 */
function grossAndDiscount(book: AggregateBook, invoice: InvoiceState, booked: BookedLine): GrossAndDiscount {
  const line = booked.line;
  const net = booked.netInvoiceCurrency;
  const contra = book.context.settings.discounts_as_contra && (line.discountMinor !== 0n || line.creditMinor !== 0n);
  const grossInvoiceCurrency = contra ? net + line.discountMinor + line.creditMinor : net;
  const discountInvoiceCurrency = grossInvoiceCurrency - net;
  if (!contra) {
    const grossFunctional = booked.netFunctional;
    return { contra, grossFunctional, grossInvoiceCurrency, discountFunctional: 0n, discountInvoiceCurrency: 0n };
  }
  if (net === 0n || grossInvoiceCurrency === 0n) {
    // Nothing to split the functional net by (a line discounted to nothing, or a discount that
    // cancels a line): the gross converts on its own and the discount is what makes the net.
    const grossFunctional = convertGross(book, invoice, grossInvoiceCurrency);
    const discountFunctional = grossFunctional - booked.netFunctional;
    return { contra, grossFunctional, grossInvoiceCurrency, discountFunctional, discountInvoiceCurrency };
  }
  const [grossFunctional, negativeDiscount] = allocateSigned(booked.netFunctional, [
    grossInvoiceCurrency,
    -discountInvoiceCurrency,
  ]) as [bigint, bigint];
  const discountFunctional = -negativeDiscount;
  return { contra, grossFunctional, grossInvoiceCurrency, discountFunctional, discountInvoiceCurrency };
}

/** A line's gross in the functional currency, converted at the invoice's booking rate (half away from zero). */
function convertGross(book: AggregateBook, invoice: InvoiceState, grossInvoiceCurrency: bigint): bigint {
  if (!invoice.foreign) return grossInvoiceCurrency;
  return convertMinor(grossInvoiceCurrency, invoice.fact.currency, book.context.functionalCurrency, invoice.rate);
}

/** The obligations a line's rule makes: one per bundle component (shared by SSP), else the line itself. */
function linePieces(rule: ResolvedRule, lineId: string, gross: GrossAndDiscount): ObligationPiece[] {
  if (rule.rule !== 'bundle') {
    const terms: ObligationTerms = {
      rule: rule.rule === 'point_in_time' || rule.rule === 'custom_term' ? rule.rule : 'ratable',
      trigger: rule.trigger,
      termMonths: rule.termMonths,
      method: rule.method,
    };
    const { grossFunctional: functional, grossInvoiceCurrency: invoiceCurrency } = gross;
    return [{ id: lineId, terms, account: rule.account, functional, invoiceCurrency }];
  }
  const weights = decimalWeights(rule.components.map((component) => component.ssp));
  const functional = allocate(gross.grossFunctional, weights);
  const inInvoiceCurrency = allocate(gross.grossInvoiceCurrency, weights);
  return rule.components.map((component, k) => ({
    id: `${lineId}#${component.name}`,
    terms: {
      rule: component.rule,
      trigger: component.trigger ?? 'booking',
      termMonths: component.term_months,
      method: rule.method,
    },
    account: component.account ?? component.name,
    functional: functional[k]!,
    invoiceCurrency: inInvoiceCurrency[k]!,
  }));
}

/** With discounts as contra, the line's discount shared over its pieces by their gross amounts; null otherwise. */
function discountParts(
  pieces: ObligationPiece[],
  gross: GrossAndDiscount,
): { functional: bigint[]; invoiceCurrency: bigint[] } | null {
  const weights = pieces.map((piece) => (piece.invoiceCurrency < 0n ? -piece.invoiceCurrency : piece.invoiceCurrency));
  if (!gross.contra || gross.discountInvoiceCurrency === 0n || !weights.some((w) => w !== 0n)) return null;
  // `allocate` splits a negative total as its absolute value, negated.
  return {
    functional: allocate(gross.discountFunctional, weights),
    invoiceCurrency: allocate(gross.discountInvoiceCurrency, weights),
  };
}
