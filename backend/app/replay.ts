/**
 * `accrue replay`: the local sandbox and the contract of our acceptance tests.
 *
 * A JSONL file of Stripe events (and the API objects Stripe would serve) is read as a stream,
 * twice: once to check every line (bad input is refused before any database work), once to load
 * the objects into an in-memory Stripe (the sandbox's object store, which the local Stripe fake
 * also serves) and store the events, in file order and in batches, through the inbox the webhook
 * endpoint stores into (`storeEvents`). The inbox is then processed by the drain production runs,
 * reading Stripe through that store; revenue is released for every period through `through`, and
 * the journal, roll-forward, waterfall and trial balance are written as CSV.
 *
 * Nothing is kept per event beyond the database: the store holds each Stripe object as it
 * currently is (events themselves are not kept), and only one batch of events is in memory.
 * Signature verification is the endpoint's job and is tested with it; events from a file the
 * operator hands us are not signed deliveries.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import type Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';
import type { LocalDate } from '../../shared/journal.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { periodsBetween } from '../../shared/periods.ts';
import {
  rollforward,
  toJournalCsv,
  toRollforwardCsv,
  toTrialBalanceCsv,
  toWaterfallCsv,
  trialBalance,
  waterfall,
} from '../../shared/reports/index.ts';
import { TenantSettingsSchema, type TenantSettings } from '../../shared/settings.ts';
import { endOfMonth, localDateOf } from '../../shared/time.ts';
import { StripeObjectStore } from '../sandbox/stripe/store.ts';
import { isStripeObject, type StripeObject, type StripeReader } from '../stripe/reader.ts';
import { loadConfig } from '../config/config.ts';
import { ensureDatabase, type Db } from '../db/database.ts';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { storeEvents, type Delivery } from '../inbox/store.ts';
import type { Jobs } from '../jobs/runner.ts';
import { loadLedgerLines } from '../ledger/ledger.ts';
import { calendarOf } from '../ledger/periods.ts';
import { ensureTenant, type Tenant } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { openContext } from './context.ts';
import { drainUntilSettled, releaseThrough } from './process.ts';
import { accountKey, replayLines, scanReplayInput, type AccountRef } from './replay-input.ts';
import { replayReaderFor } from './replay-reader.ts';

/** Longest a replay keeps retrying events whose Stripe reads fail transiently. */
const DRAIN_TIMEOUT_MS = 10 * 60_000;
/** Events stored per inbox transaction, and the most characters of them held at once. */
const DELIVERY_BATCH_EVENTS_MAX = 500;
const DELIVERY_BATCH_CHARS_MAX = 8 * 1024 * 1024;
/**
 * Events the drain books per transaction. A replay's events are read from the file's objects, not
 * from Stripe, so like a backfill's a batch is all CPU and PostgreSQL: larger batches, fewer
 * statements per event. (The books do not depend on how events are batched.)
 */
const REPLAY_EVENTS_PER_TRANSACTION = 500;
/** Garbage the heap may hold beyond what was live at the last collection before one is forced. */
const HEAP_SLACK_BYTES = 64 * 1024 * 1024;
const HEAP_CHECK_MS = 250;

export interface ReplayOptions {
  input: string;
  out: string;
  through?: LocalDate | undefined;
  settingsFile?: string | undefined;
  /** Keep the replay database instead of dropping it (its name is printed). */
  keepDatabase?: boolean;
  log: Logger;
  /** Where the embedded database lives when DATABASE_URL is not set. */
  dataDir?: string;
  databaseUrl?: string | undefined;
  onProgress?: (done: number, total: number) => void;
}

export interface ReplayResult {
  tenant: string;
  events: number;
  processed: number;
  ignored: number;
  failed: number;
  through: LocalDate;
  entries: number;
  lines: number;
  files: string[];
  database: string;
  exceptions: { kind: string; objectId: string; reason: string }[];
  /** Wall time of each phase, for the curious and for benchmarks. */
  timings_ms: { deliver: number; drain: number; release: number; write: number };
}

export function readSettingsFile(path: string | undefined): TenantSettings {
  if (!path) return TenantSettingsSchema.parse({});
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new AccrueError('invalid_input', `settings file ${path}: ${(e as Error).message}`);
  }
  const r = TenantSettingsSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const keys = (i as { keys?: string[] }).keys;
    const where = i.path.length ? i.path.join('.') : '(top level)';
    throw new AccrueError(
      'invalid_input',
      `settings file ${path}: ${keys?.length ? `unknown key(s) ${keys.join(', ')} at ${where}` : `${where}: ${i.message}`}`,
    );
  }
  return r.data;
}

