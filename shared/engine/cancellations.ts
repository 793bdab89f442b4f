/**
 * Cancel-type events (docs/accounting.md §3, "Refunds, disputes, credit notes, voids,
 * write-offs: the proportional rule"): refunds, credit notes, disputes, voids and write-downs
 * take their share of what each obligation had recognized and still deferred at their instant;
 * a failed refund or a voided credit note reverses its entry and restores the obligations.
 */
import { formatMinor, minor, negateMinor } from '../money.ts';
import type { AccountRole } from '../accounts.ts';
import type { EntryKind, LineDraft } from '../journal.ts';
import { addException, emit, type AggregateBook } from './aggregate-book.ts';
import { allocateSigned, allocateSignedOrZeros, convertMinor } from './allocation.ts';
import { dateOf, type EngineContext } from './context.ts';
import type { BalanceTxnFact, CreditNoteFact, RefundFact } from './facts.ts';
import { cashMoved, originalAmount } from './fx.ts';
import { foreignCash, negated } from './settlement-currency.ts';
import { invoiceDimensions, takeReceivable, type BookedLine, type InvoiceState } from './invoice-state.ts';
import { takeFromTrack, type Obligation, type ObligationCut, type TakenShare } from './obligations.ts';
import { settlementLines } from './settlement.ts';
import { unsatisfiedFirstCut } from './termination.ts';

/**
 * The cancel-type entries: the contra account each one's recognized share goes to
 * (docs/accounting.md §3) and its entry key, from the Stripe object it books.
 */
const CANCEL_KINDS = {
  refund: { contraRole: 'refunds', key: (source: string) => `ref:${source}` },
  credit_note: { contraRole: 'credit_notes', key: (source: string) => `cn:${source}` },
  dispute: { contraRole: 'disputes', key: (source: string) => `dp:${source}:withdrawn` },
  void: { contraRole: 'voids', key: (source: string) => `void:${source}` },
  uncollectible: { contraRole: 'bad_debt', key: (source: string) => `unc:${source}` },
  // A Connect platform acting as agent: the connected account's share of a sale (connect-share.ts).
  connect_share: { contraRole: 'revenue', key: (source: string) => `cs:${source}` },
} as const satisfies Record<string, { contraRole: AccountRole; key: (source: string) => string }>;

export type CancelKind = keyof typeof CANCEL_KINDS & EntryKind;

/** The key of the entry a cancel-type event books for its source (a refund, credit note, dispute or invoice). */
export function cancelKey(kind: CancelKind, source: string): string {
  return CANCEL_KINDS[kind].key(source);
}

export interface CancelEvent {
  kind: CancelKind;
  /** The Stripe object booked: the refund, credit note, dispute, or the invoice voided or written off. */
  source: string;
  at: number;
  /** The event's amount, tax included, in the invoice currency. */
  amountMinor: bigint;
  /** Per-line amounts and tax when the event names them (a credit note with lines); else shared by booked amounts. */
  explicit?: { lines: bigint[]; tax: bigint } | undefined;
  /** A credit note's subscription cancellation instant (`termination_credits`, termination.ts). */
  cancellationAt?: number | undefined;
}

/** The credit side of a cancel-type entry (what actually moved), given the functional total of its debits. */
export type CreditSide = (debitFunctional: bigint) => LineDraft[];

/**
 * The proportional rule: the event amount is shared over the invoice's lines and tax by their
 * booked amounts (or by the event's own per-line amounts), each line's part over its
 * obligations, and each obligation's part over what was recognized by the instant (→ the
 * contra account) and what is still deferred (→ deferred revenue).
 */
