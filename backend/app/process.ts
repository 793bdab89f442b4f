/**
 * Processing: from stored Stripe events to ledger entries.
 *
 * For each pending event of a tenant, in Stripe's `created` order (arrival order breaks ties):
 * 1. outside any transaction, read what the event does not carry from the Stripe API (the
 *    current objects, so an event that arrives before the one it follows still sees the full
 *    picture) and map it to facts;
 * 2. in one transaction: store the facts, run the pure engine over every aggregate they touch,
 *    post the entries (idempotent by key), mark the event processed and enqueue the follow-up
 *    work. A crash anywhere leaves the event pending and nothing half-written.
 *
 * Because the engine is a pure function of the stored facts and entry keys are deterministic,
 * duplicates and any delivery order end in the same journal.
 *
 * Storing facts and booking aggregates (engine, ledger, adjustments) is `booking.ts`, shared with
 * the release below. The inbox module owns the events' state: the drain reads pending events and marks their
 * outcomes through `backend/inbox/drain-status.ts`, and takes the inbox lock before its last look
 * (`awaitPendingWriters`, `backend/inbox/drain-request.ts`).
 */
import { releaseOpeningSchedules } from './imports/opening-release.ts';
import { postRevaluations } from './revaluation.ts';
import { accrueUnbilledUsage } from './usage-accrual.ts';
import type Stripe from 'stripe';
import pg from 'pg';
import { AccrueError, isAccrueError } from '../../shared/errors.ts';
import { eventTypeRank } from '../../shared/engine/order.ts';
import type { LocalDate } from '../../shared/journal.ts';
import type { Currency } from '../../shared/money.ts';
import type { Db, Tx } from '../db/database.ts';
import { errorChain, isTransientFailure } from '../errors.ts';
import { QUEUES, type Jobs } from '../jobs/runner.ts';
import { getTenantById, type Tenant } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { awaitPendingWriters } from '../inbox/drain-request.ts';
import {
  eventPayloads,
  markDrainOutcomes,
  pendingEventsAfter,
  pendingEventsOfSecond,
  recordDeferredAttempt,
  type InboxPosition,
  type PendingEventHead,
} from '../inbox/drain-status.ts';
import { collectFacts, HANDLED_EVENT_TYPES } from '../stripe/mapping.ts';
import type { StripeReader } from '../stripe/reader.ts';
import { recordException } from '../ledger/exception-queue.ts';
import {
  bookAggregates,
  FactCache,
  lockTenantBooks,
  prepareFact,
  storeFacts,
  type AfterPost,
  type PreparedFact,
} from './booking.ts';
import { loadSnapshot, snapshotCoverage, snapshotReader } from './snapshot.ts';

/** After this many failed attempts an event goes to the exception queue as `failed`. */
export const EVENT_ATTEMPTS_MAX = 5;
/** Aggregates re-run per transaction by a release. */
const RELEASE_CHUNK = 250;
/** Before any release has run, no period is released. */
const NOTHING_RELEASED: LocalDate = '1900-01-01';

export interface ProcessDeps {
  db: Db;
  jobs: Jobs | null;
  log?: Logger | undefined;
  readerFor(tenant: Tenant): StripeReader;
  /** Called after entries were posted for a tenant (e.g. to enqueue a QuickBooks sync). */
  afterPost?: AfterPost;
  /** Events committed per transaction, live and backfill alike (default EVENTS_PER_TRANSACTION, BACKFILL_EVENTS_PER_TRANSACTION). */
  eventsPerTransaction?: number;
}

export interface DrainResult {
  processed: number;
  ignored: number;
  failed: number;
  /** Events left pending because of a transient failure (retried later). */
  deferred: number;
}

const ALWAYS_PROCESSED = new Set(['account.application.authorized', 'account.application.deauthorized']);

/**
 * Order of event types that Stripe stamps with the same second (defined once as
 * EVENT_TYPE_ORDER with the engine's other orders in shared/engine/order.ts): what a request
 * created first is processed first, so a refund created by a credit note is never booked as a
 * bare refund.
 */
