/**
 * The App API (and admin API) contract of the rule list: reading it in order, previewing a
 * change, and saving one. Money crosses the wire as strings of integer minor units in the
 * functional currency. A save names the revision it was made on (`conflict` when stale).
 */
import { z } from 'zod';
import { RuleListSchema, RuleSchema } from '../settings.ts';
import { LocalDateSchema, MinorSchema, PeriodKeySchema } from './app.ts';

/** Invoices a preview lists (the largest movements first); the rest are counted. */
export const RULE_PREVIEW_INVOICES_MAX = 100;

export const RuleChangeRequestSchema = z.strictObject({
  /** The revision the change was made on: the id of the latest rule change (0 before the first). */
  revision: z.number().int().min(0),
  /** The whole rule list after the change, each rule with its position. */
  rules: RuleListSchema,
  reason: z.string().trim().min(1).max(500).optional(),
});
export type RuleChangeRequest = z.infer<typeof RuleChangeRequestSchema>;

export const RulesResponseSchema = z.object({
  revision: z.number().int().min(0),
  rules: z.array(RuleSchema),
  /** Product rules, read as one-condition rules after the list (edited on the product screens). */
  product_rules: z.array(RuleSchema),
  /** Whether this caller may change the rules (a signed administrator or developer role). */
  can_edit: z.boolean(),
});
export type RulesResponse = z.infer<typeof RulesResponseSchema>;

export const RulePreviewPeriodSchema = z.object({
  /** The period the revenue belongs to. */
  period: PeriodKeySchema,
  closed: z.boolean(),
  /** Where the change posts: the period itself when open, else the first open period (a correction). */
  posts_in: PeriodKeySchema,
  /** Revenue (income less contra revenue) the change moves into (+) or out of (−) the period. */
  revenue_minor: MinorSchema,
});
export type RulePreviewPeriod = z.infer<typeof RulePreviewPeriodSchema>;

export const RulePreviewResponseSchema = z.object({
  revision: z.number().int().min(0),
  /** The last day released: the preview covers entries dated up to it. */
  through: LocalDateSchema,
  periods: z.array(RulePreviewPeriodSchema),
  invoices: z.array(
    z.object({
      invoice: z.string(),
      customer: z.string().nullable(),
      periods: z.array(z.object({ period: PeriodKeySchema, revenue_minor: MinorSchema })),
    }),
  ),
  /** How many invoices the change touches in all (the list stops at RULE_PREVIEW_INVOICES_MAX). */
  invoices_total: z.number().int().min(0),
});
export type RulePreviewResponse = z.infer<typeof RulePreviewResponseSchema>;

export const RuleSaveResponseSchema = z.object({
  /** The saved change; empty while the change waits for approval (see `approval`). */
  change_id: z.string(),
  revision: z.number().int().min(0),
  /** Entries the re-application posted (adjustments in open periods, corrections for closed ones). */
  entries_posted: z.number().int().min(0),
  preview: RulePreviewResponseSchema,
  /**
   * Set when the change moves more than the tenant's materiality threshold in a period: nothing is
   * saved yet; the change is applied once a second user with the approver role approves it.
   */
  approval: z.object({ id: z.string(), summary: z.string() }).optional(),
});
export type RuleSaveResponse = z.infer<typeof RuleSaveResponseSchema>;

export const RULE_ROUTES = {
  rules: '/rules',
  rulesPreview: '/rules/preview',
} as const;
