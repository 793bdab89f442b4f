/**
 * The Stripe balance per settlement currency (docs/accounting.md §3, "Settlement in another
 * currency"): cash clearing against payouts. A Stripe Balance line belongs to the currency of its
 * `original` (a foreign balance keeps the settled amount there), else to its own (functional)
 * currency. Per currency: what came in (payments, refunds, fees, disputes …), what payouts took
 * (paid less failed), the balance left in that currency and its carrying amount in the functional
 * currency; and per payout, the bank amount, what it took from the balance at carrying amount, and
 * the exchange difference realized.
 */
import type { LedgerLine } from '../ledger-rows.ts';
import type { Currency } from '../money.ts';
import { compareText } from './common.ts';

export interface StripeBalanceRow {
  /** The settlement currency. */
  currency: Currency;
  /** Movements other than payouts, in the settlement currency. */
  settledIn: bigint;
  /** Payouts (paid less failed), as a positive amount in the settlement currency. */
  paidOut: bigint;
  /** settledIn − paidOut: what is still in Stripe, in the settlement currency. */
  balance: bigint;
  /** The functional carrying amount of that balance. */
  carrying: bigint;
}

export interface StripeBalancePayout {
  entryKey: string;
  payout: string;
  currency: Currency;
  /** Settlement-currency amount (negative for a failure). */
  amount: bigint;
  /** Functional amounts: the bank's, what left the balance at carrying amount, and the realized gap (Dr +). */
  bank: bigint;
  carrying: bigint;
  realized: bigint;
}

export interface StripeBalanceReport {
  type: 'stripe_balance';
  rows: StripeBalanceRow[];
  payouts: StripeBalancePayout[];
}

const PAYOUT_KINDS = new Set(['payout', 'payout_failed']);

export function stripeBalance(lines: readonly LedgerLine[]): StripeBalanceReport {
  const rows = new Map<Currency, StripeBalanceRow>();
  const payouts = new Map<string, StripeBalancePayout>();
  for (const line of lines) {
    const payout = PAYOUT_KINDS.has(line.kind);
    if (line.role === 'cash_clearing') {
      const currency = line.original?.currency ?? line.currency;
      const amount = line.original?.amountMinor ?? line.amountMinor;
      const row = rows.get(currency) ?? { currency, settledIn: 0n, paidOut: 0n, balance: 0n, carrying: 0n };
      if (payout) row.paidOut -= amount;
      else row.settledIn += amount;
      row.balance += amount;
      row.carrying += line.amountMinor;
      rows.set(currency, row);
    }
    if (!payout) continue;
    const entry = payouts.get(line.entryKey) ?? {
      entryKey: line.entryKey,
      payout: line.sources[0] ?? line.entryKey,
      currency: line.currency,
      amount: 0n,
      bank: 0n,
      carrying: 0n,
      realized: 0n,
    };
    if (line.role === 'bank') {
      entry.bank += line.amountMinor;
      entry.amount += line.original?.amountMinor ?? line.amountMinor;
      entry.currency = line.original?.currency ?? line.currency;
    } else if (line.role === 'cash_clearing') entry.carrying -= line.amountMinor;
    else if (line.role === 'fx_gain_loss') entry.realized += line.amountMinor;
    payouts.set(line.entryKey, entry);
  }
  return {
    type: 'stripe_balance',
    rows: [...rows.values()].sort((a, b) => compareText(a.currency, b.currency)),
    payouts: [...payouts.values()].sort((a, b) => compareText(a.entryKey, b.entryKey)),
  };
}
