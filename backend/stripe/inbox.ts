/**
 * The inbox: every Stripe event we accept is stored here before it is acknowledged, and
 * processed from here in a safe order per tenant. Storing and enqueueing the tenant's
 * processing job happen in one transaction.
 */
import { sql } from 'kysely';
import type Stripe from 'stripe';
import type { Db, Tx } from '../db/database.ts';
import { QUEUES, type Jobs } from '../jobs/runner.ts';
import { ensureTenant, setTenantStatus } from '../ledger/tenants.ts';

export type EventSource = 'webhook' | 'backfill' | 'replay';

export interface StoreOutcome {
  duplicate: boolean;
  /** Why the event will not be processed, when it will not. */
  ignored?: string;
  tenant?: string;
}

function inboxLock(tenantId: bigint) {
  return sql`hashtextextended(${`inbox:${tenantId}`}, 0)`;
}

/**
 * Enqueues the tenant's inbox job in a transaction that made events pending. A job already queued
 * drops this request; that job may then start before this transaction commits. So the transaction
 * also holds the tenant's inbox lock (shared) until it commits, and a drain takes the lock
 * exclusively before its last look (`awaitPendingWriters`): the events are seen either way.
 */
export async function enqueueInbox(tx: Tx, jobs: Jobs, tenantId: bigint): Promise<string | null> {
  await sql`select pg_advisory_xact_lock_shared(${inboxLock(tenantId)})`.execute(tx);
  return jobs.send(tx, QUEUES.inbox, { tenantId: tenantId.toString() }, { tenantKey: tenantId.toString() });
}

/** Waits until every transaction that is making a tenant's events pending has committed or rolled back. */
export async function awaitPendingWriters(db: Db, tenantId: bigint): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${inboxLock(tenantId)})`.execute(tx);
  });
}

function objectIdOf(event: Stripe.Event): string | null {
  const o = event.data?.object as { id?: unknown } | undefined;
  return typeof o?.id === 'string' ? o.id : null;
}

/**
 * Stores one event (dropping duplicates by id) and enqueues its tenant's processing. Events of
 * our own platform account (no `account`) belong to no tenant and are acknowledged only.
 */
export async function storeEvent(db: Db, jobs: Jobs, event: Stripe.Event, source: EventSource): Promise<StoreOutcome> {
  if (!event.account) return { duplicate: false, ignored: 'not a connected-account event' };
  const livemode = Boolean(event.livemode);
  return db.transaction().execute(async (tx) => {
    const tenant = await ensureTenant(tx, { accountId: event.account!, livemode });
    if (event.type === 'account.application.deauthorized') await setTenantStatus(tx, tenant.id, 'disabled');
    if (event.type === 'account.application.authorized' && tenant.status === 'disabled') await setTenantStatus(tx, tenant.id, 'active');
    const active = event.type === 'account.application.authorized' || (tenant.status === 'active' && event.type !== 'account.application.deauthorized');
    const inserted = await tx
      .insertInto('stripe_events')
      .values({
        id: event.id,
        tenant_id: tenant.id,
        type: event.type,
        created: event.created,
        object_id: objectIdOf(event),
        payload: JSON.stringify(event),
        source,
        status: active ? 'pending' : 'ignored',
        last_error: active ? null : 'tenant disabled (app deauthorized)',
        processed_at: null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning(['id'])
      .executeTakeFirst();
    if (!inserted) return { duplicate: true, tenant: tenant.accountId };
    if (active) await enqueueInbox(tx, jobs, tenant.id);
    if (event.type === 'account.application.authorized' && source === 'webhook') {
      await jobs.send(tx, QUEUES.backfill, { tenantId: tenant.id.toString() }, { tenantKey: tenant.id.toString() });
    }
    return active ? { duplicate: false, tenant: tenant.accountId } : { duplicate: false, tenant: tenant.accountId, ignored: 'tenant disabled' };
  });
}