export function bookCancel(book: AggregateBook, invoice: InvoiceState, event: CancelEvent, credit: CreditSide): void {
  const context = book.context;
  const key = cancelKey(event.kind, event.source);
  const bookedAmounts = [...invoice.lines.map((l) => l.netInvoiceCurrency), invoice.taxInvoiceCurrency];
  const partsInvoiceCurrency = event.explicit
    ? [...event.explicit.lines, event.explicit.tax]
    : allocateSignedOrZeros(event.amountMinor, bookedAmounts);
  let eventInvoiceCurrency = 0n;
  for (const part of partsInvoiceCurrency) eventInvoiceCurrency += part;
  // An invoice whose booked amounts net to zero gives nothing to share by: the whole event lies
  // beyond what it carried (other_loss, below).
  const unshared = event.explicit ? 0n : event.amountMinor - eventInvoiceCurrency;
  eventInvoiceCurrency += unshared;
  const eventFunctional = invoice.foreign
    ? convertMinor(eventInvoiceCurrency, invoice.fact.currency, context.functionalCurrency, invoice.rate)
    : eventInvoiceCurrency;
  let partsFunctional = partsInvoiceCurrency;
  if (eventInvoiceCurrency === unshared) partsFunctional = partsInvoiceCurrency.map(() => 0n);
  else if (invoice.foreign) partsFunctional = allocateSigned(eventFunctional, partsInvoiceCurrency);
  const lines: LineDraft[] = [];
  const cuts: ObligationCut[] = [];
  invoice.lines.forEach((booked, i) => {
    const part = { functional: partsFunctional[i]!, invoiceCurrency: partsInvoiceCurrency[i]! };
    cancelLine(context, invoice, event, booked, part, lines, cuts);
  });
  const taxInvoiceCurrency = partsInvoiceCurrency[partsInvoiceCurrency.length - 1]!;
  const taxFunctional = partsFunctional[partsFunctional.length - 1]!;
  lines.push({
    role: 'tax_liability',
    amountMinor: minor(taxFunctional),
    currency: context.functionalCurrency,
    original: originalAmount(invoice, taxInvoiceCurrency),
    invoice: invoice.fact.invoice,
  });
  if (unshared !== 0n) {
    // Only when nothing was shared (every part is zero), so the whole event is this line.
    lines.push({
      role: 'other_loss',
      amountMinor: minor(eventFunctional),
      currency: context.functionalCurrency,
      original: originalAmount(invoice, unshared),
      invoice: invoice.fact.invoice,
      memo: 'beyond what the invoice carried (its booked amounts net to zero)',
    });
  }
  const all = [...lines, ...credit(eventFunctional)];
  invoice.cancellations.set(key, { cuts, lines: all });
  emit(book, {
    key,
    kind: event.kind,
    postingDate: dateOf(context, event.at),
    memo: `${event.kind.replace(/_/g, ' ')} ${event.source} on invoice ${invoice.fact.invoice}`,
    sources: [event.source, invoice.fact.invoice],
    lines: all,
  });
}

/** One invoice line's part of a cancel-type event, over its obligations. */
function cancelLine(
  context: EngineContext,
  invoice: InvoiceState,
  event: CancelEvent,
  booked: BookedLine,
  part: { functional: bigint; invoiceCurrency: bigint },
  lines: LineDraft[],
  cuts: ObligationCut[],
): void {
  if (part.invoiceCurrency === 0n && part.functional === 0n) return;
  const currency = context.functionalCurrency;
  const dimensions = {
    ...invoiceDimensions(invoice),
    invoiceLine: booked.line.id,
    product: booked.line.product ?? undefined,
  };
  if (booked.pendingSchedule || booked.obligations.length === 0) {
    const original = originalAmount(invoice, part.invoiceCurrency);
    const role = CANCEL_KINDS[event.kind].contraRole;
    lines.push({ role, amountMinor: minor(part.functional), currency, original, ...dimensions });
    return;
  }
  const obligations = booked.obligations;
  if (carriesNothing(obligations)) {
    // A zero-net line (free, or discounted to nothing): all of its part lies beyond what it carried.
    const original = originalAmount(invoice, part.invoiceCurrency);
    const memo = 'beyond what the line carried (a zero-net line)';
    lines.push({ role: 'other_loss', amountMinor: minor(part.functional), currency, original, ...dimensions, memo });
    return;
  }
  const functionalParts = allocateSignedOrZeros(
    part.functional,
    obligations.map((o) => o.functional.amountMinor),
  );
  const invoiceCurrencyParts = allocateSignedOrZeros(
    part.invoiceCurrency,
    obligations.map((o) => o.invoiceCurrency.amountMinor),
  );
  obligations.forEach((obligation, k) => {
    if (!obligation.scheduled) {
      const original = originalAmount(invoice, invoiceCurrencyParts[k]!);
      const role = obligation.deferredRole;
      lines.push({ role, amountMinor: minor(functionalParts[k]!), currency, original, ...dimensions });
      return;
    }
    const termination = unsatisfiedFirstCut(context, event, obligation, functionalParts[k]!, invoiceCurrencyParts[k]!);
    const functional =
      termination?.functional ?? takeFromTrack(obligation.functional, event.at, functionalParts[k]!, context.schedule);
    const inInvoiceCurrency =
      termination?.invoiceCurrency ??
      (obligation.invoiceCurrency === obligation.functional
        ? functional
        : takeFromTrack(obligation.invoiceCurrency, event.at, invoiceCurrencyParts[k]!, context.schedule));
    cuts.push({ obligation, functional, invoiceCurrency: inInvoiceCurrency });
    lines.push({
      role: obligation.contraOverride ?? CANCEL_KINDS[event.kind].contraRole,
      amountMinor: minor(functional.recognized),
      currency,
      original: originalAmount(invoice, inInvoiceCurrency.recognized),
      ...dimensions,
    });
    lines.push({
      role: obligation.deferredRole,
      amountMinor: minor(functional.deferred),
      currency,
      original: originalAmount(invoice, inInvoiceCurrency.deferred),
      ...dimensions,
    });
    lines.push({
      role: 'other_loss',
      amountMinor: minor(functional.excess),
      currency,
      original: originalAmount(invoice, inInvoiceCurrency.excess),
      ...dimensions,
      memo: 'beyond what the obligation carried',
    });
  });
}

