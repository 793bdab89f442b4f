/**
 * The facts of a dispute: its invoice's (or bare charge's) facts, then one fact per direction of
 * money (withdrawn, reinstated), each with its balance transactions marked as a fee of its own or
 * disputed funds, so every balance shape Stripe sends gives the same books (dispute-shapes.ts).
 */
import type Stripe from 'stripe';
import type { DisputeBalancePart, DisputeFundsFact } from '../../shared/engine/facts.ts';
import { disputeDirectionsOf, isFeeTransaction, type DisputeDirection } from './dispute-shapes.ts';
import type { MappingResult } from './mapping.ts';
import { big, btFact, chargeFacts, idOf, invoiceFacts, invoiceOfCharge } from './object-facts.ts';
import type { StripeReader } from './reader.ts';
import { stripeCurrency } from './stripe-currency.ts';

export async function disputeFacts(reader: StripeReader, disputeId: string, out: MappingResult): Promise<void> {
  const d = await reader.getDispute(disputeId);
  const charge = idOf(d.charge);
  if (!charge) {
    out.exceptions.push({ objectId: d.id, reason: 'dispute names no charge' });
    return;
  }
  const invoice = await invoiceOfCharge(reader, charge, out);
  if (invoice) await invoiceFacts(reader, invoice, out, true);
  else await chargeFacts(reader, charge, out);
  for (const { type, parts } of disputeDirections(d)) {
    const principal = parts.find((part) => part.kind === 'funds') ?? parts[0]!;
    const fact: DisputeFundsFact = {
      type,
      dispute: d.id,
      charge,
      invoice,
      amountMinor: big(d.amount),
      currency: stripeCurrency(d.currency, d.id),
      at: principal.balanceTransaction.created,
      balanceTransaction: principal.balanceTransaction,
      parts,
    };
    out.facts.push(fact);
  }
}

/** A dispute's balance transactions as facts, each marked as a fee of its own or disputed funds. */
function disputeDirections(d: Stripe.Dispute): DisputeDirection[] {
  const parts: DisputeBalancePart[] = [];
  for (const t of d.balance_transactions ?? []) {
    const bt = btFact(t);
    if (bt) parts.push({ kind: isFeeTransaction(t) ? 'fee' : 'funds', balanceTransaction: bt });
  }
  return disputeDirectionsOf(parts, { amountMinor: big(d.amount), currency: stripeCurrency(d.currency, d.id) });
}
