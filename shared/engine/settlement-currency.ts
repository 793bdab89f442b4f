/**
 * A Stripe balance in a currency other than the functional one (docs/accounting.md §3,
 * "Settlement in another currency"). Every balance transaction in a foreign settlement currency
 * enters the books at the tenant's rate of its own date, settlement currency → functional (the
 * *balance rate*): the charge or refund it settles, and the fee inside it, at the same rate. The
 * Stripe balance (`cash_clearing`) and `bank` lines keep the settlement-currency amount in
 * `original`, so the balance is a sub-ledger per settlement currency. A payout converts at its own
 * date's rate; the gap against the carrying amount of the balance transactions it pays out (each at
 * its own balance rate) is realized to `fx_gain_loss`.
 */
import type { AccountRole } from '../accounts.ts';
import type { LineDraft, LocalDate } from '../journal.ts';
import { minor, type Currency, type Decimal } from '../money.ts';
import { emit, type AggregateBook } from './aggregate-book.ts';
import { convertMinor } from './allocation.ts';
import { dateOf } from './context.ts';
import { factKey, type BalanceTxnFact, type Fact, type PayoutFact } from './facts.ts';
import { configuredRate, rateOrException } from './fx.ts';

/** True when the balance transaction moved a Stripe balance in a currency other than the functional one. */
export function foreignSettlement(book: AggregateBook, bt: BalanceTxnFact | null | undefined): bt is BalanceTxnFact {
  return !!bt && bt.currency !== book.context.functionalCurrency;
}

/**
 * The balance rate of a foreign balance transaction: the tenant's rate of its date (a later
 * date's rate as an estimate, with a warning); an exception and null when the pair has none.
 */
export function balanceRate(book: AggregateBook, bt: BalanceTxnFact, objectId: string): Decimal | null {
  const context = book.context;
  const date = dateOf(context, bt.created);
  const choice = configuredRate(context.settings, bt.currency, context.functionalCurrency, date);
  if (choice && !choice.rate.gt(0)) return null;
  return rateOrException(book, choice, { objectId, factKey: `balance_transaction:${bt.id}`, from: bt.currency, date });
}

/** A settlement-currency amount as a line needs it: its functional value and its `original`. */
export interface Settled {
  functional: bigint;
  original: LineDraft['original'];
}

export function settledAmount(amount: bigint, currency: Currency, to: Currency, rate: Decimal): Settled {
  return {
    functional: convertMinor(amount, currency, to, rate),
    original: { currency, amountMinor: minor(amount), rate: rate.toString() },
  };
}

/** An `original` with its amount's sign turned. */
export function negated(original: LineDraft['original']): LineDraft['original'] {
  return original ? { ...original, amountMinor: minor(-original.amountMinor) } : undefined;
}

/**
 * The cash a foreign balance transaction moved (`sign` × its amount) at its balance rate, or null
 * when it is in the functional currency or has no rate (the caller keeps its own conversion).
 */
export function foreignCash(
  book: AggregateBook,
  bt: BalanceTxnFact | null | undefined,
  objectId: string,
  sign: 1n | -1n,
): Settled | null {
  if (!foreignSettlement(book, bt) || bt.amountMinor === 0n) return null;
  const rate = balanceRate(book, bt, objectId);
  if (!rate) return null;
  return settledAmount(bt.amountMinor * sign, bt.currency, book.context.functionalCurrency, rate);
}

/**
 * The fees of a foreign balance transaction at the rate of the transaction they belong to:
 * Dr Stripe fees (and platform fees) / Cr the Stripe balance, each line with the fee in the
 * settlement currency. Nothing when the pair has no rate (the exception says so).
 */
