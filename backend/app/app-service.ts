/**
 * The Stripe App's backend (`AppService` on PostgreSQL): every use case the Dashboard views call,
 * each scoped to the tenant of the VERIFIED caller (`caller.tenant.accountId` + livemode, never a
 * body or query field). It owns: versioned settings and product rules (with the history row that
 * says who changed what and when), the role → QuickBooks account mapping with its type checks,
 * the QuickBooks connection life cycle as the merchant sees it (connect / pending / connected /
 * needs reconnect / disconnect), the merchant's Stripe products, sync status, the exception
 * queue, revenue reports and invoice / customer drill-downs.
 *
 * Token handling is delegated to `QboOAuth` (signed single-use state, code exchange, refresh,
 * revoke) and `PgTokenStore` (tokens encrypted at rest); this module never sees a token except
 * through those. No network call runs inside a database transaction.
 */
import { sql } from 'kysely';
import type Stripe from 'stripe';
import { ACCOUNT_ROLES, ROLE_INFO, type AccountRole } from '../../shared/accounts.ts';
import {
  DETAIL_ENTRIES_MAX,
  type AccountMappingResponse,
  type CreateMissingAccountsRequest,
  type CreateMissingAccountsResponse,
  type CustomerDetailResponse,
  type EntrySummary,
  type ExceptionItem,
  type ExceptionResponse,
  type ExceptionsQuery,
  type ExceptionsResponse,
  type InvoiceDetailResponse,
  type ProductRuleDeleteRequest,
  type ProductRuleResponse,
  type ProductRuleUpdateRequest,
  type ProductSummary,
  type ProductsQuery,
  type ProductsResponse,
  type QboAccount as QboAccountItem,
  type QboAccountsResponse,
  type QboConnectResponse,
  type QboStatusResponse,
  type ReportQuery,
  type ResolveExceptionRequest,
  type RollforwardResponse,
  type ScheduleLine as ScheduleLineItem,
  type SettingsResponse,
  type SyncStatusResponse,
  type WaterfallResponse,
} from '../../shared/api/app.ts';
import { runEngine, type ScheduleLine } from '../../shared/engine/index.ts';
import { parseFact, type Fact, type InvoiceFinalizedFact, type InvoiceLineFact } from '../../shared/engine/facts.ts';
import { AccrueError, isAccrueError } from '../../shared/errors.ts';
import { periodCalendar, type Period, type PeriodCalendar } from '../../shared/periods.ts';
import { rollforward, waterfall } from '../../shared/reports/index.ts';
import { TenantSettingsSchema, type ProductRule, type TenantSettings } from '../../shared/settings.ts';
import { addDays, localDateOf } from '../../shared/time.ts';
import { retryException as retryExceptionUseCase } from '../admin/exception-actions.ts';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import type { AppCaller } from '../http/app-auth.ts';
import type { AppService } from '../http/app-routes.ts';
import type { Jobs } from '../jobs/runner.ts';
import { loadLedgerLines } from '../ledger/ledger.ts';
import { ensureTenant, updateSettings as saveSettings, type Tenant } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { isQboApiError, type QboAccount } from '../qbo/adapter.ts';
import { allowedAccountTypes, applyProposals, proposeAccounts, type RoleAccount } from '../qbo/chart.ts';
import { systemClock, type Clock } from '../qbo/clock.ts';
import { OAUTH_STATE_TTL_MS, QboOAuth, type TokenStore } from '../qbo/oauth.ts';
import { mappingKey } from '../qbo/posting.ts';
import { openSession, type QboSession } from '../qbo/service.ts';
import { listExceptions as listExceptionRows, resolveException as resolveExceptionRow, type ExceptionRow } from '../ledger/exception-queue.ts';
import { releasedThrough } from './process.ts';
import { qboServices, type QboServices } from './qbo-sync.ts';

// ---------------------------------------------------------------------------------------------
// Limits (each with its reason)

/**
 * Connects started but not yet finished that we remember per process. A merchant starts one at
 * a time; a thousand covers every tenant of a busy instance clicking within the 15-minute window.
 */
export const PENDING_CONNECTS_MAX = 1_000;
/** Invoices one customer drill-down runs the engine over: years of monthly invoices, bounded. */
export const CUSTOMER_INVOICES_MAX = 500;
/** Products whose default price we fetch one by one when the list did not expand it (one page). */
const PRICE_LOOKUPS_MAX = 100;

/** The QuickBooks parts the service needs; absent when the deployment has not configured QuickBooks. */
export interface QboDeps {
  oauth: QboOAuth;
  tokens: TokenStore;
}

export interface AppServiceDeps {
  db: Db;
  /** Needed to retry exceptions (the retry is an enqueue); `not_configured` without it. */
  jobs: Jobs | null;
  /** The platform-key Stripe client; products are read with `{stripeAccount}` of the caller. */
  stripe: Stripe | null;
  qbo: QboDeps | null;
  /** Wall clock: report windows end at the current period of the tenant's time zone. */
  clock?: Pick<Clock, 'now_ms'>;
  log?: Logger;
}

/** What the OAuth callback page needs to say. */
export type QboCallbackOutcome =
  | { ok: true; realmId: string }
  | { ok: false; reason: 'denied' | 'bad_state' | 'exchange_failed' | 'realm_in_use' | 'upstream' | 'not_configured'; message: string };

/** The App API plus the one step that arrives without a Stripe signature: the OAuth callback. */
export interface AccrueAppService extends AppService {
  /**
   * Completes a QuickBooks connect from Intuit's redirect (full URL or query string). The signed,
   * single-use `state` is the authentication: it names the tenant and can be used once.
   */
  completeQboConnect(callbackUrl: string): Promise<QboCallbackOutcome>;
}

interface PendingConnect {
  tenantId: string;
  started_ms: number;
  expires_ms: number;
}

