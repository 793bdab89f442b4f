/**
 * The App API contract: every request and response body exchanged between the Stripe App (the
 * UI extension inside the merchant's Dashboard) and our backend under `/api/app/*`, as zod
 * schemas with their TypeScript types, plus the few pure helpers both sides must agree on
 * (who may write, which headers carry the identity, what exactly is signed, how a bundle splits).
 *
 * Money crosses the wire as strings of integer minor units (`amount_minor: "15000"`) with the
 * currency beside it, because JSON has no bigint and a float would lose cents.
 * Every error body is `{error:{code,message}}` with a code from shared/errors.ts.
 */
import { z } from 'zod';
import { ACCOUNT_ROLES, type AccountRole } from '../accounts.ts';
import { ERROR_CODES } from '../errors.ts';
import { allocate, decimalWeights, formatMinor, normalizeCurrency, type Currency } from '../money.ts';
import { AMORTIZATION_METHODS, ClosePolicySchema, ProductRuleSchema, TenantSettingsSchema } from '../settings.ts';

// ---------------------------------------------------------------------------------------------
// Limits (each with its reason)
// ---------------------------------------------------------------------------------------------

/** Most periods a report request may ask for: two years of months fits one Dashboard drawer. */
export const REPORT_PERIODS_MAX = 24;
/** Periods a report shows when the request does not say: the last half year. */
export const REPORT_PERIODS_DEFAULT = 6;
/** Largest page of products: Stripe's own list APIs stop at 100, and we page the same way. */
export const PRODUCTS_PAGE_MAX = 100;
/** Largest page of exceptions: more than 50 reasons at once is unreadable in a drawer. */
export const EXCEPTIONS_PAGE_MAX = 50;
/** Journal entries returned with an invoice or customer: enough for years of monthly recognition. */
export const DETAIL_ENTRIES_MAX = 200;
/** Components of one bundle: a bundle of more than 20 obligations is a data-entry mistake. */
export const BUNDLE_COMPONENTS_MAX = 20;
/** Longest id we accept in a path (Stripe ids are well under 255 characters). */
export const OBJECT_ID_LENGTH_MAX = 255;

// ---------------------------------------------------------------------------------------------
// Identity on the wire (shared by stripe-app/data/client.ts and backend/http/app-auth.ts)
// ---------------------------------------------------------------------------------------------

/** Request headers that carry the Dashboard identity. Lower-case, as Node exposes them. */
export const APP_HEADERS = {
  signature: 'stripe-signature',
  userId: 'stripe-user-id',
  accountId: 'stripe-account-id',
  /** The Dashboard mode the view runs in; trusted only when it is also signed (see app-auth.ts). */
  mode: 'stripe-mode',
  /** The exact JSON string Stripe signed when the request carries an extra signed payload. */
  signedPayload: 'stripe-signed-payload',
} as const;

/**
 * Built-in Dashboard roles allowed to change settings (Stripe's stable role ids). Everyone else
 * gets read-only views, and the backend refuses their writes with 403.
 */
export const WRITE_ROLE_IDS = ['admin', 'super_admin', 'developer'] as const;
/** Display names of the same roles, for hosts that send roles without an `id` (older Dashboards). */
export const WRITE_ROLE_NAMES = ['Administrator', 'Super Administrator', 'Developer'] as const;

/** True when one of the given role ids or names may change settings. */
export function canWrite(roles: readonly string[]): boolean {
  return roles.some(
    (r) => (WRITE_ROLE_IDS as readonly string[]).includes(r) || (WRITE_ROLE_NAMES as readonly string[]).includes(r),
  );
}

/** Extra fields the UI asks Stripe to sign beside `user_id` and `account_id`. */
export const SignedExtraSchema = z.strictObject({
  mode: z.enum(['live', 'test']).optional(),
  /** Role ids the user claims; Stripe refuses to sign when the user lacks one of them. */
  stripe_roles: z.array(z.string().min(1).max(64)).max(10).optional(),
});
export type SignedExtra = z.infer<typeof SignedExtraSchema>;

/** The full payload Stripe signs for a request with extras; the backend re-checks every field. */
export const SignedPayloadSchema = SignedExtraSchema.extend({
  user_id: z.string().min(1).max(OBJECT_ID_LENGTH_MAX),
  account_id: z.string().min(1).max(OBJECT_ID_LENGTH_MAX),
});
export type SignedPayload = z.infer<typeof SignedPayloadSchema>;