async function freshDatabase(
  opts: ReplayOptions,
): Promise<{ url: string; drop: () => Promise<void>; name: string; stopServer: () => Promise<void> }> {
  const name = `accrue_replay_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  let adminUrl = opts.databaseUrl;
  let stopServer: () => Promise<void> = async () => {};
  if (!adminUrl) {
    const embedded = await startEmbeddedPostgres({ dataDir: join(opts.dataDir ?? './.accrue', 'pg'), log: opts.log });
    adminUrl = embedded.url;
    stopServer = () => embedded.stop();
  }
  try {
    await ensureDatabase(adminUrl, name);
  } catch (e) {
    throw new AccrueError(
      'not_configured',
      `could not create a fresh database for the replay on ${new URL(adminUrl).host}: ${(e as Error).message}`,
    );
  }
  // A replay's books are thrown away: commits need not wait for the disk.
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`alter database "${name}" set synchronous_commit = off`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    stopServer,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`).catch(() => undefined);
      await c.end();
    },
  };
}

/** Runs a replay end to end and writes the CSV files. */
export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  const input = await scanReplayInput(opts.input);
  const settings = readSettingsFile(opts.settingsFile);
  // The Stripe objects, held until the release has read what it needs: the reports are written
  // without them (at 100k events they are most of the heap).
  let store: StripeObjectStore | null = new StripeObjectStore();
  let readerOf: ((account: string) => StripeReader) | null = replayReaderFor(store);
  const fresh = await freshDatabase(opts);
  const config = loadConfig({ DATABASE_URL: fresh.url, LOG_LEVEL: opts.log.level });
  // No workers: every event is stored first, then the inbox is processed by the same drain the
  // inbox worker runs, so the books never depend on delivery timing.
  const ctx = await openContext({
    config,
    log: opts.log,
    workers: false,
    // Read only by the drain, after every object is in the store.
    readerFor: (tenant) => {
      if (!readerOf) throw new AccrueError('internal', 'the replay reads no Stripe object after its release');
      return readerOf(tenant.accountId);
    },
    eventsPerTransaction: REPLAY_EVENTS_PER_TRANSACTION,
  });
  const stopGovernor = governHeap();
  try {
    const tenants = await ensureTenants(ctx.db, input.accounts, settings);
    const t0 = Date.now();
    await deliverEvents(opts.input, {
      db: ctx.db,
      jobs: ctx.jobs,
      store: store!,
      defaultAccount: input.first.accountId,
      total: input.events,
      onProgress: opts.onProgress,
    });
    const tenant = tenants.get(accountKey(input.first))!;
    const t1 = Date.now();
    for (const t of tenants.values()) await drainUntilSettled(ctx.process, t.id, DRAIN_TIMEOUT_MS);
    const t2 = Date.now();
    const through = opts.through ?? endOfMonth(localDateOf(input.lastCreated, settings.reporting_time_zone));
    await releaseThrough(ctx.process, tenant.id, through);
    const t3 = Date.now();
    store = null;
    readerOf = null;

    const counts = await ctx.db
      .selectFrom('stripe_events')
      .select(['status'])
      .select((eb) => eb.fn.countAll<bigint>().as('n'))
      .where('tenant_id', '=', tenant.id)
      .groupBy('status')
      .execute();
    const count = (s: string) => Number(counts.find((c) => c.status === s)?.n ?? 0);
    const lines = await loadLedgerLines(ctx.db, tenant.id);
    const files = await writeReports(lines, settings, through, opts.out);
    const exceptions = await ctx.db
      .selectFrom('exceptions')
      .select(['kind', 'object_id', 'reason'])
      .where('tenant_id', '=', tenant.id)
      .where('status', '=', 'open')
      .orderBy('id')
      .execute();
    return {
      tenant: `${tenant.accountId} (${tenant.livemode ? 'live' : 'test'})`,
      events: input.events,
      processed: count('processed'),
      ignored: count('ignored'),
      failed: count('failed'),
      through,
      entries: new Set(lines.map((l) => l.entryId)).size,
      lines: lines.length,
      files,
      database: fresh.name,
      exceptions: exceptions.map((e) => ({ kind: e.kind, objectId: e.object_id, reason: e.reason })),
      timings_ms: { deliver: t1 - t0, drain: t2 - t1, release: t3 - t2, write: Date.now() - t3 },
    };
  } finally {
    stopGovernor();
    await ctx.close();
    if (!opts.keepDatabase) await fresh.drop();
    await fresh.stopServer();
  }
}