export function bookForeignFee(
  book: AggregateBook,
  bt: BalanceTxnFact,
  fee: { source: string; date: LocalDate; kind: string; totalMinor: bigint },
): void {
  const rate = balanceRate(book, bt, bt.id);
  if (!rate) return;
  const currency = book.context.functionalCurrency;
  const platform = bt.applicationFeeMinor ?? 0n;
  const total = settledAmount(fee.totalMinor, bt.currency, currency, rate);
  const platformPart = settledAmount(platform, bt.currency, currency, rate);
  const stripePart: Settled = {
    functional: total.functional - platformPart.functional,
    original: { currency: bt.currency, amountMinor: minor(fee.totalMinor - platform), rate: rate.toString() },
  };
  const line = (role: AccountRole, part: Settled, sign: 1n | -1n, memo?: string): LineDraft => ({
    role,
    amountMinor: minor(sign * part.functional),
    currency,
    original: { ...part.original!, amountMinor: minor(sign * part.original!.amountMinor) },
    ...(memo ? { memo } : {}),
  });
  emit(book, {
    key: `fee:${bt.id}`,
    kind: 'fee',
    postingDate: fee.date,
    memo: `Stripe ${fee.kind} fee on ${fee.source}`,
    sources: [bt.id, fee.source],
    lines: [
      line('fees', stripePart, 1n),
      line('platform_fees', platformPart, 1n, 'application fee withheld'),
      line('cash_clearing', total, -1n),
    ],
  });
}

/**
 * The carrying amount of what a payout paid out: each balance transaction it names at its own
 * balance rate (amount less fee, converted separately as they were booked); null when the payout
 * names none, or one of them has no rate.
 */
function carryingAmount(book: AggregateBook, payout: PayoutFact): bigint | null {
  const cleared = (payout.balanceTransactions ?? []).filter((bt) => bt.currency === payout.currency);
  if (cleared.length === 0) return null;
  const to = book.context.functionalCurrency;
  let carrying = 0n;
  for (const bt of cleared) {
    const choice = configuredRate(book.context.settings, bt.currency, to, dateOf(book.context, bt.created));
    if (!choice || !choice.rate.gt(0)) return null;
    carrying += convertMinor(bt.amountMinor, bt.currency, to, choice.rate);
    carrying -= convertMinor(bt.feeMinor, bt.currency, to, choice.rate);
  }
  return carrying;
}

/**
 * A payout from a foreign Stripe balance: Dr bank at the payout date's rate / Cr the Stripe
 * balance at the carrying amount of what it paid out; the gap is realized to `fx_gain_loss`.
 * A payout that names none of its balance transactions (a manual payout) leaves the balance at
 * the payout's rate: its gap stays in the balance's sub-ledger until revaluation. A failure
 * reverses the paid entry.
 */
export function bookForeignPayout(book: AggregateBook, payout: PayoutFact, facts: Fact[]): void {
  const context = book.context;
  const currency = context.functionalCurrency;
  const paid = payout.type === 'payout_paid';
  const paidFact = paid ? payout : (facts.find((fact) => fact.type === 'payout_paid') as PayoutFact | undefined);
  if (!paidFact) return;
  const date = dateOf(context, paidFact.at);
  const choice = configuredRate(context.settings, paidFact.currency, currency, date);
  const usable = choice && choice.rate.gt(0) ? choice : null;
  const rate = rateOrException(book, usable, {
    objectId: payout.payout,
    factKey: factKey(payout),
    from: payout.currency,
    date,
  });
  if (!rate) return;
  const bank = settledAmount(paidFact.amountMinor, paidFact.currency, currency, rate);
  const carrying = carryingAmount(book, paidFact) ?? bank.functional;
  const sign = paid ? 1n : -1n;
  const original = (amount: bigint): LineDraft['original'] => ({ ...bank.original!, amountMinor: minor(amount) });
  emit(book, {
    key: `po:${payout.payout}:${paid ? 'paid' : 'failed'}`,
    kind: paid ? 'payout' : 'payout_failed',
    postingDate: paid ? date : dateOf(context, payout.at),
    memo: `Payout ${payout.payout} ${paid ? 'paid' : 'failed; funds returned to the Stripe balance'}`,
    sources: [payout.payout],
    lines: [
      {
        role: 'bank',
        amountMinor: minor(sign * bank.functional),
        currency,
        original: original(sign * paidFact.amountMinor),
      },
      {
        role: 'cash_clearing',
        amountMinor: minor(-sign * carrying),
        currency,
        original: original(-sign * paidFact.amountMinor),
      },
      {
        role: 'fx_gain_loss',
        amountMinor: minor(sign * (carrying - bank.functional)),
        currency,
        memo: 'exchange difference realized at payout',
      },
    ],
  });
}
