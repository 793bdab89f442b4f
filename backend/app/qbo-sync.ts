/**
 * QuickBooks use cases: post a tenant's journal (the outbox is "every ledger entry not yet
 * covered by a posted QuickBooks entry"), and reconcile what QuickBooks holds against the ledger.
 *
 * Posting never duplicates: each planned QuickBooks entry has a deterministic requestid and
 * DocNumber, saved as `pending` before the call; a write whose outcome is unknown is looked up by
 * DocNumber before anything is re-planned; QuickBooks' own requestid replay is a second guard.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { isAccrueError } from '../../shared/errors.ts';
import type { AccountRole } from '../../shared/accounts.ts';
import type { Config } from '../config/config.ts';
import type { Db, Tx } from '../db/database.ts';
import { pgLimiters } from '../db/qbo-budget.ts';
import { PgStateStore, PgSyncStore, PgTokenStore } from '../db/qbo-stores.ts';
import type { CallLimiter } from '../qbo/limiter.ts';
import { loadLedgerLines } from '../ledger/ledger.ts';
import { calendarOf } from '../ledger/periods.ts';
import { getTenantById } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { ensureCustomers, openSession, postLedger, type QboSession } from '../qbo/service.ts';
import { configureQboEndpoints } from '../qbo/endpoints.ts';
import type { ExecuteResult } from '../qbo/executor.ts';
import { QboOAuth } from '../qbo/oauth.ts';
import type { Clock } from '../qbo/clock.ts';
import { linesHashOfQbo, mappingKey, type MappedAccount } from '../qbo/posting.ts';
import {
  compareTotals,
  currentFromCdc,
  detectDrift,
  isAccrueDocNumber,
  nextChangedSince,
  type EntryDrift,
  type TotalsDifference,
} from '../qbo/reconcile.ts';
import { checkMapping } from '../qbo/chart.ts';
import { encryptorFromConfig, type Encryptor } from '../security/encryption.ts';
import { recordException } from '../ledger/exception-queue.ts';

/** CDC looks back at most 30 days; older sweeps fall back to reading entries back by id. */
const CDC_LOOKBACK_MAX_MS = 29 * 24 * 3600 * 1000;

export interface QboServices {
  oauth: QboOAuth;
  tokens: PgTokenStore;
  states: PgStateStore;
  sync: PgSyncStore;
  encryptor: Encryptor;
  /** Each company's QuickBooks budget, shared by every process through PostgreSQL. */
  limiterFor: (tenantId: string, realmId: string) => CallLimiter;
  /** The waits of the QuickBooks calls (back-offs, pauses); the system clock unless accelerated. */
  clock?: Clock | undefined;
}

/** Label of the OAuth state key, derived so that no extra secret needs configuring. */
const STATE_KEY_LABEL = 'accrue/qbo-oauth-state/v1';

/**
 * The QuickBooks services, or null when QuickBooks or encryption is not configured. A process
 * builds them once and shares them: the OAuth client's single-flight refresh only prevents two
 * refreshes of one connection when every caller goes through the same instance.
 */
export function qboServices(config: Config, db: Db, clock?: Clock): QboServices | null {
  if (!config.QBO_CLIENT_ID || !config.QBO_CLIENT_SECRET || !config.QBO_REDIRECT_URI || !config.ACCRUE_ENCRYPTION_KEY)
    return null;
  configureQboEndpoints({ QBO_API_BASE: config.QBO_API_BASE, QBO_OAUTH_BASE: config.QBO_OAUTH_BASE });
  const encryptor = encryptorFromConfig({ ACCRUE_ENCRYPTION_KEY: config.ACCRUE_ENCRYPTION_KEY });
  const tokens = new PgTokenStore(db, encryptor);
  const states = new PgStateStore(db);
  const stateSecret = createHmac('sha256', config.QBO_CLIENT_SECRET)
    .update(`${STATE_KEY_LABEL}\u0000${config.ACCRUE_ENCRYPTION_KEY}`)
    .digest('hex');
  const oauth = new QboOAuth({
    clientId: config.QBO_CLIENT_ID,
    clientSecret: config.QBO_CLIENT_SECRET,
    redirectUri: config.QBO_REDIRECT_URI,
    stateSecret,
    tokens,
    states,
    ...(clock ? { clock } : {}),
  });
  return {
    oauth,
    tokens,
    states,
    sync: new PgSyncStore(db),
    encryptor,
    limiterFor: pgLimiters(db, clock ? { clock } : {}),
    clock,
  };
}

