/**
 * The App API contract of the month-end close in the Stripe App: periods (close and reopen, in
 * order only), reconciliation of the ledger against QuickBooks by period and account with the
 * entries behind each cell, the exception queue's actions (exclude with a reason, mark
 * reviewed, map the missing account; retry and resolve are in app.ts), backfill progress and
 * the exports shown as text (a Stripe App cannot download a file; the view shows the CSV and
 * copies it to the clipboard). Money crosses the wire as strings of integer minor units.
 */
import { z } from 'zod';
import { ACCOUNT_ROLES } from '../accounts.ts';
import { CurrencySchema, InstantSchema, LocalDateSchema, MinorSchema, ObjectIdSchema, PeriodKeySchema } from './app.ts';

/** The close's routes, relative to the App API's mount point (`/api/app`). */
export const CLOSE_ROUTES = {
  periods: '/periods',
  periodClose: '/periods/:id/close',
  periodReopen: '/periods/:id/reopen',
  reconciliation: '/reconciliation',
  reconciliationEntries: '/reconciliation/entries',
  exceptionExclude: '/exceptions/:id/exclude',
  exceptionReview: '/exceptions/:id/review',
  exceptionMapAccount: '/exceptions/:id/map-account',
  backfill: '/backfill',
  exportText: '/exports/:id',
} as const;

/** Longest reason kept for a reopen or an exclusion: a paragraph, not a document. */
export const REASON_CHARS_MAX = 1000;
/** Entries listed in one reconciliation drill-down; the rest are counted. */
export const RECONCILIATION_ENTRIES_MAX = 200;
/** Largest export shown in the App; a larger one says to use `accrue export`. */
export const EXPORT_TEXT_CHARS_MAX = 200_000;

/** A monthly period key, YYYY-MM, with a real month. */
export const MonthKeySchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month, YYYY-MM');

const ReasonSchema = z
  .string()
  .trim()
  .min(3, 'say why, in a few words')
  .max(REASON_CHARS_MAX, `at most ${REASON_CHARS_MAX} characters`);

export const PeriodSchema = z.object({
  key: PeriodKeySchema,
  start: LocalDateSchema,
  end: LocalDateSchema,
  status: z.enum(['open', 'closed']),
  closed_at: InstantSchema.nullable(),
  closed_by: z.string().nullable(),
});
export type PeriodItem = z.infer<typeof PeriodSchema>;

export const PeriodsResponseSchema = z.object({
  periods: z.array(PeriodSchema),
  /** The one period that may be closed next (the earliest open one that has begun), if any. */
  next_to_close: PeriodKeySchema.nullable(),
  /** The one period that may be reopened (the latest closed one), if any. */
  reopenable: PeriodKeySchema.nullable(),
  /** The audit trail of closes and reopens, newest first. */
  history: z.array(
    z.object({
      period: PeriodKeySchema,
      action: z.enum(['close', 'reopen']),
      actor: z.string(),
      reason: z.string().nullable(),
      at: InstantSchema,
    }),
  ),
});
export type PeriodsResponse = z.infer<typeof PeriodsResponseSchema>;

export const PeriodCloseRequestSchema = z.strictObject({});
export const PeriodReopenRequestSchema = z.strictObject({ reason: ReasonSchema });
export type PeriodReopenRequest = z.infer<typeof PeriodReopenRequestSchema>;
export const PeriodResponseSchema = z.object({ period: PeriodSchema });
export type PeriodResponse = z.infer<typeof PeriodResponseSchema>;

export const ReconciliationQuerySchema = z.strictObject({ period: MonthKeySchema });
export type ReconciliationQuery = z.infer<typeof ReconciliationQuerySchema>;