/** Why a connect attempt did not finish, shown in the status until the next attempt. */
interface FailedConnect {
  at_ms: number;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** The general settings the Settings view edits (product rules and account names have their own endpoints). */
function generalOf(s: TenantSettings): SettingsResponse['settings'] {
  return {
    functional_currency: s.functional_currency,
    reporting_time_zone: s.reporting_time_zone,
    amortization: s.amortization,
    catch_up: s.catch_up,
    discounts_as_contra: s.discounts_as_contra,
    recover_as_gains: s.recover_as_gains,
    close_policy: s.close_policy,
    period_calendar: s.period_calendar,
    posting_mode: s.posting_mode,
  };
}

function calendarOf(s: TenantSettings): PeriodCalendar {
  const pc = s.period_calendar;
  return periodCalendar(pc.type === 'monthly' ? { type: 'monthly' } : { type: '4-4-5', fiscalYearStart: pc.fiscal_year_start });
}

/** The ledger account a role posts to by default (the tenant's own name, else the role's default). */
function roleAccountName(s: TenantSettings, role: AccountRole): string {
  return (s.account_names as Partial<Record<AccountRole, string>>)[role] ?? ROLE_INFO[role].defaultName;
}

function rulesOf(s: TenantSettings, productId: string): ProductRule[] {
  const raw = s.product_rules[productId];
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
}

/**
 * The rule shown for a product: the one in force on `today` (latest effective date; a rule for
 * every price before a price-specific one), else the earliest that takes effect later, else null.
 */
export function ruleInForce(rules: readonly ProductRule[], today: string): ProductRule | null {
  const inForce = rules.filter((r) => (r.effective_from ?? '') <= today);
  if (inForce.length > 0) {
    return [...inForce].sort((a, b) => {
      const byDate = (b.effective_from ?? '').localeCompare(a.effective_from ?? '');
      if (byDate !== 0) return byDate;
      return (a.price === undefined ? 0 : 1) - (b.price === undefined ? 0 : 1);
    })[0]!;
  }
  const later = [...rules].sort((a, b) => (a.effective_from ?? '').localeCompare(b.effective_from ?? ''));
  return later[0] ?? null;
}

/**
 * Stores a rule for a product. An effective-dated rule joins the rules already there (replacing
 * one with the same date and price scope), because a rule change applies from its date and the
 * bookings before it keep their rule; an undated rule replaces every rule of the product.
 */
export function withRule(existing: readonly ProductRule[], rule: ProductRule): ProductRule | ProductRule[] {
  if (rule.effective_from === undefined || existing.length === 0) return rule;
  const kept = existing.filter((r) => !(r.effective_from === rule.effective_from && r.price === rule.price));
  const all = [...kept, rule].sort((a, b) => (a.effective_from ?? '').localeCompare(b.effective_from ?? ''));
  return all.length === 1 ? all[0]! : all;
}

function minor(v: bigint): string {
  return v.toString();
}

/** Maps a Stripe SDK failure to our error family; the UI gets a stable code, not SDK internals. */
function stripeFailure(e: unknown, what: string): AccrueError {
  if (isAccrueError(e)) return e;
  const err = e as { statusCode?: number; code?: string; message?: string };
  if (err?.statusCode === 404 || err?.code === 'resource_missing') return new AccrueError('not_found', `${what} was not found in Stripe`);
  if (err?.statusCode === 429) return new AccrueError('rate_limited', 'Stripe is rate limiting requests; try again in a moment.');
  if (err?.statusCode === 401 || err?.statusCode === 403) return new AccrueError('not_configured', 'Accrue cannot read this Stripe account (is the app installed?).');
  return new AccrueError('upstream_unavailable', `Stripe did not answer while reading ${what}.`);
}

/**
 * Maps a QuickBooks failure to our error family. A connection that needs reconnecting is
 * `not_configured` (503), never 401: the UI reads 401 as "your Stripe signature failed".
 */
function qboFailure(e: unknown): AccrueError {
  if (isAccrueError(e)) {
    if (e.code === 'unauthorized') return new AccrueError('not_configured', 'QuickBooks needs to be reconnected: it no longer accepts Accrue\'s authorization.', e.details);
    return e;
  }
  if (isQboApiError(e)) {
    const k = e.error.kind;
    if (k === 'throttled') return new AccrueError('rate_limited', 'QuickBooks is throttling requests; try again in a minute.');
    if (k === 'auth') return new AccrueError('not_configured', 'QuickBooks needs to be reconnected: it refused the access token.');
    if (k === 'validation') return new AccrueError('invalid_input', `QuickBooks refused the request: ${e.error.message}${e.error.detail ? ` (${e.error.detail})` : ''}`);
    return new AccrueError('upstream_unavailable', `QuickBooks did not answer (${k}).`);
  }
  return new AccrueError('upstream_unavailable', 'QuickBooks did not answer.');
}

function toQboAccountItem(a: QboAccount): QboAccountItem {
  return { id: a.Id, name: a.Name, type: a.AccountType, sub_type: a.AccountSubType ?? null, active: a.Active !== false };
}

/**
 * The tenant id a `state` claims (see QboOAuth.authorizationUrl: base64url JSON `{t, n, e}` and a
 * MAC), WITHOUT verifying it; null when it does not parse. Only ever used to refuse early.
 */
function tenantHintOf(state: string): string | null {
  try {
    const payload = JSON.parse(Buffer.from(state.split('.')[0] ?? '', 'base64url').toString('utf8')) as { t?: unknown };
    return typeof payload.t === 'string' && /^\d{1,18}$/.test(payload.t) ? payload.t : null;
  } catch {
    return null;
  }
}

function bigintId(id: string): bigint | null {
  return /^\d{1,18}$/.test(id) ? BigInt(id) : null;
}

// ---------------------------------------------------------------------------------------------
// The service

/** Builds the App API's implementation over PostgreSQL, QuickBooks and Stripe. */
export function createAppService(deps: AppServiceDeps): AccrueAppService {
  const { db } = deps;
  const clock = deps.clock ?? systemClock;
  /** Connect attempts by their exact `state` string (we issued it, so it is the lookup key). */
  const pending = new Map<string, PendingConnect>();
  const failed = new Map<string, FailedConnect>();

  const tenantOf = (caller: AppCaller): Promise<Tenant> => ensureTenant(db, { accountId: caller.tenant.accountId, livemode: caller.tenant.livemode }, undefined, caller.user.id);
  const todayOf = (t: Tenant): string => localDateOf(Math.floor(clock.now_ms() / 1000), t.settings.reporting_time_zone);

  const requireQbo = (): QboDeps => {
    if (!deps.qbo) throw new AccrueError('not_configured', 'QuickBooks is not configured on this Accrue server (QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REDIRECT_URI, ACCRUE_ENCRYPTION_KEY).');
    return deps.qbo;
  };

  /** Runs `fn` with a QuickBooks session of the tenant; every failure comes back in our error family. */
  async function withQbo<T>(tenant: Tenant, fn: (s: QboSession) => Promise<T>): Promise<T> {
    const q = requireQbo();
    try {
      const session = await openSession(q.oauth, tenant.id.toString());
      return await fn(session);
    } catch (e) {
      throw qboFailure(e);
    }
  }

  function forgetExpired(): void {
    const now = clock.now_ms();
    for (const [k, p] of pending) if (p.expires_ms <= now) pending.delete(k);
    // Oldest first (Map keeps insertion order) when still over the limit.
    while (pending.size >= PENDING_CONNECTS_MAX) {
      const first = pending.keys().next();
      if (first.done) break;
      pending.delete(first.value);
    }
  }

  function pendingOf(tenantId: string): PendingConnect | undefined {
    const now = clock.now_ms();
    let latest: PendingConnect | undefined;
    for (const p of pending.values()) if (p.tenantId === tenantId && p.expires_ms > now && (!latest || p.started_ms > latest.started_ms)) latest = p;
    return latest;
  }

  async function qboStatus(tenant: Tenant): Promise<QboStatusResponse> {
    const none: QboStatusResponse = { status: 'not_connected', company_name: null, realm_id: null, connected_at: null, message: null };
    if (!deps.qbo) return { ...none, message: 'QuickBooks is not configured on this Accrue server.' };
    const tenantId = tenant.id.toString();
    // Read the status columns only: the status never needs the (encrypted) tokens.
    const conn = await db
      .selectFrom('qbo_connections')
      .select(['realm_id', 'status', 'status_reason', 'updated_at'])
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirst();
    const started = pendingOf(tenantId);
    if (started && (!conn || started.started_ms > conn.updated_at.getTime())) {
      return { ...none, status: 'pending', realm_id: conn?.realm_id ?? null, message: 'Waiting for you to finish signing in to QuickBooks in the other tab.' };
    }
    if (conn) {
      const base = { company_name: null, realm_id: conn.realm_id, connected_at: conn.updated_at.toISOString() };
      if (conn.status === 'active') return { ...base, status: 'connected', message: null };
      if (conn.status === 'needs_reconnect') {
        return { ...base, status: 'expired', message: `QuickBooks stopped accepting Accrue's authorization${conn.status_reason ? ` (${conn.status_reason})` : ''}. Reconnect QuickBooks to resume posting.` };
      }
      return { ...base, status: 'error', message: 'The QuickBooks connection was revoked. Connect QuickBooks again to resume posting.' };
    }
    const lastFailure = failed.get(tenantId);
    if (lastFailure) return { ...none, status: 'error', message: lastFailure.message };
    return none;
  }

  async function readMapping(tenant: Tenant): Promise<AccountMappingResponse['mapping']> {
    const rows = await db.selectFrom('accounts').select(['role', 'name', 'external_id']).where('tenant_id', '=', tenant.id).execute();
    const byKey = new Map(rows.map((r) => [mappingKey(r.role as AccountRole, r.name), r.external_id]));
    return Object.fromEntries(ACCOUNT_ROLES.map((role) => [role, byKey.get(mappingKey(role, roleAccountName(tenant.settings, role))) ?? null])) as AccountMappingResponse['mapping'];
  }

  async function writeMapping(tenant: Tenant, role: AccountRole, account: { id: string; type: string } | null): Promise<void> {
    const name = roleAccountName(tenant.settings, role);
    await db
      .insertInto('accounts')
      .values({ tenant_id: tenant.id, role, name, external_id: account?.id ?? null, external_type: account?.type ?? null })
      .onConflict((oc) => oc.columns(['tenant_id', 'role', 'name']).doUpdateSet({ external_id: account?.id ?? null, external_type: account?.type ?? null }))
      .execute();
  }

  /** Saves settings on top of `expectedVersion`; the history row records `caller.user.id`. */
  async function save(caller: AppCaller, tenant: Tenant, next: TenantSettings, expectedVersion: number): Promise<Tenant> {
    if (tenant.settingsVersion !== expectedVersion) {
      throw new AccrueError('conflict', `Settings changed since version ${expectedVersion} (now ${tenant.settingsVersion}); reload and try again.`);
    }
    const parsed = TenantSettingsSchema.safeParse(next);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new AccrueError('invalid_input', `Invalid settings: ${i?.path.join('.') ?? ''}${i ? ': ' : ''}${i?.message ?? 'invalid'}`);
    }
    return saveSettings(db, tenant.id, parsed.data, expectedVersion, caller.user.id);
  }