export interface SyncDeps {
  db: Db;
  qbo: QboServices;
  log?: Logger | undefined;
}

export interface SyncSummary extends Partial<ExecuteResult> {
  planned: number;
  skipped?: string;
}

/** True when the tenant has an active QuickBooks connection (then new entries get a sync job). */
export async function hasActiveConnection(db: Db | Tx, tenantId: bigint): Promise<boolean> {
  const r = await db
    .selectFrom('qbo_connections')
    .select('status')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return r?.status === 'active';
}

/** The ledger accounts mapped to QuickBooks, by role and name. */
export async function mappedAccounts(db: Db, tenantId: bigint): Promise<Map<string, MappedAccount>> {
  const rows = await db
    .selectFrom('accounts')
    .select(['role', 'name', 'external_id', 'external_type'])
    .where('tenant_id', '=', tenantId)
    .where('external_id', 'is not', null)
    .execute();
  return new Map(
    rows.map((r) => [
      mappingKey(r.role as AccountRole, r.name),
      { id: r.external_id!, accountType: r.external_type ?? '', name: r.name },
    ]),
  );
}

async function postedEntryIds(db: Db, tenantId: bigint): Promise<Set<string>> {
  const r = await sql<{
    id: string;
  }>`select distinct unnest(source_entry_ids) as id from qbo_sync where tenant_id = ${tenantId} and state = 'posted'`.execute(
    db,
  );
  return new Set(r.rows.map((x) => x.id));
}

/**
 * A QuickBooks session for the tenant, or why there is none: not connected (nothing to do), or a
 * connection that cannot be used (also put in the exception queue for a person to see).
 */
async function sessionFor(deps: SyncDeps, tenantId: bigint): Promise<{ session: QboSession } | { skipped: string }> {
  try {
    const id = tenantId.toString();
    const limiterFor = (realmId: string) => deps.qbo.limiterFor(id, realmId);
    return { session: await openSession(deps.qbo.oauth, id, { limiterFor }) };
  } catch (e) {
    if (isAccrueError(e) && e.code === 'not_configured') return { skipped: 'QuickBooks is not connected' };
    await recordException(
      deps.db,
      tenantId,
      'qbo_post',
      'connection',
      `QuickBooks connection unusable: ${(e as Error).message}`,
    );
    return { skipped: (e as Error).message };
  }
}

/** Posts every ledger entry of the tenant that QuickBooks does not hold yet. */
export async function syncTenant(
  deps: SyncDeps,
  tenantId: bigint,
  opts: { period?: string } = {},
): Promise<SyncSummary> {
  const tenant = await getTenantById(deps.db, tenantId);
  const key = tenantId.toString();
  const opened = await sessionFor(deps, tenantId);
  if ('skipped' in opened) return { planned: 0, skipped: opened.skipped };
  const { session } = opened;

  // 1. Settle writes whose outcome is unknown before planning anything new, so an entry whose
  //    response was lost is never planned into a second QuickBooks entry.
  const pending = (await deps.qbo.sync.list(session.realmId, { state: 'pending' })).filter((p) => p.tenantId === key);
  if (pending.length) {
    const found = await session.call((api) => api.findJournalEntriesByDocNumber(pending.map((p) => p.docNumber)));
    const byDoc = new Map(found.map((f) => [f.DocNumber, f]));
    for (const p of pending) {
      const je = byDoc.get(p.docNumber);
      if (je?.Id)
        await deps.qbo.sync.markPosted(
          session.realmId,
          p.requestId,
          { qboId: je.Id, syncToken: je.SyncToken ?? '0', linesHash: linesHashOfQbo(je, p.currency) },
          Date.now(),
        );
      else
        await deps.qbo.sync.markFailed(
          session.realmId,
          p.requestId,
          { reason: 'outcome unknown and not found in QuickBooks; its entries were planned again' },
          Date.now(),
        );
    }
  }

  // 2. The outbox: ledger lines of entries no posted QuickBooks entry covers.
  const sent = await postedEntryIds(deps.db, tenantId);
  const all = await loadLedgerLines(
    deps.db,
    tenantId,
    opts.period ? { fromPeriod: opts.period, throughPeriod: opts.period } : {},
  );
  const lines = all.filter((l) => !sent.has(l.entryId));
  if (!lines.length) return { planned: 0 };

  const accounts = await mappedAccounts(deps.db, tenantId);
  try {
    const customers = await customersFor(deps, tenantId, session, lines, accounts);
    const result = await postLedger({
      session,
      store: deps.qbo.sync,
      lines,
      accounts,
      customers,
      mode: tenant.settings.posting_mode,
      clock: deps.qbo.clock,
    });
    for (const f of result.failed) {
      await recordException(
        deps.db,
        tenantId,
        'qbo_post',
        f.docNumber,
        `QuickBooks refused entry ${f.docNumber}${f.code ? ` (code ${f.code})` : ''}: ${f.reason}`,
        { requestId: f.requestId, kind: f.kind, code: f.code },
      );
    }
    deps.log?.info(
      {
        tenant: tenant.accountId,
        planned: result.planned,
        posted: result.posted,
        failed: result.failed.length,
        apiCalls: result.apiCalls,
      },
      'quickbooks sync',
    );
    return result;
  } catch (e) {
    if (!isAccrueError(e)) throw e;
    const detail = e.details ? ` (${JSON.stringify(e.details)})` : '';
    await recordException(
      deps.db,
      tenantId,
      'qbo_post',
      'mapping',
      `${e.message}${detail}; map them in the Stripe App's settings`,
    );
    return { planned: 0, skipped: e.message };
  }
}

