/**
 * Disputes (docs/accounting.md §3, "Disputes"): funds withdrawn take the proportional rule with
 * contra disputes; funds reinstated come back as a recovery. Stripe sends a dispute's money in
 * one of several shapes — one balance transaction with the dispute fee inside, the fee in its own
 * balance transaction, or several (withdrawal, reinstatement, fee refund) — and every shape gives
 * the same books: the disputed funds against the Stripe balance, and each fee to Stripe fees.
 */
import type { AccountRole } from '../accounts.ts';
import type { LineDraft } from '../journal.ts';
import { formatMinor, minor } from '../money.ts';
import { emit, type AggregateBook } from './aggregate-book.ts';
import { convertMinor } from './allocation.ts';
import { bookCancel, type CancelEvent } from './cancellations.ts';
import { dateOf } from './context.ts';
import type { BalanceTxnFact, DisputeBalancePart, DisputeFundsFact } from './facts.ts';
import { originalAmount } from './fx.ts';
import type { InvoiceState } from './invoice-state.ts';
import { bookFee } from './payments.ts';
import { settlementLines } from './settlement.ts';
import { foreignCash } from './settlement-currency.ts';

/** The dispute's balance transactions in this direction (a fact stored before `parts` existed has one). */
function partsOf(dispute: DisputeFundsFact): DisputeBalancePart[] {
  if (dispute.parts) return dispute.parts;
  return dispute.balanceTransaction ? [{ kind: 'funds', balanceTransaction: dispute.balanceTransaction }] : [];
}

/**
 * The disputed funds the balance transactions moved, in the functional currency (signed as
 * Stripe signs them), or null when one of them is in another currency or none moved funds.
 */
function fundsMoved(book: AggregateBook, parts: DisputeBalancePart[]): FundsMoved | null {
  const funds = parts.filter((part) => part.kind === 'funds').map((part) => part.balanceTransaction);
  if (funds.length === 0) return null;
  const ids = funds.map((bt) => bt.id);
  const settlement = funds[0]!.currency;
  if (settlement !== book.context.functionalCurrency) return foreignFundsMoved(book, funds, ids);
  if (funds.some((bt) => bt.currency !== settlement)) return null;
  let cash = 0n;
  for (const bt of funds) cash += bt.amountMinor;
  return { cash, ids, original: undefined };
}

interface FundsMoved {
  cash: bigint;
  ids: string[];
  /** The settlement-currency amount, when the funds moved a foreign Stripe balance. */
  original: LineDraft['original'];
}

/** Disputed funds in a foreign Stripe balance, each at its balance rate; null when a rate or currency does not fit. */
function foreignFundsMoved(book: AggregateBook, funds: BalanceTxnFact[], ids: string[]): FundsMoved | null {
  let cash = 0n;
  let settled = 0n;
  let rate = '';
  for (const bt of funds) {
    if (bt.currency !== funds[0]!.currency) return null;
    const moved = foreignCash(book, bt, bt.id, 1n);
    if (!moved) return null;
    cash += moved.functional;
    settled += bt.amountMinor;
    rate = moved.original!.rate;
  }
  return { cash, ids, original: { currency: funds[0]!.currency, amountMinor: minor(settled), rate } };
}

/** Each fee of the dispute: inside a funds transaction (`fee`), or a transaction of its own (its amount). */
function bookDisputeFees(book: AggregateBook, dispute: DisputeFundsFact, parts: DisputeBalancePart[]): void {
  for (const { kind, balanceTransaction } of parts) {
    const ownFee = kind === 'fee' ? -balanceTransaction.amountMinor : 0n;
    const date = dateOf(book.context, balanceTransaction.created);
    bookFee(book, balanceTransaction, dispute.dispute, date, 'dispute', ownFee);
  }
}

/** Whether the dispute has funds to book in this direction (not only a fee of its own). */
function movesFunds(parts: DisputeBalancePart[], settled: BalanceTxnFact | null): boolean {
  return parts.length === 0 ? settled === null : parts.some((part) => part.kind === 'funds');
}

/**
 * Dispute funds withdrawn: the proportional rule with contra disputes and the cash the balance
 * transactions took; a same-currency gap from the disputed amount is unmatched cash (never FX);
 * then every fee.
 */
export function bookDisputeWithdrawn(book: AggregateBook, invoice: InvoiceState, dispute: DisputeFundsFact): void {
  const context = book.context;
  const currency = context.functionalCurrency;
  const parts = partsOf(dispute);
  if (movesFunds(parts, dispute.balanceTransaction)) {
    const moved = fundsMoved(book, parts);
    const event: CancelEvent = {
      kind: 'dispute',
      source: dispute.dispute,
      at: dispute.at,
      amountMinor: dispute.amountMinor,
    };
    bookCancel(book, invoice, event, (debitFunctional): LineDraft[] => {
      const cash = moved ? -moved.cash : debitFunctional;
      const original = moved?.original ?? (moved ? undefined : originalAmount(invoice, -dispute.amountMinor));
      const invoiceId = invoice.fact.invoice;
      return [
        { role: 'cash_clearing', amountMinor: minor(-cash), currency, original, invoice: invoiceId },
        ...settlementLines(book, {
          differenceMinor: cash - debitFunctional,
          foreign: invoice.foreign || moved === null || moved.original !== undefined,
          causes: [],
          what: `dispute ${dispute.dispute} on ${invoiceId} (${formatMinor(dispute.amountMinor, dispute.currency)} disputed)`,
          ids: [dispute.dispute, invoiceId, ...(moved?.ids ?? [])],
          fxMemo: undefined,
          dimensions: { invoice: invoiceId },
        }),
      ];
    });
  }
  bookDisputeFees(book, dispute, parts);
}

/** Dispute won: the reinstated funds back to the Stripe balance, credited to recoveries (or disputes), and the fees returned. */
export function bookDisputeReinstated(book: AggregateBook, invoice: InvoiceState, dispute: DisputeFundsFact): void {
  const context = book.context;
  const currency = context.functionalCurrency;
  const parts = partsOf(dispute);
  if (movesFunds(parts, dispute.balanceTransaction)) {
    const moved = fundsMoved(book, parts);
    const cash = moved ? moved.cash : convertMinor(dispute.amountMinor, dispute.currency, currency, invoice.rate);
    const role: AccountRole = context.settings.recover_as_gains ? 'recoveries' : 'disputes';
    const invoiceId = dispute.invoice ?? undefined;
    emit(book, {
      key: `dp:${dispute.dispute}:reinstated`,
      kind: 'dispute_won',
      postingDate: dateOf(context, dispute.at),
      memo: `Dispute ${dispute.dispute} won: funds reinstated`,
      sources: [dispute.dispute, dispute.invoice ?? dispute.charge],
      lines: [
        { role: 'cash_clearing', amountMinor: minor(cash), currency, original: moved?.original, invoice: invoiceId },
        { role, amountMinor: minor(-cash), currency, invoice: invoiceId },
      ],
    });
  }
  bookDisputeFees(book, dispute, parts);
}
