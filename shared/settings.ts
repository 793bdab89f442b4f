/**
 * Tenant settings: the accounting choices a finance team makes once (`docs/accounting.md §5`),
 * validated at every boundary with the same schema. Unknown keys are refused so a typo never
 * silently falls back to a default.
 */
import { z } from 'zod';
import { ACCOUNT_ROLES } from './accounts.ts';
import { Decimal, isKnownCurrency, normalizeCurrency } from './money.ts';
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

export const RecognitionRuleSchema = z.enum([
  'ratable',
  'point_in_time',
  'custom_term',
  'bundle',
  'exclude',
  'prepaid_credits',
  'stored_value',
]);
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

/**
 * Rules (the rule list): conditions that must all hold, an explicit position (the lowest position
 * that matches wins), a treatment or a percentage split of the line across treatments, and
 * effective dates. A product rule in `product_rules` is read as a rule with one product
 * condition, after every rule of this list (shared/engine/rules.ts).
 */
const idList = z.array(z.string().min(1).max(255)).min(1).max(500);
const metadataMatch = z.record(z.string().min(1).max(40), z.string().max(500));
export const RuleConditionsSchema = z
  .strictObject({
    products: idList.optional(),
    prices: idList.optional(),
    customers: idList.optional(),
    /** Every key must be present on the customer with this value. */
    customer_metadata: metadataMatch.optional(),
    /** Every key must be present on the invoice line with this value. */
    line_metadata: metadataMatch.optional(),
    currencies: z.array(currency).min(1).optional(),
    /** Inclusive bounds on the line's amount before discounts, in minor units of its currency. */
    amount_min_minor: z.number().int().safe().optional(),
    amount_max_minor: z.number().int().safe().optional(),
  })
  .refine(
    (c) =>
      c.amount_min_minor === undefined || c.amount_max_minor === undefined || c.amount_min_minor <= c.amount_max_minor,
    { message: 'amount_min_minor must not exceed amount_max_minor', path: ['amount_min_minor'] },
  );
export type RuleConditions = z.infer<typeof RuleConditionsSchema>;

/** What a matching line gets: the same choices as a product rule (without its price and date). */
export const RuleTreatmentSchema = z.strictObject({
  rule: RecognitionRuleSchema,
  trigger: PointInTimeTriggerSchema.optional(),
  term_months: z.number().int().positive().max(600).optional(),
  amortization: z.enum(AMORTIZATION_METHODS).optional(),
  account: z.string().min(1).optional(),
  components: z.array(BundleComponentSchema).min(1).optional(),
});
export type RuleTreatment = z.infer<typeof RuleTreatmentSchema>;

const PERCENT = /^\d{1,3}(\.\d{1,4})?$/;

/** One share of a split line: a percentage (up to 4 decimals) and how that share is earned. */
export const RuleSplitPartSchema = z.strictObject({
  name: z.string().min(1).max(100),
  percent: z.string().regex(PERCENT, 'must be a percentage such as 60 or 12.5'),
  rule: z.enum(['ratable', 'point_in_time', 'custom_term']),
  trigger: PointInTimeTriggerSchema.optional(),
  term_months: z.number().int().positive().max(600).optional(),
  account: z.string().min(1).optional(),
});
export type RuleSplitPart = z.infer<typeof RuleSplitPartSchema>;

export const RuleSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,200}$/, 'must be 1-200 letters, digits, "_", "." or "-"'),
    name: z.string().max(200).optional(),
    /** Order of evaluation: the matching rule with the lowest position wins. Unique in the list. */
    position: z.number().int().min(1).max(100000),
    conditions: RuleConditionsSchema.default({}),
    treatment: RuleTreatmentSchema.optional(),
    split: z.array(RuleSplitPartSchema).min(2).max(20).optional(),
    /** First and last booking dates (reporting time zone, inclusive) the rule applies to. */
    effective_from: localDate.optional(),
    effective_to: localDate.optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.treatment === undefined) === (r.split === undefined))
      ctx.addIssue({ code: 'custom', path: ['treatment'], message: 'give exactly one of treatment or split' });
    if (r.treatment?.rule === 'custom_term' && !r.treatment.term_months)
      ctx.addIssue({ code: 'custom', path: ['treatment', 'term_months'], message: 'custom_term needs term_months' });
    if (r.treatment?.rule === 'bundle' && !r.treatment.components?.length)
      ctx.addIssue({ code: 'custom', path: ['treatment', 'components'], message: 'bundle needs components' });
    if (r.split) {
      r.split.forEach((part, k) => {
        if (part.rule === 'custom_term' && !part.term_months)
          ctx.addIssue({ code: 'custom', path: ['split', k, 'term_months'], message: 'custom_term needs term_months' });
      });
      const names = new Set(r.split.map((p) => p.name));
      if (names.size !== r.split.length)
        ctx.addIssue({ code: 'custom', path: ['split'], message: 'split parts need distinct names' });
      // Refinements run on data whose fields already failed: sum only well-formed percentages.
      const wellFormed = r.split.every((p) => PERCENT.test(p.percent));
      const hundredths = r.split.reduce((sum, p) => sum + (wellFormed ? percentTenThousandths(p.percent) : 0n), 0n);
      if (wellFormed && hundredths !== 1_000_000n)
        ctx.addIssue({
          code: 'custom',
          path: ['split'],
          message: `split percentages sum to ${formatTenThousandths(hundredths)}, not 100`,
        });
    }
    if (r.effective_from && r.effective_to && r.effective_from > r.effective_to)
      ctx.addIssue({ code: 'custom', path: ['effective_to'], message: 'effective_to is before effective_from' });
  });
