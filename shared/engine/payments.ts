/**
 * Money coming in and going out of the Stripe balance (docs/accounting.md §3): invoice
 * payments (through Stripe or outside it, and after a write-off), Stripe's fees, and payouts.
 */
import type { AccountRole } from '../accounts.ts';
import type { LineDraft, LocalDate } from '../journal.ts';
import { allocate, formatMinor, minor } from '../money.ts';
import { emit, type AggregateBook } from './aggregate-book.ts';
import { convertMinor } from './allocation.ts';
import { dateOf } from './context.ts';
import { type BalanceTxnFact, type Fact, type PaymentFact, type PayoutFact } from './facts.ts';
import { cashMoved, originalAmount } from './fx.ts';
import { invoiceDimensions, takeReceivable, type InvoiceState } from './invoice-state.ts';
import { checkedSettlement, settlementLines } from './settlement.ts';
import { bookForeignFee, bookForeignPayout, foreignCash } from './settlement-currency.ts';
import { connectCauses } from './connect-share.ts';

/**
 * A payment of an invoice: Dr the Stripe balance (or the account outside Stripe) with the cash,
 * Cr the receivable at the booking rate; a difference is an exchange difference when two
 * currencies are involved, else matched to its cause or booked as unmatched cash (settlement.ts).
 * After a write-off the cash goes back through bad debt and recoveries instead; then the fees.
 */
export function bookPayment(book: AggregateBook, invoice: InvoiceState, payment: PaymentFact): void {
  const context = book.context;
  const date = dateOf(context, payment.at);
  const outOfBand = payment.method === 'out_of_band';
  // A foreign Stripe balance: the settled amount at its balance rate (settlement-currency.ts).
  const inBalance = outOfBand ? null : foreignCash(book, payment.balanceTransaction, payment.payment, 1n);
  const cash = outOfBand
    ? convertMinor(payment.amountMinor, invoice.fact.currency, context.functionalCurrency, invoice.rate)
    : (inBalance?.functional ?? cashMoved(context, invoice, payment.amountMinor, payment.balanceTransaction, 1n));
  const cashLine: LineDraft = {
    role: outOfBand ? 'external_asset' : 'cash_clearing',
    amountMinor: minor(cash),
    currency: context.functionalCurrency,
    original: inBalance?.original ?? cashOriginal(context, invoice, payment),
    ...invoiceDimensions(invoice),
  };
  const invoiceId = invoice.fact.invoice;
  const writtenOff = invoice.writtenOff !== null;
  const settled = writtenOff ? recoveryLines(book, invoice, cash) : receivableLines(book, invoice, payment, cash);
  emit(book, {
    key: `pay:${invoiceId}:${payment.payment}`,
    kind: writtenOff ? 'uncollectible_paid' : 'payment',
    postingDate: date,
    memo: writtenOff
      ? `Payment of written-off invoice ${invoiceId}`
      : `Payment ${payment.payment} of invoice ${invoiceId}`,
    sources: [payment.payment, invoiceId],
    lines: [cashLine, ...settled],
  });
  if (payment.method === 'stripe') bookFee(book, payment.balanceTransaction, payment.payment, date, 'processing');
}

/**
 * The original amount of a cash line outside a foreign balance: none when the balance
 * transaction settled in the functional currency (the Stripe balance holds functional money),
 * else the payment in the invoice currency at the payment's own rate or the booking rate.
 */
function cashOriginal(
  context: AggregateBook['context'],
  invoice: InvoiceState,
  payment: PaymentFact,
): LineDraft['original'] {
  if (!invoice.foreign) return undefined;
  if (payment.method === 'stripe' && payment.balanceTransaction?.currency === context.functionalCurrency) {
    return undefined;
  }
  const rate = payment.balanceTransaction?.exchangeRate ?? invoice.rateText;
  return { currency: invoice.fact.currency, amountMinor: minor(payment.amountMinor), rate };
}

const SETTLEMENT_DIFFERENCE = 'exchange difference on settlement';

/**
 * Cr the receivable at the booking rate for what was paid; a partial capture settles only what
 * was captured (the rest stays receivable). The gap from the cash goes through `settlementLines`.
 */
