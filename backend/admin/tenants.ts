/**
 * Admin use cases about tenants: finding them, one tenant's health at a glance (QuickBooks
 * connection, inbox lag, outbox depth, failures, last close) and its settings history.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/database.ts';
import { settingsHistory } from '../ledger/tenants.ts';
import { releasedThrough } from '../app/process.ts';
import { decodeIdCursor, toPage, type Page } from './paging.ts';
import { hasTable, iso } from './util.ts';

const Timestamp = z.string().describe('ISO 8601 timestamp');
export const ConnectionStatus = z.enum(['active', 'needs_reconnect', 'revoked', 'none']);

export const TenantSummary = z.object({
  id: z.string().describe('Internal tenant id (use in /tenants/{tenantId}/… paths).'),
  accountId: z.string(),
  livemode: z.boolean(),
  status: z.enum(['active', 'disabled']),
  createdAt: Timestamp,
  quickbooks: ConnectionStatus.describe('QuickBooks connection status; `none` when never connected.'),
});
export type TenantSummary = z.infer<typeof TenantSummary>;

export const TenantListQuery = z.object({
  account: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/)
    .optional()
    .describe('Stripe account id or a prefix of it (`acct_1Ab`).'),
  status: z.enum(['active', 'disabled']).optional(),
  livemode: z.enum(['true', 'false']).optional().describe('Only live-mode (`true`) or test-mode (`false`) books.'),
  quickbooks: ConnectionStatus.optional(),
});

type TenantRow = {
  id: bigint;
  stripe_account_id: string;
  livemode: boolean;
  status: 'active' | 'disabled';
  created_at: Date;
  connection: string | null;
};

/** Tenants in id order, filtered by account id prefix, status, mode and connection status. */
export async function listTenants(
  db: Db,
  f: z.infer<typeof TenantListQuery> & { limit: number; after?: string | undefined },
): Promise<Page<TenantSummary>> {
  const after = decodeIdCursor(f.after);
  const qbo = await hasTable(db, 'qbo_connections');
  const conds = [sql`true`];
  if (f.account) conds.push(sql`starts_with(t.stripe_account_id, ${f.account})`);
  if (f.status) conds.push(sql`t.status = ${f.status}`);
  if (f.livemode) conds.push(sql`t.livemode = ${f.livemode === 'true'}`);
  if (after !== null) conds.push(sql`t.id > ${after}`);
  const connection = qbo ? sql`(select c.status from qbo_connections c where c.tenant_id = t.id)` : sql`null::text`;
  if (f.quickbooks)
    conds.push(f.quickbooks === 'none' ? sql`${connection} is null` : sql`${connection} = ${f.quickbooks}`);
  const rows = await sql<TenantRow>`
    select t.id, t.stripe_account_id, t.livemode, t.status, t.created_at, ${connection} as connection
    from tenants t where ${sql.join(conds, sql` and `)}
    order by t.id limit ${f.limit + 1}`.execute(db);
  return toPage(rows.rows, f.limit, (r) => [r.id.toString()], toSummary);
}

function toSummary(r: TenantRow): TenantSummary {
  return {
    id: r.id.toString(),
    accountId: r.stripe_account_id,
    livemode: r.livemode,
    status: r.status,
    createdAt: r.created_at.toISOString(),
    quickbooks: (r.connection ?? 'none') as TenantSummary['quickbooks'],
  };
}

export const TenantHealth = z.object({
  tenant: TenantSummary.extend({ settingsVersion: z.number().int() }),
  quickbooks: z.object({
    status: ConnectionStatus,
    realmId: z.string().nullable(),
    statusReason: z.string().nullable(),
    updatedAt: Timestamp.nullable(),
  }),
  inbox: z.object({
    lastEventReceivedAt: Timestamp.nullable(),
    pending: z.number().int().describe('Events waiting to be processed.'),
    oldestPendingAgeSeconds: z.number().int().nullable().describe('Inbox lag: age of the oldest pending event.'),
  }),
  outbox: z.object({
    pendingSync: z.number().int().describe('QuickBooks writes saved as pending (outcome not known yet).'),
    unsyncedEntries: z.number().int().describe('Journal entries no posted QuickBooks write covers yet.'),
  }),
  failures: z.object({
    failedEvents: z.number().int(),
    failedSync: z.number().int(),
    openExceptions: z.number().int(),
  }),
  releasedThrough: z.string().describe('Recognized revenue has been released through this date.'),
  lastClose: z.object({ period: z.string(), actor: z.string(), at: Timestamp }).nullable(),
});
export type TenantHealth = z.infer<typeof TenantHealth>;

