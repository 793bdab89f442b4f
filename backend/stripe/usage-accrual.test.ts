// Unbilled usage at period ends: valuation at metered prices (per unit, graduated, volume,
// transform_quantity), the window each period end reads, and bad input — an unknown meter or price,
// a negative usage quantity — which becomes an exception naming the object and stores no fact.
import { Decimal } from 'decimal.js';
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { AccrueError } from '../../shared/errors.ts';
import { runEngine } from '../../shared/engine/index.ts';
import type { UsageAccrualFact, UsageBilledFact } from '../../shared/engine/facts.ts';
import { normalizeCurrency } from '../../shared/money.ts';
import { TenantSettingsSchema } from '../../shared/settings.ts';
import { createMemoryReader } from '../sandbox/stripe/store.ts';
import { minuteFloor, unbilledFrom, unbilledUsageFacts, usageAmountMinor } from './usage-accrual.ts';

const USD = normalizeCurrency('usd');
const JAN15 = Date.UTC(2026, 0, 15) / 1000;
const FEB1 = Date.UTC(2026, 1, 1) / 1000;
const FEB15 = Date.UTC(2026, 1, 15) / 1000;

function price(fields: Record<string, unknown>): Stripe.Price {
  return {
    id: 'price_m',
    object: 'price',
    currency: 'usd',
    billing_scheme: 'per_unit',
    recurring: { meter: 'mtr_m', usage_type: 'metered' },
    transform_quantity: null,
    ...fields,
  } as unknown as Stripe.Price;
}
const tier = (upTo: number | null, unit: string, flat = 0) => ({
  up_to: upTo,
  unit_amount_decimal: unit,
  unit_amount: null,
  flat_amount: flat,
  flat_amount_decimal: null,
});

describe('usage valued at the price in force', () => {
  it('per unit, with decimals rounded half up once', () => {
    expect(usageAmountMinor(price({ unit_amount_decimal: '0.5' }), new Decimal(1001))).toBe(501n); // 500.5 → 501
    expect(usageAmountMinor(price({ unit_amount: 10, unit_amount_decimal: '10' }), new Decimal(3))).toBe(30n);
  });
  it('graduated: each tier prices its own units, flat amounts added', () => {
    const p = price({
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      tiers: [tier(1000, '10', 500), tier(null, '5')],
    } as never);
    // 1,000 × 0.10 + 5.00 flat + 200 × 0.05 = 115.00
    expect(usageAmountMinor(p, new Decimal(1200))).toBe(11_500n);
    expect(usageAmountMinor(p, new Decimal(10))).toBe(600n);
  });
  it('volume: the tier the whole quantity falls in prices every unit', () => {
    const p = price({
      billing_scheme: 'tiered',
      tiers_mode: 'volume',
      tiers: [tier(1000, '10'), tier(null, '5', 100)],
    } as never);
    expect(usageAmountMinor(p, new Decimal(1000))).toBe(10_000n);
    expect(usageAmountMinor(p, new Decimal(1200))).toBe(6_100n); // 1,200 × 0.05 + 1.00
  });
  it('transform_quantity divides, then rounds as the price says', () => {
    const up = price({ unit_amount_decimal: '100', transform_quantity: { divide_by: 1000, round: 'up' } });
    expect(usageAmountMinor(up, new Decimal(1001))).toBe(200n);
    const down = price({ unit_amount_decimal: '100', transform_quantity: { divide_by: 1000, round: 'down' } });
    expect(usageAmountMinor(down, new Decimal(1999))).toBe(100n);
  });
});

const billed = (over: Partial<UsageBilledFact>): UsageBilledFact => ({
  type: 'usage_billed',
  invoice: 'in_1',
  invoiceLine: 'il_1',
  customer: 'cus_1',
  price: 'price_m',
  product: 'prod_api',
  periodStart: JAN15,
  periodEnd: FEB15,
  at: JAN15 + 3600,
  ...over,
});

describe('the unbilled window', () => {
  it('starts where the last window billed in arrears ended, else where the running one began', () => {
    const running = billed({});
    const arrears = billed({ invoice: 'in_2', periodStart: JAN15, periodEnd: FEB15, at: FEB15 + 3600 });
    expect(unbilledFrom([running], FEB1)).toBe(JAN15);
    expect(unbilledFrom([running, arrears], FEB1)).toBe(JAN15); // in_2 comes after Feb 1
    expect(unbilledFrom([running, arrears], FEB15 + 7200)).toBe(FEB15);
    expect(unbilledFrom([], FEB1)).toBeNull();
    expect(minuteFloor(JAN15 + 59)).toBe(JAN15);
  });
});