/** Whether a line's obligations net to nothing in both currencies (nothing to share an event's part by). */
function carriesNothing(obligations: readonly Obligation[]): boolean {
  let functional = 0n;
  let inInvoiceCurrency = 0n;
  for (const o of obligations) {
    functional += o.functional.amountMinor;
    inInvoiceCurrency += o.invoiceCurrency.amountMinor;
  }
  return functional === 0n && inInvoiceCurrency === 0n;
}

/** A failed refund or a voided credit note: the original entry's lines negated, and the obligations restored. */
export function bookReversal(
  book: AggregateBook,
  invoice: InvoiceState,
  reversal: { at: number; originalKey: string; key: string; kind: EntryKind; source: string },
): void {
  const { at, originalKey, key, kind, source } = reversal;
  const original = invoice.cancellations.get(originalKey);
  if (!original) {
    const reason =
      `${kind.replace(/_/g, ' ')} ${source}: the original ${originalKey} is not in the books; ` + 'nothing to reverse';
    addException(book, source, null, reason);
    return;
  }
  const calendar = book.context.schedule;
  for (const cut of original.cuts) {
    const obligation = cut.obligation;
    takeFromTrack(obligation.functional, at, 0n, calendar, restored(cut.functional));
    if (obligation.invoiceCurrency !== obligation.functional) {
      takeFromTrack(obligation.invoiceCurrency, at, 0n, calendar, restored(cut.invoiceCurrency));
    }
  }
  for (const line of original.lines) {
    if (line.role !== 'receivable') continue;
    invoice.openFunctional -= line.amountMinor;
    invoice.openInvoiceCurrency -= line.original?.amountMinor ?? line.amountMinor;
  }
  emit(book, {
    key,
    kind,
    postingDate: dateOf(book.context, at),
    memo: `Reverses ${originalKey}`,
    sources: [source, invoice.fact.invoice],
    lines: original.lines.map((line) => ({
      ...line,
      amountMinor: negateMinor(line.amountMinor),
      original: line.original ? { ...line.original, amountMinor: negateMinor(line.original.amountMinor) } : undefined,
    })),
  });
}

/** The explicit share that gives back what a cut took. */
function restored(taken: TakenShare): { recognized: bigint; deferred: bigint } {
  return { recognized: -taken.recognized, deferred: -taken.deferred };
}