export const ReconciliationResponseSchema = z.object({
  period: PeriodKeySchema,
  /** True when every cell agrees. */
  agree: z.boolean(),
  rows: z.array(
    z.object({
      account_id: z.string(),
      account: z.string(),
      currency: CurrencySchema,
      /** Debit-positive minor units. */
      ledger_minor: MinorSchema,
      qbo_minor: MinorSchema,
      difference_minor: MinorSchema,
    }),
  ),
  /** Ledger lines whose account is not mapped to QuickBooks (counted, not compared). */
  unmapped_lines: z.number().int().nonnegative(),
});
export type ReconciliationResponse = z.infer<typeof ReconciliationResponseSchema>;

export const ReconciliationEntriesQuerySchema = z.strictObject({
  period: MonthKeySchema,
  account_id: z.string().min(1).max(64),
});
export type ReconciliationEntriesQuery = z.infer<typeof ReconciliationEntriesQuerySchema>;

export const ReconciliationEntriesResponseSchema = z.object({
  period: PeriodKeySchema,
  account_id: z.string(),
  entries: z.array(
    z.object({
      entry_id: z.string(),
      posting_date: LocalDateSchema,
      kind: z.string(),
      memo: z.string(),
      currency: CurrencySchema,
      /** This entry's debit-positive total on the account. */
      amount_minor: MinorSchema,
      /** The QuickBooks journal entry it was posted in, and its state; null when not yet sent. */
      doc_number: z.string().nullable(),
      sync_state: z.enum(['pending', 'posted', 'failed']).nullable(),
    }),
  ),
  total_entries: z.number().int().nonnegative(),
});
export type ReconciliationEntriesResponse = z.infer<typeof ReconciliationEntriesResponseSchema>;

export const ExcludeExceptionRequestSchema = z.strictObject({ reason: ReasonSchema });
export type ExcludeExceptionRequest = z.infer<typeof ExcludeExceptionRequestSchema>;
export const ReviewExceptionRequestSchema = z.strictObject({
  note: z.string().trim().max(REASON_CHARS_MAX).optional(),
});
export type ReviewExceptionRequest = z.infer<typeof ReviewExceptionRequestSchema>;
export const MapAccountRequestSchema = z.strictObject({
  role: z.enum(ACCOUNT_ROLES),
  qbo_account_id: z.string().min(1).max(64),
});
export type MapAccountRequest = z.infer<typeof MapAccountRequestSchema>;

/** An exception after an action: the App's item plus what became of it. */
export const ExceptionActionResponseSchema = z.object({
  exception: z.object({
    id: ObjectIdSchema,
    kind: z.string(),
    status: z.enum(['open', 'retrying', 'resolved']),
    reason: z.string(),
    resolution: z.enum(['resolved', 'excluded']).nullable(),
    note: z.string().nullable(),
    reviewed_at: InstantSchema.nullable(),
    reviewed_by: z.string().nullable(),
  }),
});
export type ExceptionActionResponse = z.infer<typeof ExceptionActionResponseSchema>;

export const BackfillResponseSchema = z.object({
  /** True when every resource has been listed to its end. */
  done: z.boolean(),
  /** False until a backfill has started. */
  started: z.boolean(),
  resources: z.array(
    z.object({
      resource: z.string(),
      items: z.number().int().nonnegative(),
      done: z.boolean(),
      updated_at: InstantSchema,
    }),
  ),
});
export type BackfillResponse = z.infer<typeof BackfillResponseSchema>;

export const EXPORT_TEXT_FORMATS = ['csv', 'quickbooks', 'hledger', 'beancount'] as const;
export const ExportTextQuerySchema = z.strictObject({
  from: MonthKeySchema.optional(),
  through: MonthKeySchema.optional(),
});
export type ExportTextQuery = z.infer<typeof ExportTextQuerySchema>;
export const ExportTextResponseSchema = z.object({
  format: z.enum(EXPORT_TEXT_FORMATS),
  filename: z.string(),
  content_type: z.string(),
  /** The export itself, at most EXPORT_TEXT_CHARS_MAX characters. */
  content: z.string(),
  /** True when the export was longer; `accrue export` writes the whole file. */
  truncated: z.boolean(),
  lines: z.number().int().nonnegative(),
});
export type ExportTextResponse = z.infer<typeof ExportTextResponseSchema>;
