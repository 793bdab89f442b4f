/**
 * Invoice lines that may bill metered usage → `usage_billed` facts (docs/accounting.md, "Usage
 * billed in arrears"). A subscription line (not a proration, not an invoice item) whose window
 * had ended when the invoice was finalized bills in arrears; a zero line whose window is still
 * running is Stripe's first invoice of a metered price. Either tells the usage accrual which window
 * an invoice billed and from when a customer is on the price. The mapping cannot tell a metered
 * price from a licensed one without asking Stripe (a line names only its price), and the booking
 * of a backfill asks Stripe nothing, so the accrual reads the price at the period end and skips
 * prices that are not metered; for them these facts book nothing.
 */
import type { InvoiceFinalizedFact, UsageBilledFact } from '../../shared/engine/facts.ts';
import type Stripe from 'stripe';

/** Whether a price bills metered usage. */
export function isMeteredPrice(price: Stripe.Price): boolean {
  return price.recurring?.usage_type === 'metered';
}

/** The `usage_billed` facts of a finalized invoice. */
export function usageBilledFacts(invoice: InvoiceFinalizedFact): UsageBilledFact[] {
  const customer = invoice.customer;
  if (!customer) return [];
  const out: UsageBilledFact[] = [];
  for (const line of invoice.lines) {
    if (!line.price || line.proration || line.invoiceItem) continue;
    const inArrears = line.periodEnd <= invoice.at && line.periodEnd > line.periodStart;
    const runningZero = line.amountMinor === 0n && line.periodEnd > invoice.at;
    if (!inArrears && !runningZero) continue;
    out.push({
      type: 'usage_billed',
      invoice: invoice.invoice,
      invoiceLine: line.id,
      customer,
      price: line.price,
      product: line.product,
      periodStart: line.periodStart,
      periodEnd: line.periodEnd,
      at: invoice.at,
      currency: invoice.currency,
    });
  }
  return out;
}