export const typeOrder = eventTypeRank;

/** Events committed together: their facts are stored and their aggregates booked once per batch. */
const EVENTS_PER_TRANSACTION = 100;
/**
 * Backfill events committed together. They are read from the backfill snapshot, not from Stripe,
 * so a batch is all CPU and PostgreSQL: larger batches mean fewer statements per event.
 */
const BACKFILL_EVENTS_PER_TRANSACTION = 500;

interface BatchLimits {
  live: number;
  backfill: number;
}
/** Stripe reads in flight while mapping one batch. */
const MAPPING_CONCURRENCY = 24;

interface PendingEvent extends PendingEventHead {
  payload: unknown;
}

/** Live and replayed events read Stripe; backfill events read the backfill snapshot first. */
interface RoundReaders {
  live: StripeReader;
  backfill: StripeReader | null;
  /** The tenant's books' currency: a payout in it needs no list of what it paid out. */
  functionalCurrency: Currency;
}

type Mapped =
  | { ev: PendingEvent; facts: PreparedFact[]; exceptions: { reason: string; objectId: string }[] }
  | { ev: PendingEvent; error: unknown };

/**
 * Processes every pending event of a tenant, in Stripe's order, a batch at a time: Stripe reads
 * happen outside any transaction; each batch's facts, entries and processed marks commit
 * together. A transient failure stops the drain at that event (later events wait, so order is
 * kept) and is retried; a permanent one sends the event to the exception queue.
 *
 * Reading and mapping the next batch overlaps committing this one: the reads touch no database
 * state the commit writes, and the two halves use different resources (this process's CPU and
 * Stripe, PostgreSQL). A backlog is read batch after batch by (created, seq); whenever a read
 * comes back short, the next starts from the beginning again, so an event that arrives late with
 * an earlier `created` waits for one batch at most.
 */
export async function drainInbox(deps: ProcessDeps, tenantId: bigint): Promise<DrainResult> {
  const result: DrainResult = { processed: 0, ignored: 0, failed: 0, deferred: 0 };
  const tenant = await getTenantById(deps.db, tenantId);
  if (tenant.status !== 'active') return result;
  const reader = deps.readerFor(tenant);
  const handled = new Set<string>(HANDLED_EVENT_TYPES);
  const factCache = new FactCache();
  const limits: BatchLimits = {
    live: deps.eventsPerTransaction ?? EVENTS_PER_TRANSACTION,
    backfill: deps.eventsPerTransaction ?? BACKFILL_EVENTS_PER_TRANSACTION,
  };
  // Where the next read starts: after the last full batch (a backlog is read in order without
  // rereading it), or from the beginning once a read came back short (caught up: anything that
  // arrived meanwhile with an earlier `created` is picked up at once, never starved by newer ones).
  let after: InboxPosition | null = null;
  // The batch being committed while the next one is read: still pending, so excluded by id.
  let committing: string[] = [];
  type Read = { events: PendingEvent[]; mapped: (Mapped | null)[] } | { empty: true; fromStart: boolean };
  const read = async (): Promise<Read> => {
    const fromStart = after === null;
    const { events, last, full } = await nextBatch(deps.db, tenantId, limits, after, committing);
    if (!last) return { empty: true, fromStart };
    after = full ? last : null;
    const readers: RoundReaders = {
      live: reader,
      backfill: await backfillReader(deps.db, tenantId, reader, events),
      functionalCurrency: tenant.settings.functional_currency,
    };
    return { events, mapped: await mapBatch(readers, handled, events) };
  };
  // A read that fails while a commit is in flight is reported when awaited, not as unhandled.
  const startRead = (): Promise<Read> => {
    const p = read();
    p.catch(() => undefined);
    return p;
  };
  let reading = startRead();
  let lastLook = false;
  for (;;) {
    const batch = await reading;
    if ('empty' in batch) {
      if (batch.fromStart && lastLook) return result;
      // Nothing pending that we can see. An event being stored right now may have had its inbox
      // job dropped because this drain's job was still queued: wait for such writers, look again.
      if (batch.fromStart) {
        await awaitPendingWriters(deps.db, tenantId);
        lastLook = true;
      }
      after = null;
      reading = startRead();
      continue;
    }
    lastLook = false;
    committing = batch.events.map((e) => e.id);
    reading = startRead();
    const stop = await commitBatch(deps, tenant, handled, batch.events, batch.mapped, result, factCache);
    committing = [];
    if (stop) {
      await reading.catch(() => undefined);
      return result;
    }
  }
}