/**
 * The string Stripe signs for `fetchStripeSignature(extra)`: the extras first, then `user_id`
 * and `account_id`, as in Stripe's backend guide. The client sends this exact string in the
 * `Stripe-Signed-Payload` header and the backend verifies the signature over the bytes it
 * received, so a wrong guess about Stripe's key order fails closed (401) instead of opening a
 * hole; the client then tries the other order (`signedPayloadCandidates`). Confirm the order once
 * against a real sandbox and put the right one first.
 */
export function signedPayloadString(extra: SignedExtra, user_id: string, account_id: string): string {
  return JSON.stringify({ ...extra, user_id, account_id });
}

/**
 * Every serialization Stripe might have signed for `fetchStripeSignature(extra)`, most likely
 * first: extras before the identity (the backend guide's order), then the identity first. The
 * signature header is the same for all; the client presents one string, and on a 401 the other,
 * then remembers which one verified. The backend accepts only a string that verifies, so offering
 * two candidates cannot widen what a forged request can do.
 */
export function signedPayloadCandidates(extra: SignedExtra, user_id: string, account_id: string): string[] {
  const extrasFirst = signedPayloadString(extra, user_id, account_id);
  const identityFirst = JSON.stringify({ user_id, account_id, ...extra });
  return extrasFirst === identityFirst ? [extrasFirst] : [extrasFirst, identityFirst];
}

/** The payload Stripe signs when there are no extras: exactly these two keys, in this order. */
export function plainSignedPayload(user_id: string, account_id: string): string {
  return JSON.stringify({ user_id, account_id });
}

// Evolution rule: request bodies are strict objects (a typo is a 400, never a silent default);
// response bodies are plain objects that drop unknown keys, so a backend that adds a field never
// breaks an app version already installed in merchants' Dashboards.

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/** Signed integer minor units as a decimal string ("-1250"). */
export const MinorSchema = z.string().regex(/^-?\d{1,30}$/, 'must be an integer number of minor units');
/**
 * Lower-case ISO 4217 code, typed `Currency`. A refinement plus a cast rather than a transform, so
 * the schema stays a plain string pattern for JSON Schema output; the regex is the same check
 * `normalizeCurrency` makes.
 */
export const CurrencySchema = z
  .string()
  .regex(/^[a-z]{3}$/, 'must be a lower-case 3-letter ISO 4217 code') as unknown as z.ZodType<Currency, string>;
/** `YYYY-MM-DD` in the tenant's reporting time zone. */
export const LocalDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
/** ISO 8601 instant, UTC. */
export const InstantSchema = z.string().datetime({ offset: true });
/** A period key (`2026-01`, or `2026-P03` for 4-4-5 calendars). */
export const PeriodKeySchema = z.string().min(4).max(16);
export const ObjectIdSchema = z
  .string()
  .min(1)
  .max(OBJECT_ID_LENGTH_MAX)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'must be an id');
export const AccountRoleSchema = z.enum(ACCOUNT_ROLES);

export const ErrorCodeSchema = z.enum(
  Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]],
);
/** The one error body of the App API. */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: ErrorCodeSchema,
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** `?limit=` and `?starting_after=` cursor paging, as in Stripe's list APIs. */
function pageQuery(max: number) {
  return z.strictObject({
    limit: z.coerce.number().int().min(1).max(max).default(max),
    starting_after: ObjectIdSchema.optional(),
  });
}

// ---------------------------------------------------------------------------------------------
// Settings (versioned)
// ---------------------------------------------------------------------------------------------

/**
 * The general settings the Settings view edits. Product rules and account names have their own
 * endpoints, so a settings save never races a rule edit over the same fields.
 */
export const GeneralSettingsSchema = TenantSettingsSchema.pick({
  functional_currency: true,
  reporting_time_zone: true,
  amortization: true,
  catch_up: true,
  discounts_as_contra: true,
  recover_as_gains: true,
  bad_debt_as_contra: true,
  close_policy: true,
  period_calendar: true,
  posting_mode: true,
  connect_revenue: true,
  accrue_unbilled_usage: true,
  revalue_monetary_balances: true,
  termination_credits: true,
  breakage_after_months: true,
  breakage_rate: true,
  escheat_share: true,
});
export type GeneralSettings = z.infer<typeof GeneralSettingsSchema>;

