/**
 * The balance shapes of a dispute (docs/accounting.md §3, "Disputes"): Stripe sends the disputed
 * funds and the dispute fee as one balance transaction (the fee inside), or the fee as a balance
 * transaction of its own, or several (withdrawal, fee, reinstatement, fee refund). Here they are
 * sorted into the two directions the engine books, each part marked as funds or a fee.
 */
import type Stripe from 'stripe';
import type { DisputeBalancePart, DisputeFundsFact } from '../../shared/engine/facts.ts';
import type { Currency } from '../../shared/money.ts';

/** Balance transaction types and reporting categories that carry a fee, not disputed funds. */
const FEE_BT_TYPES: ReadonlySet<string> = new Set(['stripe_fee', 'tax_fee', 'fee']);

/** Whether a dispute's balance transaction is a dispute fee (or its refund) sent on its own. */
export function isFeeTransaction(bt: Stripe.BalanceTransaction): boolean {
  if (FEE_BT_TYPES.has(bt.type) || FEE_BT_TYPES.has(bt.reporting_category)) return true;
  return /\bfee\b/i.test(bt.description ?? '');
}

export interface DisputeDirection {
  type: DisputeFundsFact['type'];
  parts: DisputeBalancePart[];
}

/**
 * A dispute's balance transactions by direction: those that take money (net negative) are the
 * withdrawal, those that return it the reinstatement, each in time order. Transactions that move
 * nothing are left out.
 */
export function disputeDirectionsOf(
  parts: readonly DisputeBalancePart[],
  disputed: { amountMinor: bigint; currency: Currency },
): DisputeDirection[] {
  const withdrawn: DisputeBalancePart[] = [];
  const reinstated: DisputeBalancePart[] = [];
  const sorted = [...parts].sort(
    (a, b) =>
      a.balanceTransaction.created - b.balanceTransaction.created ||
      (a.balanceTransaction.id < b.balanceTransaction.id ? -1 : 1),
  );
  for (const part of sorted) {
    const bt = part.balanceTransaction;
    const net = bt.amountMinor - bt.feeMinor;
    if (net === 0n && bt.amountMinor === 0n) continue;
    (net < 0n ? withdrawn : reinstated).push(part);
  }
  const out: DisputeDirection[] = [];
  if (withdrawn.length)
    out.push({
      type: 'dispute_funds_withdrawn',
      parts: feeBesideFunds(withdrawn, -disputed.amountMinor, disputed.currency),
    });
  if (reinstated.length)
    out.push({
      type: 'dispute_funds_reinstated',
      parts: feeBesideFunds(reinstated, disputed.amountMinor, disputed.currency),
    });
  return out;
}

/**
 * Several transactions in one direction that Stripe did not mark as a fee: when exactly one of
 * them moves the disputed amount (in the dispute's currency, no fee inside), the others are the
 * dispute fee (or its refund) in balance transactions of their own.
 */
function feeBesideFunds(parts: DisputeBalancePart[], fundsMinor: bigint, currency: Currency): DisputeBalancePart[] {
  const funds = parts.filter((part) => part.kind === 'funds');
  if (funds.length < 2 || funds.some((part) => part.balanceTransaction.currency !== currency)) return parts;
  const exact = funds.filter((part) => part.balanceTransaction.amountMinor === fundsMinor);
  if (exact.length !== 1) return parts;
  return parts.map((part) =>
    part.kind === 'funds' && part !== exact[0] && part.balanceTransaction.feeMinor === 0n
      ? { ...part, kind: 'fee' }
      : part,
  );
}
