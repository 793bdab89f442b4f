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
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type Stripe from 'stripe';
import { AccrueError, isAccrueError } from '../../shared/errors.ts';
import { aggregateKeyOf, factKey, runEngine, type Fact } from '../../shared/engine/index.ts';
import { parseFact, serializeFact } from '../../shared/engine/facts.ts';
import type { EntryDraft, LineDraft, LocalDate } from '../../shared/journal.ts';
import type { AccountRole } from '../../shared/accounts.ts';
import type { Db, Tx } from '../db/database.ts';
import { QUEUES, type Jobs } from '../jobs/runner.ts';
import { postEntry } from '../ledger/ledger.ts';
import { getTenantById, type Tenant } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { collectFacts, HANDLED_EVENT_TYPES } from '../stripe/mapping.ts';
import type { StripeReader } from '../stripe/reader.ts';
import { recordException } from './exceptions.ts';

/** Events taken per round; each is committed on its own. */
const INBOX_BATCH = 200;
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
  afterPost?: (tx: Tx, tenant: Tenant) => Promise<void>;
}

export interface DrainResult {
  processed: number;
  ignored: number;
  failed: number;
  /** Events left pending because of a transient failure (retried later). */
  deferred: number;
}

const ALWAYS_PROCESSED = new Set(['account.application.authorized', 'account.application.deauthorized']);

/** Processes every pending event of a tenant. Transient failures stop the round and are retried. */
export async function drainInbox(deps: ProcessDeps, tenantId: bigint): Promise<DrainResult> {
  const result: DrainResult = { processed: 0, ignored: 0, failed: 0, deferred: 0 };
  const tenant = await getTenantById(deps.db, tenantId);
  if (tenant.status !== 'active') return result;
  const reader = deps.readerFor(tenant);
  const handled = new Set<string>(HANDLED_EVENT_TYPES);
  for (;;) {
    const events = await deps.db
      .selectFrom('stripe_events')
      .select(['id', 'type', 'payload', 'attempts'])
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'pending')
      .orderBy('created')
      .orderBy('seq')
      .limit(INBOX_BATCH)
      .execute();
    if (events.length === 0) return result;
    for (const ev of events) {
      if (ALWAYS_PROCESSED.has(ev.type) || !handled.has(ev.type)) {
        const status = ALWAYS_PROCESSED.has(ev.type) ? 'processed' : 'ignored';
        await deps.db.updateTable('stripe_events').set({ status, processed_at: new Date(), last_error: status === 'ignored' ? 'event type not used by Accrue' : null }).where('id', '=', ev.id).execute();
        result[status === 'processed' ? 'processed' : 'ignored']++;
        continue;
      }
      const outcome = await processOne(deps, tenant, reader, ev.id, ev.payload as Stripe.Event, ev.attempts);
      result[outcome]++;
      if (outcome === 'deferred') return result;
    }
  }
}