export const SettingsResponseSchema = z.object({
  /** Increases by one on every change; a write must name the version it started from. */
  version: z.number().int().nonnegative(),
  /** Stripped, not strict: the backend may hand over its whole settings document. */
  settings: GeneralSettingsSchema.strip(),
});
export type SettingsResponse = z.infer<typeof SettingsResponseSchema>;

/** A partial update; omitted fields keep their values. A stale `version` is a `conflict` (409). */
export const SettingsUpdateRequestSchema = z.strictObject({
  version: z.number().int().nonnegative(),
  settings: z.strictObject({
    functional_currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/)
      .transform((s) => normalizeCurrency(s))
      .optional(),
    reporting_time_zone: z.string().min(1).max(64).optional(),
    amortization: z.enum(AMORTIZATION_METHODS).optional(),
    catch_up: z.boolean().optional(),
    discounts_as_contra: z.boolean().optional(),
    recover_as_gains: z.boolean().optional(),
    bad_debt_as_contra: z.boolean().optional(),
    close_policy: ClosePolicySchema.optional(),
    posting_mode: z.enum(['summary', 'detailed']).optional(),
    connect_revenue: z.enum(['agent', 'gross']).optional(),
    accrue_unbilled_usage: z.boolean().optional(),
    revalue_monetary_balances: z.boolean().optional(),
    termination_credits: z.enum(['proportional', 'unsatisfied_first']).optional(),
    // Checked in full (a rate below 1, a share at most 1) against the whole settings document.
    breakage_after_months: z.number().int().positive().max(600).nullable().optional(),
    breakage_rate: z.string().max(40).nullable().optional(),
    escheat_share: z.string().max(40).optional(),
  }),
});
export type SettingsUpdateRequest = z.infer<typeof SettingsUpdateRequestSchema>;

// ---------------------------------------------------------------------------------------------
// QuickBooks connection and accounts
// ---------------------------------------------------------------------------------------------

export const QboStatusResponseSchema = z.object({
  status: z.enum(['not_connected', 'pending', 'connected', 'expired', 'error']),
  company_name: z.string().nullable(),
  realm_id: z.string().nullable(),
  connected_at: InstantSchema.nullable(),
  /** A plain sentence when the status needs the merchant's attention. */
  message: z.string().nullable(),
});
export type QboStatusResponse = z.infer<typeof QboStatusResponseSchema>;

/** Where to send the merchant to sign in to Intuit; opened in a new tab, then the UI polls status. */
export const QboConnectResponseSchema = z.object({
  authorization_url: z.string().url(),
  expires_at: InstantSchema,
});
export type QboConnectResponse = z.infer<typeof QboConnectResponseSchema>;

export const QboAccountSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  /** QuickBooks AccountType ("Other Current Liability") and AccountSubType ("DeferredRevenue"). */
  type: z.string(),
  sub_type: z.string().nullable(),
  active: z.boolean(),
});
export type QboAccount = z.infer<typeof QboAccountSchema>;

export const QboAccountsResponseSchema = z.object({ accounts: z.array(QboAccountSchema) });
export type QboAccountsResponse = z.infer<typeof QboAccountsResponseSchema>;

/** Role → QuickBooks account id; `null` for a role not yet mapped. Every role is always present. */
export const AccountMappingResponseSchema = z.object({
  mapping: z.record(AccountRoleSchema, z.string().min(1).nullable()),
});
export type AccountMappingResponse = z.infer<typeof AccountMappingResponseSchema>;

/** Partial: the roles named are (re)mapped; `null` unmaps a role. */
export const AccountMappingUpdateRequestSchema = z.strictObject({
  mapping: z.partialRecord(AccountRoleSchema, z.string().min(1).max(64).nullable()),
});
export type AccountMappingUpdateRequest = z.infer<typeof AccountMappingUpdateRequestSchema>;

/**
 * The account roles the books cannot run without: every invoice, payment, payout and recognition
 * posts to one of these. The Settings page asks for them in its required section, and a page save
 * that would leave one unmapped (once QuickBooks is connected) is refused. Every other role is
 * optional: an entry that needs an unmapped one waits in the exception queue until it is mapped.
 */
export const REQUIRED_ACCOUNT_ROLES = [
  'receivable',
  'cash_clearing',
  'bank',
  'deferred_revenue',
  'revenue',
  'tax_liability',
  'fees',
] as const satisfies readonly AccountRole[];

