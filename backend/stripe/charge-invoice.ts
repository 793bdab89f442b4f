/**
 * A charge that no invoice payment names, matched to the invoice it pays. An event stream may
 * carry a charge (with its payment intent) and the invoice it paid, but no invoice payment to
 * link them; booking such a charge as a one-time sale would count the invoice's revenue twice.
 */
import type Stripe from 'stripe';
import { big, idOf } from './object-facts.ts';
import type { StripeReader } from './reader.ts';

/** What a charge took: the captured amount (the amount when nothing says otherwise). */
export function chargedMinor(charge: Stripe.Charge): bigint {
  return big(charge.amount_captured || charge.amount);
}

/**
 * The invoice a captured charge with a payment intent pays when no invoice payment names it (an
 * event stream without invoice payments): the customer's finalized invoice in the charge's
 * currency, due in that amount, that no paid invoice payment settles — the one paid closest to
 * the charge, else the oldest still open. Null when there is none: the charge is a one-time sale.
 */
export async function matchedInvoiceOf(reader: StripeReader, charge: Stripe.Charge): Promise<Stripe.Invoice | null> {
  const customer = idOf(charge.customer);
  if (!idOf(charge.payment_intent) || !customer || charge.status !== 'succeeded' || !charge.captured) return null;
  const amount = chargedMinor(charge);
  const candidates: Stripe.Invoice[] = [];
  for (const invoice of await reader.recentInvoicesOfCustomer(customer, charge.created)) {
    const finalizedAt = invoice.status_transitions?.finalized_at;
    if (!finalizedAt || finalizedAt > charge.created) continue;
    if (invoice.status !== 'open' && invoice.status !== 'paid') continue;
    if (invoice.currency.toLowerCase() !== charge.currency.toLowerCase()) continue;
    if (big(invoice.amount_due) !== amount && big(invoice.amount_remaining) !== amount) continue;
    if (big(invoice.amount_paid_off_stripe ?? 0) !== 0n) continue;
    const payments = await reader.listInvoicePayments(invoice.id);
    if (payments.some((p) => p.status === 'paid')) continue;
    candidates.push(invoice);
  }
  const distance = (i: Stripe.Invoice) => {
    const paidAt = i.status_transitions.paid_at;
    return paidAt ? Math.abs(paidAt - charge.created) : Number.MAX_SAFE_INTEGER;
  };
  candidates.sort(
    (a, b) =>
      distance(a) - distance(b) ||
      a.status_transitions.finalized_at! - b.status_transitions.finalized_at! ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return candidates[0] ?? null;
}