const meterObj = {
  id: 'mtr_m',
  object: 'billing.meter',
  event_name: 'call',
  customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
  value_settings: { event_payload_key: 'value' },
  default_aggregation: { formula: 'sum' },
};
const priceObj = { ...price({ unit_amount_decimal: '10' }), recurring: { meter: 'mtr_m', usage_type: 'metered' } };
const usage = (id: string, value: number, at: number) => ({
  id,
  object: 'billing.meter_event',
  event_name: 'call',
  timestamp: at,
  created: at,
  payload: { stripe_customer_id: 'cus_1', value: String(value) },
});
const ends = [{ key: '2026-01', at: FEB1 }];

describe('bad input stores no fact and names the object', () => {
  it('accrues usage reported since the window began', async () => {
    const reader = createMemoryReader([meterObj, priceObj, usage('e1', 30, JAN15 + 86_400), usage('e2', 5, FEB1 + 60)]);
    const out = await unbilledUsageFacts(reader, [billed({})], ends);
    expect(out.exceptions).toEqual([]);
    expect(out.facts).toEqual([
      expect.objectContaining({ quantity: '30', amountMinor: 300n, periodStart: JAN15, at: FEB1 }),
    ]);
  });

  it('a meter Stripe does not know', async () => {
    const reader = createMemoryReader([{ ...priceObj, recurring: { meter: 'mtr_gone', usage_type: 'metered' } }]);
    const out = await unbilledUsageFacts(reader, [billed({})], ends);
    expect(out.facts).toEqual([]);
    expect(out.exceptions).toEqual([
      {
        objectId: 'mtr_gone',
        reason: expect.stringContaining('billing meter mtr_gone (of price price_m) is unknown to Stripe'),
      },
    ]);
  });

  it('a negative usage quantity in a meter summary', async () => {
    const reader = createMemoryReader([
      meterObj,
      priceObj,
      usage('e1', 30, JAN15 + 86_400),
      usage('e2', -50, JAN15 + 2 * 86_400),
    ]);
    const out = await unbilledUsageFacts(reader, [billed({})], ends);
    expect(out.facts).toEqual([]);
    expect(out.exceptions).toEqual([
      {
        objectId: expect.stringMatching(/^mtrusg_/),
        reason: expect.stringContaining('reports -20; usage is never negative'),
      },
    ]);
  });

  it('a refusal from Stripe is an exception, a transient failure fails the release (retried)', async () => {
    const base = createMemoryReader([meterObj, priceObj]);
    const refusing = {
      ...base,
      meterEventSummaries: () => Promise.reject(new AccrueError('forbidden', 'billing meters are not enabled')),
    };
    const out = await unbilledUsageFacts(refusing, [billed({})], ends);
    expect(out.facts).toEqual([]);
    expect(out.exceptions).toEqual([
      { objectId: 'price_m:cus_1', reason: expect.stringContaining('billing meters are not enabled') },
    ]);
    const down = {
      ...base,
      meterEventSummaries: () => Promise.reject(new AccrueError('upstream_unavailable', 'Stripe is down')),
    };
    await expect(unbilledUsageFacts(down, [billed({})], ends)).rejects.toThrow('Stripe is down');
  });

  it('the engine refuses a negative accrual fact whole: an exception, no entry', () => {
    const fact: UsageAccrualFact = {
      type: 'usage_accrual',
      customer: 'cus_1',
      price: 'price_m',
      product: null,
      meter: 'mtr_m',
      periodStart: JAN15,
      at: FEB1,
      quantity: '-3',
      amountMinor: -30n,
      currency: USD,
    };
    const good = { ...fact, at: FEB15, quantity: '3', amountMinor: 30n };
    const settings = TenantSettingsSchema.parse({});
    const r = runEngine({ settings, facts: [good, fact], through: '2026-03-31' });
    expect(r.entries).toEqual([]);
    expect(r.exceptions).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('negative quantity (-3)') }),
    ]);
  });
});
