/**
 * Proves the App API contract's pure parts: the bundle preview always sums to the sample price
 * and matches the example of `docs/accounting.md §4` (150.00 over 130/30 → 121.88 / 28.12, 0-decimal and 3-decimal
 * currencies included); the signed-payload strings have the exact shapes Stripe signs; only
 * administrator and developer roles may write; request schemas refuse unknown fields and
 * out-of-range values; paths encode ids.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  APP_ROUTES,
  canWrite,
  plainSignedPayload,
  previewBundleSplit,
  ProductRuleUpdateRequestSchema,
  ReportQuerySchema,
  REPORT_PERIODS_MAX,
  routePath,
  SettingsUpdateRequestSchema,
  signedPayloadString,
} from './app.ts';
import { currency as currencyOf } from '../money.ts';

describe('bundle split preview', () => {
  it('splits 150.00 over SSPs 130 and 30 into 121.88 and 28.12', () => {
    const r = previewBundleSplit({
      amount_minor: '15000',
      currency: currencyOf('usd'),
      components: [
        { name: 'A', ssp: '130' },
        { name: 'B', ssp: '30.00' },
      ],
    });
    expect(r.parts.map((p) => [p.amount_minor, p.amount])).toEqual([
      ['12188', '121.88'],
      ['2812', '28.12'],
    ]);
  });

  it('formats in the currency’s own decimals', () => {
    expect(
      previewBundleSplit({
        amount_minor: '1000',
        currency: currencyOf('jpy'),
        components: [
          { name: 'A', ssp: '1' },
          { name: 'B', ssp: '2' },
        ],
      }).parts.map((p) => p.amount),
    ).toEqual(['333', '667']);
    expect(
      previewBundleSplit({ amount_minor: '1000', currency: currencyOf('kwd'), components: [{ name: 'A', ssp: '1' }] })
        .parts[0]!.amount,
    ).toBe('1.000');
  });

  it('always sums to the sample amount, each part within one minor unit of its exact share', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 20 }),
        (total, ssps) => {
          fc.pre(ssps.some((s) => s > 0));
          const r = previewBundleSplit({
            amount_minor: total.toString(),
            currency: currencyOf('usd'),
            components: ssps.map((s, i) => ({ name: `c${i}`, ssp: String(s) })),
          });
          const parts = r.parts.map((p) => BigInt(p.amount_minor));
          expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
          const sum = BigInt(ssps.reduce((a, b) => a + b, 0));
          parts.forEach((p, i) => {
            const exactFloor = (total * BigInt(ssps[i]!)) / sum;
            expect(p - exactFloor === 0n || p - exactFloor === 1n).toBe(true);
          });
        },
      ),
    );
  });
});

describe('signed identity', () => {
  it('builds the exact strings Stripe signs', () => {
    expect(plainSignedPayload('usr_1', 'acct_1')).toBe('{"user_id":"usr_1","account_id":"acct_1"}');
    expect(signedPayloadString({ mode: 'live', stripe_roles: ['admin'] }, 'usr_1', 'acct_1')).toBe(
      '{"mode":"live","stripe_roles":["admin"],"user_id":"usr_1","account_id":"acct_1"}',
    );
  });

  it('lets only administrators and developers write', () => {
    expect(canWrite(['admin'])).toBe(true);
    expect(canWrite(['developer'])).toBe(true);
    expect(canWrite(['Super Administrator'])).toBe(true);
    expect(canWrite(['view_only', 'analyst'])).toBe(false);
    expect(canWrite([])).toBe(false);
  });
});

describe('request schemas', () => {
  it('refuses unknown settings fields and bad values', () => {
    expect(SettingsUpdateRequestSchema.safeParse({ version: 1, settings: { catch_up: false } }).success).toBe(true);
    expect(SettingsUpdateRequestSchema.safeParse({ version: 1, settings: { product_rules: {} } }).success).toBe(false);
    expect(SettingsUpdateRequestSchema.safeParse({ settings: {} }).success).toBe(false);
    expect(SettingsUpdateRequestSchema.safeParse({ version: 1, settings: { amortization: 'later' } }).success).toBe(
      false,
    );
  });

  it('validates product rules with the settings schema (custom_term needs a term)', () => {
    expect(ProductRuleUpdateRequestSchema.safeParse({ version: 2, rule: { rule: 'custom_term' } }).success).toBe(false);
    expect(
      ProductRuleUpdateRequestSchema.safeParse({ version: 2, rule: { rule: 'custom_term', term_months: 12 } }).success,
    ).toBe(true);
  });

  it('caps report periods', () => {
    expect(ReportQuerySchema.parse({})).toEqual({ periods: 6 });
    expect(ReportQuerySchema.parse({ periods: '12' })).toEqual({ periods: 12 });
    expect(ReportQuerySchema.safeParse({ periods: String(REPORT_PERIODS_MAX + 1) }).success).toBe(false);
  });

  it('encodes ids into paths', () => {
    expect(routePath(APP_ROUTES.invoice, 'in_1')).toBe('/invoices/in_1');
    expect(routePath(APP_ROUTES.productRule, 'a/b')).toBe('/products/a%2Fb/rule');
  });
});