/**
 * The next pending events after `after` in Stripe's order, sorted for processing: at most
 * `limits.backfill` when they are all backfill events, at most `limits.live` otherwise (a live
 * batch is mapped and booked while webhooks wait for the same process, so it stays short). A cut
 * batch ends before the last second it reaches, so the events Stripe stamped with one second are
 * ordered together (EVENT_TYPE_ORDER). When that second alone holds more than a batch, the batch is its
 * first events in EVENT_TYPE_ORDER (a credit note before the refund it made, whatever arrived first),
 * and the next read starts at that second again; the events this batch takes are excluded from it
 * while they commit and are no longer pending after.
 */
async function nextBatch(
  db: Db,
  tenantId: bigint,
  limits: BatchLimits,
  after: InboxPosition | null,
  excluding: string[],
): Promise<{ events: PendingEvent[]; last: InboxPosition | null; full: boolean }> {
  // Which events, first without their payloads (a live batch uses only a few of those looked at).
  const limitOf = (rows: { source: string }[]) =>
    rows.some((e) => e.source !== 'backfill') ? limits.live : limits.backfill;
  const limit = Math.max(limits.backfill, limits.live);
  let rows = await pendingEventsAfter(db, tenantId, after, limit, excluding);
  let cut = rows.length === limit;
  if (rows.length > limitOf(rows)) {
    rows = rows.slice(0, limitOf(rows));
    cut = true;
  }
  // Rows come in (created, seq) order, so the last one is where the next batch starts.
  let last: InboxPosition | null = rows.length ? { created: rows.at(-1)!.created, seq: rows.at(-1)!.seq } : null;
  if (cut) {
    const lastSecond = rows.at(-1)!.created;
    const earlier = rows.filter((e) => e.created < lastSecond);
    if (earlier.length) {
      rows = earlier;
      last = { created: earlier.at(-1)!.created, seq: earlier.at(-1)!.seq };
    } else {
      const second = await pendingEventsOfSecond(db, tenantId, lastSecond, excluding);
      second.sort((a, b) => typeOrder(a.type) - typeOrder(b.type) || (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
      rows = second.slice(0, limitOf(second));
      last = { created: lastSecond, seq: 0n };
    }
  }
  const payloads = await eventPayloads(
    db,
    tenantId,
    rows.map((e) => e.id),
  );
  const events: PendingEvent[] = rows.map((e) => ({ ...e, payload: payloads.get(e.id) }));
  events.sort((a, b) =>
    a.created !== b.created
      ? a.created < b.created
        ? -1
        : 1
      : typeOrder(a.type) - typeOrder(b.type) || (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0),
  );
  return { events, last, full: cut };
}

/**
 * Drains a tenant's inbox to the end, for callers that run without the inbox worker (replay,
 * the demo). A drain stops at an event whose Stripe read failed for a transient reason; it is
 * retried, each retry counting an attempt, until it is processed or, after the last attempt,
 * lands in the exception queue — so this always ends, within `timeout_ms` at the latest.
 */
export async function drainUntilSettled(deps: ProcessDeps, tenantId: bigint, timeout_ms: number): Promise<DrainResult> {
  const total: DrainResult = { processed: 0, ignored: 0, failed: 0, deferred: 0 };
  const deadline = Date.now() + timeout_ms;
  for (let pause_ms = 100; ; pause_ms = Math.min(pause_ms * 2, 5_000)) {
    const r = await drainInbox(deps, tenantId);
    total.processed += r.processed;
    total.ignored += r.ignored;
    total.failed += r.failed;
    if (r.deferred === 0) return total;
    if (Date.now() > deadline)
      throw new AccrueError(
        'upstream_unavailable',
        `Stripe stayed unavailable; events are still pending after ${Math.round(timeout_ms / 1000)} s`,
      );
    await new Promise((res) => setTimeout(res, pause_ms));
  }
}

/**
 * The reader a batch's backfill events map with: the backfill snapshot (what the backfill listed,
 * the current state of those objects), falling back to Stripe for anything it does not hold.
 * Webhook and replay events always read Stripe: their snapshots may be older than the object.
 */
async function backfillReader(
  db: Db,
  tenantId: bigint,
  base: StripeReader,
  events: PendingEvent[],
): Promise<StripeReader | null> {
  const seeds = events
    .filter((ev) => ev.source === 'backfill')
    .map((ev) => (ev.payload as { data?: { object?: unknown } | null } | null)?.data?.object);
  if (!seeds.length) return null;
  return snapshotReader(base, await loadSnapshot(db, tenantId, seeds, await snapshotCoverage(db, tenantId)));
}

/** Maps a batch's events to facts: Stripe reads with bounded concurrency; never throws. */
async function mapBatch(
  readers: RoundReaders,
  handled: Set<string>,
  batch: PendingEvent[],
): Promise<(Mapped | null)[]> {
  const mapped: (Mapped | null)[] = new Array(batch.length).fill(null);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= batch.length) return;
      const ev = batch[i]!;
      if (ALWAYS_PROCESSED.has(ev.type) || !handled.has(ev.type)) continue;
      try {
        const r = await collectFacts(
          ev.payload as Stripe.Event,
          ev.source === 'backfill' && readers.backfill ? readers.backfill : readers.live,
          { functionalCurrency: readers.functionalCurrency },
        );
        mapped[i] = { ev, facts: r.facts.map(prepareFact), exceptions: r.exceptions };
      } catch (error) {
        mapped[i] = { ev, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAPPING_CONCURRENCY, batch.length) }, worker));
  return mapped;
}

