/**
 * Books one aggregate: an invoice with everything that happened to it, a charge without
 * invoice with its refunds and disputes, a payout, or a pending invoice item. Facts that belong
 * to an invoice or charge not booked yet wait (an exception says why). A refusal of the data
 * stops only this aggregate, which then books nothing (failures.ts); entries come out sorted by
 * date, then ENTRY_KIND_ORDER, then key.
 */
import type { EntryDraft } from '../journal.ts';
import { addException, type AggregateBook, type EngineResult } from './aggregate-book.ts';
import { bookApplicationFee } from './application-fees.ts';
import { bookCharge } from './charges.ts';
import { bookCreditGrant } from './credit-grants.ts';
import { bookStoredValue } from './stored-value.ts';
import type { EngineContext } from './context.ts';
import {
  aggregateKeyOf,
  factKey,
  type ChargeFact,
  type CreditGrantFact,
  type CustomerBalanceFact,
  type Fact,
  type InvoiceFinalizedFact,
} from './facts.ts';
import { failureReason, failureStopsRun } from './failures.ts';
import { formatMinor, type Currency } from '../money.ts';
import { bookInvoice } from './invoice.ts';
import { entryKindRank } from './order.ts';
import { bookPayout } from './payments.ts';
import { bookInvoiceItem } from './pending-items.ts';
import { bookUsage } from './usage.ts';
import { bookStandaloneTransfer } from './transfers.ts';

export function runAggregate(context: EngineContext, key: string, facts: Fact[]): EngineResult {
  const book: AggregateBook = { context, key, entries: [], schedules: [], exceptions: [] };
  try {
    bookFacts(book, facts);
  } catch (error) {
    if (failureStopsRun(error)) throw error;
    // Nothing partial is booked: the exception queue shows the aggregate with its reason.
    book.entries = [];
    book.schedules = [];
    addException(book, key, null, `${failureReason(error)}; ${notBooked(key, facts)}`);
  }
  book.entries.sort(byDateKindKey);
  return book;
}

function bookFacts(book: AggregateBook, facts: Fact[]): void {
  const invoice = facts.find((f): f is InvoiceFinalizedFact => f.type === 'invoice_finalized');
  if (invoice) return bookInvoice(book, invoice, facts);
  const charge = facts.find((f): f is ChargeFact => f.type === 'charge');
  if (charge) return bookCharge(book, charge, facts);
  const grant = facts.find((f): f is CreditGrantFact => f.type === 'credit_grant');
  if (grant) return bookCreditGrant(book, grant, facts);
  const balance = facts.filter((f): f is CustomerBalanceFact => f.type === 'customer_balance_txn');
  if (balance.length > 0) return bookStoredValue(book, balance);
  if (facts.some((f) => f.type === 'usage_accrual' || f.type === 'usage_billed')) return bookUsage(book, facts);
  for (const fact of facts) {
    if (fact.type === 'payout_paid' || fact.type === 'payout_failed') bookPayout(book, fact, facts);
    else if (fact.type === 'invoice_item') bookInvoiceItem(book, fact);
    else if (fact.type === 'application_fee') bookApplicationFee(book, fact, facts);
    else if (fact.type === 'application_fee_refund' && facts.some((f) => f.type === 'application_fee')) continue;
    else if (fact.type === 'transfer' && !fact.charge) bookStandaloneTransfer(book, fact, facts);
    else if (fact.type === 'transfer_reversal' && !fact.charge && facts.some((f) => f.type === 'transfer')) continue;
    else addException(book, book.key, factKey(fact), waitingReason(fact));
  }
}

function byDateKindKey(a: EntryDraft, b: EntryDraft): number {
  if (a.postingDate !== b.postingDate) return a.postingDate < b.postingDate ? -1 : 1;
  const byKind = entryKindRank(a.kind) - entryKindRank(b.kind);
  if (byKind !== 0) return byKind;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Why a fact waits: the invoice or charge it belongs to is not in the books yet. */
function waitingReason(fact: Fact): string {
  switch (fact.type) {
    case 'refund':
    case 'refund_failed':
      return fact.invoice
        ? `refund ${fact.refund} belongs to invoice ${fact.invoice}, which has not been finalized in the books yet`
        : `refund ${fact.refund} belongs to charge ${fact.charge}, which is not in the books yet`;
    case 'dispute_funds_withdrawn':
    case 'dispute_funds_reinstated':
      return `dispute ${fact.dispute} concerns ${fact.invoice ?? fact.charge}, which is not in the books yet`;
    case 'application_fee_refund':
      return `refund ${fact.refund} of application fee ${fact.fee}: the fee is not in the books yet`;
    case 'credit_applied':
    case 'credit_grant_voided':
      return `${fact.type} of credit grant ${fact.grant} arrived before the grant; it is booked once the grant is`;
    case 'transfer':
    case 'transfer_reversal':
      return fact.charge
        ? `${fact.type.replace('_', ' ')} ${fact.type === 'transfer' ? fact.transfer : fact.reversal} belongs to charge ${fact.charge}${fact.invoice ? ` of invoice ${fact.invoice}` : ''}, which is not in the books yet`
        : `transfer reversal ${fact.type === 'transfer_reversal' ? fact.reversal : ''}: its transfer is not in the books yet`;
    default:
      return (
        `${fact.type} for ${aggregateKeyOf(fact)} arrived before the invoice was finalized; ` +
        'it is booked once the invoice is'
      );
  }
}

/** What a refused aggregate leaves out of the books, with amounts: the invoice or charge and its payments. */
function notBooked(key: string, facts: Fact[]): string {
  const invoice = facts.find((f): f is InvoiceFinalizedFact => f.type === 'invoice_finalized');
  const charge = facts.find((f): f is ChargeFact => f.type === 'charge');
  const amount = (value: bigint, currency: Currency) => `${formatMinor(value, currency)} ${currency.toUpperCase()}`;
  if (invoice) {
    const payments = facts.filter((f) => f.type === 'payment');
    let paid = 0n;
    for (const payment of payments) paid += payment.amountMinor;
    const total = amount(invoice.totalMinor, invoice.currency);
    const paidText = payments.length
      ? ` and its ${payments.length} payment(s) of ${amount(paid, invoice.currency)}`
      : '';
    return `not booked: invoice ${invoice.invoice} (total ${total})${paidText}, and ${facts.length} fact(s) in all`;
  }
  if (charge) return `not booked: charge ${charge.charge} (${amount(charge.amountMinor, charge.currency)})`;
  return `not booked: ${facts.length} fact(s) of ${key}`;
}
