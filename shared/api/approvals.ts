/**
 * The App API contract of manual journals and the approval queue: a user with edit rights posts a
 * manual journal (a balanced CSV) from the Stripe App; above the tenant's materiality threshold it
 * waits in the approval queue, which every user can see and only an approver — an account
 * administrator who did not request the change — can decide. Money crosses the wire as strings of
 * integer minor units in the functional currency, like the rest of the App API.
 */
import { z } from 'zod';
import { CurrencySchema, MinorSchema } from './app.ts';

export const APPROVAL_APP_ROUTES = {
  approvals: '/approvals',
  approvalDecide: '/approvals/:id/decide',
  manualJournal: '/journal',
} as const;

/** The largest manual journal the App sends: a few hundred rows (the App API's body limit is 64 KB). */
export const APP_JOURNAL_CHARS_MAX = 60_000;

/** Stripe roles (ids, and names for older Dashboards) that approve changes: the account's administrators. */
export const APPROVER_ROLE_IDS = ['admin', 'super_admin'] as const;
export const APPROVER_ROLE_NAMES = ['Administrator', 'Super Administrator'] as const;

export function canApprove(roles: readonly string[]): boolean {
  return roles.some(
    (r) =>
      (APPROVER_ROLE_IDS as readonly string[]).includes(r) || (APPROVER_ROLE_NAMES as readonly string[]).includes(r),
  );
}

export const ApprovalsQuerySchema = z.strictObject({
  status: z.enum(['pending', 'approved', 'rejected', 'all']).default('pending'),
});
export type ApprovalsQuery = z.infer<typeof ApprovalsQuerySchema>;

export const AppApprovalSchema = z.object({
  id: z.string(),
  kind: z.string(),
  summary: z.string(),
  reason: z.string(),
  /** The most the change moves in one period; null for changes that always need approval (a reopen). */
  movement_minor: MinorSchema.nullable(),
  status: z.enum(['pending', 'approved', 'rejected']),
  requested_by: z.string(),
  requested_at: z.string(),
  decided_by: z.string().nullable(),
  decided_at: z.string().nullable(),
  decision_note: z.string().nullable(),
  events: z.array(
    z.object({
      action: z.enum(['requested', 'approved', 'rejected', 'apply_failed']),
      actor: z.string(),
      note: z.string().nullable(),
      at: z.string(),
    }),
  ),
  /** True when the caller may approve or reject it: an approver, not its requester, and it is pending. */
  can_decide: z.boolean(),
});
export type AppApproval = z.infer<typeof AppApprovalSchema>;

export const ApprovalsResponseSchema = z.object({
  currency: CurrencySchema,
  /** The tenant's materiality threshold; null when approvals are off. */
  threshold_minor: MinorSchema.nullable(),
  /** How this user appears on the audit trail. */
  you: z.string(),
  can_approve: z.boolean(),
  approvals: z.array(AppApprovalSchema),
});
export type ApprovalsResponse = z.infer<typeof ApprovalsResponseSchema>;

export const DecideApprovalRequestSchema = z
  .strictObject({
    decision: z.enum(['approve', 'reject']),
    note: z.string().trim().max(1000).optional(),
  })
  .refine((r) => r.decision === 'approve' || (r.note?.length ?? 0) >= 3, {
    message: 'a rejection needs a reason (at least 3 characters)',
    path: ['note'],
  });
export type DecideApprovalRequest = z.infer<typeof DecideApprovalRequestSchema>;

export const ManualJournalRequestSchema = z.strictObject({
  csv: z.string().min(1).max(APP_JOURNAL_CHARS_MAX),
  reason: z.string().trim().max(1000).optional(),
});
export type ManualJournalRequest = z.infer<typeof ManualJournalRequestSchema>;

export const ManualJournalResponseSchema = z.object({
  status: z.enum(['posted', 'pending_approval']),
  entries: z.number().int(),
  posted: z.number().int(),
  already_posted: z.number().int(),
  approval: AppApprovalSchema.nullable(),
});
export type ManualJournalResponse = z.infer<typeof ManualJournalResponseSchema>;