/**
 * Commits a mapped batch. Returns true to stop the drain (a transient failure; retried later).
 *
 * Only a transport failure (`isTransientFailure`: Stripe unavailable or rate limiting, the
 * network, PostgreSQL's connection) stops the drain at its event, which keeps Stripe's order and is
 * retried. A deterministic failure — a malformed event, a TypeError while mapping it, a refusal —
 * fails that event alone, at once: it goes to the exception queue with its id and the reason, and
 * the events after it commit in this same batch.
 */
async function commitBatch(
  deps: ProcessDeps,
  tenant: Tenant,
  handled: Set<string>,
  batch: PendingEvent[],
  mapped: (Mapped | null)[],
  result: DrainResult,
  factCache: FactCache,
): Promise<boolean> {
  // Events up to the first transient failure commit now; that event and the rest wait.
  let cut = batch.length;
  let deferredReason: string | null = null;
  const failed: FailedEvent[] = [];
  for (let i = 0; i < batch.length; i++) {
    const m = mapped[i];
    if (!m || !('error' in m)) continue;
    const reason = plainReason(m.error);
    if (isTransientFailure(m.error) && m.ev.attempts + 1 < EVENT_ATTEMPTS_MAX) {
      cut = i;
      deferredReason = reason;
      break;
    }
    if (!isTransientFailure(m.error))
      deps.log?.warn({ eventId: m.ev.id, type: m.ev.type, reason }, 'event could not be processed; not retried');
    failed.push({ ev: m.ev, reason });
  }
  const work: BatchWork = { tenant, handled, events: batch.slice(0, cut), mapped: mapped.slice(0, cut), failed };
  if (work.events.length) await commitIsolating(deps, work, result, factCache);
  if (deferredReason !== null) {
    const ev = batch[cut]!;
    await recordDeferredAttempt(deps.db, ev, deferredReason);
    deps.log?.warn(
      { eventId: ev.id, tries: ev.attempts + 1, reason: deferredReason },
      'event processing failed; will retry',
    );
    result.deferred++;
    return true;
  }
  return false;
}

