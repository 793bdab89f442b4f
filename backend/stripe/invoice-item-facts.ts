/**
 * Pending invoice items (an item created before the invoice that bills it): the accrual fact,
 * built from the item alone so every path that meets the item yields the same fact.
 */
import type Stripe from 'stripe';
import type { Fact } from '../../shared/engine/facts.ts';
import type { MappingResult } from './mapping.ts';
import { big, idOf, isPendingItem } from './object-facts.ts';
import type { StripeReader } from './reader.ts';
import { stripeCurrency } from './stripe-currency.ts';

export async function invoiceItemFacts(reader: StripeReader, itemId: string, out: MappingResult): Promise<void> {
  const ii = await reader.getInvoiceItem(itemId);
  const invoiceId = idOf(ii.invoice);
  let invoiceCreated: number | null = null;
  if (invoiceId) invoiceCreated = (await reader.getInvoice(invoiceId)).created;
  if (!isPendingItem(ii, invoiceCreated)) return;
  out.facts.push(invoiceItemFact(ii));
}

/** The accrual fact of a pending invoice item; built only from the item, so every path yields the same fact. */
export function invoiceItemFact(ii: Stripe.InvoiceItem): Fact {
  const price = ii.pricing?.price_details;
  return {
    type: 'invoice_item',
    invoiceItem: ii.id,
    customer: idOf(ii.customer),
    amountMinor: big(ii.amount),
    currency: stripeCurrency(ii.currency, ii.id),
    periodStart: ii.period.start,
    periodEnd: ii.period.end,
    product: price ? idOf(price.product) : null,
    price: price ? idOf(price.price) : null,
    proration: ii.proration,
    at: ii.date,
  };
}
