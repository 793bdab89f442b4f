// Proves engine behaviour the golden scenarios do not reach: reporting time zones and 4-4-5
// periods, zero-decimal currencies, effective-dated and price-specific rules, fulfillment
// triggers, missing exchange rates and early facts reported as exceptions, JSON round trips
// of facts, and release only of periods that ended on or before `through`.
import { defaultSettings, TenantSettingsSchema, type TenantSettings } from '../settings.ts';
import { startOfDay } from '../time.ts';
import { parseFact, serializeFact, type Fact, type InvoiceFinalizedFact, type InvoiceLineFact } from './facts.ts';
import { resolveRule, runEngine } from './index.ts';
import { currency as currencyOf } from '../money.ts';

const at = (d: string, tz = 'UTC', h = 0): number => startOfDay(d, tz) + h * 3600;

function line(
  id: string,
  amount: bigint,
  start: number,
  end: number,
  product = 'prod_x',
  price: string | null = null,
): InvoiceLineFact {
  return {
    id,
    amountMinor: amount,
    discountMinor: 0n,
    creditMinor: 0n,
    inclusiveTaxMinor: 0n,
    exclusiveTaxMinor: 0n,
    periodStart: start,
    periodEnd: end,
    product,
    price,
    proration: false,
    invoiceItem: null,
    pendingItemCreatedAt: null,
    description: null,
  };
}

function invoice(
  id: string,
  finAt: number,
  lines: InvoiceLineFact[],
  currency = currencyOf('usd'),
): InvoiceFinalizedFact {
  const total = lines.reduce((a, l) => a + l.amountMinor, 0n);
  return {
    type: 'invoice_finalized',
    invoice: id,
    customer: 'cus_1',
    currency,
    at: finAt,
    totalMinor: total,
    taxMinor: 0n,
    startingBalanceMinor: 0n,
    endingBalanceMinor: 0n,
    lines,
  };
}

function recByPeriod(settings: TenantSettings, facts: Fact[], through: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const e of runEngine({ settings, facts, through }).entries) {
    if (e.kind !== 'recognition') continue;
    for (const l of e.lines)
      if (l.role === 'revenue') out[e.key.split(':').pop()!] = (out[e.key.split(':').pop()!] ?? 0n) - l.amountMinor;
  }
  return out;
}

