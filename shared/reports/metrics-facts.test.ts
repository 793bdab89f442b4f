// Stripe's MRR inclusion rules applied to facts: subscription lines in, one-time, invoice items,
// prorations, trials, metered usage (billed in arrears) and tax out; discounts reduce; voided invoices out; uncollectible stops
// counting that day; foreign invoices at their booking rate.
import type { InvoiceFinalizedFact, InvoiceLineFact } from '../engine/facts.ts';
import { currency } from '../money.ts';
import { bookingRatesFromLedger, recurringItemsFromFacts } from './metrics-facts.ts';
import { sampleLedger } from './fixtures/sample-ledger.ts';

const USD = currency('usd');
const at = (d: string) => Date.parse(`${d}T00:00:00Z`) / 1000;

function line(id: string, over: Partial<InvoiceLineFact> = {}): InvoiceLineFact {
  return {
    id,
    amountMinor: 10000n,
    discountMinor: 0n,
    creditMinor: 0n,
    inclusiveTaxMinor: 0n,
    exclusiveTaxMinor: 0n,
    periodStart: at('2026-01-01'),
    periodEnd: at('2026-02-01'),
    product: 'prod_1',
    price: 'price_1',
    proration: false,
    invoiceItem: null,
    pendingItemCreatedAt: null,
    description: null,
    ...over,
  };
}

function invoice(id: string, lines: InvoiceLineFact[], over: Partial<InvoiceFinalizedFact> = {}): InvoiceFinalizedFact {
  return {
    type: 'invoice_finalized',
    invoice: id,
    customer: 'cus_1',
    currency: USD,
    at: at('2026-01-01'),
    totalMinor: 0n,
    taxMinor: 0n,
    startingBalanceMinor: 0n,
    endingBalanceMinor: 0n,
    lines,
    ...over,
  };
}

const options = { functionalCurrency: USD, timeZone: 'UTC', rateOf: () => undefined };

describe('recurring items from facts', () => {
  it('keeps subscription lines net of discounts and inclusive tax, and drops the rest', () => {
    const { items } = recurringItemsFromFacts(
      [
        invoice('in_1', [
          line('sub', { discountMinor: 2000n, inclusiveTaxMinor: 1000n }),
          line('one_time', { periodEnd: at('2026-01-01') }),
          line('item', { invoiceItem: 'ii_1' }),
          line('proration', { proration: true }),
          line('trial', { amountMinor: 0n }),
        ]),
        // Metered usage for January, billed in arrears on Feb 1: not MRR.
        invoice('in_usage', [line('metered', { amountMinor: 4200n })], { at: at('2026-02-01') }),
      ],
      options,
    );
    expect(items.map((i) => [i.invoiceLine, i.amountMinor, i.start, i.end])).toEqual([
      ['sub', 7000n, '2026-01-01', '2026-02-01'],
    ]);
  });

  it('leaves voided invoices out and ends uncollectible ones on the day they were written off', () => {
    const { items } = recurringItemsFromFacts(
      [
        invoice('in_v', [line('a')]),
        { type: 'invoice_voided', invoice: 'in_v', at: at('2026-01-05') },
        invoice('in_u', [line('b')]),
        { type: 'invoice_uncollectible', invoice: 'in_u', at: at('2026-01-20') },
      ],
      options,
    );
    expect(items.map((i) => [i.invoiceLine, i.end])).toEqual([['b', '2026-01-20']]);
  });

  it('converts a foreign invoice at its booking rate and names the ones it cannot convert', () => {
    const kwd = currency('kwd');
    const facts = [
      invoice('in_B', [line('k', { amountMinor: 30000n })], { currency: kwd }),
      invoice('in_X', [line('x')], { currency: kwd }),
    ];
    const rates = bookingRatesFromLedger(sampleLedger());
    expect(rates.get('in_B')).toBe('3.25');
    const { items, skipped } = recurringItemsFromFacts(facts, { ...options, rateOf: (i) => rates.get(i) });
    // 30.000 KWD × 3.25 = 97.50 USD
    expect(items.map((i) => [i.invoice, i.amountMinor])).toEqual([['in_B', 9750n]]);
    expect(skipped).toEqual([{ invoice: 'in_X', reason: expect.stringMatching(/no booking rate for KWD/) }]);
  });
});