  /**
   * The product as Stripe knows it for this merchant. With `allowMissing`, a product Stripe no
   * longer has (deleted, or Stripe not configured here) is shown by its id, so a rule left behind
   * can still be read and removed; writing a new rule requires the product to exist.
   */
  async function productSummary(tenant: Tenant, productId: string, rule: ProductRule | null, opts: { allowMissing: boolean }): Promise<ProductSummary> {
    const stub: ProductSummary = { id: productId, name: productId, active: false, default_price: null, rule };
    if (!deps.stripe) {
      if (opts.allowMissing) return stub;
      throw new AccrueError('not_configured', 'STRIPE_SECRET_KEY is not configured, so the product cannot be checked.');
    }
    let product: Stripe.Product;
    try {
      product = await deps.stripe.products.retrieve(productId, { expand: ['default_price'] }, { stripeAccount: tenant.accountId });
    } catch (e) {
      const err = stripeFailure(e, `product ${productId}`);
      if (opts.allowMissing && err.code === 'not_found') return stub;
      throw err;
    }
    return summarize(tenant, product, rule);
  }

  async function summarize(tenant: Tenant, p: Stripe.Product, rule: ProductRule | null, lookups = { left: PRICE_LOOKUPS_MAX }): Promise<ProductSummary> {
    let price: Stripe.Price | null = null;
    if (p.default_price && typeof p.default_price === 'object') price = p.default_price;
    else if (typeof p.default_price === 'string' && deps.stripe && lookups.left-- > 0) {
      try {
        price = await deps.stripe.prices.retrieve(p.default_price, {}, { stripeAccount: tenant.accountId });
      } catch (e) {
        throw stripeFailure(e, `price ${p.default_price}`);
      }
    }
    return {
      id: p.id,
      name: p.name,
      active: p.active,
      default_price: price ? { id: price.id, currency: price.currency, unit_amount_minor: price.unit_amount === null ? null : String(price.unit_amount) } : null,
      rule,
    };
  }

