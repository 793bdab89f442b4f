/**
 * The exception queue as the App shows it: one item per exception, with the ids it concerns,
 * whether a retry is possible, and `retrying` while the event it retries waits in the inbox.
 */
import type { ExceptionItem, ExceptionResponse } from '../../../shared/api/app.ts';
import { AccrueError } from '../../../shared/errors.ts';
import type { Db } from '../../db/database.ts';
import { exceptionRowOf, type ExceptionRow } from '../../ledger/exception-queue.ts';
import type { Tenant } from '../../ledger/tenants.ts';

/** The Stripe event an exception concerns, if any (its object, or the event its details name). */
function eventIdOf(row: ExceptionRow): string | undefined {
  if (row.kind === 'stripe_event') return row.objectId;
  const event = (row.details as Record<string, unknown> | null)?.['event'];
  return typeof event === 'string' ? event : undefined;
}

/**
 * An exception for the App. Retryable: an open exception of a Stripe event or a QuickBooks
 * posting, or a mapping exception that names its event (the retry re-processes that event).
 */
export function exceptionItem(row: ExceptionRow, eventStatus: ReadonlyMap<string, string>): ExceptionItem {
  const details = (row.details ?? {}) as Record<string, unknown>;
  const ids = [row.objectId];
  for (const key of ['event', 'aggregate', 'adjustment'] as const) {
    const value = details[key];
    if (typeof value === 'string' && !ids.includes(value)) ids.push(value);
  }
  const open = row.status === 'open';
  const retryable =
    open &&
    (row.kind === 'stripe_event' ||
      row.kind === 'qbo_post' ||
      (row.kind === 'mapping' && typeof details['event'] === 'string'));
  const eventId = eventIdOf(row);
  const retrying = open && eventId !== undefined && eventStatus.get(eventId) === 'pending';
  return {
    id: row.id,
    kind: row.kind,
    status: row.status === 'resolved' ? 'resolved' : retrying ? 'retrying' : 'open',
    reason: row.reason,
    object_ids: ids,
    created_at: row.createdAt,
    attempts: row.retries,
    retryable,
  };
}

/** The inbox status of every Stripe event the rows concern. */
export async function eventStatuses(
  db: Db,
  tenant: Tenant,
  rows: readonly ExceptionRow[],
): Promise<Map<string, string>> {
  const ids = new Set<string>();
  for (const row of rows) {
    const eventId = eventIdOf(row);
    if (eventId !== undefined) ids.add(eventId);
  }
  if (ids.size === 0) return new Map();
  const events = await db
    .selectFrom('stripe_events')
    .select(['id', 'status'])
    .where('tenant_id', '=', tenant.id)
    .where('id', 'in', [...ids])
    .execute();
  return new Map(events.map((e) => [e.id, e.status]));
}

/** One exception of the tenant as the App shows it; `not_found` when it is not the tenant's. */
export async function oneException(db: Db, tenant: Tenant, id: bigint): Promise<ExceptionResponse> {
  const r = await db
    .selectFrom('exceptions')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!r) throw new AccrueError('not_found', `No exception ${id}.`);
  const row = exceptionRowOf(r);
  return { exception: exceptionItem(row, await eventStatuses(db, tenant, [row])) };
}
