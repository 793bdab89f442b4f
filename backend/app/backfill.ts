/**
 * Backfill: bring a tenant's Stripe history in, through the same pipeline as live events.
 *
 * For every invoice, credit note, charge, refund, dispute and payout in the account (listed with
 * auto-pagination, rate-limit back-off and retries), one synthetic event is stored in the inbox —
 * `invoice.finalized` for an invoice, `refund.created` for a refund, and so on. Processing then
 * reads each object's current state from Stripe and derives every fact from it, exactly as it
 * does for a live event, so the books come out identical to what the live events would have
 * produced. The synthetic event ids are deterministic (`bf_<object id>`), so a re-run adds
 * nothing, and the cursor of every page is saved with that page's events: a killed backfill
 * resumes where it stopped.
 */
import type Stripe from 'stripe';
import type { Db } from '../db/database.ts';
import { QUEUES, type Jobs } from '../jobs/runner.ts';
import { getTenantById } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { STRIPE_API_VERSION } from '../stripe/client.ts';
import { listObjects, type BackfillKind, type BackfillObjects } from '../stripe/listing.ts';

/** The lists a backfill walks, in the order it walks them. Balance transactions and invoice payments are read on demand. */
export const BACKFILL_RESOURCES = ['invoices', 'credit_notes', 'charges', 'refunds', 'disputes', 'payouts'] as const satisfies readonly BackfillKind[];
type Resource = (typeof BACKFILL_RESOURCES)[number];

/**
 * The synthetic events for an object: none when it has nothing to book yet; two for a failed
 * payout (Stripe reports a payout that bounces as paid, then failed).
 */
export function syntheticEventTypes(kind: Resource, o: BackfillObjects[Resource]): string[] {
  if (kind === 'payouts' && (o as Stripe.Payout).status === 'failed') return ['payout.paid', 'payout.failed'];
  const t = syntheticEventType(kind, o);
  return t ? [t] : [];
}

function syntheticEventType(kind: Resource, o: BackfillObjects[Resource]): string | null {
  switch (kind) {
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

function eventTime(kind: Resource, o: BackfillObjects[Resource]): number {
  if (kind === 'invoices') return (o as Stripe.Invoice).status_transitions?.finalized_at ?? (o as Stripe.Invoice).created;
  return (o as { created: number }).created;
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

/**
 * Runs (or resumes) a backfill of one tenant. `since` (Unix seconds) limits it to objects created
 * on or after that instant. `onProgress` gets the running count per resource.
 */
export async function runBackfill(deps: BackfillDeps, tenantId: bigint, opts: { since?: number; onProgress?: (resource: string, items: number) => void; restart?: boolean } = {}): Promise<BackfillResult> {
  const tenant = await getTenantById(deps.db, tenantId);
  if (opts.restart) await deps.db.deleteFrom('backfill_progress').where('tenant_id', '=', tenantId).execute();
  const result: BackfillResult = { stored: 0, byResource: {} };
  for (const resource of BACKFILL_RESOURCES) {
    const progress = await deps.db.selectFrom('backfill_progress').selectAll().where('tenant_id', '=', tenantId).where('resource', '=', resource).executeTakeFirst();
    if (progress?.done) {
      result.byResource[resource] = progress.items;
      continue;
    }
    let items = progress?.items ?? 0;
    let buffer: BackfillObjects[Resource][] = [];
    const flush = async (cursor: string | null, done: boolean) => {
      const page = buffer;
      buffer = [];
      await deps.db.transaction().execute(async (tx) => {
        const rows = page
          .flatMap((o) => syntheticEventTypes(resource, o).map((type, i) => ({ o, type, suffix: i === 0 ? '' : `_${type.split('.')[1]}` })))
          .map(({ o, type, suffix }) => {
            const event = { id: `bf_${(o as { id: string }).id}${suffix}`, object: 'event', api_version: STRIPE_API_VERSION, type, account: tenant.accountId, livemode: tenant.livemode, created: eventTime(resource, o), data: { object: o }, pending_webhooks: 0, request: null };
            return { id: event.id, tenant_id: tenantId, type, created: event.created, object_id: (o as { id: string }).id, payload: JSON.stringify(event), source: 'backfill' as const, last_error: null, processed_at: null };
          });
        if (rows.length) {
          const inserted = await tx.insertInto('stripe_events').values(rows).onConflict((oc) => oc.column('id').doNothing()).returning('id').execute();
          result.stored += inserted.length;
        }
        items += page.length;
        await tx
          .insertInto('backfill_progress')
          .values({ tenant_id: tenantId, resource, cursor, items, done, since: opts.since ?? null })
          .onConflict((oc) => oc.columns(['tenant_id', 'resource']).doUpdateSet({ cursor, items, done, updated_at: new Date() }))
          .execute();
        if (deps.jobs && rows.length) await deps.jobs.send(tx, QUEUES.inbox, { tenantId: tenantId.toString() }, { tenantKey: tenantId.toString() });
      });
      opts.onProgress?.(resource, items);
    };
    const since = opts.since ?? (progress?.since !== null && progress?.since !== undefined ? Number(progress.since) : undefined);
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
  return result;
}
