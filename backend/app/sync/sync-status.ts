/**
 * The App's sync status: the last Stripe event received, the last QuickBooks posting, what is still
 * to post or failed, open exceptions, and the QuickBooks connection.
 */
import { sql } from 'kysely';
import type { SyncStatusResponse } from '../../../shared/api/app.ts';
import type { Db } from '../../db/database.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AppCaller } from '../app-api/types.ts';
import { qboStatusOf, type QboStatusDeps } from '../quickbooks/status.ts';

/** Journal entries no posted QuickBooks entry covers yet (the outbox of the sync). */
async function unpostedCount(db: Db, tenantId: bigint): Promise<number> {
  const result = await sql<{ n: bigint }>`
    select count(*)::bigint as n from journal_entries e
    where e.tenant_id = ${tenantId}
      and not exists (select 1 from qbo_sync q where q.tenant_id = e.tenant_id and q.state = 'posted' and q.source_entry_ids @> array[e.id::text])`.execute(db);
  return Number(result.rows[0]?.n ?? 0n);
}

export async function getSyncStatus(deps: QboStatusDeps, caller: AppCaller): Promise<SyncStatusResponse> {
  const { db } = deps;
  const tenant = await tenantOf(db, caller);
  const lastEvent = await db
    .selectFrom('stripe_events')
    .select(['received_at', 'type'])
    .where('tenant_id', '=', tenant.id)
    .orderBy('received_at', 'desc')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const lastPosting = await db
    .selectFrom('qbo_sync')
    .select(sql<Date | null>`max(updated_at)`.as('at'))
    .where('tenant_id', '=', tenant.id)
    .where('state', '=', 'posted')
    .executeTakeFirst();
  const pendingCount = await unpostedCount(db, tenant.id);
  const failedCount = await db
    .selectFrom('qbo_sync')
    .select(sql<bigint>`count(*)::bigint`.as('n'))
    .where('tenant_id', '=', tenant.id)
    .where('state', '=', 'failed')
    .executeTakeFirst();
  const openCount = await db
    .selectFrom('exceptions')
    .select(sql<bigint>`count(*)::bigint`.as('n'))
    .where('tenant_id', '=', tenant.id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return {
    last_event_received_at: lastEvent?.received_at.toISOString() ?? null,
    last_event_type: lastEvent?.type ?? null,
    last_posting_at: lastPosting?.at ? new Date(lastPosting.at).toISOString() : null,
    pending_count: pendingCount,
    failed_count: Number(failedCount?.n ?? 0n),
    open_exceptions: Number(openCount?.n ?? 0n),
    qbo: await qboStatusOf(deps, tenant),
  };
}
