/**
 * Which balance transactions a payout paid out (`GET /v1/balance_transactions?payout=po_…`), as
 * Stripe decides it for automatic payouts: every transaction of the payout's currency that had
 * become available when the payout was created and that no earlier payout of that currency paid
 * out. The payout's own transaction (type `payout`) is listed too, as Stripe does. A manual payout
 * (`automatic: false`) lists nothing beyond its own transaction.
 */
import { idOf, type StripeObject } from '../../stripe/reader.ts';

interface Peek {
  peekList(account: string, type: string): readonly StripeObject[];
}

const availableOn = (bt: StripeObject): number => Number(bt.available_on ?? bt.created ?? 0);
const createdAt = (o: StripeObject): number => Number(o.created ?? 0);
const PAYOUT_TYPES = new Set(['payout', 'payout_cancel', 'payout_failure']);

/** The ids of the balance transactions `payoutId` paid out (empty when the payout is unknown). */
export function paidOutBy(store: Peek, account: string, payoutId: string): Set<string> {
  const payouts = store.peekList(account, 'payout');
  const payout = payouts.find((p) => p.id === payoutId);
  if (!payout) return new Set();
  const own = idOf(payout.balance_transaction);
  const ids = new Set<string>(own ? [own] : []);
  if (payout.automatic === false) return ids;
  const currency = payout.currency;
  const earlier = payouts
    .filter((p) => p.currency === currency && p.automatic !== false && createdAt(p) < createdAt(payout))
    .map(createdAt);
  const since = earlier.length > 0 ? Math.max(...earlier) : Number.NEGATIVE_INFINITY;
  for (const bt of store.peekList(account, 'balance_transaction')) {
    if (bt.currency !== currency || PAYOUT_TYPES.has(String(bt.type))) continue;
    const available = availableOn(bt);
    if (available > since && available <= createdAt(payout)) ids.add(bt.id);
  }
  return ids;
}