/** A refund: the proportional rule, with the cash that left the Stripe balance on the credit side. */
export function bookRefund(book: AggregateBook, invoice: InvoiceState, refund: RefundFact): void {
  const context = book.context;
  const event: CancelEvent = { kind: 'refund', source: refund.refund, at: refund.at, amountMinor: refund.amountMinor };
  bookCancel(book, invoice, event, (debitFunctional): LineDraft[] => {
    const inBalance = foreignCash(book, refund.balanceTransaction, refund.refund, -1n);
    const cash =
      inBalance?.functional ?? cashMoved(context, invoice, refund.amountMinor, refund.balanceTransaction, -1n);
    const rate = refund.balanceTransaction?.exchangeRate ?? invoice.rateText;
    const functionalBalance = refund.balanceTransaction?.currency === context.functionalCurrency;
    const original = inBalance
      ? negated(inBalance.original)
      : invoice.foreign && !functionalBalance
        ? { currency: invoice.fact.currency, amountMinor: minor(-refund.amountMinor), rate }
        : undefined;
    const { customer, invoice: invoiceId } = invoiceDimensions(invoice);
    const currency = context.functionalCurrency;
    return [
      { role: 'cash_clearing', amountMinor: minor(-cash), currency, original, invoice: invoiceId, customer },
      ...settlementLines(book, {
        differenceMinor: cash - debitFunctional,
        foreign: movementIsForeign(book, invoice, refund.balanceTransaction),
        causes: [],
        what: `refund ${refund.refund} of invoice ${invoiceId} (${formatMinor(refund.amountMinor, currency)})`,
        ids: btIds(refund.refund, invoiceId, refund.balanceTransaction),
        fxMemo: 'exchange difference on refund',
        dimensions: { invoice: invoiceId },
      }),
    ];
  });
}

/** Whether a movement involves a currency besides the functional one (its invoice's or its balance's). */
function movementIsForeign(book: AggregateBook, invoice: InvoiceState, settled: BalanceTxnFact | null): boolean {
  return invoice.foreign || (settled !== null && settled.currency !== book.context.functionalCurrency);
}

function btIds(source: string, invoice: string, settled: BalanceTxnFact | null): string[] {
  return settled ? [source, invoice, settled.id] : [source, invoice];
}

/**
 * A refund created by a credit note: the credit note already took the revenue side; the cash
 * leaves against the receivable.
 */
export function bookCreditNoteRefund(book: AggregateBook, invoice: InvoiceState, refund: RefundFact): void {
  const context = book.context;
  const currency = context.functionalCurrency;
  const amount = refund.amountMinor;
  const inBalance = foreignCash(book, refund.balanceTransaction, refund.refund, -1n);
  const cash = inBalance?.functional ?? cashMoved(context, invoice, amount, refund.balanceTransaction, -1n);
  const cashOriginal = inBalance
    ? negated(inBalance.original)
    : refund.balanceTransaction?.currency === currency
      ? undefined
      : originalAmount(invoice, -amount);
  const receivable = -takeReceivable(invoice, -amount, currency);
  const dimensions = invoiceDimensions(invoice);
  const lines: LineDraft[] = [
    {
      role: 'receivable',
      amountMinor: minor(receivable),
      currency,
      original: originalAmount(invoice, amount),
      ...dimensions,
    },
    { role: 'cash_clearing', amountMinor: minor(-cash), currency, original: cashOriginal, ...dimensions },
    ...settlementLines(book, {
      differenceMinor: cash - receivable,
      foreign: movementIsForeign(book, invoice, refund.balanceTransaction),
      causes: [],
      what: `refund ${refund.refund} of a credit note on ${invoice.fact.invoice} (${formatMinor(amount, currency)})`,
      ids: btIds(refund.refund, invoice.fact.invoice, refund.balanceTransaction),
      fxMemo: undefined,
      dimensions,
    }),
  ];
  // Kept under the refund's key, so a failed refund reverses it like any refund.
  const key = cancelKey('refund', refund.refund);
  invoice.cancellations.set(key, { cuts: [], lines });
  emit(book, {
    key,
    kind: 'refund',
    postingDate: dateOf(context, refund.at),
    memo: `Refund ${refund.refund} of a credit note on ${invoice.fact.invoice}`,
    sources: [refund.refund, invoice.fact.invoice],
    lines,
  });
}

/**
 * A credit note: the proportional rule over its own per-line amounts when it names lines (its
 * custom lines spread over the invoice lines by amount), else over the booked amounts.
 */
export function bookCreditNote(book: AggregateBook, invoice: InvoiceState, creditNote: CreditNoteFact): void {
  const { creditNote: source, at, totalMinor: amount } = creditNote;
  const explicit =
    creditNote.lines.length > 0
      ? { lines: creditNoteLineAmounts(invoice, creditNote), tax: creditNote.taxMinor }
      : undefined;
  const event: CancelEvent = { kind: 'credit_note', source, at, amountMinor: amount, explicit };
  if (creditNote.cancellationAt !== undefined) event.cancellationAt = creditNote.cancellationAt;
  bookCancel(book, invoice, event, (debitFunctional) => creditNoteCredits(book, invoice, creditNote, debitFunctional));
}

