/**
 * Accounting periods of a tenant: created on first use from the tenant's calendar, closed and
 * reopened as audited actions. Closed periods always form a prefix of the calendar — a period
 * closes only after every earlier one, and only the latest closed period can be reopened — so
 * "the first open period" is well defined: the one right after the last closed period.
 */
import { sql } from 'kysely';
import { AccrueError } from '../../shared/errors.ts';
import type { LocalDate } from '../../shared/journal.ts';
import { periodCalendar, type Period, type PeriodCalendar } from '../../shared/periods.ts';
import type { TenantSettings } from '../../shared/settings.ts';
import { localDateOf, parseDate } from '../../shared/time.ts';
import type { Db, Tx } from '../db/database.ts';
import type { Tenant } from './tenants.ts';

/** Posting dates further than this from today's year are almost certainly bad input. */
const EARLIEST_YEAR = 1990;
const LATEST_YEAR = 2100;

export function calendarOf(settings: TenantSettings): PeriodCalendar {
  const c = settings.period_calendar;
  return periodCalendar(
    c.type === 'monthly' ? { type: 'monthly' } : { type: '4-4-5', fiscalYearStart: c.fiscal_year_start },
  );
}

export function checkPostingDate(date: LocalDate): void {
  const { y } = parseDate(date);
  if (y < EARLIEST_YEAR || y > LATEST_YEAR)
    throw new AccrueError('invalid_input', `posting date ${date} is out of range (${EARLIEST_YEAR}–${LATEST_YEAR})`);
}

/** Makes sure the period row for `p` exists. */
async function ensurePeriodRow(tx: Db | Tx, tenantId: bigint, p: Period): Promise<void> {
  await tx
    .insertInto('periods')
    .values({ tenant_id: tenantId, key: p.key, start_date: p.start, end_date: p.end, closed_at: null, closed_by: null })
    .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
    .execute();
}

export interface PostingPlace {
  periodKey: string;
  postingDate: LocalDate;
  /** Set when the date fell in a closed period and the entry moves to the first open one. */
  originalDate: LocalDate | null;
}

/**
 * Where an entry dated `date` goes: its own period when open; otherwise the first open period,
 * dated that period's first day. The chosen period row is share-locked until the transaction
 * ends, so a concurrent close waits for our insert instead of racing it.
 */
export async function placeEntry(tx: Tx, tenant: Tenant, date: LocalDate): Promise<PostingPlace> {
  checkPostingDate(date);
  const cal = calendarOf(tenant.settings);
  let p = cal.periodOf(date);
  await ensurePeriodRow(tx, tenant.id, p);
  let moved = false;
  for (;;) {
    const row = await tx
      .selectFrom('periods')
      .select(['status'])
      .where('tenant_id', '=', tenant.id)
      .where('key', '=', p.key)
      .forShare()
      .executeTakeFirstOrThrow();
    if (row.status === 'open') break;
    moved = true;
    p = cal.next(p);
    await ensurePeriodRow(tx, tenant.id, p);
  }
  return moved
    ? { periodKey: p.key, postingDate: p.start, originalDate: date }
    : { periodKey: p.key, postingDate: date, originalDate: null };
}

/**
 * `placeEntry` for many dates at once: the periods they fall in are created in one statement and
 * share-locked in another. Dates in an open period stay where they are; a date in a closed
 * period (rare: a late fact) is placed on its own by `placeEntry`.
 */
export async function placeEntries(
  tx: Tx,
  tenant: Tenant,
  dates: Iterable<LocalDate>,
): Promise<Map<LocalDate, PostingPlace>> {
  const cal = calendarOf(tenant.settings);
  const periodOfDate = new Map<LocalDate, Period>();
  for (const d of dates) {
    if (periodOfDate.has(d)) continue;
    checkPostingDate(d);
    periodOfDate.set(d, cal.periodOf(d));
  }
  const places = new Map<LocalDate, PostingPlace>();
  if (!periodOfDate.size) return places;
  const periods = new Map([...periodOfDate.values()].map((p) => [p.key, p]));
  await tx
    .insertInto('periods')
    .values(
      [...periods.values()].map((p) => ({
        tenant_id: tenant.id,
        key: p.key,
        start_date: p.start,
        end_date: p.end,
        closed_at: null,
        closed_by: null,
      })),
    )
    .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
    .execute();
  const rows = await tx
    .selectFrom('periods')
    .select(['key', 'status'])
    .where('tenant_id', '=', tenant.id)
    .where('key', 'in', [...periods.keys()])
    .orderBy('key')
    .forShare()
    .execute();
  const open = new Set(rows.filter((r) => r.status === 'open').map((r) => r.key));
  for (const [d, p] of periodOfDate) {
    places.set(
      d,
      open.has(p.key) ? { periodKey: p.key, postingDate: d, originalDate: null } : await placeEntry(tx, tenant, d),
    );
  }
  return places;
}

export interface PeriodRow {
  key: string;
  start: LocalDate;
  end: LocalDate;
  status: 'open' | 'closed';
  closedAt: Date | null;
  closedBy: string | null;
}

export async function listPeriods(db: Db | Tx, tenantId: bigint): Promise<PeriodRow[]> {
  const rows = await db
    .selectFrom('periods')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('start_date')
    .execute();
  return rows.map((r) => ({
    key: r.key,
    start: r.start_date,
    end: r.end_date,
    status: r.status,
    closedAt: r.closed_at,
    closedBy: r.closed_by,
  }));
}

