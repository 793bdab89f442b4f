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

/**
 * The counts of the status in one statement: journal entries no posted QuickBooks entry covers yet
 * (the sync's outbox), failed QuickBooks postings, and open exceptions.
 */
async function countsOf(db: Db, tenantId: bigint): Promise<{ pending: bigint; failed: bigint; open: bigint }> {
  const result = await sql<{ pending: bigint; failed: bigint; open: bigint }>`
    select
      (select count(*) from journal_entries e
        where e.tenant_id = ${tenantId}
          and not exists (select 1 from qbo_sync q
            where q.tenant_id = e.tenant_id and q.state = 'posted' and q.source_entry_ids @> array[e.id::text]))::bigint as pending,
      (select count(*) from qbo_sync where tenant_id = ${tenantId} and state = 'failed')::bigint as failed,
      (select count(*) from exceptions where tenant_id = ${tenantId} and status = 'open')::bigint as open`.execute(db);
  return result.rows[0] ?? { pending: 0n, failed: 0n, open: 0n };
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
  const counts = await countsOf(db, tenant.id);
  return {
    last_event_received_at: lastEvent?.received_at.toISOString() ?? null,
    last_event_type: lastEvent?.type ?? null,
    last_posting_at: lastPosting?.at ? new Date(lastPosting.at).toISOString() : null,
    pending_count: Number(counts.pending),
    failed_count: Number(counts.failed),
    open_exceptions: Number(counts.open),
    qbo: await qboStatusOf(deps, tenant),
  };
}
