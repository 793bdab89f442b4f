// The one resolver: conditions all hold, the lowest position wins, product rules come after the
// list with their old precedence, effective dates bound a rule, and what a screen shows for a
// product is what the engine books for a line of it.
import { describe, expect, it } from 'vitest';
import { TenantSettingsSchema } from '../settings.ts';
import { matchRule, orderedRules, productRuleShown, resolveRule, type RuleSubject } from './rules.ts';

const line: RuleSubject = {
  product: 'prod_a',
  price: 'price_a',
  customer: 'cus_1',
  customerMetadata: { segment: 'enterprise' },
  lineMetadata: { plan: 'annual' },
  currency: 'usd',
  amountMinor: 50_000n,
};

const settings = TenantSettingsSchema.parse({
  product_rules: { prod_a: { rule: 'exclude' } },
  rules: [
    { id: 'big', position: 5, conditions: { amount_min_minor: 100_000 }, treatment: { rule: 'point_in_time' } },
    {
      id: 'enterprise',
      position: 7,
      conditions: {
        customer_metadata: { segment: 'enterprise' },
        line_metadata: { plan: 'annual' },
        currencies: ['USD'],
      },
      treatment: { rule: 'custom_term', term_months: 6 },
      effective_from: '2026-02-01',
      effective_to: '2026-06-30',
    },
    { id: 'eur', position: 3, conditions: { currencies: ['eur'] }, treatment: { rule: 'exclude' } },
  ],
});

describe('resolveRule', () => {
  it('takes the first rule by position whose every condition holds, inside its dates', () => {
    expect(resolveRule(settings, line, '2026-03-01')).toMatchObject({
      rule: 'custom_term',
      termMonths: 6,
      ruleId: 'enterprise',
    });
    expect(resolveRule(settings, { ...line, currency: 'eur' }, '2026-03-01').ruleId).toBe('eur');
    expect(resolveRule(settings, { ...line, amountMinor: 100_000n }, '2026-03-01').ruleId).toBe('big');
  });

  it('falls through to the product rule when a condition fails or the date is outside the rule', () => {
    expect(resolveRule(settings, { ...line, lineMetadata: { plan: 'monthly' } }, '2026-03-01').ruleId).toBe(
      'product.prod_a',
    );
    expect(resolveRule(settings, { ...line, customerMetadata: undefined }, '2026-03-01').rule).toBe('exclude');
    expect(resolveRule(settings, line, '2026-01-31').ruleId).toBe('product.prod_a');
    expect(resolveRule(settings, line, '2026-07-01').ruleId).toBe('product.prod_a');
    expect(resolveRule(settings, { ...line, product: 'prod_b' }, '2026-07-01')).toMatchObject({
      rule: 'ratable',
      ruleId: null,
    });
  });

  it('turns a split into one component per part, weighted by its percentage', () => {
    const s = TenantSettingsSchema.parse({
      rules: [
        {
          id: 'split',
          position: 1,
          split: [
            { name: 'A', percent: '12.5', rule: 'ratable' },
            { name: 'B', percent: '87.5', rule: 'point_in_time', trigger: 'payment' },
          ],
        },
      ],
    });
    const r = resolveRule(s, line, '2026-01-01');
    expect(r.rule).toBe('bundle');
    expect(r.components.map((c) => [c.name, c.ssp, c.rule, c.trigger])).toEqual([
      ['A', '12.5', 'ratable', undefined],
      ['B', '87.5', 'point_in_time', 'payment'],
    ]);
  });
});

describe('product rules in the list', () => {
  const s = TenantSettingsSchema.parse({
    product_rules: {
      prod_x: [
        { rule: 'ratable' },
        { rule: 'point_in_time', effective_from: '2026-02-01' },
        { rule: 'exclude', price: 'price_special' },
      ],
    },
  });

  it('come after the rule list: price-specific first, then the latest effective date', () => {
    expect(orderedRules(s).map((r) => r.id)).toEqual([
      'product.prod_x.price_special',
      'product.prod_x.from-2026-02-01',
      'product.prod_x',
    ]);
  });

  it('a screen shows the rule the engine books for a line of the product', () => {
    for (const day of ['2026-01-15', '2026-02-01', '2026-09-30']) {
      const shown = productRuleShown(s, 'prod_x', day);
      const booked = matchRule(s, { product: 'prod_x', price: 'price_plain' }, day);
      expect(shown?.rule).toBe(booked?.treatment?.rule);
    }
    expect(productRuleShown(s, 'prod_none', '2026-01-01')).toBeNull();
  });

  it('a product with only a future rule shows that rule', () => {
    const future = TenantSettingsSchema.parse({
      product_rules: { p: { rule: 'exclude', effective_from: '2027-01-01' } },
    });
    expect(productRuleShown(future, 'p', '2026-01-01')).toEqual({ rule: 'exclude', effective_from: '2027-01-01' });
  });
});