export type Rule = z.infer<typeof RuleSchema>;

/** A percentage such as "12.5" in ten-thousandths of a percent (exact; no float). */
export function percentTenThousandths(percent: string): bigint {
  const [whole, fraction = ''] = percent.split('.');
  return BigInt(whole!) * 10_000n + BigInt(fraction.padEnd(4, '0') || '0');
}
function formatTenThousandths(v: bigint): string {
  const fraction = (v % 10_000n).toString().padStart(4, '0').replace(/0+$/, '');
  return fraction ? `${v / 10_000n}.${fraction}` : `${v / 10_000n}`;
}

/** The rule list: ids and positions unique (two rules in one position have no order). */
export const RuleListSchema = z
  .array(RuleSchema)
  .max(500)
  .superRefine((rules, ctx) => {
    const ids = new Map<string, number>();
    const positions = new Map<number, number>();
    rules.forEach((r, k) => {
      if (r.id.startsWith('product.'))
        ctx.addIssue({ code: 'custom', path: [k, 'id'], message: 'ids starting with "product." name product rules' });
      const sameId = ids.get(r.id);
      if (sameId !== undefined)
        ctx.addIssue({ code: 'custom', path: [k, 'id'], message: `duplicates the id of rule ${sameId} (${r.id})` });
      else ids.set(r.id, k);
      const samePosition = positions.get(r.position);
      if (samePosition !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [k, 'position'],
          message: `position ${r.position} is also rule ${rules[samePosition]!.id}'s: positions must be unique`,
        });
      else positions.set(r.position, k);
    });
  });

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
  /** Accrue usage reported to billing meters but not invoiced yet at each period end (trued up by the invoice). */
  accrue_unbilled_usage: z.boolean().default(true),
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
  /** The rule list (positions unique); stored in its own table and loaded for booking. */
  rules: RuleListSchema.default([]),
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
  /**
   * Restate foreign-currency balances of monetary accounts at each period end's rate (to
   * `fx_unrealized`, reversed on the next day); deferred revenue is never restated.
   */
  revalue_monetary_balances: z.boolean().default(false),
  /**
   * Breakage of paid billing credits and stored value by the remote method: what is left is
   * breakage once this many months pass without a redemption (null: only at expiry or void).
   */
  breakage_after_months: z.number().int().positive().max(600).nullable().default(null),
  /** Expected breakage as a share of what is sold (0 ≤ r < 1): breakage in proportion to redemptions instead. */
  breakage_rate: decimalString
    .refine((s) => new Decimal(s).lt(1), 'must be less than 1')
    .nullable()
    .default(null),
  /** Share of every breakage owed to a state under unclaimed-property law (to `escheat_liability`, never revenue). */
  escheat_share: decimalString.refine((s) => new Decimal(s).lte(1), 'must be at most 1').default('0'),
  /** How a credit note issued with a subscription's cancellation meets the line: Stripe's `proportional`, or `unsatisfied_first`. */
  termination_credits: z.enum(['proportional', 'unsatisfied_first']).default('proportional'),
  /** Account names per role, when the tenant's chart uses its own names. */
  account_names: z.partialRecord(z.enum(ACCOUNT_ROLES), z.string().min(1)).default({}),
  /**
   * The first day of the books when they start from imported opening balances: nothing Stripe did
   * before it is booked again (its objects are still read, so later events on them book). Set by
   * the opening balances import.
   */
  cutover_date: localDate.nullable().default(null),
  /**
   * Materiality threshold, in minor units of the functional currency: a manual journal or rule
   * change moving more than this in any period, and every period reopen, waits for a second
   * user's approval. Null: no approvals.
   */
  approval_threshold_minor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().default(null),
});

export type TenantSettings = z.infer<typeof TenantSettingsSchema>;
export type TenantSettingsInput = z.input<typeof TenantSettingsSchema>;

export function defaultSettings(): TenantSettings {
  return TenantSettingsSchema.parse({});
}
