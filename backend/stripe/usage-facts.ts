/**
 * Metered invoice lines → `usage_billed` facts (docs/accounting.md, "Usage billed in arrears"):
 * a line whose price is metered (`recurring.usage_type = metered`) tells the usage accrual which
 * window the invoice bills, so the accrual of that window is trued up, and from when a customer
 * is on the price. Prices are read once per reader (memoised); a price Stripe no longer has is
 * not metered as far as the books can tell, and any other failure propagates (the event is retried).
 */
import type Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';
import type { InvoiceFinalizedFact, UsageBilledFact } from '../../shared/engine/facts.ts';
import type { StripeReader } from './reader.ts';

/** Whether a price bills metered usage. */
export function isMeteredPrice(price: Stripe.Price): boolean {
  return price.recurring?.usage_type === 'metered';
}

/** The `usage_billed` facts of a finalized invoice: one per line on a metered price. */
export async function usageBilledFacts(
  reader: StripeReader,
  invoice: InvoiceFinalizedFact,
): Promise<UsageBilledFact[]> {
  const getPrice = reader.getPrice?.bind(reader);
  if (!getPrice || !invoice.customer) return [];
  const out: UsageBilledFact[] = [];
  for (const line of invoice.lines) {
    if (!line.price || line.proration || line.invoiceItem) continue;
    const price = await getPrice(line.price).catch((e: unknown) => {
      if (e instanceof AccrueError && e.code === 'not_found') return null;
      throw e;
    });
    if (!price || !isMeteredPrice(price)) continue;
    out.push({
      type: 'usage_billed',
      invoice: invoice.invoice,
      invoiceLine: line.id,
      customer: invoice.customer,
      price: line.price,
      product: line.product,
      periodStart: line.periodStart,
      periodEnd: line.periodEnd,
      at: invoice.at,
    });
  }
  return out;
}