/** QuickBooks customers for Stripe customers on lines that post to an Accounts Receivable account. */
async function customersFor(
  deps: SyncDeps,
  tenantId: bigint,
  session: QboSession,
  lines: { role: AccountRole; account: string; customer?: string | undefined }[],
  accounts: Map<string, MappedAccount>,
): Promise<Map<string, string>> {
  const rows = await deps.db
    .selectFrom('qbo_customers')
    .select(['stripe_customer', 'qbo_customer_id'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const known = new Map(rows.map((r) => [r.stripe_customer, r.qbo_customer_id]));
  const needed = new Set<string>();
  for (const l of lines) {
    if (
      accounts.get(mappingKey(l.role, l.account))?.accountType === 'Accounts Receivable' &&
      l.customer &&
      !known.has(l.customer)
    )
      needed.add(l.customer);
  }
  if (!needed.size) return known;
  const all = await ensureCustomers(
    session,
    [...needed].map((c) => ({ stripeCustomerId: c })),
    known,
  );
  for (const c of needed) {
    await deps.db
      .insertInto('qbo_customers')
      .values({ tenant_id: tenantId, stripe_customer: c, qbo_customer_id: all.get(c)! })
      .onConflict((oc) => oc.columns(['tenant_id', 'stripe_customer']).doNothing())
      .execute();
  }
  return all;
}

export interface ReconcileSummary {
  cells: number;
  differences: number;
  edited: number;
  deleted: number;
  /** Mapped accounts deleted, inactive or of the wrong type in QuickBooks. */
  accountProblems?: number;
  agree: boolean;
  skipped?: string;
}

/**
 * Compares, per period and account, the ledger with what QuickBooks holds for the entries we
 * posted, and detects entries an accountant edited or deleted. Differences become exceptions
 * with both numbers; exceptions that no longer apply are resolved.
 */
export async function reconcileTenant(deps: SyncDeps, tenantId: bigint): Promise<ReconcileSummary> {
  const tenant = await getTenantById(deps.db, tenantId);
  const key = tenantId.toString();
  const opened = await sessionFor(deps, tenantId);
  if ('skipped' in opened)
    return { cells: 0, differences: 0, edited: 0, deleted: 0, agree: false, skipped: opened.skipped };
  const { session } = opened;
  const records = (await deps.qbo.sync.list(session.realmId, { state: 'posted' })).filter((r) => r.tenantId === key);
  const live = records.length
    ? await session.call((api) => api.findJournalEntriesByDocNumber(records.map((r) => r.docNumber)))
    : [];
  const ours = live.filter((je) => isAccrueDocNumber(je.DocNumber));

  // Edits and deletes since the last sweep (CDC), or by reading entries back when too old.
  const conn = await deps.db
    .selectFrom('qbo_connections')
    .select(['last_cdc_at'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  const since =
    conn?.last_cdc_at && Date.now() - conn.last_cdc_at.getTime() < CDC_LOOKBACK_MAX_MS
      ? conn.last_cdc_at.toISOString()
      : new Date(Date.now() - CDC_LOOKBACK_MAX_MS).toISOString();
  const cdc = await session.call((api) => api.changeDataCapture(['JournalEntry'], since.replace(/\.\d{3}Z$/, 'Z')));
  const current = currentFromCdc(cdc);
  for (const je of ours) if (je.Id && !current.has(je.Id)) current.set(je.Id, je);
  const liveIds = new Set(ours.map((j) => j.Id));
  for (const r of records)
    if (r.qboId && !liveIds.has(r.qboId) && !current.has(r.qboId)) current.set(r.qboId, 'deleted');
  const drifts = detectDrift(records, current);

  const sent = new Set(records.flatMap((r) => r.sourceEntryIds));
  const ledger = (await loadLedgerLines(deps.db, tenantId)).filter((l) => sent.has(l.entryId));
  const cal = calendarOf(tenant.settings);
  const totals = compareTotals({
    ledgerLines: ledger,
    accounts: await mappedAccounts(deps.db, tenantId),
    qboEntries: ours,
    periodOf: (d) => cal.periodOf(d).key,
    homeCurrency: tenant.settings.functional_currency.toUpperCase(),
  });

  const open = new Set<string>();
  await recordDifferences(deps, tenantId, totals.differences, drifts, open);
  const accountProblems = await recordAccountProblems(deps, tenantId, session, open);
  // Whatever matched this time is no longer an exception.
  await deps.db
    .updateTable('exceptions')
    .set({
      status: 'resolved',
      resolved_at: new Date(),
      resolved_by: 'reconcile',
      note: 'matched on a later reconciliation',
    })
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', 'reconcile')
    .where('status', '=', 'open')
    .$if(open.size > 0, (q) => q.where('object_id', 'not in', [...open]))
    .execute();
  await deps.db
    .updateTable('qbo_connections')
    .set({ last_cdc_at: new Date(nextChangedSince(cdc.time, Date.now())) })
    .where('tenant_id', '=', tenantId)
    .execute();
  const edited = drifts.filter((d) => d.kind === 'edited').length;
  const deleted = drifts.filter((d) => d.kind === 'deleted').length;
  return {
    cells: totals.cells,
    differences: totals.differences.length,
    edited,
    deleted,
    accountProblems: accountProblems.length,
    agree: totals.differences.length === 0 && drifts.length === 0 && accountProblems.length === 0,
  };
}

/** Opens (or keeps open) a reconcile exception per ledger/QuickBooks difference and per edited or deleted entry. */
async function recordDifferences(
  deps: SyncDeps,
  tenantId: bigint,
  differences: TotalsDifference[],
  drifts: EntryDrift[],
  open: Set<string>,
): Promise<void> {
  const record = (id: string, reason: string, details: Record<string, unknown>) =>
    openReconcileException(deps, tenantId, open, id, reason, details);
  for (const d of differences) {
    const reason =
      `period ${d.period}, QuickBooks account ${d.accountId}: ledger ${d.ledger_minor} vs QuickBooks ${d.qbo_minor} ` +
      `(${d.currency.toUpperCase()} minor units; difference ${d.difference_minor})`;
    await record(`${d.period}:${d.currency}:${d.accountId}`, reason, {
      period: d.period,
      accountId: d.accountId,
      ledger_minor: d.ledger_minor.toString(),
      qbo_minor: d.qbo_minor.toString(),
    });
  }
  for (const d of drifts) {
    const reason = `a journal entry Accrue posted was ${d.kind} in QuickBooks (${JSON.stringify(d).slice(0, 300)})`;
    await record(`entry:${d.requestId}`, reason, { drift: d.kind, requestId: d.requestId });
  }
}

/** Opens an exception per mapped account deleted, made inactive or changed type in QuickBooks; returns the problems. */
async function recordAccountProblems(deps: SyncDeps, tenantId: bigint, session: QboSession, open: Set<string>) {
  const chart = await session.call((api) => api.listAccounts({ includeInactive: true }));
  const mappedRows = await deps.db
    .selectFrom('accounts')
    .select(['role', 'name', 'external_id'])
    .where('tenant_id', '=', tenantId)
    .where('external_id', 'is not', null)
    .execute();
  const accountProblems = checkMapping(
    mappedRows.map((r) => ({ role: r.role as AccountRole, account: r.name, accountId: r.external_id! })),
    chart,
  );
  for (const p of accountProblems) {
    const reason = `${p.message}; map ${p.role} "${p.account}" to an active account in the Stripe App's settings`;
    const details = { problem: p.kind, accountId: p.accountId };
    await openReconcileException(deps, tenantId, open, `account:${p.role}:${p.account}`, reason, details);
  }
  return accountProblems;
}

/** Records a reconcile exception and marks it as still open, so the sweep does not resolve it. */
async function openReconcileException(
  deps: SyncDeps,
  tenantId: bigint,
  open: Set<string>,
  id: string,
  reason: string,
  details: Record<string, unknown>,
): Promise<void> {
  open.add(id);
  await recordException(deps.db, tenantId, 'reconcile', id, reason, details);
}