  function exceptionItem(r: ExceptionRow, eventStatus: ReadonlyMap<string, string>): ExceptionItem {
    const details = (r.details ?? {}) as Record<string, unknown>;
    const ids = [r.objectId];
    for (const k of ['event', 'aggregate', 'adjustment'] as const) {
      const v = details[k];
      if (typeof v === 'string' && !ids.includes(v)) ids.push(v);
    }
    const retryable = r.status === 'open' && (r.kind === 'stripe_event' || r.kind === 'qbo_post' || (r.kind === 'mapping' && typeof details['event'] === 'string'));
    const eventId = r.kind === 'stripe_event' ? r.objectId : typeof details['event'] === 'string' ? details['event'] : undefined;
    const retrying = r.status === 'open' && eventId !== undefined && eventStatus.get(eventId) === 'pending';
    return {
      id: r.id,
      kind: r.kind,
      status: r.status === 'resolved' ? 'resolved' : retrying ? 'retrying' : 'open',
      reason: r.reason,
      object_ids: ids,
      created_at: r.createdAt,
      attempts: r.retries,
      retryable,
    };
  }

  async function eventStatuses(tenant: Tenant, rows: readonly ExceptionRow[]): Promise<Map<string, string>> {
    const ids = new Set<string>();
    for (const r of rows) {
      if (r.kind === 'stripe_event') ids.add(r.objectId);
      const ev = (r.details as Record<string, unknown> | null)?.['event'];
      if (typeof ev === 'string') ids.add(ev);
    }
    if (ids.size === 0) return new Map();
    const evs = await db.selectFrom('stripe_events').select(['id', 'status']).where('tenant_id', '=', tenant.id).where('id', 'in', [...ids]).execute();
    return new Map(evs.map((e) => [e.id, e.status]));
  }

  async function oneException(tenant: Tenant, id: bigint): Promise<ExceptionResponse> {
    const r = await db.selectFrom('exceptions').selectAll().where('tenant_id', '=', tenant.id).where('id', '=', id).executeTakeFirst();
    if (!r) throw new AccrueError('not_found', `No exception ${id}.`);
    const row: ExceptionRow = {
      id: r.id.toString(), kind: r.kind, objectId: r.object_id, reason: r.reason, details: r.details, status: r.status, retries: r.retries,
      createdAt: r.created_at.toISOString(), resolvedAt: r.resolved_at?.toISOString() ?? null, resolvedBy: r.resolved_by, note: r.note,
    };
    return { exception: exceptionItem(row, await eventStatuses(tenant, [row])) };
  }

  /**
   * The invoice's human number from Stripe (facts do not keep it). Best effort: the drill-down is
   * about our books, so a Stripe that is slow or unreachable leaves the number blank, not an error.
   */
  async function invoiceNumberOf(tenant: Tenant, invoiceId: string): Promise<string | null> {
    if (!deps.stripe) return null;
    try {
      const inv = await deps.stripe.invoices.retrieve(invoiceId, {}, { stripeAccount: tenant.accountId });
      return inv.number ?? null;
    } catch (e) {
      deps.log?.debug({ err: e, invoice: invoiceId }, 'invoice number not available from Stripe');
      return null;
    }
  }

  /** The last `count` periods of the tenant's calendar, ending with the one containing today. */
  function lastPeriods(tenant: Tenant, count: number): Period[] {
    const cal = calendarOf(tenant.settings);
    let p = cal.periodOf(todayOf(tenant));
    const out = [p];
    while (out.length < count) {
      p = cal.periodOf(addDays(p.start, -1));
      out.unshift(p);
    }
    return out;
  }

  async function factsOf(tenant: Tenant, aggregates: readonly string[]): Promise<Fact[]> {
    if (aggregates.length === 0) return [];
    const rows = await db.selectFrom('stripe_facts').select(['fact']).where('tenant_id', '=', tenant.id).where('aggregate', 'in', [...aggregates]).orderBy('fact_key').execute();
    return rows.map((r) => parseFact(r.fact));
  }

  /** Schedules the engine derives for `facts`, up to what has been released. */
  async function schedulesOf(tenant: Tenant, facts: Fact[]): Promise<ScheduleLine[]> {
    if (facts.length === 0) return [];
    const through = await releasedThrough(db, tenant.id);
    return runEngine({ settings: tenant.settings, facts, through }).schedules;
  }

  function scheduleItems(tenant: Tenant, schedules: readonly ScheduleLine[], invoice: InvoiceFinalizedFact | undefined): ScheduleLineItem[] {
    const tz = tenant.settings.reporting_time_zone;
    const linesById = new Map<string, InvoiceLineFact>((invoice?.lines ?? []).map((l) => [l.id, l]));
    const byObligation = new Map<string, ScheduleLine[]>();
    for (const s of schedules) {
      const list = byObligation.get(s.obligation) ?? [];
      list.push(s);
      byObligation.set(s.obligation, list);
    }
    const out: ScheduleLineItem[] = [];
    for (const [obligation, list] of byObligation) {
      const first = list[0]!;
      const line = first.invoiceLine ? linesById.get(first.invoiceLine) : undefined;
      const periods = new Map<string, { amount: bigint; recognized: boolean }>();
      let amount = 0n;
      let recognized = 0n;
      for (const s of list) {
        amount += s.amount;
        if (s.released) recognized += s.amount;
        const cur = periods.get(s.postingPeriod) ?? { amount: 0n, recognized: true };
        cur.amount += s.amount;
        cur.recognized = cur.recognized && s.released;
        periods.set(s.postingPeriod, cur);
      }
      const dates = list.map((s) => s.postingDate).sort();
      const start = line && line.periodEnd > line.periodStart ? localDateOf(line.periodStart, tz) : dates[0]!;
      const end = line && line.periodEnd > line.periodStart ? localDateOf(line.periodEnd, tz) : addDays(dates[dates.length - 1]!, 1);
      out.push({
        invoice_line: first.invoiceLine ?? obligation,
        description: line?.description ?? (obligation === first.invoiceLine ? obligation : `${first.invoiceLine ?? ''} ${obligation}`.trim()),
        product: first.product,
        service_start: start,
        service_end: end > start ? end : addDays(start, 1),
        amount_minor: minor(amount),
        recognized_minor: minor(recognized),
        deferred_minor: minor(amount - recognized),
        periods: [...periods].sort((a, b) => a[0].localeCompare(b[0])).map(([period, v]) => ({ period, amount_minor: minor(v.amount), recognized: v.recognized })),
      });
    }
    return out;
  }

