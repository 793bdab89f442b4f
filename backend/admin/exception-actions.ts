/**
 * Admin use cases about the exception queue: listing with filters, resolving with a note, and
 * retrying — a Stripe event exception re-pends its event; a QuickBooks posting exception
 * enqueues a sync. Each retry is counted on the exception.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { AccrueError } from '../../shared/errors.ts';
import { resolveException, type ExceptionKind } from '../ledger/exception-queue.ts';
import type { Db, Tx } from '../db/database.ts';
import { QUEUES, type Jobs } from '../jobs/runner.ts';
import { rependEventAndRequestDrain } from '../inbox/repend.ts';
import { decodeIdCursor, toPage, type Page } from './paging.ts';
import { redactSecrets } from './redact.ts';
import { iso } from './util.ts';

const KINDS = [
  'stripe_event',
  'mapping',
  'engine',
  'qbo_post',
  'reconcile',
  'recognition_changed',
  'fx_rates',
] as const satisfies readonly ExceptionKind[];
/** Longest resolution note kept: a paragraph, not a document. */
const NOTE_MAX_CHARS = 2_000;

export const ExceptionItem = z.object({
  id: z.string(),
  kind: z.enum(KINDS),
  objectId: z.string(),
  reason: z.string(),
  details: z.unknown(),
  status: z.enum(['open', 'resolved']),
  retries: z.number().int(),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  note: z.string().nullable(),
});
export type ExceptionItem = z.infer<typeof ExceptionItem>;

export const ExceptionQuery = z.object({
  status: z.enum(['open', 'resolved']).optional(),
  kind: z.enum(KINDS).optional(),
  objectId: z.string().min(1).max(300).optional(),
});

/** A tenant's exceptions, newest first. */
export async function listTenantExceptions(
  db: Db,
  tenantId: bigint,
  f: z.infer<typeof ExceptionQuery> & { limit: number; after?: string | undefined },
): Promise<Page<ExceptionItem>> {
  const after = decodeIdCursor(f.after);
  let q = db.selectFrom('exceptions').selectAll().where('tenant_id', '=', tenantId);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.objectId) q = q.where('object_id', '=', f.objectId);
  if (after !== null) q = q.where('id', '<', after);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(f.limit + 1)
    .execute();
  return toPage(
    rows,
    f.limit,
    (r) => [r.id.toString()],
    (r) => ({
      id: r.id.toString(),
      kind: r.kind,
      objectId: r.object_id,
      reason: r.reason,
      details: redactSecrets(r.details),
      status: r.status,
      retries: r.retries,
      createdAt: r.created_at.toISOString(),
      resolvedAt: iso(r.resolved_at),
      resolvedBy: r.resolved_by,
      note: r.note,
    }),
  );
}

export const ResolveBody = z
  .object({ note: z.string().trim().min(3).max(NOTE_MAX_CHARS).describe('What was done about it.') })
  .strict();

/** Resolves an open exception with a note. */
export async function resolveTenantException(
  db: Db,
  tenantId: bigint,
  id: bigint,
  actor: string,
  note: string,
): Promise<{ id: string; status: 'resolved' }> {
  await resolveException(db, tenantId, id, actor, note);
  return { id: id.toString(), status: 'resolved' };
}

export const RetryResult = z.object({
  id: z.string(),
  action: z.enum(['event_repended', 'sync_enqueued']),
  retries: z.number().int(),
  eventId: z.string().nullable(),
  jobQueued: z.boolean(),
});
export type RetryResult = z.infer<typeof RetryResult>;

/**
 * Retries what an exception is about, in one transaction with its job: `stripe_event` (and
 * `mapping`, whose details name the event) re-pends the event and requests its drain
 * (`rependEventAndRequestDrain`, which holds the inbox lock);
 * `qbo_post` enqueues a QuickBooks sync (of the period in its details when there is one).
 * Other kinds have nothing to retry: fix the cause and resolve them.
 */
export async function retryException(db: Db, jobs: Jobs, tenantId: bigint, id: bigint): Promise<RetryResult> {
  return db.transaction().execute((tx) => retryExceptionIn(tx, jobs, tenantId, id));
}

/** `retryException` inside the caller's transaction (the App writes its audit row in the same one). */
export async function retryExceptionIn(tx: Tx, jobs: Jobs, tenantId: bigint, id: bigint): Promise<RetryResult> {
  const ex = await tx
    .selectFrom('exceptions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!ex) throw new AccrueError('not_found', `no exception ${id}`);
  if (ex.status !== 'open') throw new AccrueError('conflict', `exception ${id} is resolved; nothing to retry`);
  const details = (ex.details ?? {}) as Record<string, unknown>;
  const tenantKey = tenantId.toString();
  let action: RetryResult['action'];
  let eventId: string | null = null;
  let jobQueued: boolean;
  if (ex.kind === 'stripe_event' || (ex.kind === 'mapping' && typeof details.event === 'string')) {
    eventId = ex.kind === 'stripe_event' ? ex.object_id : (details.event as string);
    const repended = await rependEventAndRequestDrain(tx, jobs, eventId, tenantId);
    if (!repended) throw new AccrueError('not_found', `event ${eventId} of exception ${id} is not stored`);
    jobQueued = repended.jobQueued;
    action = 'event_repended';
  } else if (ex.kind === 'qbo_post') {
    const data: Record<string, string> = { tenantId: tenantKey };
    if (typeof details.period === 'string' && /^\d{4}-\d{2}$/.test(details.period)) data.period = details.period;
    jobQueued = (await jobs.send(tx, QUEUES.sync, data, { tenantKey })) !== null;
    action = 'sync_enqueued';
  } else {
    throw new AccrueError('conflict', `a ${ex.kind} exception cannot be retried; fix the cause and resolve it`);
  }
  const updated = await tx
    .updateTable('exceptions')
    .set({ retries: sql`retries + 1` })
    .where('id', '=', id)
    .returning('retries')
    .executeTakeFirstOrThrow();
  return { id: id.toString(), action, retries: updated.retries, eventId, jobQueued };
}
