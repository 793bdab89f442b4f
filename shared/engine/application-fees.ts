/**
 * Application fees a Connect platform collects (docs/accounting.md §3, "Connect platforms"): the
 * platform is an agent for the connected account's sale, so its revenue is the fee it keeps,
 * earned when the charge is made (nothing is deferred: the platform's service is the payment it
 * facilitates). Dr the Stripe balance / Cr Application Fee Revenue at the fee's date; a refund of
 * the fee reverses its share at the refund's date. The cash is what the platform's balance
 * transaction settled; in a foreign currency the rate is that transaction's, else the rate source's.
 */
import type { AccountRole } from '../accounts.ts';
import type { LocalDate } from '../journal.ts';
import { Decimal, formatMinor, minor, type Currency } from '../money.ts';
import { addException, emit, type AggregateBook } from './aggregate-book.ts';
import { convertMinor } from './allocation.ts';
import { dateOf } from './context.ts';
import {
  factKey,
  type ApplicationFeeFact,
  type ApplicationFeeRefundFact,
  type BalanceTxnFact,
  type Fact,
} from './facts.ts';
import { configuredRate, rateOrException } from './fx.ts';

export function bookApplicationFee(book: AggregateBook, fee: ApplicationFeeFact, facts: Fact[]): void {
  const context = book.context;
  const date = dateOf(context, fee.at);
  if (fee.amountMinor <= 0n) {
    addException(book, fee.fee, factKey(fee), `application fee ${fee.fee} has no positive amount; not booked`);
    return;
  }
  const refunds = facts
    .filter((f): f is ApplicationFeeRefundFact => f.type === 'application_fee_refund')
    .sort((a, b) => a.at - b.at || (a.refund < b.refund ? -1 : 1));
  const refunded = refunds.reduce((sum, r) => sum + r.amountMinor, 0n);
  if (refunded > fee.amountMinor) {
    const reason = `application fee ${fee.fee} has refunds of ${refunded} beyond its ${fee.amountMinor} (minor units); not booked`;
    addException(book, fee.fee, factKey(fee), reason);
    return;
  }
  const rate = feeRate(book, fee, date);
  if (!rate) return;
  const tooLarge = fee.originatingAmountMinor !== undefined && fee.amountMinor > fee.originatingAmountMinor;
  if (tooLarge) {
    const reason =
      `application fee ${fee.fee} (${formatMinor(fee.amountMinor, fee.currency)}) is larger than its charge ` +
      `${fee.originatingCharge ?? ''} (${formatMinor(fee.originatingAmountMinor!, fee.currency)}); its cash is booked to unmatched_cash for review`;
    addException(book, fee.fee, factKey(fee), reason);
  }
  const role: AccountRole = tooLarge ? 'unmatched_cash' : feeRole(book, fee);
  const cash = cashOf(book, fee.currency, fee.amountMinor, fee.balanceTransaction, rate);
  emitFee(book, fee, role, { key: `af:${fee.fee}`, date, amount: cash, original: fee.amountMinor, rate, refund: null });
  for (const refund of refunds) {
    const back = cashOf(book, fee.currency, refund.amountMinor, refund.balanceTransaction, rate);
    const refundDate = dateOf(context, refund.at);
    const entry = { key: `af:${fee.fee}:refund:${refund.refund}`, date: refundDate, amount: -back, rate };
    emitFee(book, fee, role, { ...entry, original: -refund.amountMinor, refund: refund.refund });
  }
}

/** The rate from the fee's currency to the functional one: its balance transaction's, else the rate source's. */
function feeRate(book: AggregateBook, fee: ApplicationFeeFact, date: LocalDate): Decimal | null {
  const functional = book.context.functionalCurrency;
  const settled = fee.balanceTransaction;
  if (fee.currency === functional || (settled && settled.currency === functional)) {
    return new Decimal(1);
  }
  const choice = configuredRate(book.context.settings, fee.currency, functional, date);
  return rateOrException(book, choice, { objectId: fee.fee, factKey: factKey(fee), from: fee.currency, date });
}

/** What the platform's balance moved in the functional currency: the settled amount when it is functional. */
function cashOf(
  book: AggregateBook,
  currency: Currency,
  amountMinor: bigint,
  settled: BalanceTxnFact | null,
  rate: Decimal,
): bigint {
  const functional = book.context.functionalCurrency;
  if (settled && settled.currency === functional && settled.amountMinor !== 0n) {
    return settled.amountMinor < 0n ? -settled.amountMinor : settled.amountMinor;
  }
  return convertMinor(amountMinor, currency, functional, rate);
}

/**
 * Where a fee books: Application Fee Revenue; but a fee the platform takes back from the
 * connected account on its own destination charge under `connect_revenue = gross` reduces the
 * transfer (Transfers to Connected Accounts), as the whole charge is already revenue.
 */
function feeRole(book: AggregateBook, fee: ApplicationFeeFact): AccountRole {
  return fee.originatingCharge && book.context.settings.connect_revenue === 'gross'
    ? 'connect_transfers'
    : 'application_fees';
}

function emitFee(
  book: AggregateBook,
  fee: ApplicationFeeFact,
  role: AccountRole,
  e: { key: string; date: LocalDate; amount: bigint; original: bigint; rate: Decimal; refund: string | null },
): void {
  const currency = book.context.functionalCurrency;
  const foreign = fee.currency !== currency;
  const original = (sign: bigint) =>
    foreign ? { currency: fee.currency, amountMinor: minor(sign * e.original), rate: e.rate.toString() } : undefined;
  const dimensions = { customer: fee.account ?? undefined };
  const cash = {
    role: 'cash_clearing' as const,
    amountMinor: minor(e.amount),
    currency,
    original: original(1n),
    ...dimensions,
  };
  const revenue = {
    role,
    amountMinor: minor(-e.amount),
    currency,
    original: original(-1n),
    ...dimensions,
  };
  emit(book, {
    key: e.key,
    kind: e.refund ? 'application_fee_refund' : 'application_fee',
    postingDate: e.date,
    memo: e.refund
      ? `Refund ${e.refund} of application fee ${fee.fee}`
      : `Application fee ${fee.fee}${fee.charge ? ` on ${fee.charge}` : ''}${fee.account ? ` (${fee.account})` : ''}`,
    sources: e.refund ? [e.refund, fee.fee] : [fee.fee, ...(fee.charge ? [fee.charge] : [])],
    // Debits first: the cash for the fee, the revenue given back for a refund.
    lines: e.refund ? [revenue, cash] : [cash, revenue],
  });
}