  /**
   * Journal entries that touch an invoice or a customer (a line carries the id, or the entry names
   * the invoice as a source), newest `DETAIL_ENTRIES_MAX`, in posting order, with their QuickBooks id.
   */
  async function entriesFor(tenant: Tenant, f: { invoice?: string; customer?: string }): Promise<EntrySummary[]> {
    const t = tenant.id;
    const byLine = f.invoice !== undefined ? sql`l.invoice = ${f.invoice}` : sql`l.customer = ${f.customer}`;
    const bySource = f.invoice !== undefined ? sql`or (${f.invoice} = any(e.sources))` : sql``;
    const ids = (
      await sql<{ id: bigint }>`
        select e.id from journal_entries e
        where e.tenant_id = ${t}
          and (exists (select 1 from journal_lines l where l.tenant_id = ${t} and l.entry_id = e.id and ${byLine}) ${bySource})
        order by e.id desc limit ${DETAIL_ENTRIES_MAX}`.execute(db)
    ).rows.map((r) => r.id);
    if (ids.length === 0) return [];
    const rows = await db
      .selectFrom('journal_entries as e')
      .innerJoin('journal_lines as l', 'l.entry_id', 'e.id')
      .innerJoin('accounts as a', 'a.id', 'l.account_id')
      .select(['e.id', 'e.kind', 'e.posting_date', 'e.period_key', 'e.memo', 'e.correction', 'l.line_no', 'l.currency', 'l.amount_minor', 'a.role', 'a.name'])
      .where('e.tenant_id', '=', t)
      .where('l.tenant_id', '=', t)
      .where('e.id', 'in', ids)
      .orderBy('e.posting_date')
      .orderBy('e.id')
      .orderBy('l.line_no')
      .execute();
    const textIds = ids.map((i) => i.toString());
    const posted = await sql<{ qbo_id: string; entry_id: string }>`
      select q.qbo_id, x.entry_id from qbo_sync q, unnest(q.source_entry_ids) as x(entry_id)
      where q.tenant_id = ${t} and q.state = 'posted' and q.qbo_id is not null and q.source_entry_ids && ${textIds}::text[]`.execute(db);
    const qboByEntry = new Map(posted.rows.map((r) => [r.entry_id, r.qbo_id]));
    const out = new Map<string, EntrySummary>();
    for (const r of rows) {
      const id = r.id.toString();
      let e = out.get(id);
      if (!e) {
        e = { id, kind: r.kind, posting_date: r.posting_date, period: r.period_key, memo: r.memo, correction: r.correction, qbo_id: qboByEntry.get(id) ?? null, currency: r.currency, lines: [] };
        out.set(id, e);
      }
      e.lines.push({ role: r.role as AccountRole, account: r.name, amount_minor: minor(BigInt(r.amount_minor)) });
    }
    return [...out.values()];
  }