/** Per-line amounts: named lines go to their line; custom lines are spread over the lines by amount. */
function creditNoteLineAmounts(invoice: InvoiceState, creditNote: CreditNoteFact): bigint[] {
  const byLine = invoice.lines.map(() => 0n);
  let custom = 0n;
  for (const credited of creditNote.lines) {
    const named = credited.invoiceLine;
    const index = named ? invoice.lines.findIndex((booked) => booked.line.id === named) : -1;
    if (index >= 0) byLine[index] = byLine[index]! + credited.amountMinor;
    else custom += credited.amountMinor;
  }
  if (custom !== 0n) {
    const spread = allocateSignedOrZeros(
      custom,
      invoice.lines.map((booked) => booked.netInvoiceCurrency),
    );
    spread.forEach((amount, i) => (byLine[i] = byLine[i]! + amount));
  }
  return byLine;
}

/**
 * What a credit note moved: the receivable (before payment, and for the refunded part until
 * the refund settles it), the customer balance, or an account outside Stripe. The parts share
 * the functional total by their amounts.
 */
function creditNoteCredits(
  book: AggregateBook,
  invoice: InvoiceState,
  creditNote: CreditNoteFact,
  debitFunctional: bigint,
): LineDraft[] {
  const currency = book.context.functionalCurrency;
  const { prePaymentMinor, refundMinor, customerBalanceMinor, outOfBandMinor } = creditNote;
  const parts = [prePaymentMinor + refundMinor, customerBalanceMinor, outOfBandMinor];
  const sum = parts.reduce((a, b) => a + b, 0n);
  const weights = sum === 0n ? [1n, 0n, 0n] : parts;
  const [receivable, customerBalance, outOfBand] = allocateSigned(debitFunctional, weights) as [bigint, bigint, bigint];
  const receivableInvoiceCurrency = sum === 0n ? creditNote.totalMinor : parts[0]!;
  invoice.openInvoiceCurrency -= receivableInvoiceCurrency;
  invoice.openFunctional -= receivable;
  const dimensions = invoiceDimensions(invoice);
  const line = (role: AccountRole, amount: bigint, amountInvoiceCurrency: bigint): LineDraft => ({
    role,
    amountMinor: minor(-amount),
    currency,
    original: originalAmount(invoice, -amountInvoiceCurrency),
    ...dimensions,
  });
  return [
    line('receivable', receivable, receivableInvoiceCurrency),
    line('customer_balance', customerBalance, customerBalanceMinor),
    line('external_asset', outOfBand, outOfBandMinor),
  ];
}

/**
 * Void and uncollectible: the open receivable is cancelled proportionally. A write-off records
 * what was written off and its bad-debt share, for a payment that may still come.
 */
export function bookWriteDown(
  book: AggregateBook,
  invoice: InvoiceState,
  at: number,
  kind: 'void' | 'uncollectible',
): void {
  const context = book.context;
  const invoiceId = invoice.fact.invoice;
  const openInvoiceCurrency = invoice.openInvoiceCurrency;
  const openFunctional = invoice.openFunctional;
  if (openInvoiceCurrency === 0n) return;
  const event: CancelEvent = { kind, source: invoiceId, at, amountMinor: openInvoiceCurrency };
  bookCancel(book, invoice, event, (debitFunctional): LineDraft[] => {
    invoice.openInvoiceCurrency = 0n;
    invoice.openFunctional = 0n;
    const currency = context.functionalCurrency;
    return [
      {
        role: 'receivable',
        amountMinor: minor(-openFunctional),
        currency,
        original: originalAmount(invoice, -openInvoiceCurrency),
        invoice: invoiceId,
        customer: invoice.fact.customer ?? undefined,
      },
      ...settlementLines(book, {
        differenceMinor: openFunctional - debitFunctional,
        foreign: invoice.foreign,
        causes: [],
        what: `the open receivable of ${invoiceId}`,
        ids: [invoiceId],
        fxMemo: undefined,
        dimensions: { invoice: invoiceId },
      }),
    ];
  });
  if (kind !== 'uncollectible') return;
  let badDebt = 0n;
  const cuts = invoice.cancellations.get(cancelKey(kind, invoiceId))?.cuts ?? [];
  for (const cut of cuts) badDebt += cut.functional.recognized;
  invoice.writtenOff = { functional: openFunctional, badDebtFunctional: badDebt };
}
