/**
 * Backfill: bring a tenant's Stripe history in, through the same pipeline as live events.
 *
 * For every invoice, credit note, charge, refund, dispute, payout and credit grant in the account
 * (listed with auto-pagination, rate-limit back-off and retries), one synthetic event is stored in
 * the inbox (`storeBackfillEvents`, `backend/inbox/store.ts`) —
 * `invoice.finalized` for an invoice, `refund.created` for a refund, `billing.credit_grant.created`
 * for a grant, `customer.updated` for a customer whose balance moved, and so on. Every listed
 * object, every invoice payment and subscription, and the lists that hang off a grant (its credit
 * balance transactions) or a customer (its balance transactions), also go into the backfill
 * snapshot (`backfill_objects`), indexed by the links processing follows. Processing then derives every fact from the objects' state as the
 * backfill listed it — the same mapping a live event goes through — reading the snapshot instead
 * of asking Stripe again (see `snapshot.ts`), so the books come out identical to what the live
 * events would have produced. The synthetic event ids are deterministic (`bf_<object id>`), so a
 * re-run adds nothing, and the cursor of every page is saved with that page's events: a killed
 * backfill resumes where it stopped.
 */
import type Stripe from 'stripe';
import { jsonbText, type Db, type Tx } from '../db/database.ts';
import type { Jobs } from '../jobs/runner.ts';
import { getTenantById, type Tenant } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { STRIPE_API_VERSION } from '../stripe/client.ts';
import { requestDrainOfCommittedEvents } from '../inbox/drain-request.ts';
import { storeBackfillEvents } from '../inbox/store.ts';
import {
  isBackfillParent,
  listChildren,
  listObjects,
  type BackfillChildren,
  type BackfillKind,
  type BackfillObjects,
} from '../stripe/listing.ts';
import { idOf } from '../stripe/reader.ts';

/**
 * The lists a backfill walks, in the order it walks them. Invoice payments and subscriptions only
 * feed the snapshot (they link charges to invoices; a subscription says when it was cancelled);
 * balance transactions come expanded on charges and refunds. Credit grants and customers bring
 * their own lists along (`listChildren`).
 */
export const BACKFILL_RESOURCES = [
  'invoices',
  'invoice_payments',
  'invoiceitems',
  'credit_notes',
  'charges',
  'refunds',
  'disputes',
  'payouts',
  'subscriptions',
  'credit_grants',
  'customers',
] as const satisfies readonly BackfillKind[];
type Resource = (typeof BACKFILL_RESOURCES)[number];
type Child = BackfillChildren[keyof BackfillChildren];

/**
 * The synthetic events for an object: none when it has nothing to book yet; two for a failed
 * payout (Stripe reports a payout that bounces as paid, then failed). `children` are the lists
 * that came with it (a customer's balance transactions).
 */
export function syntheticEventTypes(
  kind: Resource,
  o: BackfillObjects[Resource],
  children: readonly Child[] = [],
): string[] {
  if (kind === 'payouts' && (o as Stripe.Payout).status === 'failed') return ['payout.paid', 'payout.failed'];
  // A customer whose balance never moved has nothing to book; the others are mapped as the live
  // event of a balance change is (stored value decides from their transactions).
  if (kind === 'customers') return children.length ? ['customer.updated'] : [];
  const t = syntheticEventType(kind, o);
  return t ? [t] : [];
}

function syntheticEventType(kind: Exclude<Resource, 'customers'>, o: BackfillObjects[Resource]): string | null {
  switch (kind) {
    case 'invoice_payments':
    case 'subscriptions':
      return null;
    case 'credit_grants':
      // The grant as it is now (a void included) with every credit it applied.
      return 'billing.credit_grant.created';
    case 'invoiceitems':
      // Booked only while pending (mapping decides), exactly as the live event would be.
      return 'invoiceitem.created';
    case 'invoices': {
      const inv = o as Stripe.Invoice;
      return inv.status === 'draft' || !inv.status_transitions?.finalized_at ? null : 'invoice.finalized';
    }
    case 'credit_notes':
      return 'credit_note.created';
    case 'charges':
      return (o as Stripe.Charge).status === 'succeeded' ? 'charge.succeeded' : null;
    case 'refunds':
      return 'refund.created';
    case 'disputes':
      return 'charge.dispute.created';
    case 'payouts': {
      const po = o as Stripe.Payout;
      return po.status === 'paid' ? 'payout.paid' : po.status === 'failed' ? 'payout.failed' : null;
    }
  }
}

