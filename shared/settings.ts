/**
 * Tenant settings: the accounting choices a finance team makes once (`docs/accounting.md §5`),
 * validated at every boundary with the same schema. Unknown keys are refused so a typo never
 * silently falls back to a default.
 */
import { z } from 'zod';
import { ACCOUNT_ROLES } from './accounts.ts';
import { isKnownCurrency, normalizeCurrency } from './money.ts';
import { isValidTimeZone, parseDate } from './time.ts';

export const AMORTIZATION_METHODS = ['by_time', 'by_day', 'monthly_even', 'monthly_even_prorated_ends'] as const;
export type AmortizationMethod = (typeof AMORTIZATION_METHODS)[number];

const localDate = z.string().refine((s) => {
  try {
    parseDate(s);
    return true;
  } catch {
    return false;
  }
}, 'must be a calendar date YYYY-MM-DD');

const decimalString = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((s) => /^\d+(\.\d+)?$/.test(s), 'must be a non-negative decimal');
const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be a 3-letter ISO 4217 code')
  .refine(isKnownCurrency, 'is not an ISO 4217 currency')
  .transform((s) => normalizeCurrency(s));

export const RecognitionRuleSchema = z.enum(['ratable', 'point_in_time', 'custom_term', 'bundle', 'exclude']);
export type RecognitionRule = z.infer<typeof RecognitionRuleSchema>;

export const PointInTimeTriggerSchema = z.enum(['booking', 'payment', 'fulfillment']);

export const BundleComponentSchema = z.strictObject({
  name: z.string().min(1),
  ssp: decimalString,
  account: z.string().min(1).optional(),
  rule: z.enum(['ratable', 'point_in_time', 'custom_term']).default('ratable'),
  trigger: PointInTimeTriggerSchema.optional(),
  term_months: z.number().int().positive().max(600).optional(),
});
export type BundleComponent = z.infer<typeof BundleComponentSchema>;

export const ProductRuleSchema = z
  .strictObject({
    rule: RecognitionRuleSchema,
    /** For `point_in_time`: when control passes. */
    trigger: PointInTimeTriggerSchema.optional(),
    /** For `custom_term`: months from the line's start. */
    term_months: z.number().int().positive().max(600).optional(),
    amortization: z.enum(AMORTIZATION_METHODS).optional(),
    /** Revenue account for this product (overrides the tenant's `revenue` account). */
    account: z.string().min(1).optional(),
    components: z.array(BundleComponentSchema).min(1).optional(),
    /** Restrict the rule to one price id. */
    price: z.string().optional(),
    /** Rule applies to bookings on or after this date (reporting time zone). */
    effective_from: localDate.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.rule === 'custom_term' && !r.term_months)
      ctx.addIssue({ code: 'custom', message: 'custom_term needs term_months' });
    if (r.rule === 'bundle' && !r.components?.length)
      ctx.addIssue({ code: 'custom', message: 'bundle needs components' });
    if (r.rule === 'bundle') {
      for (const c of r.components ?? []) {
        if (c.rule === 'custom_term' && !c.term_months)
          ctx.addIssue({ code: 'custom', message: `component ${c.name}: custom_term needs term_months` });
      }
    }
  });
export type ProductRule = z.infer<typeof ProductRuleSchema>;

export const FxRateSchema = z.strictObject({
  date: localDate,
  from: currency,
  to: currency,
  rate: decimalString.refine((s) => /[1-9]/.test(s), 'must be greater than zero'),
});
export type FxRate = z.infer<typeof FxRateSchema>;

export const ClosePolicySchema = z.strictObject({
  mode: z.enum(['manual', 'auto']).default('manual'),
  /** With `auto`: close a month this many days after it ends. */
  days_after_period_end: z.number().int().min(0).max(90).default(5),
});

export const PeriodCalendarSchema = z.union([
  z.strictObject({ type: z.literal('monthly') }),
  z.strictObject({ type: z.literal('4-4-5'), fiscal_year_start: localDate }),
]);

export const TenantSettingsSchema = z.strictObject({
  functional_currency: currency.default(normalizeCurrency('usd')),
  reporting_time_zone: z
    .string()
    .refine(isValidTimeZone, 'must be an IANA time zone such as UTC or America/New_York')
    .default('UTC'),
  amortization: z.enum(AMORTIZATION_METHODS).default('by_time'),
  catch_up: z.boolean().default(true),
  discounts_as_contra: z.boolean().default(false),
  recover_as_gains: z.boolean().default(true),
  /** Present bad debt as an implicit price concession (contra revenue) instead of a credit-loss expense. */
  bad_debt_as_contra: z.boolean().default(false),
  /**
   * A Connect platform's destination charges and separate charges and transfers: `agent` (its
   * revenue is what it keeps; the connected account's share is owed to it, never revenue) or
   * `gross` (the customer's amount is revenue, the transfer a cost).
   */
  connect_revenue: z.enum(['agent', 'gross']).default('agent'),
  close_policy: ClosePolicySchema.default({ mode: 'manual', days_after_period_end: 5 }),
  period_calendar: PeriodCalendarSchema.default({ type: 'monthly' }),
  posting_mode: z.enum(['summary', 'detailed']).default('summary'),
  /** Rules by Stripe product id; several rules for one product are told apart by `effective_from`/`price`. */
  product_rules: z.record(z.string(), z.union([ProductRuleSchema, z.array(ProductRuleSchema).min(1)])).default({}),
  /** Configured rate source for estimated rates (used when Stripe has no balance transaction yet). */
  fx_rates: z.array(FxRateSchema).default([]),
  /**
   * A provider of daily reference rates, fetched by the daily tick into the tenant's rate table
   * (the tenant's own `fx_rates` win on the same date). `url` may hold `{date}` and `{base}`.
   */
  fx_provider: z
    .strictObject({
      url: z.url({ protocol: /^https?$/ }),
      format: z.enum(['json', 'csv']),
      /** The currency the provider quotes against (`json`: units of each currency per one base unit). */
      base: currency.optional(),
    })
    .nullable()
    .default(null),
  /** Account names per role, when the tenant's chart uses its own names. */
  account_names: z.partialRecord(z.enum(ACCOUNT_ROLES), z.string().min(1)).default({}),
});

export type TenantSettings = z.infer<typeof TenantSettingsSchema>;
export type TenantSettingsInput = z.input<typeof TenantSettingsSchema>;

export function defaultSettings(): TenantSettings {
  return TenantSettingsSchema.parse({});
}
