/**
 * Storing events in the inbox (`stripe_events`): every Stripe event we accept is stored here
 * before it is acknowledged, with its tenant's drain requested in the same transaction
 * (`requestDrainHoldingLock`); backfill events are stored here too, page by page, and drained
 * once the listing ends. The drain (`backend/app/process.ts`) processes them in Stripe's order.
 */
import type Stripe from 'stripe';
import { jsonbText, type Db, type Tx } from '../db/database.ts';
import { QUEUES, type Jobs } from '../jobs/runner.ts';
import { countByTenant, reserveArrivals } from './arrival.ts';
import { requestDrainHoldingLock } from './drain-request.ts';
import { ensureTenants, setTenantStatus, tenantRefKey, type TenantHead } from '../ledger/tenants.ts';

export type EventSource = 'webhook' | 'backfill' | 'replay';

export interface StoreOutcome {
  duplicate: boolean;
  /** Why the event will not be processed, when it will not. */
  ignored?: string;
  tenant?: string;
}

function objectIdOf(event: Stripe.Event): string | null {
  const o = event.data?.object as { id?: unknown } | undefined;
  return typeof o?.id === 'string' ? o.id : null;
}

export interface Delivery {
  event: Stripe.Event;
  source: EventSource;
}

const AUTHORIZED = 'account.application.authorized';
const DEAUTHORIZED = 'account.application.deauthorized';
const NOT_CONNECTED: StoreOutcome = { duplicate: false, ignored: 'not a connected-account event' };

/** Stores one event (dropping a duplicate by id) and enqueues its tenant's processing: `storeEvents` of one. */
export async function storeEvent(db: Db, jobs: Jobs, event: Stripe.Event, source: EventSource): Promise<StoreOutcome> {
  const [outcome] = await storeEvents(db, jobs, [{ event, source }]);
  return outcome!;
}

/**
 * Stores events in one transaction: each is inserted unless its id is already stored (or earlier
 * in `deliveries`), and each tenant with a new pending event gets its drain request, holding its
 * inbox lock (`requestDrainHoldingLock`). Events of our own
 * platform account (no `account`) belong to no tenant and are acknowledged only. The outcomes are
 * in the order of `deliveries`.
 *
 * `account.application.deauthorized` disables the tenant and `…authorized` enables it again; the
 * events after one in the same call see the new status. A tenant with such an event in the call
 * has its events inserted one at a time, in order; the others go in one statement.
 */