/**
 * Keeps the heap near what is live. A replay parses and stores a file's worth of events: left to
 * itself V8 lets that garbage grow the heap to several times the live objects (the store's Stripe
 * objects) before it collects. Every HEAP_CHECK_MS, when the heap holds HEAP_SLACK_BYTES more than
 * after the last collection, a full collection runs (exposed at run time, as test runners do).
 * Returns the function that stops it.
 */
function governHeap(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  if (typeof gc !== 'function') return () => undefined;
  let live = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    if (process.memoryUsage().heapUsed < live + HEAP_SLACK_BYTES) return;
    gc();
    live = process.memoryUsage().heapUsed;
  }, HEAP_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** The books of every account the events name, created (with `settings`) when missing; keyed by account|livemode. */
async function ensureTenants(
  db: Db,
  accounts: Map<string, AccountRef>,
  settings: TenantSettings,
): Promise<Map<string, Tenant>> {
  const tenants = new Map<string, Tenant>();
  for (const [key, ref] of accounts) tenants.set(key, await ensureTenant(db, ref, settings, 'replay'));
  return tenants;
}

interface DeliveryTarget {
  db: Db;
  jobs: Jobs;
  store: StripeObjectStore;
  /** The account of objects given on their own lines. */
  defaultAccount: string;
  total: number;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/**
 * Reads the file again: objects go into the store as they currently are (an explicitly given
 * object wins over event snapshots; a later snapshot wins over an earlier one), and events are
 * stored in the inbox in file order, a batch per transaction. The next batch is read while one
 * commits; any refusal stops the replay.
 */
async function deliverEvents(path: string, to: DeliveryTarget): Promise<void> {
  let batch: Delivery[] = [];
  let chars = 0;
  let done = 0;
  let committing: Promise<void> = Promise.resolve();
  const commit = async () => {
    const deliveries = batch;
    batch = [];
    chars = 0;
    await committing;
    committing = storeEvents(to.db, to.jobs, deliveries).then(() => {
      done += deliveries.length;
      to.onProgress?.(done, to.total);
    });
    committing.catch(() => undefined); // awaited by the next commit or at the end
  };
  // Ids given as objects of their own, per account: a snapshot of one of them would lose to it, so
  // it is not even copied into the store (a line item is the exception: the store merges those).
  const explicit = new Set<string>();
  for await (const { value, index, size } of replayLines(path)) {
    if (value.object !== 'event') {
      to.store.put(to.defaultAccount, value as StripeObject);
      explicit.add(`${to.defaultAccount}|${value.id as string}`);
      continue;
    }
    const event = value as unknown as Stripe.Event;
    const snapshot = event.data.object as unknown;
    if (
      isStripeObject(snapshot) &&
      (snapshot.object === 'line_item' || !explicit.has(`${event.account}|${snapshot.id}`))
    )
      to.store.put(event.account!, snapshot, { explicit: false, rank: [event.created, index] });
    batch.push({ event, source: 'replay' });
    chars += size;
    if (batch.length >= DELIVERY_BATCH_EVENTS_MAX || chars >= DELIVERY_BATCH_CHARS_MAX) await commit();
  }
  if (batch.length) await commit();
  await committing;
}

/** Writes the journal, roll-forward, waterfall and trial balance through `through` as CSV; returns their paths. */
async function writeReports(lines: LedgerLine[], settings: TenantSettings, through: LocalDate, out: string) {
  const cal = calendarOf(settings);
  const firstDate = lines.length
    ? lines.reduce((m, l) => (l.postingDate < m ? l.postingDate : m), lines[0]!.postingDate)
    : through;
  const lastPeriod = cal.periodOf(through).key;
  const periods = periodsBetween(cal, firstDate, through);
  await mkdir(out, { recursive: true });
  // One report's text at a time: the journal's alone is about the size of the ledger.
  const files: [string, () => string][] = [
    ['journal.csv', () => toJournalCsv(lines)],
    ['rollforward.csv', () => toRollforwardCsv(rollforward(lines, { periods }))],
    ['waterfall.csv', () => toWaterfallCsv(waterfall(lines))],
    ['trial_balance.csv', () => toTrialBalanceCsv(trialBalance(lines, { throughPeriod: lastPeriod }))],
  ];
  for (const [name, body] of files) await writeFile(join(out, name), body());
  return files.map(([n]) => join(out, n));
}