function keyToDate(cal: PeriodCalendar, key: string): Period {
  if (cal.spec.type === 'monthly') {
    if (!/^\d{4}-\d{2}$/.test(key)) throw new AccrueError('invalid_input', `"${key}" is not a period (YYYY-MM)`);
    parseDate(`${key}-01`);
    return cal.periodOf(`${key}-01`);
  }
  throw new AccrueError('invalid_input', `name a 4-4-5 period by a date inside it (YYYY-MM-DD), not "${key}"`);
}

/** Resolves a period named by key (`2026-03`) or by any date inside it. */
export function resolvePeriod(tenant: Tenant, keyOrDate: string): Period {
  const cal = calendarOf(tenant.settings);
  if (/^\d{4}-\d{2}-\d{2}$/.test(keyOrDate)) return cal.periodOf(keyOrDate);
  return keyToDate(cal, keyOrDate);
}

/**
 * Closes a period (and nothing else). Periods close in order: every earlier period, including
 * one without activity between two that have it, must be closed first; and a period that has not
 * begun yet (in the tenant's reporting time zone, `now` in epoch milliseconds) cannot be closed.
 */
export async function closePeriod(
  db: Db,
  tenant: Tenant,
  keyOrDate: string,
  actor: string,
  now: number = Date.now(),
  alsoInTx?: (tx: Tx) => Promise<void>,
): Promise<PeriodRow> {
  const p = resolvePeriod(tenant, keyOrDate);
  const cal = calendarOf(tenant.settings);
  const today = localDateOf(Math.floor(now / 1000), tenant.settings.reporting_time_zone);
  if (p.start > today)
    throw new AccrueError(
      'conflict',
      `period ${p.key} has not begun (today is ${today}); the latest period that can be closed is ${cal.periodOf(today).key}`,
    );
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`periods:${tenant.id}`}, 0))`.execute(tx);
    const previous = await tx
      .selectFrom('periods')
      .select(['key', 'start_date', 'status'])
      .where('tenant_id', '=', tenant.id)
      .where('start_date', '<', p.start)
      .orderBy('start_date', 'desc')
      .executeTakeFirst();
    const earlierOpen = await tx
      .selectFrom('periods')
      .select(['key'])
      .where('tenant_id', '=', tenant.id)
      .where('start_date', '<', p.start)
      .where('status', '=', 'open')
      .orderBy('start_date')
      .executeTakeFirst();
    if (earlierOpen)
      throw new AccrueError('conflict', `close ${earlierOpen.key} before ${p.key}: periods close in order`);
    // A period without activity between the last closed one and this one is open too.
    const gap = previous ? cal.next(cal.periodOf(previous.start_date)) : null;
    if (gap && gap.key !== p.key)
      throw new AccrueError('conflict', `close ${gap.key} before ${p.key}: periods close in order`);
    await ensurePeriodRow(tx, tenant.id, p);
    const cur = await tx
      .selectFrom('periods')
      .select(['status'])
      .where('tenant_id', '=', tenant.id)
      .where('key', '=', p.key)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (cur.status === 'closed') throw new AccrueError('conflict', `period ${p.key} is already closed`);
    await tx
      .updateTable('periods')
      .set({ status: 'closed', closed_at: new Date(), closed_by: actor })
      .where('tenant_id', '=', tenant.id)
      .where('key', '=', p.key)
      .execute();
    await tx
      .insertInto('period_audit')
      .values({ tenant_id: tenant.id, period_key: p.key, action: 'close', actor, reason: null })
      .execute();
    // A caller's own record of the close (the App's audit row) commits with it or not at all.
    if (alsoInTx) await alsoInTx(tx);
    return { key: p.key, start: p.start, end: p.end, status: 'closed' as const, closedAt: new Date(), closedBy: actor };
  });
}

/** Reopens the latest closed period. Needs a reason; the action is kept in the audit trail. */
export async function reopenPeriod(
  db: Db,
  tenant: Tenant,
  keyOrDate: string,
  actor: string,
  reason: string,
  alsoInTx?: (tx: Tx) => Promise<void>,
): Promise<PeriodRow> {
  if (!reason?.trim()) throw new AccrueError('invalid_input', 'reopening a period needs a reason');
  const p = resolvePeriod(tenant, keyOrDate);
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`periods:${tenant.id}`}, 0))`.execute(tx);
    const cur = await tx
      .selectFrom('periods')
      .select(['status'])
      .where('tenant_id', '=', tenant.id)
      .where('key', '=', p.key)
      .forUpdate()
      .executeTakeFirst();
    if (!cur || cur.status !== 'closed') throw new AccrueError('conflict', `period ${p.key} is not closed`);
    const laterClosed = await tx
      .selectFrom('periods')
      .select(['key'])
      .where('tenant_id', '=', tenant.id)
      .where('start_date', '>', p.start)
      .where('status', '=', 'closed')
      .executeTakeFirst();
    if (laterClosed)
      throw new AccrueError(
        'conflict',
        `reopen ${laterClosed.key} first: only the latest closed period can be reopened`,
      );
    await tx
      .updateTable('periods')
      .set({ status: 'open', closed_at: null, closed_by: null })
      .where('tenant_id', '=', tenant.id)
      .where('key', '=', p.key)
      .execute();
    await tx
      .insertInto('period_audit')
      .values({ tenant_id: tenant.id, period_key: p.key, action: 'reopen', actor, reason: reason.trim() })
      .execute();
    if (alsoInTx) await alsoInTx(tx);
    return { key: p.key, start: p.start, end: p.end, status: 'open' as const, closedAt: null, closedBy: null };
  });
}