describe('runEngine', () => {
  it('dates and splits by the reporting time zone: midnight in New York, not UTC', () => {
    const tz = 'America/New_York';
    const s = TenantSettingsSchema.parse({ reporting_time_zone: tz });
    const fin = at('2026-01-15', tz);
    const facts = [invoice('in_ny', fin, [line('il', 3100n, fin, at('2026-02-15', tz))])];
    const { entries } = runEngine({ settings: s, facts, through: '2026-02-28' });
    expect(entries.find((e) => e.kind === 'invoice_finalized')!.postingDate).toBe('2026-01-15');
    expect(recByPeriod(s, facts, '2026-02-28')).toEqual({ '2026-01': 1700n, '2026-02': 1400n });
  });

  it('uses 4-4-5 periods when configured', () => {
    const s = TenantSettingsSchema.parse({
      period_calendar: { type: '4-4-5', fiscal_year_start: '2026-01-04' },
      amortization: 'by_day',
    });
    const fin = at('2026-01-04');
    // 13 weeks = one quarter of 4 + 4 + 5 weeks: 91.00 at 1.00 a day.
    const facts = [invoice('in_445', fin, [line('il', 9100n, fin, at('2026-04-05'))])];
    expect(recByPeriod(s, facts, '2026-12-31')).toEqual({ '2026-P01': 2800n, '2026-P02': 2800n, '2026-P03': 3500n });
  });

  it('keeps zero-decimal currencies in whole units', () => {
    const s = TenantSettingsSchema.parse({ functional_currency: 'jpy', amortization: 'monthly_even' });
    const fin = at('2026-01-01');
    const facts = [invoice('in_jpy', fin, [line('il', 10000n, fin, at('2026-04-01'))], currencyOf('jpy'))];
    expect(recByPeriod(s, facts, '2026-12-31')).toEqual({ '2026-01': 3333n, '2026-02': 3333n, '2026-03': 3334n });
  });

  it('releases only periods that ended on or before through', () => {
    const s = defaultSettings();
    const fin = at('2026-01-01');
    const facts = [invoice('in_t', fin, [line('il', 3100n, fin, at('2026-03-01'))])];
    expect(Object.keys(recByPeriod(s, facts, '2026-01-30'))).toEqual([]);
    expect(Object.keys(recByPeriod(s, facts, '2026-01-31'))).toEqual(['2026-01']);
    const sched = runEngine({ settings: s, facts, through: '2026-01-31' }).schedules;
    expect(sched.map((x) => [x.period, x.released])).toEqual([
      ['2026-01', true],
      ['2026-02', false],
    ]);
    expect(sched.reduce((a, x) => a + x.amountMinor, 0n)).toBe(3100n);
  });

  it('shows the earned period and the posting period separately under catch-up', () => {
    const s = TenantSettingsSchema.parse({ amortization: 'monthly_even' });
    const facts = [invoice('in_late', at('2026-03-10'), [line('il', 9000n, at('2026-01-01'), at('2026-04-01'))])];
    const sched = runEngine({ settings: s, facts, through: '2026-03-31' }).schedules;
    expect(sched.map((x) => [x.period, x.postingPeriod, x.amountMinor, x.released])).toEqual([
      ['2026-01', '2026-03', 3000n, true],
      ['2026-02', '2026-03', 3000n, true],
      ['2026-03', '2026-03', 3000n, true],
    ]);
  });

  it('picks the price-specific, latest effective rule in force on the booking date', () => {
    const s = TenantSettingsSchema.parse({
      product_rules: {
        prod_x: [
          { rule: 'ratable' },
          { rule: 'point_in_time', effective_from: '2026-02-01' },
          { rule: 'exclude', price: 'price_special' },
        ],
      },
    });
    expect(resolveRule(s, { product: 'prod_x', price: null }, '2026-01-15').rule).toBe('ratable');
    expect(resolveRule(s, { product: 'prod_x', price: null }, '2026-02-01').rule).toBe('point_in_time');
    expect(resolveRule(s, { product: 'prod_x', price: 'price_special' }, '2026-03-01').rule).toBe('exclude');
    expect(resolveRule(s, { product: 'prod_other', price: null }, '2026-03-01').rule).toBe('ratable');
  });

  it('keeps a fulfillment-triggered line deferred until the fulfillment fact', () => {
    const s = TenantSettingsSchema.parse({
      product_rules: { prod_kit: { rule: 'point_in_time', trigger: 'fulfillment' } },
    });
    const fin = at('2026-01-10');
    const inv = invoice('in_f', fin, [line('il_kit', 5000n, fin, fin, 'prod_kit')]);
    expect(recByPeriod(s, [inv], '2026-12-31')).toEqual({});
    const ful: Fact = {
      type: 'fulfillment',
      id: 'ful_1',
      invoice: 'in_f',
      invoiceLine: null,
      product: 'prod_kit',
      at: at('2026-03-02'),
    };
    expect(recByPeriod(s, [inv, ful], '2026-12-31')).toEqual({ '2026-03': 5000n });
  });

  it('reports a missing exchange rate instead of guessing one', () => {
    const s = defaultSettings();
    const fin = at('2026-01-01');
    const r = runEngine({
      settings: s,
      facts: [invoice('in_gbp', fin, [line('il', 1000n, fin, at('2026-02-01'))], currencyOf('gbp'))],
      through: '2026-12-31',
    });
    expect(r.entries).toEqual([]);
    expect(r.exceptions).toHaveLength(1);
    expect(r.exceptions[0]!.reason).toMatch(/no exchange rate GBP→USD/);
  });

  it('reports a refund whose invoice is not finalized yet as an exception, and books it once it is', () => {
    const s = defaultSettings();
    const fin = at('2026-01-01');
    const refund: Fact = {
      type: 'refund',
      refund: 're_1',
      charge: 'ch_1',
      invoice: 'in_r',
      amountMinor: 500n,
      currency: currencyOf('usd'),
      at: at('2026-01-20'),
      balanceTransaction: null,
    };
    const early = runEngine({ settings: s, facts: [refund], through: '2026-01-31' });
    expect(early.entries).toEqual([]);
    expect(early.exceptions[0]!.reason).toMatch(/not been finalized/);
    const later = runEngine({
      settings: s,
      facts: [refund, invoice('in_r', fin, [line('il', 1000n, fin, fin)])],
      through: '2026-01-31',
    });
    expect(later.entries.map((e) => e.key)).toContain('ref:re_1');
  });

  it('round-trips facts through JSON without losing bigints', () => {
    const f = invoice('in_j', at('2026-01-01'), [
      line('il', 12345678901234567890n, at('2026-01-01'), at('2026-02-01')),
    ]);
    expect(parseFact(serializeFact(f))).toEqual(f);
    expect(parseFact(JSON.parse(serializeFact(f)))).toEqual(f);
  });
});