/** The snapshot row of a listed object: the links processing looks objects up by. */
function snapshotLinks(
  kind: Resource,
  o: BackfillObjects[Resource],
): { invoice_id: string | null; payment_intent_id: string | null; charge_id: string | null } {
  if (kind === 'invoice_payments') {
    const ip = o as Stripe.InvoicePayment;
    return {
      invoice_id: idOf(ip.invoice),
      payment_intent_id: ip.payment.type === 'payment_intent' ? idOf(ip.payment.payment_intent) : null,
      charge_id: ip.payment.type === 'charge' ? idOf(ip.payment.charge) : null,
    };
  }
  if (kind === 'charges')
    return { invoice_id: null, payment_intent_id: idOf((o as Stripe.Charge).payment_intent), charge_id: null };
  if (kind === 'credit_notes')
    return { invoice_id: idOf((o as Stripe.CreditNote).invoice), payment_intent_id: null, charge_id: null };
  return { invoice_id: null, payment_intent_id: null, charge_id: null };
}

/** When the object was created; invoice items carry it as `date`. */
function createdOf(kind: Resource, o: BackfillObjects[Resource]): number {
  return kind === 'invoiceitems' ? (o as Stripe.InvoiceItem).date : (o as { created: number }).created;
}

function eventTime(kind: Resource, o: BackfillObjects[Resource], children: readonly Child[]): number {
  if (kind === 'invoices')
    return (o as Stripe.Invoice).status_transitions?.finalized_at ?? (o as Stripe.Invoice).created;
  // A customer's balance changed last when its newest balance transaction was made.
  if (kind === 'customers') return Math.max(createdOf(kind, o), ...children.map((c) => c.created));
  return createdOf(kind, o);
}

export interface BackfillDeps {
  db: Db;
  jobs: Jobs | null;
  stripe: Stripe;
  log?: Logger | undefined;
}

export interface BackfillResult {
  stored: number;
  byResource: Record<string, number>;
}

export interface BackfillOptions {
  /** Only objects created on or after this instant (Unix seconds). */
  since?: number | undefined;
  /** Called with the running count of a resource after each page. */
  onProgress?: (resource: string, items: number) => void;
  /** Forget the saved progress and list everything again (what was stored stays). */
  restart?: boolean;
}

/**
 * Runs (or resumes) a backfill of one tenant, then enqueues the processing of what it stored.
 */
export async function runBackfill(
  deps: BackfillDeps,
  tenantId: bigint,
  opts: BackfillOptions = {},
): Promise<BackfillResult> {
  const tenant = await getTenantById(deps.db, tenantId);
  if (opts.restart) await deps.db.deleteFrom('backfill_progress').where('tenant_id', '=', tenantId).execute();
  const result: BackfillResult = { stored: 0, byResource: {} };
  // Processing starts once everything is listed: then every read the mapping makes is answered by
  // the snapshot. Started during the listing, it would ask Stripe for what is not listed yet.
  const startProcessing = async () => {
    if (deps.jobs) await requestDrainOfCommittedEvents(deps.db, deps.jobs, tenantId);
  };
  try {
    await listEverything(deps, tenant, tenantId, opts, result);
  } catch (e) {
    // What was stored is processed anyway (reading Stripe where the snapshot falls short); the
    // backfill itself resumes where it stopped when retried.
    await startProcessing().catch(() => undefined);
    throw e;
  }
  await startProcessing();
  return result;
}