  return {
    async getSettings(caller) {
      const t = await tenantOf(caller);
      return { version: t.settingsVersion, settings: generalOf(t.settings) };
    },

    async updateSettings(caller, req) {
      const t = await tenantOf(caller);
      const changes = Object.fromEntries(Object.entries(req.settings).filter(([, v]) => v !== undefined)) as Partial<TenantSettings>;
      // Currency and time zone decide what every posted amount and period boundary means; once
      // entries exist, changing them would silently re-read history, so it is refused.
      const moves =
        (changes.functional_currency !== undefined && changes.functional_currency !== t.settings.functional_currency) ||
        (changes.reporting_time_zone !== undefined && changes.reporting_time_zone !== t.settings.reporting_time_zone);
      if (moves) {
        const booked = await db.selectFrom('journal_entries').select('id').where('tenant_id', '=', t.id).limit(1).executeTakeFirst();
        if (booked) throw new AccrueError('conflict', 'The functional currency and reporting time zone cannot change once entries are booked.');
      }
      const next = await save(caller, t, { ...t.settings, ...changes }, req.version);
      return { version: next.settingsVersion, settings: generalOf(next.settings) };
    },

    async getAccountMapping(caller) {
      const t = await tenantOf(caller);
      return { mapping: await readMapping(t) };
    },

    async updateAccountMapping(caller, req) {
      const t = await tenantOf(caller);
      const wanted = Object.entries(req.mapping).filter((e): e is [AccountRole, string | null] => e[1] !== undefined);
      const toCheck = wanted.filter(([, id]) => id !== null);
      let chart: QboAccount[] = [];
      if (toCheck.length > 0) chart = await withQbo(t, (s) => s.call((api) => api.listAccounts({ includeInactive: true })));
      const byId = new Map(chart.map((a) => [a.Id, a]));
      const resolved: [AccountRole, { id: string; type: string } | null][] = [];
      // Check everything first, so one bad id leaves the whole mapping unchanged.
      for (const [role, id] of wanted) {
        if (id === null) {
          resolved.push([role, null]);
          continue;
        }
        const a = byId.get(id);
        if (!a) throw new AccrueError('invalid_input', `QuickBooks has no account ${id} (mapping for ${role}).`, { role, account: id });
        if (a.Active === false) throw new AccrueError('invalid_input', `QuickBooks account "${a.Name}" is inactive; ${role} needs an active account.`, { role, account: id });
        const allowed = allowedAccountTypes(role);
        if (!allowed.includes(a.AccountType)) {
          throw new AccrueError('invalid_input', `"${a.Name}" is ${a.AccountType}; ${role} needs one of ${allowed.join(', ')}.`, { role, account: id });
        }
        resolved.push([role, { id: a.Id, type: a.AccountType }]);
      }
      for (const [role, account] of resolved) await writeMapping(t, role, account);
      deps.log?.info({ tenant: t.id.toString(), user: caller.user.id, roles: resolved.map(([r]) => r) }, 'account mapping changed');
      return { mapping: await readMapping(t) };
    },

    async listQboAccounts(caller) {
      const t = await tenantOf(caller);
      const chart = await withQbo(t, (s) => s.call((api) => api.listAccounts({ includeInactive: true })));
      const accounts = chart.map(toQboAccountItem).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
      return { accounts } satisfies QboAccountsResponse;
    },

    async createMissingAccounts(caller, req: CreateMissingAccountsRequest): Promise<CreateMissingAccountsResponse> {
      const t = await tenantOf(caller);
      const mapping = await readMapping(t);
      const roles = (req.roles ?? [...ACCOUNT_ROLES]).filter((r) => mapping[r] === null);
      if (roles.length === 0) return { created: [], mapping };
      const needed: RoleAccount[] = roles.map((role) => ({ role, account: roleAccountName(t.settings, role) }));
      const created: CreateMissingAccountsResponse['created'] = [];
      await withQbo(t, async (s) => {
        const chart = await s.call((api) => api.listAccounts({ includeInactive: true }));
        const proposals = proposeAccounts(needed, chart);
        const api = {
          createAccount: (a: { Name: string; AccountType: string; AccountSubType?: string }) => s.call((x) => x.createAccount(a)),
          listAccounts: (o?: { includeInactive?: boolean }) => s.call((x) => x.listAccounts(o)),
        };
        const applied = await applyProposals(api, proposals);
        for (const p of proposals) {
          const m = applied.get(mappingKey(p.role, p.account));
          if (!m) continue;
          await writeMapping(t, p.role, { id: m.id, type: m.accountType });
          if (p.action === 'create') {
            created.push({ role: p.role, account: { id: m.id, name: m.name ?? p.create.Name, type: m.accountType, sub_type: p.create.AccountSubType, active: true } });
          }
        }
      });
      return { created, mapping: await readMapping(t) };
    },

    async startQboConnect(caller): Promise<QboConnectResponse> {
      const q = requireQbo();
      const t = await tenantOf(caller);
      const tenantId = t.id.toString();
      const { url, state } = q.oauth.authorizationUrl(tenantId);
      const now = clock.now_ms();
      forgetExpired();
      pending.set(state, { tenantId, started_ms: now, expires_ms: now + OAUTH_STATE_TTL_MS });
      failed.delete(tenantId);
      return { authorization_url: url, expires_at: new Date(now + OAUTH_STATE_TTL_MS).toISOString() };
    },

    async getQboStatus(caller) {
      return qboStatus(await tenantOf(caller));
    },

    async disconnectQbo(caller) {
      const q = requireQbo();
      const t = await tenantOf(caller);
      const tenantId = t.id.toString();
      try {
        await q.oauth.revoke(tenantId);
      } catch (e) {
        throw qboFailure(e);
      }
      for (const [k, p] of pending) if (p.tenantId === tenantId) pending.delete(k);
      failed.delete(tenantId);
      deps.log?.info({ tenant: tenantId, user: caller.user.id }, 'QuickBooks disconnected');
      return qboStatus(t);
    },

    async listProducts(caller, query: ProductsQuery): Promise<ProductsResponse> {
      const t = await tenantOf(caller);
      if (!deps.stripe) throw new AccrueError('not_configured', 'STRIPE_SECRET_KEY is not configured, so products cannot be listed.');
      let page: Stripe.ApiList<Stripe.Product>;
      try {
        page = await deps.stripe.products.list(
          { limit: query.limit, ...(query.starting_after ? { starting_after: query.starting_after } : {}), expand: ['data.default_price'] },
          { stripeAccount: t.accountId },
        );
      } catch (e) {
        throw stripeFailure(e, 'products');
      }
      const today = todayOf(t);
      const lookups = { left: PRICE_LOOKUPS_MAX };
      const products: ProductSummary[] = [];
      for (const p of page.data) products.push(await summarize(t, p, ruleInForce(rulesOf(t.settings, p.id), today), lookups));
      return { products, has_more: page.has_more };
    },

    async getProductRule(caller, productId) {
      const t = await tenantOf(caller);
      const rule = ruleInForce(rulesOf(t.settings, productId), todayOf(t));
      return { product: await productSummary(t, productId, rule, { allowMissing: true }), rule, version: t.settingsVersion } satisfies ProductRuleResponse;
    },

    async putProductRule(caller, productId, req: ProductRuleUpdateRequest) {
      const t = await tenantOf(caller);
      // The product must exist for this merchant before a rule is stored for it.
      const product = await productSummary(t, productId, req.rule, { allowMissing: false });
      const rules = { ...t.settings.product_rules, [productId]: withRule(rulesOf(t.settings, productId), req.rule) };
      const next = await save(caller, t, { ...t.settings, product_rules: rules }, req.version);
      return { product, rule: req.rule, version: next.settingsVersion };
    },

    async deleteProductRule(caller, productId, req: ProductRuleDeleteRequest) {
      const t = await tenantOf(caller);
      if (t.settings.product_rules[productId] === undefined) throw new AccrueError('not_found', `Product ${productId} has no rule.`);
      const { [productId]: _removed, ...rest } = t.settings.product_rules;
      const next = await save(caller, t, { ...t.settings, product_rules: rest }, req.version);
      return { product: await productSummary(next, productId, null, { allowMissing: true }), rule: null, version: next.settingsVersion };
    },

    async getSyncStatus(caller): Promise<SyncStatusResponse> {
      const t = await tenantOf(caller);
      const lastEvent = await db.selectFrom('stripe_events').select(['received_at', 'type']).where('tenant_id', '=', t.id).orderBy('received_at', 'desc').orderBy('seq', 'desc').limit(1).executeTakeFirst();
      const lastPosting = await db.selectFrom('qbo_sync').select(sql<Date | null>`max(updated_at)`.as('at')).where('tenant_id', '=', t.id).where('state', '=', 'posted').executeTakeFirst();
      const pendingCount = await sql<{ n: bigint }>`
        select count(*)::bigint as n from journal_entries e
        where e.tenant_id = ${t.id}
          and not exists (select 1 from qbo_sync q where q.tenant_id = e.tenant_id and q.state = 'posted' and q.source_entry_ids @> array[e.id::text])`.execute(db);
      const failedCount = await db.selectFrom('qbo_sync').select(sql<bigint>`count(*)::bigint`.as('n')).where('tenant_id', '=', t.id).where('state', '=', 'failed').executeTakeFirst();
      const openCount = await db.selectFrom('exceptions').select(sql<bigint>`count(*)::bigint`.as('n')).where('tenant_id', '=', t.id).where('status', '=', 'open').executeTakeFirst();
      return {
        last_event_received_at: lastEvent?.received_at.toISOString() ?? null,
        last_event_type: lastEvent?.type ?? null,
        last_posting_at: lastPosting?.at ? new Date(lastPosting.at).toISOString() : null,
        pending_count: Number(pendingCount.rows[0]?.n ?? 0n),
        failed_count: Number(failedCount?.n ?? 0n),
        open_exceptions: Number(openCount?.n ?? 0n),
        qbo: await qboStatus(t),
      };
    },

    async listExceptions(caller, query: ExceptionsQuery): Promise<ExceptionsResponse> {
      const t = await tenantOf(caller);
      let after: bigint | undefined;
      if (query.starting_after !== undefined) {
        const id = bigintId(query.starting_after);
        if (id === null) throw new AccrueError('invalid_input', 'starting_after must be an exception id.');
        after = id;
      }
      const rows = await listExceptionRows(db, t.id, { ...(query.status === 'all' ? {} : { status: query.status }), limit: query.limit + 1, ...(after ? { after } : {}) });
      const page = rows.slice(0, query.limit);
      const statuses = await eventStatuses(t, page);
      return { exceptions: page.map((r) => exceptionItem(r, statuses)), has_more: rows.length > query.limit };
    },

    async retryException(caller, exceptionId) {
      const t = await tenantOf(caller);
      const id = bigintId(exceptionId);
      if (id === null) throw new AccrueError('not_found', `No exception ${exceptionId}.`);
      if (!deps.jobs) throw new AccrueError('not_configured', 'The job queue is not running in this process, so nothing can be retried.');
      await retryExceptionUseCase(db, deps.jobs, t.id, id);
      return oneException(t, id);
    },

    async resolveException(caller, exceptionId, req: ResolveExceptionRequest) {
      const t = await tenantOf(caller);
      const id = bigintId(exceptionId);
      if (id === null) throw new AccrueError('not_found', `No exception ${exceptionId}.`);
      await resolveExceptionRow(db, t.id, id, caller.user.id, req.note);
      return oneException(t, id);
    },

    async getWaterfall(caller, query: ReportQuery): Promise<WaterfallResponse> {
      const t = await tenantOf(caller);
      const currency = t.settings.functional_currency;
      const periods = lastPeriods(t, query.periods);
      const keys = periods.map((p) => p.key);
      const last = keys[keys.length - 1]!;
      const lines = (await loadLedgerLines(db, t.id, { throughPeriod: last })).filter((l) => l.currency === currency);
      const grid = waterfall(lines).currencies.find((c) => c.currency === currency);
      // Still deferred per booking period: the credit balance of deferred revenue booked then.
      const remaining = new Map<string, bigint>();
      for (const l of lines) {
        if (l.role !== 'deferred_revenue' || !l.bookedPeriod) continue;
        remaining.set(l.bookedPeriod, (remaining.get(l.bookedPeriod) ?? 0n) - l.amount);
      }
      const booked = new Set<string>([...(grid?.rows.map((r) => r.bookedPeriod) ?? []), ...[...remaining].filter(([, v]) => v !== 0n).map(([k]) => k)]);
      const rows: WaterfallResponse['rows'] = [];
      for (const b of [...booked].sort()) {
        const row = grid?.rows.find((r) => r.bookedPeriod === b);
        const inWindow = keys.map((k) => row?.cells[k]?.amount ?? 0n);
        const left = remaining.get(b) ?? 0n;
        if (left === 0n && inWindow.every((v) => v === 0n)) continue;
        // Booked = everything recognized from it so far (also before the window) + what is still deferred.
        rows.push({ booked_period: b, booked_minor: minor((row?.total ?? 0n) + left), recognized_minor: inWindow.map(minor), remaining_minor: minor(left) });
      }
      const totals = keys.map((k) => rows.reduce((s, r) => s + BigInt(r.recognized_minor[keys.indexOf(k)]!), 0n));
      return { currency, periods: keys, rows, totals_minor: totals.map(minor) };
    },

    async getRollforward(caller, query: ReportQuery): Promise<RollforwardResponse> {
      const t = await tenantOf(caller);
      const currency = t.settings.functional_currency;
      const periods = lastPeriods(t, query.periods);
      const lines = await loadLedgerLines(db, t.id, { throughPeriod: periods[periods.length - 1]!.key });
      const report = rollforward(lines, { periods });
      const rows = periods.map((p) => {
        const r = report.rows.find((x) => x.role === 'deferred_revenue' && x.currency === currency && x.period === p.key);
        if (!r) {
          const zero = minor(0n);
          return { period: p.key, opening_minor: zero, billings_minor: zero, recognized_minor: zero, contra_minor: zero, fx_minor: zero, closing_minor: zero };
        }
        // The App shows one signed "FX and other" column so its row still adds up: reversals and
        // manual entries move deferred revenue too (shared/reports keeps them apart as `other`).
        return {
          period: p.key,
          opening_minor: minor(r.opening),
          billings_minor: minor(r.billings),
          recognized_minor: minor(r.recognized),
          contra_minor: minor(r.contra),
          fx_minor: minor(r.fx + r.other),
          closing_minor: minor(r.closing),
        };
      });
      return { currency, rows };
    },

    async getInvoiceDetail(caller, invoiceId): Promise<InvoiceDetailResponse> {
      const t = await tenantOf(caller);
      const facts = await factsOf(t, [invoiceId]);
      const entries = await entriesFor(t, { invoice: invoiceId });
      if (facts.length === 0 && entries.length === 0) throw new AccrueError('not_found', `Nothing is booked for invoice ${invoiceId}.`);
      const finalized = facts.find((f): f is InvoiceFinalizedFact => f.type === 'invoice_finalized');
      const schedules = (await schedulesOf(t, facts)).filter((s) => s.invoice === invoiceId || s.aggregate === invoiceId);
      return {
        invoice_id: invoiceId,
        number: await invoiceNumberOf(t, invoiceId),
        customer_id: finalized?.customer ?? null,
        currency: t.settings.functional_currency,
        booked_on: finalized ? localDateOf(finalized.at, t.settings.reporting_time_zone) : null,
        schedule: scheduleItems(t, schedules, finalized),
        entries,
      };
    },

    async getCustomerDetail(caller, customerId): Promise<CustomerDetailResponse> {
      const t = await tenantOf(caller);
      const invoiceRows = await db
        .selectFrom('stripe_facts')
        .select(['aggregate'])
        .distinct()
        .where('tenant_id', '=', t.id)
        .where(sql<boolean>`fact->>'type' = 'invoice_finalized'`)
        .where(sql<boolean>`fact->>'customer' = ${customerId}`)
        .orderBy('aggregate')
        .limit(CUSTOMER_INVOICES_MAX)
        .execute();
      const aggregates = invoiceRows.map((r) => r.aggregate);
      const facts = await factsOf(t, aggregates);
      const entries = await entriesFor(t, { customer: customerId });
      if (facts.length === 0 && entries.length === 0) throw new AccrueError('not_found', `Nothing is booked for customer ${customerId}.`);
      const schedules = await schedulesOf(t, facts);
      const tz = t.settings.reporting_time_zone;
      let recognized = 0n;
      let deferred = 0n;
      const invoices: CustomerDetailResponse['invoices'] = [];
      for (const inv of facts.filter((f): f is InvoiceFinalizedFact => f.type === 'invoice_finalized')) {
        const own = schedules.filter((s) => s.aggregate === inv.invoice);
        const total = own.reduce((s, x) => s + x.amount, 0n);
        const rec = own.filter((x) => x.released).reduce((s, x) => s + x.amount, 0n);
        recognized += rec;
        deferred += total - rec;
        invoices.push({ invoice_id: inv.invoice, number: null, booked_on: localDateOf(inv.at, tz), total_minor: minor(total), recognized_minor: minor(rec), deferred_minor: minor(total - rec) });
      }
      invoices.sort((a, b) => (a.booked_on ?? '').localeCompare(b.booked_on ?? '') || a.invoice_id.localeCompare(b.invoice_id));
      return { customer_id: customerId, currency: t.settings.functional_currency, recognized_minor: minor(recognized), deferred_minor: minor(deferred), invoices, entries };
    },

    async completeQboConnect(callbackUrl) {
      if (!deps.qbo) return { ok: false, reason: 'not_configured', message: 'QuickBooks is not configured on this Accrue server.' };
      const query = new URLSearchParams(callbackUrl.includes('?') ? callbackUrl.slice(callbackUrl.indexOf('?') + 1) : callbackUrl);
      const state = query.get('state') ?? '';
      const attempt = pending.get(state);
      // One attempt per state, whatever happens next: the nonce is spent by the first submission.
      pending.delete(state);
      // Test and live books (and two Stripe accounts) never share a QuickBooks company (policy
      // section 1). Checked before the code is exchanged, so a refusal leaves no grant behind.
      // The tenant here is only a hint (the state is verified by the exchange): a forged hint can
      // do no more than refuse its own request.
      const claimed = attempt?.tenantId ?? tenantHintOf(state);
      const realmFromQuery = query.get('realmId');
      if (claimed !== null && realmFromQuery && query.get('error') === null) {
        const other = await db
          .selectFrom('qbo_connections')
          .select('tenant_id')
          .where('realm_id', '=', realmFromQuery)
          .where('tenant_id', '!=', BigInt(claimed))
          .where('status', '!=', 'revoked')
          .executeTakeFirst();
        if (other) {
          const message = 'This QuickBooks company is already connected to another Stripe account or mode (test and live books stay apart). Disconnect it there first, or choose another company.';
          if (attempt) failed.set(attempt.tenantId, { at_ms: clock.now_ms(), message });
          deps.log?.info({ tenant: claimed, realm: realmFromQuery }, 'QuickBooks company already connected to another tenant');
          return { ok: false, reason: 'realm_in_use', message };
        }
      }
      try {
        const { tenantId, realmId } = await deps.qbo.oauth.handleCallback(callbackUrl);
        failed.delete(tenantId);
        deps.log?.info({ tenant: tenantId, realm: realmId }, 'QuickBooks connected');
        return { ok: true, realmId };
      } catch (e) {
        const err = isAccrueError(e) ? e : new AccrueError('upstream_unavailable', 'QuickBooks did not answer.');
        const denied = query.get('error') !== null && err.code === 'forbidden' && /consent/i.test(err.message);
        const stateProblem = err.code === 'forbidden' && /state/i.test(err.message);
        const outcome: QboCallbackOutcome = denied
          ? { ok: false, reason: 'denied', message: 'The QuickBooks connection was cancelled in QuickBooks.' }
          : stateProblem
            ? { ok: false, reason: 'bad_state', message: 'This QuickBooks sign-in link was already used or has expired. Start the connection again from the Accrue app in Stripe.' }
            : err.code === 'forbidden'
              ? { ok: false, reason: 'exchange_failed', message: 'QuickBooks refused the sign-in (the code was already used or expired). Start the connection again.' }
              : { ok: false, reason: 'upstream', message: 'QuickBooks did not answer while finishing the connection. Start the connection again in a moment.' };
        // Only an attempt we issued records its failure for the status view; a replayed or
        // forged state never touches any tenant's status.
        if (attempt && !stateProblem) failed.set(attempt.tenantId, { at_ms: clock.now_ms(), message: outcome.message });
        deps.log?.info({ reason: outcome.reason, code: err.code }, 'QuickBooks connect did not complete');
        return outcome;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Wiring from configuration

/** Domain-separation label for the OAuth state key, so it never equals any other derived key. */

/**
 * The QuickBooks parts from configuration, or null when any of QBO_CLIENT_ID, QBO_CLIENT_SECRET,
 * QBO_REDIRECT_URI or ACCRUE_ENCRYPTION_KEY is missing (tokens are never stored unencrypted).
 * The state-signing key is derived from the client secret and the encryption keyring, so it
 * needs no setting of its own and changes when either is rotated.
 */
export function qboDepsFromConfig(config: Config, db: Db, clock?: Clock): QboDeps | null {
  const services = qboServices(config, db, clock);
  return services ? { oauth: services.oauth, tokens: services.tokens } : null;
}

/** The service for a running process (`buildServer`): database, jobs and Stripe from the context. */
export function appServiceFromContext(ctx: { config: Config; db: Db; jobs: Jobs | null; stripe: Stripe | null; log?: Logger; qbo?: QboServices | null }): AccrueAppService {
  // Share the context's QuickBooks services (one OAuth client per process), when it has them.
  const qbo = ctx.qbo !== undefined ? (ctx.qbo ? { oauth: ctx.qbo.oauth, tokens: ctx.qbo.tokens } : null) : qboDepsFromConfig(ctx.config, ctx.db);
  return createAppService({ db: ctx.db, jobs: ctx.jobs, stripe: ctx.stripe, qbo, ...(ctx.log ? { log: ctx.log.child({ part: 'app' }) } : {}) });
}
