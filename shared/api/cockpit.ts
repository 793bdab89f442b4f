/**
 * The App API contract of the finance cockpit's reports: SaaS metrics, remaining performance
 * obligations (the forward schedule) and the revenue bridge. Money crosses the wire as strings
 * of integer minor units in the functional currency, like the rest of the App API.
 */
import { z } from 'zod';
import { ACCOUNT_ROLES } from '../accounts.ts';
import { CurrencySchema, LocalDateSchema, MinorSchema, PeriodKeySchema, REPORT_PERIODS_MAX } from './app.ts';

/** Months a metrics request shows when it does not say: the last year. */
export const METRICS_MONTHS_DEFAULT = 12;
/** Customers and products the forward schedule lists in the App; the rest are one "(others)" row. */
export const RPO_PARTIES_MAX = 50;
/** Invoices listed as left out of MRR (with the reason); a longer list is cut with a count. */
export const METRICS_SKIPPED_MAX = 50;

/** A calendar date that exists (2026-02-30 is refused, not rolled over). */
const RealDateSchema = LocalDateSchema.refine((d) => {
  const t = new Date(`${d}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === d;
}, 'must be a real calendar date');

export const MetricsQuerySchema = z.strictObject({
  months: z.coerce.number().int().min(1).max(REPORT_PERIODS_MAX).default(METRICS_MONTHS_DEFAULT),
  granularity: z.enum(['month', 'day']).default('month'),
});
export type MetricsQuery = z.infer<typeof MetricsQuerySchema>;

const MovementsShape = {
  new_minor: MinorSchema,
  expansion_minor: MinorSchema,
  contraction_minor: MinorSchema,
  churn_minor: MinorSchema,
  reactivation_minor: MinorSchema,
};

export const MetricsResponseSchema = z.object({
  currency: CurrencySchema,
  months: z.array(
    z.object({
      month: PeriodKeySchema,
      opening_minor: MinorSchema,
      ...MovementsShape,
      closing_minor: MinorSchema,
      arr_minor: MinorSchema,
      customers: z.number().int().nonnegative(),
      arpa_minor: MinorSchema,
      /** Decimal ratio strings ("1.0250"); null when the month opened with no MRR. */
      net_revenue_retention: z.string().nullable(),
      gross_revenue_retention: z.string().nullable(),
    }),
  ),
  /** Present with `granularity=day`. */
  days: z
    .array(
      z.object({
        date: LocalDateSchema,
        mrr_minor: MinorSchema,
        customers: z.number().int().nonnegative(),
        ...MovementsShape,
      }),
    )
    .optional(),
  /** What each metric means, keyed like the fields (mrr, arr, new, …). */
  definitions: z.record(z.string(), z.string()),
  skipped: z.array(z.object({ invoice: z.string(), reason: z.string() })).max(METRICS_SKIPPED_MAX),
  skipped_count: z.number().int().nonnegative(),
});
export type MetricsResponse = z.infer<typeof MetricsResponseSchema>;

export const RpoQuerySchema = z.strictObject({
  /** Defaults to the last day released; a later date is refused (its revenue is not booked yet). */
  as_of: RealDateSchema.optional(),
});
export type RpoQuery = z.infer<typeof RpoQuerySchema>;

const PartySchema = z.object({
  id: z.string(),
  current_minor: MinorSchema,
  non_current_minor: MinorSchema,
  total_minor: MinorSchema,
});

export const RpoResponseSchema = z.object({
  currency: CurrencySchema,
  as_of: LocalDateSchema,
  current_through: LocalDateSchema,
  current_minor: MinorSchema,
  non_current_minor: MinorSchema,
  total_minor: MinorSchema,
  ledger_deferred_minor: MinorSchema,
  ties_out: z.boolean(),
  months: z.array(z.object({ month: PeriodKeySchema, amount_minor: MinorSchema, current: z.boolean() })),
  customers: z.array(PartySchema).max(RPO_PARTIES_MAX + 1),
  products: z.array(PartySchema).max(RPO_PARTIES_MAX + 1),
});
export type RpoResponse = z.infer<typeof RpoResponseSchema>;

export const RevenueBridgeResponseSchema = z.object({
  currency: CurrencySchema,
  from_period: PeriodKeySchema,
  through_period: PeriodKeySchema,
  /** Income statement income: revenue plus shipping and application fees (absent from older servers). */
  income_minor: MinorSchema.optional(),
  /** Income on roles other than revenue, each its own line between income and revenue. */
  other_income: z.array(z.object({ role: z.enum(ACCOUNT_ROLES), amount_minor: MinorSchema })).optional(),
  revenue_minor: MinorSchema,
  outside_waterfall: z.array(z.object({ kind: z.string(), amount_minor: MinorSchema })),
  waterfall_minor: MinorSchema,
  reversals_of_recognition_minor: MinorSchema,
  recognition_other_accounts: z.array(z.object({ role: z.enum(ACCOUNT_ROLES), amount_minor: MinorSchema })),
  rollforward_recognized_minor: MinorSchema,
  ties_out: z.boolean(),
});
export type RevenueBridgeResponse = z.infer<typeof RevenueBridgeResponseSchema>;
