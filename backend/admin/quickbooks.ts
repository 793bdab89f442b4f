/**
 * Admin use cases about QuickBooks: the sync state of each journal entry, the tenants whose
 * connection needs a person to reconnect it, and enqueueing a resync. QuickBooks tables are
 * read with raw SQL (migration 0003 owns their types) and never their token columns.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/database.ts';
import { QUEUES, type Jobs } from '../jobs/runner.ts';
import { resolvePeriod } from '../ledger/periods.ts';
import type { Tenant } from '../ledger/tenants.ts';
import { decodeIdCursor, toPage, type Page } from './paging.ts';
import { hasTable, iso } from './util.ts';

const Timestamp = z.string().describe('ISO 8601 timestamp');
const SYNC_STATES = ['unsynced', 'pending', 'posted', 'failed'] as const;

export const EntrySyncState = z.object({
  entryId: z.string(),
  key: z.string(),
  kind: z.string(),
  postingDate: z.string(),
  periodKey: z.string(),
  state: z.enum(SYNC_STATES).describe('`unsynced`: no QuickBooks write covers the entry yet.'),
  requestId: z.string().nullable(),
  docNumber: z.string().nullable(),
  qboId: z.string().nullable(),
  reason: z.string().nullable(),
  code: z.string().nullable(),
  attempts: z.number().int(),
  updatedAt: Timestamp.nullable(),
});
export type EntrySyncState = z.infer<typeof EntrySyncState>;

export const EntrySyncQuery = z.object({
  period: z
    .string()
    .regex(/^\d{4}-\d{2}$/)
    .optional()
    .describe('Only entries of this period (YYYY-MM).'),
  state: z.enum(SYNC_STATES).optional(),
});

type SyncRow = {
  id: bigint;
  idempotency_key: string;
  kind: string;
  posting_date: string;
  period_key: string;
  request_id: string | null;
  doc_number: string | null;
  state: string | null;
  qbo_id: string | null;
  reason: string | null;
  code: string | null;
  attempts: number | null;
  updated_at: Date | null;
};

/**
 * Journal entries of a tenant, newest first, each with the latest QuickBooks write whose
 * `source_entry_ids` include it (QuickBooks entries are netted, so one write covers many entries).
 */
export async function entrySyncStates(
  db: Db,
  tenantId: bigint,
  f: z.infer<typeof EntrySyncQuery> & { limit: number; after?: string | undefined },
): Promise<Page<EntrySyncState>> {
  const after = decodeIdCursor(f.after);
  const conds = [sql`e.tenant_id = ${tenantId}`];
  if (f.period) conds.push(sql`e.period_key = ${f.period}`);
  if (after !== null) conds.push(sql`e.id < ${after}`);
  let rows: SyncRow[];
  if (await hasTable(db, 'qbo_sync')) {
    if (f.state === 'unsynced') conds.push(sql`s.request_id is null`);
    else if (f.state) conds.push(sql`s.state = ${f.state}`);
    rows = (
      await sql<SyncRow>`
        select e.id, e.idempotency_key, e.kind, e.posting_date, e.period_key,
               s.request_id, s.doc_number, s.state, s.qbo_id, s.reason, s.code, s.attempts, s.updated_at
        from journal_entries e
        left join lateral (
          select q.request_id, q.doc_number, q.state, q.qbo_id, q.reason, q.code, q.attempts, q.updated_at
          from qbo_sync q where q.tenant_id = e.tenant_id and q.source_entry_ids @> array[e.id::text]
          order by q.updated_at desc limit 1
        ) s on true
        where ${sql.join(conds, sql` and `)}
        order by e.id desc limit ${f.limit + 1}`.execute(db)
    ).rows;
  } else {
    // Without the QuickBooks tables nothing has been synced: every entry is unsynced.
    if (f.state && f.state !== 'unsynced') return { data: [], next: null };
    rows = (
      await sql<SyncRow>`
        select e.id, e.idempotency_key, e.kind, e.posting_date, e.period_key, null as request_id, null as doc_number, null as state,
               null as qbo_id, null as reason, null as code, null::int as attempts, null::timestamptz as updated_at
        from journal_entries e where ${sql.join(conds, sql` and `)} order by e.id desc limit ${f.limit + 1}`.execute(db)
    ).rows;
  }
  return toPage(
    rows,
    f.limit,
    (r) => [r.id.toString()],
    (r) => ({
      entryId: r.id.toString(),
      key: r.idempotency_key,
      kind: r.kind,
      postingDate: r.posting_date,
      periodKey: r.period_key,
      state: (r.state ?? 'unsynced') as EntrySyncState['state'],
      requestId: r.request_id,
      docNumber: r.doc_number,
      qboId: r.qbo_id,
      reason: r.reason,
      code: r.code,
      attempts: r.attempts ?? 0,
      updatedAt: iso(r.updated_at),
    }),
  );
}