const n = (v: unknown): number => Number(v ?? 0);

/** One tenant's health: everything support looks at first when a merchant writes in. */
export async function tenantHealth(db: Db, tenantId: bigint): Promise<TenantHealth> {
  const t = await db
    .selectFrom('tenants')
    .select(['id', 'stripe_account_id', 'livemode', 'status', 'created_at', 'settings_version'])
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  const qbo = await hasTable(db, 'qbo_connections');
  const sync = await hasTable(db, 'qbo_sync');
  const conn = qbo
    ? (
        await sql<{ realm_id: string; status: string; status_reason: string | null; updated_at: Date }>`
        select realm_id, status, status_reason, updated_at from qbo_connections where tenant_id = ${tenantId}`.execute(
          db,
        )
      ).rows[0]
    : undefined;
  const inbox = (
    await sql<{ last_received: Date | null; pending: bigint; oldest_pending: Date | null; failed: bigint }>`
      select max(received_at) as last_received,
             count(*) filter (where status = 'pending') as pending,
             min(received_at) filter (where status = 'pending') as oldest_pending,
             count(*) filter (where status = 'failed') as failed
      from stripe_events where tenant_id = ${tenantId}`.execute(db)
  ).rows[0];
  const openExceptions = await db
    .selectFrom('exceptions')
    .select((eb) => eb.fn.countAll<bigint>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'open')
    .executeTakeFirst();
  let pendingSync = 0;
  let failedSync = 0;
  let unsynced: number;
  if (sync) {
    const s = (
      await sql<{ pending: bigint; failed: bigint }>`
        select count(*) filter (where state = 'pending') as pending, count(*) filter (where state = 'failed') as failed
        from qbo_sync where tenant_id = ${tenantId}`.execute(db)
    ).rows[0];
    pendingSync = n(s?.pending);
    failedSync = n(s?.failed);
    unsynced = n(
      (
        await sql<{ n: bigint }>`
          select count(*) as n from journal_entries e where e.tenant_id = ${tenantId}
            and not exists (select 1 from qbo_sync s where s.tenant_id = e.tenant_id and s.state = 'posted' and s.source_entry_ids @> array[e.id::text])`.execute(
          db,
        )
      ).rows[0]?.n,
    );
  } else {
    unsynced = n(
      (
        await db
          .selectFrom('journal_entries')
          .select((eb) => eb.fn.countAll<bigint>().as('n'))
          .where('tenant_id', '=', tenantId)
          .executeTakeFirst()
      )?.n,
    );
  }
  const lastClose = await db
    .selectFrom('period_audit')
    .select(['period_key', 'actor', 'at'])
    .where('tenant_id', '=', tenantId)
    .where('action', '=', 'close')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const now_ms = Date.now();
  return {
    tenant: { ...toSummary({ ...t, connection: conn?.status ?? null }), settingsVersion: t.settings_version },
    quickbooks: {
      status: (conn?.status ?? 'none') as TenantHealth['quickbooks']['status'],
      realmId: conn?.realm_id ?? null,
      statusReason: conn?.status_reason ?? null,
      updatedAt: iso(conn?.updated_at),
    },
    inbox: {
      lastEventReceivedAt: iso(inbox?.last_received),
      pending: n(inbox?.pending),
      oldestPendingAgeSeconds: inbox?.oldest_pending
        ? Math.max(0, Math.floor((now_ms - inbox.oldest_pending.getTime()) / 1000))
        : null,
    },
    outbox: { pendingSync, unsyncedEntries: unsynced },
    failures: { failedEvents: n(inbox?.failed), failedSync, openExceptions: n(openExceptions?.n) },
    releasedThrough: await releasedThrough(db, tenantId),
    lastClose: lastClose
      ? { period: lastClose.period_key, actor: lastClose.actor, at: lastClose.at.toISOString() }
      : null,
  };
}

export const SettingsVersion = z.object({
  version: z.number().int(),
  settings: z.record(z.string(), z.unknown()),
  changedBy: z.string(),
  changedAt: Timestamp,
});

/** Every version of the tenant's settings, newest first. */
export async function tenantSettingsHistory(
  db: Db,
  tenantId: bigint,
): Promise<{ data: z.infer<typeof SettingsVersion>[] }> {
  const rows = await settingsHistory(db, tenantId);
  return {
    data: rows.map((r) => ({
      version: r.version,
      settings: (r.settings ?? {}) as Record<string, unknown>,
      changedBy: r.changed_by,
      changedAt: r.changed_at.toISOString(),
    })),
  };
}
