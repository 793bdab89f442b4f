/**
 * Admin API routes for imports: a manual journal (a balanced CSV of adjustments) and a cutover's
 * opening balances. The CSV travels as a JSON string (`{"csv": "…"}`); the caller's key is the
 * author recorded on what it posts. A refused file answers 400 (or 409 for a used key with a
 * different body) with every problem named by its line; nothing is written.
 */
import { z } from 'zod';
import { AccrueError } from '../../shared/errors.ts';
import { submitManualJournal } from '../app/approvals/kinds.ts';
import { Queued } from './approvals.ts';
import { importOpeningBalances } from '../app/imports/opening-balances.ts';
import type { Tenant } from '../ledger/tenants.ts';
import type { AdminRoute, RouteContext } from './routes.ts';

/** A CSV import body: the app's JSON limit (1 MB) is what bounds it in practice. */
const CSV_CHARS_MAX = 1_000_000;

const TenantParams = z.object({
  tenantId: z
    .string()
    .regex(/^\d{1,18}$/)
    .describe('Internal tenant id (see GET /tenants).'),
});

const CsvBody = z
  .object({
    csv: z.string().min(1).max(CSV_CHARS_MAX).describe('The file as CSV text, header row first.'),
  })
  .strict();

const ManualJournalResult = z.object({
  entries: z.number().int(),
  lines: z.number().int(),
  posted: z.number().int().describe('Entries written by this call.'),
  alreadyPosted: z.number().int().describe('Entries that were already in the ledger with the same body.'),
  keys: z.array(z.string()).describe('Ledger keys of the entries (`manual:<entry_key>`), in file order.'),
});

const OpeningBalancesBody = CsvBody.extend({
  cutover: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .describe("The books' first day (a period's first day); balances are as at the end of the day before."),
}).strict();

const OpeningBalancesResult = z.object({
  cutover: z.string(),
  rows: z.number().int(),
  posted: z.number().int(),
  alreadyPosted: z.number().int(),
  tieOut: z.array(
    z.object({
      type: z.enum(['deferred_revenue', 'receivable', 'customer_balance']),
      role: z.string(),
      rows: z.number().int(),
      importedMinor: z.string().describe("The file's total of this type, minor units."),
      openingEntriesMinor: z.string().describe("The opening entries' lines of the type's account role."),
      ledgerBalanceMinor: z.string().describe("The role's whole ledger balance before the cutover."),
      agree: z.boolean(),
    }),
  ),
  tiedOut: z.boolean().describe("True when every type's imported total equals the ledger's balance at the cutover."),
});

function tenantOf(ctx: { tenant: Tenant | null }): Tenant {
  if (!ctx.tenant) throw new AccrueError('internal', 'import route without a tenant path parameter');
  return ctx.tenant;
}

/** Declares a route with its handler typed by its schemas (the shape `routes.ts` declares). */
function importRoute<P extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  r: Omit<AdminRoute, 'params' | 'body' | 'response' | 'handle'> & {
    params: P;
    body: B;
    response: R;
    handle(ctx: RouteContext<z.output<P>, unknown, z.output<B>>): Promise<z.input<R>>;
  },
): AdminRoute {
  return r as unknown as AdminRoute;
}

export const IMPORT_ROUTES: AdminRoute[] = [
  importRoute({
    id: 'importManualJournal',
    method: 'post',
    path: '/tenants/:tenantId/imports/journal',
    role: 'operator',
    tag: 'imports',
    summary: 'Post manual journal entries from a balanced CSV (all or nothing; a repeated import is a no-op)',
    description:
      'Columns: entry_key, date, account_role, currency, debit, credit, reason (required); account, memo, customer, invoice, product (optional). Rows sharing an entry_key form one entry, which must balance and fall in an open period. See docs/accounting.md, "Manual journal entries". With approvals on, a journal moving more than the threshold in any period answers `{approval}` and is posted when an approver approves it.',
    params: TenantParams,
    body: CsvBody.extend({
      reason: z
        .string()
        .trim()
        .max(1_000)
        .optional()
        .describe("Why, for the approval queue (default: the entries' reasons)."),
    }).strict(),
    response: z.union([ManualJournalResult, Queued]),
    handle: async (ctx) => {
      const r = await submitManualJournal(ctx.deps.db, tenantOf(ctx), {
        csv: ctx.body.csv,
        author: ctx.actor,
        reason: ctx.body.reason,
      });
      return 'applied' in r ? r.applied : r;
    },
  }),
  importRoute({
    id: 'importOpeningBalances',
    method: 'post',
    path: '/tenants/:tenantId/imports/opening-balances',
    role: 'operator',
    tag: 'imports',
    summary:
      "Start a tenant's books at a cutover date from opening balances (all or nothing), tied out against the ledger",
    description:
      'Columns: type (deferred_revenue, receivable, customer_balance), customer, currency, amount (required); invoice, invoice_line, remaining_start, remaining_end, revenue_account, product, memo (optional; what each type needs is in docs/accounting.md, "Cutover and opening balances").',
    params: TenantParams,
    body: OpeningBalancesBody,
    response: OpeningBalancesResult,
    handle: async (ctx) =>
      importOpeningBalances(ctx.deps.db, tenantOf(ctx), {
        csv: ctx.body.csv,
        cutover: ctx.body.cutover,
        author: ctx.actor,
      }),
  }),
];
