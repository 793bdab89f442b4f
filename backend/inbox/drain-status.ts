/**
 * What the drain (`backend/app/process.ts`) reads from the inbox and writes back: the pending
 * events in Stripe's order, their payloads, and each event's outcome — processed, ignored, failed
 * (to the exception queue) or, after a transient failure, one more attempt while it stays pending.
 * None of these makes an event pending, so none requests a drain.
 */
import { sql } from 'kysely';
import type { Db, Tx } from '../db/database.ts';
import type { EventSource } from './store.ts';

/** A place in a tenant's inbox, in Stripe's order: `created`, then arrival (`seq`). */
export interface InboxPosition {
  created: bigint;
  seq: bigint;
}

/** A pending event without its payload. */
export interface PendingEventHead extends InboxPosition {
  id: string;
  type: string;
  source: EventSource;
  attempts: number;
}

function pendingEvents(db: Db, tenantId: bigint, excluding: readonly string[]) {
  let query = db
    .selectFrom('stripe_events')
    .select(['id', 'type', 'source', 'created', 'seq', 'attempts'])
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'pending');
  if (excluding.length) query = query.where('id', 'not in', [...excluding]);
  return query;
}

/** The first `limit` pending events after `after` (from the start when null), in (created, seq) order, except `excluding`. */
export function pendingEventsAfter(
  db: Db,
  tenantId: bigint,
  after: InboxPosition | null,
  limit: number,
  excluding: readonly string[],
): Promise<PendingEventHead[]> {
  const all = pendingEvents(db, tenantId, excluding);
  const query = after
    ? all.where((eb) =>
        eb.or([
          eb('created', '>', after.created),
          eb.and([eb('created', '=', after.created), eb('seq', '>', after.seq)]),
        ]),
      )
    : all;
  return query.orderBy('created').orderBy('seq').limit(limit).execute();
}

/** Every pending event Stripe stamped with the second `created`, except `excluding`, in no order. */
export function pendingEventsOfSecond(
  db: Db,
  tenantId: bigint,
  created: bigint,
  excluding: readonly string[],
): Promise<PendingEventHead[]> {
  return pendingEvents(db, tenantId, excluding).where('created', '=', created).execute();
}

/** The payloads of a tenant's events, by id. */
export async function eventPayloads(db: Db, tenantId: bigint, ids: readonly string[]): Promise<Map<string, unknown>> {
  const payloads = new Map<string, unknown>();
  if (!ids.length) return payloads;
  for (const r of await db
    .selectFrom('stripe_events')
    .select(['id', 'payload'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...ids])
    .execute())
    payloads.set(r.id, r.payload);
  return payloads;
}

export interface DrainOutcomes {
  processed: readonly string[];
  /** Event types Accrue does not use. */
  ignored: readonly string[];
  /** Events that failed for good, with the attempts they had before this one. */
  failed: readonly { id: string; attempts: number; reason: string }[];
}

/** Marks a committed batch's events, in the transaction that books them. */
export async function markDrainOutcomes(tx: Tx, outcomes: DrainOutcomes, now: Date): Promise<void> {
  const { processed, ignored, failed } = outcomes;
  if (processed.length)
    await tx
      .updateTable('stripe_events')
      .set({ status: 'processed', processed_at: now, attempts: sql`attempts + 1`, last_error: null })
      .where('id', 'in', [...processed])
      .execute();
  if (ignored.length)
    await tx
      .updateTable('stripe_events')
      .set({ status: 'ignored', processed_at: now, last_error: 'event type not used by Accrue' })
      .where('id', 'in', [...ignored])
      .execute();
  for (const f of failed) {
    await tx
      .updateTable('stripe_events')
      .set({ status: 'failed', attempts: f.attempts + 1, last_error: f.reason })
      .where('id', '=', f.id)
      .execute();
  }
}

/** Counts one more attempt of an event that failed for a transient reason; it stays pending, to be retried. */
export async function recordDeferredAttempt(
  db: Db,
  event: { id: string; attempts: number },
  reason: string,
): Promise<void> {
  await db
    .updateTable('stripe_events')
    .set({ attempts: event.attempts + 1, last_error: reason })
    .where('id', '=', event.id)
    .execute();
}