async function listEverything(
  deps: BackfillDeps,
  tenant: Tenant,
  tenantId: bigint,
  opts: BackfillOptions,
  result: BackfillResult,
): Promise<void> {
  for (const resource of BACKFILL_RESOURCES) {
    const progress = await deps.db
      .selectFrom('backfill_progress')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('resource', '=', resource)
      .executeTakeFirst();
    if (progress?.done) {
      result.byResource[resource] = progress.items;
      continue;
    }
    let items = progress?.items ?? 0;
    let buffer: BackfillObjects[Resource][] = [];
    const flush = async (cursor: string | null, done: boolean) => {
      const page = buffer;
      buffer = [];
      const children = await childrenOf(deps.stripe, tenant.accountId, resource, page);
      const childrenOfObject = (o: BackfillObjects[Resource]) => children.get((o as { id: string }).id) ?? [];
      await deps.db.transaction().execute(async (tx) => {
        const events = page
          .flatMap((o) =>
            syntheticEventTypes(resource, o, childrenOfObject(o)).map((type, i) => ({
              o,
              type,
              suffix: i === 0 ? '' : `_${type.split('.')[1]}`,
            })),
          )
          .map(({ o, type, suffix }) => ({
            id: `bf_${(o as { id: string }).id}${suffix}`,
            object: 'event',
            api_version: STRIPE_API_VERSION,
            type,
            account: tenant.accountId,
            livemode: tenant.livemode,
            created: eventTime(resource, o, childrenOfObject(o)),
            data: { object: o as { id: string } },
            pending_webhooks: 0,
            request: null,
          }));
        const inserted = new Set(await storeBackfillEvents(tx, tenantId, events));
        result.stored += inserted.size;
        if (page.length) await storeListedObjects(tx, tenantId, resource, page, inserted);
        await storeChildren(tx, tenantId, children);
        items += page.length;
        await tx
          .insertInto('backfill_progress')
          .values({ tenant_id: tenantId, resource, cursor, items, done, since: opts.since ?? null })
          .onConflict((oc) =>
            oc.columns(['tenant_id', 'resource']).doUpdateSet({ cursor, items, done, updated_at: new Date() }),
          )
          .execute();
      });
      opts.onProgress?.(resource, items);
    };
    const since =
      opts.since ?? (progress?.since !== null && progress?.since !== undefined ? Number(progress.since) : undefined);
    let lastCursor: string | null = progress?.cursor ?? null;
    for await (const o of listObjects(deps.stripe, tenant.accountId, resource, {
      createdGte: since,
      startingAfter: progress?.cursor ?? undefined,
      onPage: async (cursor) => {
        lastCursor = cursor;
        await flush(cursor, false);
      },
    })) {
      buffer.push(o as BackfillObjects[Resource]);
    }
    await flush(lastCursor, true);
    result.byResource[resource] = items;
    deps.log?.info({ tenant: tenant.accountId, resource, items }, 'backfill listed');
  }
}

/** The lists that hang off each object of a page (grants and customers only), by the object's id. */
async function childrenOf(
  stripe: Stripe,
  account: string,
  resource: Resource,
  page: BackfillObjects[Resource][],
): Promise<Map<string, Child[]>> {
  const children = new Map<string, Child[]>();
  if (!isBackfillParent(resource)) return children;
  for (const o of page) {
    const parent = o as BackfillObjects[typeof resource];
    children.set(parent.id, await listChildren(stripe, account, resource, parent));
  }
  return children;
}

/**
 * Upserts the lists of a page's objects into the snapshot, each row naming its parent. They are
 * stored in the page's transaction, so a listed grant or customer always has its whole list.
 */
async function storeChildren(tx: Tx, tenantId: bigint, children: Map<string, Child[]>): Promise<void> {
  const rows = [...children].flatMap(([parent, list]) =>
    list.map((c, position) => ({
      tenant_id: tenantId,
      object_id: c.id,
      object_type: c.object,
      invoice_id: null,
      payment_intent_id: null,
      charge_id: null,
      parent_id: parent,
      parent_position: position,
      created: BigInt(c.created),
      payload: jsonbText(c),
    })),
  );
  if (!rows.length) return;
  await tx
    .insertInto('backfill_objects')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'object_id']).doUpdateSet((eb) => ({
        object_type: eb.ref('excluded.object_type'),
        parent_id: eb.ref('excluded.parent_id'),
        parent_position: eb.ref('excluded.parent_position'),
        created: eb.ref('excluded.created'),
        payload: eb.ref('excluded.payload'),
        listed_at: new Date(),
      })),
    )
    .execute();
}

/** Upserts one listed page into the snapshot (`backfill_objects`) the mapping reads from. */
async function storeListedObjects(
  tx: Tx,
  tenantId: bigint,
  resource: Resource,
  page: BackfillObjects[Resource][],
  inserted: Set<string>,
): Promise<void> {
  // An object whose synthetic event was stored just now is read from that event; any other
  // (no event, or an event an earlier run stored with an older state) keeps its own copy.
  const objects = page.map((o) => {
    const id = (o as { id: string }).id;
    return {
      tenant_id: tenantId,
      object_id: id,
      object_type: (o as { object: string }).object,
      ...snapshotLinks(resource, o),
      created: BigInt(createdOf(resource, o)),
      payload: inserted.has(`bf_${id}`) ? null : jsonbText(o),
    };
  });
  await tx
    .insertInto('backfill_objects')
    .values(objects)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'object_id']).doUpdateSet((eb) => ({
        object_type: eb.ref('excluded.object_type'),
        invoice_id: eb.ref('excluded.invoice_id'),
        payment_intent_id: eb.ref('excluded.payment_intent_id'),
        charge_id: eb.ref('excluded.charge_id'),
        created: eb.ref('excluded.created'),
        payload: eb.ref('excluded.payload'),
        listed_at: new Date(),
      })),
    )
    .execute();
}