/**
 * The Settings page's one save: the changed settings and the remapped roles together, checked as
 * a whole and written in one transaction (a new settings version with its history row, the
 * mapping, and an audit row naming the user), or not at all. A stale `version` is a `conflict`.
 */
export const SettingsPageUpdateRequestSchema = z.strictObject({
  version: SettingsUpdateRequestSchema.shape.version,
  settings: SettingsUpdateRequestSchema.shape.settings,
  mapping: AccountMappingUpdateRequestSchema.shape.mapping,
});
export type SettingsPageUpdateRequest = z.infer<typeof SettingsPageUpdateRequestSchema>;

export const SettingsPageResponseSchema = z.object({
  version: SettingsResponseSchema.shape.version,
  settings: SettingsResponseSchema.shape.settings,
  mapping: z.record(AccountRoleSchema, z.string().min(1).nullable()),
});
export type SettingsPageResponse = z.infer<typeof SettingsPageResponseSchema>;

/** Create a QuickBooks account (ROLE_INFO's suggested type and name) for each unmapped role. */
export const CreateMissingAccountsRequestSchema = z.strictObject({
  /** Limit to these roles; all unmapped roles when omitted. */
  roles: z.array(AccountRoleSchema).min(1).optional(),
});
export type CreateMissingAccountsRequest = z.infer<typeof CreateMissingAccountsRequestSchema>;

export const CreateMissingAccountsResponseSchema = z.object({
  created: z.array(z.object({ role: AccountRoleSchema, account: QboAccountSchema })),
  mapping: AccountMappingResponseSchema.shape.mapping,
});
export type CreateMissingAccountsResponse = z.infer<typeof CreateMissingAccountsResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Products and product rules
// ---------------------------------------------------------------------------------------------

export const ProductSummarySchema = z.object({
  id: ObjectIdSchema,
  name: z.string(),
  active: z.boolean(),
  /** The product's default price, used as the sample amount in the bundle preview. */
  default_price: z
    .object({ id: z.string(), currency: CurrencySchema, unit_amount_minor: MinorSchema.nullable() })
    .nullable(),
  /** The rule in force today, if any (the product otherwise follows the tenant default). */
  rule: ProductRuleSchema.nullable(),
});
export type ProductSummary = z.infer<typeof ProductSummarySchema>;

export const ProductsQuerySchema = pageQuery(PRODUCTS_PAGE_MAX);
export type ProductsQuery = z.infer<typeof ProductsQuerySchema>;
export const ProductsResponseSchema = z.object({ products: z.array(ProductSummarySchema), has_more: z.boolean() });
export type ProductsResponse = z.infer<typeof ProductsResponseSchema>;

/** A product's rule. Rules live in the settings document, so they carry the settings `version`. */
export const ProductRuleResponseSchema = z.object({
  product: ProductSummarySchema,
  rule: ProductRuleSchema.nullable(),
  version: z.number().int().nonnegative(),
});
export type ProductRuleResponse = z.infer<typeof ProductRuleResponseSchema>;

export const ProductRuleUpdateRequestSchema = z.strictObject({
  version: z.number().int().nonnegative(),
  rule: ProductRuleSchema,
});
export type ProductRuleUpdateRequest = z.infer<typeof ProductRuleUpdateRequestSchema>;

export const ProductRuleDeleteRequestSchema = z.strictObject({ version: z.coerce.number().int().nonnegative() });
export type ProductRuleDeleteRequest = z.infer<typeof ProductRuleDeleteRequestSchema>;

// ---------------------------------------------------------------------------------------------
// Bundle split preview (pure: the backend and the UI run the very same code)
// ---------------------------------------------------------------------------------------------

export const BundlePreviewRequestSchema = z.strictObject({
  amount_minor: MinorSchema,
  currency: CurrencySchema,
  components: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(200),
        ssp: z.string().regex(/^\d{1,15}(\.\d{1,6})?$/, 'must be a non-negative decimal'),
      }),
    )
    .min(1)
    .max(BUNDLE_COMPONENTS_MAX),
});
export type BundlePreviewRequest = z.infer<typeof BundlePreviewRequestSchema>;

