/**
 * A customer's stored value (docs/accounting.md §3, "Stored value"): gift cards and prepaid
 * balances sold as a product the tenant marks `stored_value`. The sale credits `stored_value`
 * (invoice-lines.ts), never revenue. The value reaches the customer's Stripe balance as a credit
 * marked `metadata.stored_value`; when that balance is applied to an invoice (the invoice books Dr
 * customer balance / Cr receivable), the part the stored value funded moves out of the liability:
 * Dr stored value / Cr customer balance — together, the stored value pays the invoice. A balance
 * is used oldest credit first, whatever funded it; only stored-value credits touch the liability.
 * What is left breaks by the tenant's breakage policy (breakage.ts).
 */
import { Decimal, minor } from '../money.ts';
import { emit, type AggregateBook } from './aggregate-book.ts';
import { escheatSplit, walkPool, type PoolEvent } from './breakage.ts';
import { dateOf } from './context.ts';
import { breakageLines, breakagePolicy } from './credit-grants.ts';
import type { CustomerBalanceFact } from './facts.ts';

export function bookStoredValue(book: AggregateBook, facts: CustomerBalanceFact[]): void {
  const currency = book.context.functionalCurrency;
  // Another currency's balance is another balance (Stripe keeps one per currency).
  const own = facts.filter((f) => f.currency === currency);
  if (!own.some((f) => f.kind === 'stored_value_funded')) return;
  const events: PoolEvent[] = own.map((f) =>
    f.kind === 'applied'
      ? { kind: 'redeem', id: f.transaction, amount: f.amountMinor, at: f.at }
      : {
          kind: 'fund',
          lot: {
            id: f.transaction,
            amount: f.amountMinor,
            at: f.at,
            expiresAt: f.expiresAt,
            tracked: f.kind === 'stored_value_funded',
          },
        },
  );
  const byTransaction = new Map(own.map((f) => [f.transaction, f]));
  const customer = own[0]!.customer;
  for (const m of walkPool(events, breakagePolicy(book.context))) {
    if (m.kind === 'breakage') {
      emit(book, {
        key: `sv:${customer}:breakage:${m.id}`,
        kind: 'breakage',
        postingDate: dateOf(book.context, m.at),
        memo: `Breakage of stored value held by ${customer} (${m.reason})`,
        sources: [customer],
        lines: breakageLines(book, 'stored_value', m.amount, { customer }),
      });
      continue;
    }
    const fact = byTransaction.get(m.id)!;
    const redeemed = m.fromLiability + m.fromBreakage;
    if (redeemed === 0n) continue;
    const back = escheatSplit(m.fromBreakage, new Decimal(book.context.settings.escheat_share));
    const dimensions = { customer, invoice: fact.invoice ?? undefined };
    emit(book, {
      key: `sv:${customer}:${m.id}`,
      kind: 'credits_applied',
      postingDate: dateOf(book.context, m.at),
      memo: `Stored value redeemed on invoice ${fact.invoice ?? '(none)'}`,
      sources: [m.id, customer, ...(fact.invoice ? [fact.invoice] : [])],
      lines: [
        { role: 'stored_value', amountMinor: minor(m.fromLiability), currency, ...dimensions },
        { role: 'breakage', amountMinor: minor(back.income), currency, ...dimensions, memo: 'breakage taken back' },
        { role: 'escheat_liability', amountMinor: minor(back.escheat), currency, ...dimensions },
        { role: 'customer_balance', amountMinor: minor(-redeemed), currency, ...dimensions },
      ],
    });
  }
}