export async function storeEvents(db: Db, jobs: Jobs, deliveries: readonly Delivery[]): Promise<StoreOutcome[]> {
  const outcomes: StoreOutcome[] = deliveries.map(() => NOT_CONNECTED);
  const connected = deliveries
    .map((d, i) => ({ ...d, i, ref: { accountId: d.event.account ?? '', livemode: Boolean(d.event.livemode) } }))
    .filter((d) => d.event.account);
  if (!connected.length) return outcomes;
  return db.transaction().execute(async (tx) => {
    const tenants = await ensureTenants(
      tx,
      connected.map((d) => d.ref),
    );
    const arrival = await reserveArrivals(
      tx,
      countByTenant(connected, (d) => tenants.get(tenantRefKey(d.ref))!.id),
    );
    const statusChanges = new Set(
      connected
        .filter((d) => d.event.type === AUTHORIZED || d.event.type === DEAUTHORIZED)
        .map((d) => tenantRefKey(d.ref)),
    );
    const seen = new Set<string>();
    const inserted = new Set<string>();
    const decided = new Map<string, 'pending' | 'ignored'>();
    const rowOf = (d: Delivery, tenant: TenantHead) => {
      const status: 'pending' | 'ignored' =
        d.event.type === AUTHORIZED || (tenant.status === 'active' && d.event.type !== DEAUTHORIZED)
          ? 'pending'
          : 'ignored';
      decided.set(d.event.id, status);
      return {
        id: d.event.id,
        tenant_id: tenant.id,
        seq: arrival.get(tenant.id)!(),
        type: d.event.type,
        created: d.event.created,
        object_id: objectIdOf(d.event),
        payload: jsonbText(d.event),
        source: d.source,
        status,
        last_error: status === 'pending' ? null : 'tenant disabled (app deauthorized)',
        processed_at: null,
      };
    };
    const bulk: ReturnType<typeof rowOf>[] = [];
    for (const d of connected) {
      if (seen.has(d.event.id)) continue;
      seen.add(d.event.id);
      const tenant = tenants.get(tenantRefKey(d.ref))!;
      if (!statusChanges.has(tenantRefKey(d.ref))) {
        bulk.push(rowOf(d, tenant));
        continue;
      }
      // In order, so that each event is stored under the status the events before it left.
      const row = await tx
        .insertInto('stripe_events')
        .values(rowOf(d, tenant))
        .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
        .returning(['id'])
        .executeTakeFirst();
      if (!row) continue;
      inserted.add(row.id);
      const next = d.event.type === AUTHORIZED ? 'active' : d.event.type === DEAUTHORIZED ? 'disabled' : tenant.status;
      if (next !== tenant.status) {
        await setTenantStatus(tx, tenant.id, next);
        tenant.status = next;
      }
    }
    if (bulk.length) {
      // Sorted by id, so two concurrent calls sharing an id lock it in the same order.
      bulk.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const rows = await tx
        .insertInto('stripe_events')
        .values(bulk)
        .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
        .returning(['id'])
        .execute();
      for (const r of rows) inserted.add(r.id);
    }
    const toEnqueue = new Set<bigint>();
    for (const d of connected) {
      const tenant = tenants.get(tenantRefKey(d.ref))!;
      // The first delivery of an inserted id takes it; a second one in the same call is a duplicate.
      if (!inserted.delete(d.event.id)) {
        outcomes[d.i] = { duplicate: true, tenant: tenant.accountId };
        continue;
      }
      const active = decided.get(d.event.id) === 'pending';
      outcomes[d.i] = active
        ? { duplicate: false, tenant: tenant.accountId }
        : { duplicate: false, tenant: tenant.accountId, ignored: 'tenant disabled' };
      if (active) toEnqueue.add(tenant.id);
      if (d.event.type === AUTHORIZED && d.source === 'webhook') {
        await jobs.send(tx, QUEUES.backfill, { tenantId: tenant.id.toString() }, { tenantKey: tenant.id.toString() });
      }
    }
    for (const tenantId of [...toEnqueue].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
      await requestDrainHoldingLock(tx, jobs, tenantId);
    return outcomes;
  });
}

/** A backfill's synthetic event for one listed object (`bf_<object id>`), shaped as Stripe's. */
export interface BackfillEvent {
  id: string;
  type: string;
  created: number;
  data: { object: { id: string } };
}

/**
 * Stores a page of a backfill's synthetic events, in the caller's transaction (which also saves
 * the page's snapshot rows and cursor); an id already stored is dropped. Returns the ids inserted.
 *
 * They are pending without a drain request, the one exception to invariant 8: the backfill
 * requests the drain once its listing ends or fails (`requestDrainOfCommittedEvents`), so
 * processing never races the listing to Stripe. A backfill stopped in between is retried by its
 * job, which resumes and then requests it; the daily tick's `requestDrainIfEventsPending` is the
 * safety net.
 */
export async function storeBackfillEvents(
  tx: Tx,
  tenantId: bigint,
  events: readonly BackfillEvent[],
): Promise<string[]> {
  if (!events.length) return [];
  const arrival = (await reserveArrivals(tx, new Map([[tenantId, events.length]]))).get(tenantId)!;
  const rows = events.map((event) => ({
    id: event.id,
    tenant_id: tenantId,
    seq: arrival(),
    type: event.type,
    created: event.created,
    object_id: event.data.object.id,
    payload: jsonbText(event),
    source: 'backfill' as const,
    last_error: null,
    processed_at: null,
  }));
  const inserted = await tx
    .insertInto('stripe_events')
    .values(rows)
    .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
    .returning('id')
    .execute();
  return inserted.map((r) => r.id);
}