interface FailedEvent {
  ev: PendingEvent;
  reason: string;
}

/** Events to commit together, with their mappings and the ones among them that failed for good. */
interface BatchWork {
  tenant: Tenant;
  handled: Set<string>;
  events: PendingEvent[];
  mapped: (Mapped | null)[];
  failed: FailedEvent[];
}

/** A failure in words a person can act on: an AccrueError's message, or the error's name and message. */
function plainReason(e: unknown): string {
  if (isAccrueError(e)) return e.message;
  if (e instanceof Error) return `the event could not be read (${e.name}: ${e.message})`;
  return `the event could not be read (${String(e)})`;
}

/** True while tests run: a bug in the engine or the ledger code fails the test instead of one event. */
function bugStaysLoud(e: unknown): boolean {
  const underTest = Boolean(process.env['VITEST']) || process.env['NODE_ENV'] === 'test';
  return underTest && !isAccrueError(e) && !(e instanceof pg.DatabaseError);
}

/**
 * Commits `work` in one transaction. When that fails for a deterministic reason (bad data the
 * ledger or the database refuses, or a bug while booking), its events are committed one at a time,
 * so the one that fails goes alone to the exception queue and the others book. A transient
 * failure is thrown: the drain's job retries it.
 */
async function commitIsolating(
  deps: ProcessDeps,
  work: BatchWork,
  result: DrainResult,
  factCache: FactCache,
): Promise<void> {
  try {
    const counts = await commitEvents(deps, work, factCache);
    result.processed += counts.processed;
    result.ignored += counts.ignored;
    result.failed += counts.failed;
    return;
  } catch (e) {
    if (isTransientFailure(e) || bugStaysLoud(e)) throw e;
    if (work.events.length > 1) {
      deps.log?.warn({ events: work.events.length, err: plainReason(e) }, 'batch failed; committing it event by event');
      for (let i = 0; i < work.events.length; i++)
        await commitIsolating(
          deps,
          { ...work, events: [work.events[i]!], mapped: [work.mapped[i] ?? null] },
          result,
          factCache,
        );
      return;
    }
    const ev = work.events[0]!;
    const reason = isAccrueError(e) ? e.message : `booking failed (${e instanceof Error ? e.message : String(e)})`;
    deps.log?.error(
      { eventId: ev.id, type: ev.type, errors: errorChain(e) },
      'event failed while booking; not retried',
    );
    await deps.db.transaction().execute(async (tx) => {
      await recordException(tx, work.tenant.id, 'stripe_event', ev.id, `could not process ${ev.type}: ${reason}`, {
        type: ev.type,
        attempts: ev.attempts + 1,
      });
      await markDrainOutcomes(
        tx,
        { processed: [], ignored: [], failed: [{ id: ev.id, attempts: ev.attempts, reason }] },
        new Date(),
      );
    });
    result.failed++;
  }
}

