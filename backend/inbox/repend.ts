/**
 * Re-pending stored events (status pending, attempts 0) so the drain processes them again: the
 * admin replay of one event or of a created range, and the retry of an exception about an event.
 * Each function re-pends and requests the tenant's drain holding its inbox lock, in the caller's
 * transaction, so the events are either pending with a drain to pick them up or untouched.
 */
import { AccrueError } from '../../shared/errors.ts';
import type { Tx } from '../db/database.ts';
import type { Jobs } from '../jobs/runner.ts';
import { requestDrainHoldingLock } from './drain-request.ts';

const REPENDED = { status: 'pending', attempts: 0, last_error: null, processed_at: null } as const;

export interface Repended {
  tenantId: bigint;
  /** False when the tenant's inbox job was already queued; that job picks the events up. */
  jobQueued: boolean;
}

/**
 * Re-pends one event (of `tenantId`, when given) and requests its tenant's drain. Returns null,
 * changing nothing, when no such event is stored.
 */
export async function rependEventAndRequestDrain(
  tx: Tx,
  jobs: Jobs,
  eventId: string,
  tenantId?: bigint,
): Promise<Repended | null> {
  let update = tx.updateTable('stripe_events').set(REPENDED);
  if (tenantId !== undefined) update = update.where('tenant_id', '=', tenantId);
  const event = await update.where('id', '=', eventId).returning(['id', 'tenant_id']).executeTakeFirst();
  if (!event) return null;
  const job = await requestDrainHoldingLock(tx, jobs, event.tenant_id);
  return { tenantId: event.tenant_id, jobQueued: job !== null };
}

export interface CreatedRange {
  /** Stripe `created` at or after (Unix seconds). */
  from: bigint;
  /** Stripe `created` before (Unix seconds). */
  to: bigint;
  statuses: readonly ('failed' | 'ignored' | 'processed')[];
  /** Only events of this type. */
  type?: string | undefined;
}

/**
 * Re-pends every event of a tenant in a created range with one of `range.statuses`, and requests
 * the tenant's drain (when there was any). More than `max` matching events is an `invalid_input`
 * that changes nothing. Returns the ids re-pended, in Stripe's order.
 */
export async function rependRangeAndRequestDrain(
  tx: Tx,
  jobs: Jobs,
  tenantId: bigint,
  range: CreatedRange,
  max: number,
): Promise<{ ids: string[]; jobQueued: boolean }> {
  let query = tx
    .selectFrom('stripe_events')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('created', '>=', range.from)
    .where('created', '<', range.to)
    .where('status', 'in', [...range.statuses]);
  if (range.type) query = query.where('type', '=', range.type);
  const ids = (
    await query
      .orderBy('created')
      .orderBy('seq')
      .limit(max + 1)
      .forUpdate()
      .execute()
  ).map((r) => r.id);
  if (ids.length > max)
    throw new AccrueError('invalid_input', `more than ${max} events match; replay a narrower range`);
  if (!ids.length) return { ids, jobQueued: false };
  await tx
    .updateTable('stripe_events')
    .set(REPENDED)
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .execute();
  const job = await requestDrainHoldingLock(tx, jobs, tenantId);
  return { ids, jobQueued: job !== null };
}
