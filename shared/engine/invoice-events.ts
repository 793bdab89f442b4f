/**
 * An invoice's facts after its finalization — payments and cancel-type events — booked in
 * time order (ties: INVOICE_FACT_ORDER, then fact key), each changing the obligations from its
 * instant on. A charge without invoice books its refunds and disputes through the same dispatch.
 */
import { addException, type AggregateBook } from './aggregate-book.ts';
import {
  bookCreditNote,
  bookCreditNoteRefund,
  bookRefund,
  bookReversal,
  bookWriteDown,
  cancelKey,
} from './cancellations.ts';
import { restorePaidCredits } from './credit-grants.ts';
import { bookDisputeReinstated, bookDisputeWithdrawn } from './disputes.ts';
import { factKey, type Fact } from './facts.ts';
import type { InvoiceState } from './invoice-state.ts';
import { invoiceFactRank, type InvoiceEventType } from './order.ts';
import { bookPayment } from './payments.ts';
import { bookChargeShare, bookConnectRefund } from './connect-share.ts';
import { bookTransfer, bookTransferReversal } from './transfers.ts';

export type InvoiceEventFact = Extract<Fact, { type: InvoiceEventType }>;

/** The credit-note refunds of an invoice without any (most invoices): one shared empty set. */
const NO_REFUNDS: ReadonlySet<string> = new Set<string>();

/** Books the invoice's events in order; a fact that is no invoice event is an exception. */
export function bookInvoiceEvents(book: AggregateBook, invoice: InvoiceState, facts: Fact[]): void {
  const events: { at: number; rank: number; id: string; fact: InvoiceEventFact }[] = [];
  for (const fact of facts) {
    const rank = invoiceFactRank(fact.type);
    if (rank !== undefined) {
      events.push({ at: fact.at, rank, id: factKey(fact), fact: fact as InvoiceEventFact });
    } else if (fact.type !== 'invoice_finalized' && fact.type !== 'fulfillment' && fact.type !== 'credit_grant_sale') {
      const reason = `${fact.type} cannot be booked on invoice ${invoice.fact.invoice}`;
      addException(book, book.key, factKey(fact), reason);
    }
  }
  events.sort((a, b) => a.at - b.at || a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let creditNoteRefunds: ReadonlySet<string> = NO_REFUNDS;
  for (const fact of facts) {
    if (fact.type !== 'credit_note' || fact.refunds.length === 0) continue;
    if (creditNoteRefunds === NO_REFUNDS) creditNoteRefunds = new Set<string>();
    for (const refund of fact.refunds) (creditNoteRefunds as Set<string>).add(refund);
  }
  for (const event of events) bookInvoiceEvent(book, invoice, event.fact, creditNoteRefunds);
}

/** Books one event of an invoice (or of a charge without invoice, with no credit-note refunds). */
export function bookInvoiceEvent(
  book: AggregateBook,
  invoice: InvoiceState,
  fact: InvoiceEventFact,
  creditNoteRefunds: ReadonlySet<string>,
): void {
  switch (fact.type) {
    case 'payment':
      bookPayment(book, invoice, fact);
      if (fact.method === 'stripe') bookChargeShare(book, invoice, fact.payment, fact.at);
      return;
    case 'transfer':
      return bookTransfer(book, invoice, fact);
    case 'transfer_reversal':
      return bookTransferReversal(book, invoice, fact, invoice.connect?.transfers ?? []);
    case 'refund':
      if (creditNoteRefunds.has(fact.refund)) return bookCreditNoteRefund(book, invoice, fact);
      if (bookConnectRefund(book, invoice, fact)) return;
      return bookRefund(book, invoice, fact);
    case 'refund_failed': {
      const originalKey = cancelKey('refund', fact.refund);
      const key = `${originalKey}:failed`;
      return bookReversal(book, invoice, { at: fact.at, originalKey, key, kind: 'refund_failed', source: fact.refund });
    }
    case 'credit_note':
      return bookCreditNote(book, invoice, fact);
    case 'credit_note_voided': {
      const originalKey = cancelKey('credit_note', fact.creditNote);
      const key = `${originalKey}:void`;
      const source = fact.creditNote;
      return bookReversal(book, invoice, { at: fact.at, originalKey, key, kind: 'credit_note_voided', source });
    }
    case 'dispute_funds_withdrawn':
      return bookDisputeWithdrawn(book, invoice, fact);
    case 'dispute_funds_reinstated':
      return bookDisputeReinstated(book, invoice, fact);
    case 'invoice_voided':
      restorePaidCredits(invoice, book.context.functionalCurrency);
      return bookWriteDown(book, invoice, fact.at, 'void');
    case 'invoice_uncollectible':
      return bookWriteDown(book, invoice, fact.at, 'uncollectible');
  }
}