export const BundlePreviewResponseSchema = z.object({
  currency: CurrencySchema,
  amount_minor: MinorSchema,
  parts: z.array(z.object({ name: z.string(), ssp: z.string(), amount_minor: MinorSchema, amount: z.string() })),
});
export type BundlePreviewResponse = z.infer<typeof BundlePreviewResponseSchema>;

/**
 * Splits a sample price over bundle components by relative standalone selling price, with the
 * engine's own largest-remainder `allocate` (`docs/accounting.md §4`): 150.00 over SSPs 130 and 30 gives
 * 121.88 and 28.12. Throws `internal` from `allocate` when every SSP is zero; callers validate first.
 */
export function previewBundleSplit(req: BundlePreviewRequest): BundlePreviewResponse {
  const total = BigInt(req.amount_minor);
  const parts = allocate(total, decimalWeights(req.components.map((c) => c.ssp)));
  return {
    currency: req.currency,
    amount_minor: req.amount_minor,
    parts: req.components.map((c, i) => {
      const amount = parts[i] ?? 0n;
      return { name: c.name, ssp: c.ssp, amount_minor: amount.toString(), amount: formatMinor(amount, req.currency) };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Sync status and the exception queue
// ---------------------------------------------------------------------------------------------

export const SyncStatusResponseSchema = z.object({
  last_event_received_at: InstantSchema.nullable(),
  last_event_type: z.string().nullable(),
  last_posting_at: InstantSchema.nullable(),
  /** Journal entries recorded but not yet in QuickBooks. */
  pending_count: z.number().int().nonnegative(),
  /** Entries whose posting failed and waits in the exception queue. */
  failed_count: z.number().int().nonnegative(),
  open_exceptions: z.number().int().nonnegative(),
  qbo: QboStatusResponseSchema,
});
export type SyncStatusResponse = z.infer<typeof SyncStatusResponseSchema>;

export const ExceptionSchema = z.object({
  id: ObjectIdSchema,
  /** What failed: posting to QuickBooks, mapping an event, reconciling a payout, … */
  kind: z.string(),
  status: z.enum(['open', 'retrying', 'resolved']),
  /** A plain sentence a bookkeeper can act on. */
  reason: z.string(),
  /** Stripe / QuickBooks ids to look up. */
  object_ids: z.array(z.string()),
  created_at: InstantSchema,
  attempts: z.number().int().nonnegative(),
  retryable: z.boolean(),
});
export type ExceptionItem = z.infer<typeof ExceptionSchema>;

export const ExceptionsQuerySchema = pageQuery(EXCEPTIONS_PAGE_MAX).extend({
  status: z.enum(['open', 'resolved', 'all']).default('open'),
});
export type ExceptionsQuery = z.infer<typeof ExceptionsQuerySchema>;
export const ExceptionsResponseSchema = z.object({ exceptions: z.array(ExceptionSchema), has_more: z.boolean() });
export type ExceptionsResponse = z.infer<typeof ExceptionsResponseSchema>;

export const ExceptionResponseSchema = z.object({ exception: ExceptionSchema });
export type ExceptionResponse = z.infer<typeof ExceptionResponseSchema>;

export const ResolveExceptionRequestSchema = z.strictObject({ note: z.string().min(1).max(1000) });
export type ResolveExceptionRequest = z.infer<typeof ResolveExceptionRequestSchema>;

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

export const ReportQuerySchema = z.strictObject({
  periods: z.coerce.number().int().min(1).max(REPORT_PERIODS_MAX).default(REPORT_PERIODS_DEFAULT),
});
export type ReportQuery = z.infer<typeof ReportQuerySchema>;

/** Booked amounts by booking period (rows) against recognition period (columns). */
export const WaterfallResponseSchema = z.object({
  currency: CurrencySchema,
  /** Recognition periods, oldest first: the columns. */
  periods: z.array(PeriodKeySchema),
  rows: z.array(
    z.object({
      booked_period: PeriodKeySchema,
      booked_minor: MinorSchema,
      /** One per column, in the order of `periods`. */
      recognized_minor: z.array(MinorSchema),
      /** Still deferred at the end of the last column. */
      remaining_minor: MinorSchema,
    }),
  ),
  /** Column totals, in the order of `periods`. */
  totals_minor: z.array(MinorSchema),
});
export type WaterfallResponse = z.infer<typeof WaterfallResponseSchema>;

/** opening + billings − recognized − contra ± fx = closing, per period. */
export const RollforwardResponseSchema = z.object({
  currency: CurrencySchema,
  rows: z.array(
    z.object({
      period: PeriodKeySchema,
      opening_minor: MinorSchema,
      billings_minor: MinorSchema,
      recognized_minor: MinorSchema,
      contra_minor: MinorSchema,
      fx_minor: MinorSchema,
      closing_minor: MinorSchema,
    }),
  ),
});
export type RollforwardResponse = z.infer<typeof RollforwardResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Invoice and customer detail
// ---------------------------------------------------------------------------------------------

export const EntryLineSchema = z.object({
  role: AccountRoleSchema,
  account: z.string(),
  /** Signed: debit > 0, credit < 0. */
  amount_minor: MinorSchema,
});

export const EntrySummarySchema = z.object({
  id: z.string(),
  kind: z.string(),
  posting_date: LocalDateSchema,
  period: PeriodKeySchema,
  memo: z.string(),
  correction: z.boolean(),
  /** QuickBooks JournalEntry id once posted; null while pending. */
  qbo_id: z.string().nullable(),
  currency: CurrencySchema,
  lines: z.array(EntryLineSchema),
});
export type EntrySummary = z.infer<typeof EntrySummarySchema>;

export const ScheduleLineSchema = z.object({
  invoice_line: z.string(),
  description: z.string(),
  product: z.string().nullable(),
  service_start: LocalDateSchema,
  /** Exclusive. */
  service_end: LocalDateSchema,
  amount_minor: MinorSchema,
  recognized_minor: MinorSchema,
  deferred_minor: MinorSchema,
  periods: z.array(z.object({ period: PeriodKeySchema, amount_minor: MinorSchema, recognized: z.boolean() })),
});
export type ScheduleLine = z.infer<typeof ScheduleLineSchema>;

export const InvoiceDetailResponseSchema = z.object({
  invoice_id: ObjectIdSchema,
  number: z.string().nullable(),
  customer_id: z.string().nullable(),
  currency: CurrencySchema,
  booked_on: LocalDateSchema.nullable(),
  schedule: z.array(ScheduleLineSchema),
  entries: z.array(EntrySummarySchema).max(DETAIL_ENTRIES_MAX),
});
export type InvoiceDetailResponse = z.infer<typeof InvoiceDetailResponseSchema>;

export const CustomerDetailResponseSchema = z.object({
  customer_id: ObjectIdSchema,
  currency: CurrencySchema,
  recognized_minor: MinorSchema,
  deferred_minor: MinorSchema,
  invoices: z.array(
    z.object({
      invoice_id: z.string(),
      number: z.string().nullable(),
      booked_on: LocalDateSchema.nullable(),
      total_minor: MinorSchema,
      recognized_minor: MinorSchema,
      deferred_minor: MinorSchema,
    }),
  ),
  entries: z.array(EntrySummarySchema).max(DETAIL_ENTRIES_MAX),
});
export type CustomerDetailResponse = z.infer<typeof CustomerDetailResponseSchema>;

// ---------------------------------------------------------------------------------------------
// The routes, in one table (paths are relative to the router's mount point, `/api/app`)
// ---------------------------------------------------------------------------------------------

/** Every App API route; the client and the router both read paths from here. */
export const APP_ROUTES = {
  settings: '/settings',
  settingsPage: '/settings/page',
  accountMapping: '/accounts/mapping',
  qboAccounts: '/qbo/accounts',
  qboCreateMissing: '/qbo/accounts/create-missing',
  qboConnect: '/qbo/connect',
  qboStatus: '/qbo/status',
  qboDisconnect: '/qbo/disconnect',
  products: '/products',
  productRule: '/products/:id/rule',
  bundlePreview: '/bundle-preview',
  syncStatus: '/sync/status',
  exceptions: '/exceptions',
  exceptionRetry: '/exceptions/:id/retry',
  exceptionResolve: '/exceptions/:id/resolve',
  waterfall: '/reports/waterfall',
  rollforward: '/reports/rollforward',
  metrics: '/reports/metrics',
  rpo: '/reports/rpo',
  revenueBridge: '/reports/revenue-bridge',
  invoice: '/invoices/:id',
  customer: '/customers/:id',
} as const;

/** Fills `:id` in a route with an encoded id. */
export function routePath(route: string, id?: string): string {
  return id === undefined ? route : route.replace(':id', encodeURIComponent(id));
}
