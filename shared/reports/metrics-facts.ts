/**
 * The recurring items behind the SaaS metrics, from the engine's stored facts, under the
 * inclusion rules of Stripe Billing's analytics as `docs/accounting.md §6d` states them:
 *
 * - an item is an invoice line with a service period (end after start) and no invoice item
 *   behind it — a subscription line; one-time lines and invoice items (one-off charges,
 *   usage billed as pending items) are left out, and so are proration lines and lines billed in
 *   arrears (a window already over when the invoice was finalized: metered usage, which Stripe's
 *   MRR leaves out; licensed plans bill in advance);
 * - its amount is the line net of its discounts (every coupon on the line, forever ones
 *   included, lowers MRR while it applies) and without tax; zero lines (trials) add nothing;
 * - invoices that are open or paid count alike (a past-due subscription still counts); a voided
 *   invoice counts not at all; an invoice marked uncollectible stops counting that day;
 * - a line in another currency is converted at the rate its invoice was booked at (the ledger's
 *   own rate, `rateOf`), half-up to the minor unit, like the booking itself.
 */
import type { Fact, InvoiceFinalizedFact } from '../engine/facts.ts';
import type { LocalDate } from '../journal.ts';
import type { LedgerLine } from '../ledger-rows.ts';
import { currencyExponent, Decimal, roundHalfUpToMinor, type Currency } from '../money.ts';
import { localDateOf, minDate } from '../time.ts';
import type { RecurringItem } from './metrics.ts';

export interface SkippedInvoice {
  invoice: string;
  reason: string;
}

export interface RecurringItemsOptions {
  functionalCurrency: Currency;
  timeZone: string;
  /** Rate (functional per unit of the invoice's currency, major units) the invoice was booked at. */
  rateOf: (invoice: string) => string | undefined;
}

/** The booking rate of every foreign-currency invoice, read off its `invoice_finalized` entry. */
export function bookingRatesFromLedger(lines: readonly LedgerLine[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of lines)
    if (l.kind === 'invoice_finalized' && l.invoice !== undefined && l.original && !out.has(l.invoice))
      out.set(l.invoice, l.original.rate);
  return out;
}

function convert(amountMinor: bigint, from: Currency, to: Currency, rate: string): bigint {
  const scale = new Decimal(10).pow(currencyExponent(to) - currencyExponent(from));
  return roundHalfUpToMinor(new Decimal(amountMinor.toString()).mul(rate).mul(scale));
}

function itemsOfInvoice(
  invoice: InvoiceFinalizedFact,
  endsOn: LocalDate | undefined,
  options: RecurringItemsOptions,
  skipped: SkippedInvoice[],
): RecurringItem[] {
  if (invoice.customer === null) {
    skipped.push({ invoice: invoice.invoice, reason: 'the invoice has no customer' });
    return [];
  }
  const foreign = invoice.currency !== options.functionalCurrency;
  const rate = foreign ? options.rateOf(invoice.invoice) : '1';
  if (rate === undefined) {
    skipped.push({
      invoice: invoice.invoice,
      reason: `no booking rate for ${invoice.currency.toUpperCase()} (the invoice is not booked yet)`,
    });
    return [];
  }
  const out: RecurringItem[] = [];
  for (const line of invoice.lines) {
    if (line.periodEnd <= line.periodStart || line.invoiceItem !== null || line.proration) continue;
    // A window that had ended when the invoice was finalized was billed in arrears: metered usage.
    if (line.periodEnd <= invoice.at) continue;
    const net = line.amountMinor - line.discountMinor - line.inclusiveTaxMinor;
    if (net <= 0n) continue;
    const start = localDateOf(line.periodStart, options.timeZone);
    let end = localDateOf(line.periodEnd, options.timeZone);
    if (endsOn !== undefined) end = minDate(end, endsOn);
    if (end <= start) continue;
    out.push({
      customer: invoice.customer,
      invoice: invoice.invoice,
      invoiceLine: line.id,
      product: line.product,
      start,
      end,
      amountMinor: foreign ? convert(net, invoice.currency, options.functionalCurrency, rate) : net,
    });
  }
  return out;
}

/** Recurring items from a tenant's facts, and the invoices left out for a reason a person should see. */
export function recurringItemsFromFacts(
  facts: readonly Fact[],
  options: RecurringItemsOptions,
): { items: RecurringItem[]; skipped: SkippedInvoice[] } {
  const voided = new Set<string>();
  const uncollectibleOn = new Map<string, LocalDate>();
  for (const f of facts) {
    if (f.type === 'invoice_voided') voided.add(f.invoice);
    if (f.type === 'invoice_uncollectible') uncollectibleOn.set(f.invoice, localDateOf(f.at, options.timeZone));
  }
  const items: RecurringItem[] = [];
  const skipped: SkippedInvoice[] = [];
  for (const f of facts) {
    if (f.type !== 'invoice_finalized' || voided.has(f.invoice)) continue;
    items.push(...itemsOfInvoice(f, uncollectibleOn.get(f.invoice), options, skipped));
  }
  return { items, skipped };
}