/** One transaction: the events' facts, their aggregates' entries, exceptions and outcome marks. */
async function commitEvents(
  deps: ProcessDeps,
  work: BatchWork,
  factCache: FactCache,
): Promise<{ processed: number; ignored: number; failed: number }> {
  const { tenant, handled, events: committed, mapped } = work;
  return deps.db.transaction().execute(async (tx) => {
    await lockTenantBooks(tx, tenant.id);
    const facts: { fact: PreparedFact; eventId: string }[] = [];
    for (const m of mapped) {
      if (!m || 'error' in m) continue;
      for (const f of m.facts) facts.push({ fact: f, eventId: m.ev.id });
      for (const ex of m.exceptions)
        await recordException(tx, tenant.id, 'mapping', ex.objectId, ex.reason, { event: m.ev.id, type: m.ev.type });
    }
    const touched = await storeFacts(tx, tenant.id, facts, factCache);
    const cause = committed.length === 1 ? committed[0]!.id : `${committed[0]!.id}…${committed.at(-1)!.id}`;
    await bookAggregates(
      tx,
      deps.afterPost,
      tenant,
      touched,
      await releasedThrough(tx, tenant.id),
      cause,
      {},
      factCache,
    );
    const failedHere = work.failed.filter((x) => committed.includes(x.ev));
    for (const f of failedHere) {
      await recordException(tx, tenant.id, 'stripe_event', f.ev.id, `could not process ${f.ev.type}: ${f.reason}`, {
        type: f.ev.type,
        attempts: f.ev.attempts + 1,
      });
    }
    const failedIds = new Set(failedHere.map((f) => f.ev.id));
    const byStatus = (pred: (ev: PendingEvent) => boolean) => committed.filter(pred).map((e) => e.id);
    const ignoredIds = byStatus((e) => !ALWAYS_PROCESSED.has(e.type) && !handled.has(e.type));
    const processedIds = byStatus((e) => !failedIds.has(e.id) && !ignoredIds.includes(e.id));
    const failedNow = failedHere.map((f) => ({ id: f.ev.id, attempts: f.ev.attempts, reason: f.reason }));
    await markDrainOutcomes(tx, { processed: processedIds, ignored: ignoredIds, failed: failedNow }, new Date());
    return { processed: processedIds.length, ignored: ignoredIds.length, failed: failedIds.size };
  });
}

export async function releasedThrough(db: Db | Tx, tenantId: bigint): Promise<LocalDate> {
  const r = await db
    .selectFrom('release_state')
    .select('released_through')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return r?.released_through ?? NOTHING_RELEASED;
}

/**
 * Releases recognized revenue for every period of the tenant that ends on or before `through`:
 * re-runs the engine over all the tenant's aggregates and posts the recognition entries it
 * yields (idempotent), then moves the tenant's release watermark.
 */
export async function releaseThrough(
  deps: ProcessDeps,
  tenantId: bigint,
  through: LocalDate,
): Promise<{ aggregates: number; posted: number }> {
  const tenant = await getTenantById(deps.db, tenantId);
  const before = await releasedThrough(deps.db, tenantId);
  if (through > before) await accrueUnbilledUsage(deps.db, tenant, deps.readerFor(tenant), before, through);
  const all = await deps.db
    .selectFrom('stripe_facts')
    .select('aggregate')
    .distinct()
    .where('tenant_id', '=', tenantId)
    .orderBy('aggregate')
    .execute();
  const current = await releasedThrough(deps.db, tenantId);
  const target = through > current ? through : current;
  let posted = 0;
  const factCache = new FactCache();
  for (let i = 0; i < all.length; i += RELEASE_CHUNK) {
    const chunk = new Set(all.slice(i, i + RELEASE_CHUNK).map((r) => r.aggregate));
    posted += await deps.db.transaction().execute(async (tx) => {
      await lockTenantBooks(tx, tenant.id);
      // Event entries were posted when their events were processed; a release adds recognition
      // for the periods between the old watermark and the new one.
      return bookAggregates(
        tx,
        deps.afterPost,
        tenant,
        chunk,
        target,
        `release:${target}`,
        { datedAfter: current },
        factCache,
      );
    });
  }
  // Deferred revenue imported at a cutover releases over its remaining period like any schedule.
  posted += await releaseOpeningSchedules(deps.db, tenant, target);
  posted += await postRevaluations(deps.db, tenant, current, target);
  await deps.db
    .insertInto('release_state')
    .values({ tenant_id: tenantId, released_through: target })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ released_through: target, updated_at: new Date() }))
    .execute();
  return { aggregates: all.length, posted };
}

/** Enqueues the release job for a tenant (used by the daily tick and by hand). */
export async function requestRelease(db: Db, jobs: Jobs, tenantId: bigint, through: LocalDate): Promise<void> {
  await jobs.send(db, QUEUES.release, { tenantId: tenantId.toString(), through }, { tenantKey: tenantId.toString() });
}
