/**
 * Requests for a tenant's drain (its `stripe-inbox` job) and the tenant's inbox lock, which
 * together keep ARCHITECTURE invariant 8: no event stays pending without a drain to pick it up.
 *
 * The inbox queue holds at most one queued job per tenant, so a request made while a job is queued
 * is dropped, and that job may start before the requesting transaction commits. Hence:
 * - a transaction that makes events pending uses `requestDrainHoldingLock`: it holds the tenant's
 *   inbox lock (shared) until it commits, and the drain takes that lock exclusively
 *   (`awaitPendingWriters`) before its last look, so the events are seen either way. Every function
 *   of this folder that makes events pending calls it itself;
 * - a request for events that are already committed (`requestDrainOfCommittedEvents`) needs no
 *   lock: a job still queued has not started its drain, which will see them.
 * The bare job request stays private to this file.
 */
import { sql } from 'kysely';
import { AccrueError } from '../../shared/errors.ts';
import type { Db, Tx } from '../db/database.ts';
import { QUEUES, type Jobs } from '../jobs/runner.ts';

function inboxLock(tenantId: bigint) {
  return sql`hashtextextended(${`inbox:${tenantId}`}, 0)`;
}

function sendInboxJob(db: Db | Tx, jobs: Jobs, tenantId: bigint): Promise<string | null> {
  return jobs.send(db, QUEUES.inbox, { tenantId: tenantId.toString() }, { tenantKey: tenantId.toString() });
}

/**
 * Requests the tenant's drain from a transaction that makes events pending, and holds the
 * tenant's inbox lock (shared) until that transaction ends. Returns the job id, or null when a
 * job was already queued (that job's drain then waits for this transaction).
 */
export async function requestDrainHoldingLock(tx: Tx, jobs: Jobs, tenantId: bigint): Promise<string | null> {
  if (!tx.isTransaction) throw new AccrueError('internal', 'the inbox lock is held by a transaction; none was given');
  await sql`select pg_advisory_xact_lock_shared(${inboxLock(tenantId)})`.execute(tx);
  return sendInboxJob(tx, jobs, tenantId);
}

/** Waits until every transaction that is making a tenant's events pending has committed or rolled back. */
export async function awaitPendingWriters(db: Db, tenantId: bigint): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${inboxLock(tenantId)})`.execute(tx);
  });
}

/**
 * Requests the tenant's drain for events already committed pending, outside any transaction (the
 * backfill once its listing ends, the daily tick). No lock: nothing is being made pending, and a
 * request dropped because a job is queued is covered by that job, whose drain has not started.
 */
export function requestDrainOfCommittedEvents(db: Db, jobs: Jobs, tenantId: bigint): Promise<string | null> {
  if (db.isTransaction)
    throw new AccrueError(
      'internal',
      'a transaction that makes events pending requests its drain with requestDrainHoldingLock',
    );
  return sendInboxJob(db, jobs, tenantId);
}

/**
 * The daily tick's safety net: requests the tenant's drain when any of its events is pending.
 * Returns whether one was. Every transaction that leaves events pending already requested their
 * drain, so this should find nothing; if it does, they waited a day at most.
 */
export async function requestDrainIfEventsPending(db: Db, jobs: Jobs, tenantId: bigint): Promise<boolean> {
  const pending = await db
    .selectFrom('stripe_events')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'pending')
    .limit(1)
    .executeTakeFirst();
  if (pending) await requestDrainOfCommittedEvents(db, jobs, tenantId);
  return Boolean(pending);
}