describe('shipping', () => {
  const fin = at('2026-03-01');
  const shipped = (totalTaxes: bigint, total: bigint): InvoiceFinalizedFact => ({
    ...invoice('in_ship', fin, [line('il_goods', 5000n, fin, fin)]),
    taxMinor: totalTaxes,
    totalMinor: total,
    shipping: { amountMinor: 700n, taxMinor: 56n, shippingRate: 'shr_1' },
  });
  const booked = (fact: InvoiceFinalizedFact) => {
    const { entries, exceptions } = runEngine({ settings: defaultSettings(), facts: [fact], through: '2026-03-31' });
    const finalized = entries.find((e) => e.key === 'inv:in_ship:finalized')!;
    const recognized = entries.find((e) => e.key === 'rec:in_ship:2026-03')!;
    return {
      exceptions,
      finalized: finalized.lines.map((l) => [l.role, l.invoiceLine ?? null, l.amountMinor]),
      shippingRevenue: recognized.lines.filter((l) => l.role === 'shipping').map((l) => l.amountMinor),
    };
  };

  it('books shipping as its own line earned at booking, and its tax once when total_taxes leaves it out', () => {
    const r = booked(shipped(0n, 5756n));
    expect(r.exceptions).toEqual([]);
    expect(r.finalized).toEqual([
      ['receivable', null, 5756n],
      ['deferred_revenue', 'il_goods', -5000n],
      ['deferred_revenue', 'in_ship:shipping', -700n],
      ['tax_liability', null, -56n],
    ]);
    expect(r.shippingRevenue).toEqual([-700n]);
  });

  it('counts the shipping tax once when total_taxes already holds it', () => {
    const r = booked(shipped(56n, 5756n));
    expect(r.exceptions).toEqual([]);
    expect(r.finalized.at(-1)).toEqual(['tax_liability', null, -56n]);
  });

  it('reports a total that neither reading explains, and books the lines, shipping and tax', () => {
    const r = booked(shipped(0n, 6000n));
    expect(r.exceptions).toHaveLength(1);
    expect(r.exceptions[0]!.reason).toContain('differs from its lines, shipping and tax');
    expect(r.finalized[0]).toEqual(['receivable', null, 5700n]);
  });
});

describe('a zero-net line in a foreign currency, discounts as contra', () => {
  it('books the gross at the booking rate and an equal discount', () => {
    const fin = at('2026-01-01');
    const free = { ...line('il_free', 1000n, fin, at('2026-02-01')), discountMinor: 1000n };
    const fact = { ...invoice('in_eur_free', fin, [line('il_paid', 2000n, fin, at('2026-02-01')), free]) };
    fact.currency = currencyOf('eur');
    fact.totalMinor = 2000n;
    const settings = TenantSettingsSchema.parse({
      discounts_as_contra: true,
      fx_rates: [{ date: '2025-12-31', from: 'eur', to: 'usd', rate: '1.10' }],
    });
    const { entries, exceptions } = runEngine({ settings, facts: [fact], through: '2026-01-31' });
    expect(exceptions).toEqual([]);
    const finalized = entries.find((e) => e.key === 'inv:in_eur_free:finalized')!;
    expect(finalized.lines.map((l) => [l.role, l.invoiceLine ?? null, l.amountMinor, l.original?.amountMinor])).toEqual(
      [
        ['receivable', null, 2200n, 2000n],
        ['deferred_revenue', 'il_paid', -2200n, -2000n],
        ['deferred_revenue', 'il_free', -1100n, -1000n],
        ['deferred_discounts', 'il_free', 1100n, 1000n],
      ],
    );
  });
});