function receivableLines(book: AggregateBook, invoice: InvoiceState, payment: PaymentFact, cash: bigint): LineDraft[] {
  const currency = book.context.functionalCurrency;
  const foreign = paymentIsForeign(book, invoice, payment);
  const settlement = foreign
    ? undefined
    : checkedSettlement(book, payment.payment, payment.amountMinor, currency, payment.settlement);
  const captured = settlement?.capturedMinor ?? null;
  const amount = captured !== null && captured < payment.amountMinor ? captured : payment.amountMinor;
  const receivable = takeReceivable(invoice, amount, currency);
  const dimensions = invoiceDimensions(invoice);
  const receivableLine: LineDraft = {
    role: 'receivable',
    amountMinor: minor(-receivable),
    currency,
    original: originalAmount(invoice, -amount),
    ...dimensions,
  };
  // Cash that matches what it settles (the common case) has no settlement lines to look for.
  if (receivable === cash) return [receivableLine];
  const ids = [
    payment.payment,
    invoice.fact.invoice,
    ...(payment.balanceTransaction ? [payment.balanceTransaction.id] : []),
  ];
  return [
    receivableLine,
    ...settlementLines(book, {
      differenceMinor: receivable - cash,
      foreign,
      causes: connectCauses(book, settlement),
      what: `payment ${payment.payment} of invoice ${invoice.fact.invoice} (${formatMinor(amount, currency)})`,
      ids,
      fxMemo: SETTLEMENT_DIFFERENCE,
      dimensions,
    }),
  ];
}

/** Whether a payment involves a currency besides the functional one (its invoice's or its balance's). */
function paymentIsForeign(book: AggregateBook, invoice: InvoiceState, payment: PaymentFact): boolean {
  const settled = payment.balanceTransaction?.currency;
  return invoice.foreign || (settled !== undefined && settled !== book.context.functionalCurrency);
}

/** Paid after being written off: the written-off share comes back through bad debt, the rest as a recovery. */
function recoveryLines(book: AggregateBook, invoice: InvoiceState, cash: bigint): LineDraft[] {
  const currency = book.context.functionalCurrency;
  const { functional: writtenOff, badDebtFunctional: badDebt } = invoice.writtenOff!;
  const shareable = writtenOff !== 0n && badDebt >= 0n && writtenOff - badDebt >= 0n;
  const [toBadDebt, toRecoveries] = shareable
    ? (allocate(cash, [badDebt, writtenOff - badDebt]) as [bigint, bigint])
    : [0n, cash];
  const dimensions = invoiceDimensions(invoice);
  return [
    { role: 'bad_debt', amountMinor: minor(-toBadDebt), currency, ...dimensions },
    { role: 'recoveries', amountMinor: minor(-toRecoveries), currency, ...dimensions },
  ];
}

/**
 * The fees on a balance transaction: Dr Stripe fees for Stripe's part, Dr platform fees for an
 * application fee a Connect platform withheld (`fee_details` of type `application_fee`) / Cr the
 * Stripe balance; a fee in a foreign settlement currency converts at its transaction's rate. `ownFeeMinor` is a fee Stripe sent as the
 * transaction's own amount (a dispute fee in its own balance transaction), added to Stripe's part.
 */
export function bookFee(
  book: AggregateBook,
  balanceTransaction: BalanceTxnFact | null,
  source: string,
  date: LocalDate,
  feeKind: string,
  ownFeeMinor = 0n,
): void {
  if (!balanceTransaction) return;
  const { id, feeMinor } = balanceTransaction;
  const total = feeMinor + ownFeeMinor;
  if (total === 0n) return;
  const currency = book.context.functionalCurrency;
  if (balanceTransaction.currency !== currency) {
    bookForeignFee(book, balanceTransaction, { source, date, kind: feeKind, totalMinor: total });
    return;
  }
  const platformFee = balanceTransaction.applicationFeeMinor ?? 0n;
  emit(book, {
    key: `fee:${id}`,
    kind: 'fee',
    postingDate: date,
    memo: `Stripe ${feeKind} fee on ${source}`,
    sources: [id, source],
    lines: [
      { role: 'fees', amountMinor: minor(total - platformFee), currency },
      { role: 'platform_fees', amountMinor: minor(platformFee), currency, memo: 'application fee withheld' },
      { role: 'cash_clearing', amountMinor: minor(-total), currency },
    ],
  });
}

/** A payout paid (Dr bank / Cr the Stripe balance) or failed (the reverse; nothing if it was never paid). */
export function bookPayout(book: AggregateBook, payout: PayoutFact, facts: Fact[]): void {
  const context = book.context;
  const currency = context.functionalCurrency;
  if (payout.currency !== currency) {
    bookForeignPayout(book, payout, facts);
    return;
  }
  const paid = payout.type === 'payout_paid';
  // A failed payout reverses the paid entry; a payout that failed before it was ever paid moved nothing.
  if (!paid && !facts.some((fact) => fact.type === 'payout_paid')) return;
  const [to, from]: [AccountRole, AccountRole] = paid ? ['bank', 'cash_clearing'] : ['cash_clearing', 'bank'];
  emit(book, {
    key: `po:${payout.payout}:${paid ? 'paid' : 'failed'}`,
    kind: paid ? 'payout' : 'payout_failed',
    postingDate: dateOf(context, payout.at),
    memo: `Payout ${payout.payout} ${paid ? 'paid' : 'failed; funds returned to the Stripe balance'}`,
    sources: [payout.payout],
    lines: [
      { role: to, amountMinor: minor(payout.amountMinor), currency },
      { role: from, amountMinor: minor(-payout.amountMinor), currency },
    ],
  });
}