export const ReconnectRow = z.object({
  tenantId: z.string(),
  accountId: z.string(),
  livemode: z.boolean(),
  realmId: z.string(),
  status: z.enum(['needs_reconnect', 'revoked']),
  statusReason: z.string().nullable(),
  updatedAt: Timestamp,
});
export type ReconnectRow = z.infer<typeof ReconnectRow>;

export const ReconnectQuery = z.object({
  status: z.enum(['needs_reconnect', 'revoked']).optional().describe('Default: both.'),
});

/** Tenants whose QuickBooks connection needs a person: expired/invalid grants, or revoked ones. */
export async function tenantsNeedingReconnect(
  db: Db,
  f: z.infer<typeof ReconnectQuery> & { limit: number; after?: string | undefined },
): Promise<Page<ReconnectRow>> {
  if (!(await hasTable(db, 'qbo_connections'))) return { data: [], next: null };
  const after = decodeIdCursor(f.after);
  const statuses = f.status ? [f.status] : ['needs_reconnect', 'revoked'];
  const conds = [sql`c.status = any(${statuses}::text[])`];
  if (after !== null) conds.push(sql`c.tenant_id > ${after}`);
  const rows = await sql<{
    tenant_id: bigint;
    stripe_account_id: string;
    livemode: boolean;
    realm_id: string;
    status: ReconnectRow['status'];
    status_reason: string | null;
    updated_at: Date;
  }>`
    select c.tenant_id, t.stripe_account_id, t.livemode, c.realm_id, c.status, c.status_reason, c.updated_at
    from qbo_connections c join tenants t on t.id = c.tenant_id
    where ${sql.join(conds, sql` and `)} order by c.tenant_id limit ${f.limit + 1}`.execute(db);
  return toPage(
    rows.rows,
    f.limit,
    (r) => [r.tenant_id.toString()],
    (r) => ({
      tenantId: r.tenant_id.toString(),
      accountId: r.stripe_account_id,
      livemode: r.livemode,
      realmId: r.realm_id,
      status: r.status,
      statusReason: r.status_reason,
      updatedAt: r.updated_at.toISOString(),
    }),
  );
}

export const Enqueued = z.object({
  queue: z.string(),
  jobId: z.string().nullable(),
  queued: z
    .boolean()
    .describe('False when a job for this tenant was already queued on that queue; it does the same work.'),
  data: z.record(z.string(), z.unknown()),
});
export type Enqueued = z.infer<typeof Enqueued>;

export const ResyncBody = z
  .object({
    period: z
      .string()
      .regex(/^\d{4}-\d{2}(-\d{2})?$/)
      .describe('Period key (YYYY-MM) or a date inside it.'),
  })
  .strict();

/** Enqueues a QuickBooks sync of one period of a tenant. */
export async function resyncPeriod(db: Db, jobs: Jobs, tenant: Tenant, periodKeyOrDate: string): Promise<Enqueued> {
  const period = resolvePeriod(tenant, periodKeyOrDate).key;
  const data = { tenantId: tenant.id.toString(), period };
  const jobId = await jobs.send(db, QUEUES.sync, data, { tenantKey: tenant.id.toString() });
  return { queue: QUEUES.sync, jobId, queued: jobId !== null, data };
}