async function processOne(deps: ProcessDeps, tenant: Tenant, reader: StripeReader, eventId: string, event: Stripe.Event, attempts: number): Promise<'processed' | 'failed' | 'deferred'> {
  let mapped: Awaited<ReturnType<typeof collectFacts>>;
  try {
    mapped = await collectFacts(event, reader);
  } catch (e) {
    const transient = !isAccrueError(e) || e.code === 'upstream_unavailable' || e.code === 'rate_limited' || e.code === 'internal';
    const reason = isAccrueError(e) ? e.message : String((e as Error)?.message ?? e);
    const tries = attempts + 1;
    if (transient && tries < EVENT_ATTEMPTS_MAX) {
      await deps.db.updateTable('stripe_events').set({ attempts: tries, last_error: reason }).where('id', '=', eventId).execute();
      deps.log?.warn({ eventId, tries, reason }, 'event processing failed; will retry');
      return 'deferred';
    }
    await deps.db.transaction().execute(async (tx) => {
      await tx.updateTable('stripe_events').set({ status: 'failed', attempts: tries, last_error: reason }).where('id', '=', eventId).execute();
      await recordException(tx, tenant.id, 'stripe_event', eventId, `could not process ${event.type}: ${reason}`, { type: event.type, attempts: tries });
    });
    return 'failed';
  }
  await deps.db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`books:${tenant.id}`}, 0))`.execute(tx);
    const aggregates = await storeFacts(tx, tenant.id, mapped.facts, eventId);
    for (const ex of mapped.exceptions) {
      await recordException(tx, tenant.id, 'mapping', ex.objectId, ex.reason, { event: eventId, type: event.type });
    }
    await bookAggregates(tx, deps, tenant, aggregates, await releasedThrough(tx, tenant.id), eventId);
    await tx.updateTable('stripe_events').set({ status: 'processed', processed_at: new Date(), attempts: attempts + 1, last_error: null }).where('id', '=', eventId).execute();
  });
  return 'processed';
}

/** Stores facts (a fact seen again is replaced by its latest reading); returns the aggregates touched. */
async function storeFacts(tx: Tx, tenantId: bigint, facts: Fact[], eventId: string): Promise<Set<string>> {
  const touched = new Set<string>();
  for (const f of facts) {
    const aggregate = aggregateKeyOf(f);
    touched.add(aggregate);
    const text = serializeFact(f);
    await tx
      .insertInto('stripe_facts')
      .values({ tenant_id: tenantId, fact_key: factKey(f), aggregate, fact: text, event_id: eventId })
      .onConflict((oc) => oc.columns(['tenant_id', 'fact_key']).doUpdateSet({ fact: text, aggregate, updated_at: new Date() }))
      .execute();
  }
  return touched;
}

export async function releasedThrough(db: Db | Tx, tenantId: bigint): Promise<LocalDate> {
  const r = await db.selectFrom('release_state').select('released_through').where('tenant_id', '=', tenantId).executeTakeFirst();
  return r?.released_through ?? NOTHING_RELEASED;
}

async function loadFacts(tx: Db | Tx, tenantId: bigint, aggregates: string[]): Promise<Map<string, Fact[]>> {
  const out = new Map<string, Fact[]>();
  if (!aggregates.length) return out;
  const rows = await tx.selectFrom('stripe_facts').select(['aggregate', 'fact']).where('tenant_id', '=', tenantId).where('aggregate', 'in', aggregates).orderBy('fact_key').execute();
  for (const r of rows) {
    const list = out.get(r.aggregate) ?? [];
    list.push(parseFact(r.fact));
    out.set(r.aggregate, list);
  }
  return out;
}

/** Runs the engine over each aggregate and posts what it yields. */
async function bookAggregates(tx: Tx, deps: ProcessDeps, tenant: Tenant, aggregates: Set<string>, through: LocalDate, cause: string): Promise<number> {
  const byAggregate = await loadFacts(tx, tenant.id, [...aggregates].sort());
  let posted = 0;
  for (const [aggregate, facts] of byAggregate) {
    const result = runEngine({ settings: tenant.settings, facts, through });
    for (const ex of result.exceptions) {
      await recordException(tx, tenant.id, 'engine', ex.objectId ?? aggregate, ex.reason, { aggregate });
    }
    for (const draft of result.entries) {
      if (await postOrAdjust(tx, tenant, draft, cause)) posted++;
    }
  }
  if (posted && deps.afterPost) await deps.afterPost(tx, tenant);
  return posted;
}

type Identity = string;
function lineIdentity(l: LineDraft): Identity {
  return JSON.stringify([l.role, l.account ?? null, l.currency, l.original?.currency ?? null, l.original?.rate ?? null, l.customer ?? null, l.invoice ?? null, l.invoiceLine ?? null, l.product ?? null, l.bookedOn ?? null]);
}

/**
 * Posts an entry; returns true when something new was written. When the same key was posted
 * earlier with a different body — a fact that arrived after its period was released — the
 * difference is posted as an adjustment entry (the journal is append-only) and recorded as an
 * exception for a person to see.
 */
async function postOrAdjust(tx: Tx, tenant: Tenant, draft: EntryDraft, cause: string): Promise<boolean> {
  try {
    const r = await postEntry(tx, tenant, draft, { cause });
    return r.created;
  } catch (e) {
    if (!isAccrueError(e) || e.code !== 'conflict') throw e;
  }
  const posted = await tx
    .selectFrom('journal_lines as l')
    .innerJoin('journal_entries as e', 'e.id', 'l.entry_id')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .select(['a.role', 'a.name', 'l.currency', 'l.amount_minor', 'l.original_currency', 'l.original_amount_minor', 'l.fx_rate', 'l.customer', 'l.invoice', 'l.invoice_line', 'l.product', 'l.booked_on'])
    .where('e.tenant_id', '=', tenant.id)
    .where((eb) => eb.or([eb('e.idempotency_key', '=', draft.key), eb('e.idempotency_key', 'like', `${draft.key}:adj:%`)]))
    .execute();
  const diff = new Map<Identity, LineDraft>();
  const add = (l: LineDraft, sign: 1n | -1n) => {
    const id = lineIdentity(l);
    const cur = diff.get(id) ?? { ...l, amount: 0n, original: l.original ? { ...l.original, amount: 0n } : undefined };
    cur.amount += sign * l.amount;
    if (cur.original && l.original) cur.original.amount += sign * l.original.amount;
    diff.set(id, cur);
  };
  for (const l of draft.lines) add(l, 1n);
  for (const p of posted) {
    add(
      {
        role: p.role as AccountRole,
        account: p.name,
        amount: BigInt(p.amount_minor),
        currency: p.currency,
        original: p.original_currency ? { currency: p.original_currency, amount: BigInt(p.original_amount_minor!), rate: p.fx_rate ?? '1' } : undefined,
        customer: p.customer ?? undefined,
        invoice: p.invoice ?? undefined,
        invoiceLine: p.invoice_line ?? undefined,
        product: p.product ?? undefined,
        bookedOn: p.booked_on ?? undefined,
      },
      -1n,
    );
  }
  // Posted lines carry the resolved account name; drafts may leave it to the role default.
  const lines = [...diff.values()].filter((l) => l.amount !== 0n);
  if (!lines.length) return false;
  const digest = createHash('sha256').update(JSON.stringify(draft, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).digest('hex').slice(0, 12);
  const adjustment: EntryDraft = {
    key: `${draft.key}:adj:${digest}`,
    kind: draft.kind,
    postingDate: draft.postingDate,
    memo: `Adjustment: ${draft.memo} changed after it was posted`,
    sources: draft.sources,
    lines,
  };
  await postEntry(tx, tenant, adjustment, { cause });
  await recordException(tx, tenant.id, 'recognition_changed', draft.key, `entry ${draft.key} changed after it was posted (a late or corrected Stripe fact); the difference was posted as ${adjustment.key}`, { adjustment: adjustment.key });
  return true;
}

/**
 * Releases recognized revenue for every period of the tenant that ends on or before `through`:
 * re-runs the engine over all the tenant's aggregates and posts the recognition entries it
 * yields (idempotent), then moves the tenant's release watermark.
 */
export async function releaseThrough(deps: ProcessDeps, tenantId: bigint, through: LocalDate): Promise<{ aggregates: number; posted: number }> {
  const tenant = await getTenantById(deps.db, tenantId);
  const all = await deps.db.selectFrom('stripe_facts').select('aggregate').distinct().where('tenant_id', '=', tenantId).orderBy('aggregate').execute();
  const current = await releasedThrough(deps.db, tenantId);
  const target = through > current ? through : current;
  let posted = 0;
  for (let i = 0; i < all.length; i += RELEASE_CHUNK) {
    const chunk = new Set(all.slice(i, i + RELEASE_CHUNK).map((r) => r.aggregate));
    posted += await deps.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`books:${tenant.id}`}, 0))`.execute(tx);
      return bookAggregates(tx, deps, tenant, chunk, target, `release:${target}`);
    });
  }
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

export { AccrueError };
