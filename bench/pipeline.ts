/**
 * Processing benchmarks: how fast stored Stripe events become ledger entries, and where the time
 * goes.
 *
 * 1. Webhook backlog: the sample business's webhook events are stored in the inbox in bulk (as
 *    after an outage), then one timed `drainInbox` books them all, reading Stripe (the fake on
 *    127.0.0.1) as live processing does. It counts, per event, the Stripe API requests the fake
 *    served and the SQL statements and transactions the drain ran, with the time each kind
 *    took, so the bottleneck has a number.
 * 2. Backfill mode: `runBackfill` lists the account from the fake, storing one synthetic event per
 *    object and the backfill snapshot, then a timed drain books them (reading the snapshot, not
 *    Stripe). Three runs, each into a fresh database; the median is the result.
 * 3. Live mode: the server child (`buildServer` with in-process workers, as `accrue serve`) gets
 *    signed webhooks open loop at 200/s; freshness is `stripe_events.received_at → processed_at`.
 *    Then a second account's events arrive 10 % above the throughput target and the sustained
 *    processing rate is measured from the first arrival to the last event processed.
 *
 * Run: node bin/run-ts.js bench/pipeline.ts [--quick] [--duration=60] [--rate=200] [--events=N] [--fast]
 *   --events   events in the webhook-backlog bench (default: all of the sample business)
 *   --runs     backfill-mode runs (default 3, 1 with --quick)
 *   --only=drain|backfill|live   run one part
 *   --what-if=<file.sql>   runs that SQL in the bench database before the timed drain (never in
 *                          the product): e.g. drop a trigger or an index to measure what it costs
 *   --cpu-profile=<file>   writes a V8 CPU profile of this process over the timed drain only
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { sql } from 'kysely';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type Stripe from 'stripe';
import { runBackfill } from '../backend/app/backfill.ts';
import type { EmbeddedPostgres } from '../backend/db/embedded.ts';
import { drainInbox, type DrainResult, type ProcessDeps } from '../backend/app/process.ts';
import type { Db } from '../backend/db/database.ts';
import { ensureTenant, type Tenant } from '../backend/ledger/tenants.ts';
import { createStripeClient } from '../backend/stripe/client.ts';
import { createStripeReader, type StripeObject, type StripeReader } from '../backend/stripe/reader.ts';
import { generateBusiness, type BusinessOptions } from '../backend/sandbox/stripe/business.ts';
import { startStripeFake } from '../backend/sandbox/stripe/server.ts';
import {
  BENCH_STRIPE_KEY,
  countingDb,
  distribution,
  durabilitySettings,
  fmt,
  machineNote,
  onInterrupt,
  openLoop,
  parseBenchArgs,
  printResult,
  printWaits,
  sampleWaits,
  processCpu_ms,
  startBenchServer,
  startCpuMeter,
  startServerChild,
  summariseServerStats,
  verdict,
  type BenchArgs,
  type BenchServer,
  type StatementStats,
} from './webhook.ts';

// ---------------------------------------------------------------------------------------------
// Targets from the issue, and the bench's own limits.
// ---------------------------------------------------------------------------------------------

/** Backfill mode: at least 1,000 events per second into the ledger. */
const BACKFILL_TARGET_PER_S = 1_000;
/** Live mode: at least 300 events per second through webhook and workers. */
const LIVE_TARGET_PER_S = 300;
/** Live mode at 200 events/s: freshness p99 under 2 s. */
const FRESHNESS_P99_TARGET_MS = 2_000;
/** A typical round trip to api.stripe.com from a cloud region, for the projection (not measured here). */
const REAL_STRIPE_RTT_MS = 100;
/** Reads in flight assumed for the projection: the mapping concurrency `drainInbox` uses today. */
const READS_IN_FLIGHT_ASSUMED = 8;
/** Stripe's documented global rate limits per account (docs.stripe.com/rate-limits). */
const STRIPE_LIVE_READS_PER_S = 100;
const STRIPE_SANDBOX_READS_PER_S = 25;
/** Events drained in `--quick` mode: enough for a stable rate, small enough for a smoke run. */
const QUICK_DRAIN_EVENTS = 2_000;
/** Rows per INSERT when storing the inbox in bulk (PostgreSQL's 65,535 parameter limit / 9 columns, rounded down generously). */
const BULK_INSERT_ROWS = 500;
/** The sample business's size for 300 customers over 18 months, used to size larger ones. */
const EVENTS_PER_CUSTOMER_ESTIMATE = 36;
/** Head-room on that estimate, so the business never runs out of events mid-run. */
const SIZE_MARGIN = 1.1;
/** Customers the generator accepts at most (its own guard). */
const CUSTOMERS_MAX = 5_000;
/**
 * Live throughput: events offered per second, relative to the target. Slightly above it, so a
 * system that keeps up measures at or above the target despite the last event's processing tail
 * (about 1 % of a 20 s run); far above it (say 2×) would instead measure how ingestion at that rate
 * starves the workers of the shared process, which is a different question.
 */
const THROUGHPUT_OFFER_FACTOR = 1.1;
/** Live throughput: seconds of offered load (full run / `--quick`). */
const THROUGHPUT_SECONDS = 20;
const QUICK_THROUGHPUT_SECONDS = 10;
/** After the last webhook, how long to wait for the workers to empty the inbox before giving up. */
const DRAIN_WAIT_MAX_MS = 180_000;
/** Backfill-mode runs whose median is reported (the machine's noise is ±15 % run to run). */
const BACKFILL_RUNS = 3;
const QUICK_DRAIN_WAIT_MAX_MS = 45_000;
/** How often the inbox is polled while waiting. */
const POLL_MS = 250;
/** How often the backlog is sampled for the timeline printed with the freshness run. */
const BACKLOG_SAMPLE_MS = 1_000;

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

const machine = machineNote;

/** Generator options for a business with at least `events` events (more customers, same shape). */
function businessWithEvents(events: number, account: string, seed: number): BusinessOptions {
  const customers = Math.min(
    CUSTOMERS_MAX,
    Math.max(300, Math.ceil((events / EVENTS_PER_CUSTOMER_ESTIMATE) * SIZE_MARGIN)),
  );
  return { customers, account, seed };
}

/** Stores webhook events in the inbox in bulk, bypassing the endpoint (a backlog, as after an outage). */
async function storeInBulk(db: Db, tenantId: bigint, events: StripeObject[]): Promise<number> {
  let stored = 0;
  for (let i = 0; i < events.length; i += BULK_INSERT_ROWS) {
    const rows = events.slice(i, i + BULK_INSERT_ROWS).map((e) => ({
      id: String(e.id),
      tenant_id: tenantId,
      type: String(e.type),
      created: BigInt(Number(e.created)),
      object_id: ((e.data as { object?: { id?: string } } | undefined)?.object?.id as string | undefined) ?? null,
      payload: JSON.stringify(e),
      source: 'webhook' as const,
      last_error: null,
      processed_at: null,
    }));
    const r = await db
      .insertInto('stripe_events')
      .values(rows)
      .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
      .returning('id')
      .execute();
    stored += r.length;
  }
  return stored;
}

interface CallStats {
  calls: number;
  total_ms: number;
}

/**
 * Wraps a reader so every method call is counted and timed, and the wall time during which at
 * least one Stripe read was in flight is summed (reads may overlap).
 */
function profiledReader(inner: StripeReader, stats: Map<string, CallStats>, wall: { ms: number }): StripeReader {
  let inFlight = 0;
  let since = 0;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const start = performance.now();
        if (inFlight++ === 0) since = start;
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          const end = performance.now();
          if (--inFlight === 0) wall.ms += end - since;
          const s = stats.get(String(prop)) ?? { calls: 0, total_ms: 0 };
          s.calls++;
          s.total_ms += end - start;
          stats.set(String(prop), s);
        }
      };
    },
  });
}

/** `/v1/invoices/in_123/lines` → `GET /v1/invoices/:id/lines`. */
function requestShape(method: string, path: string): string {
  // An id is `prefix_` then letters and digits with at least one digit or capital (`in_1Ab…`),
  // which tells it apart from a collection name such as `invoice_payments`.
  return `${method} ${path
    .split('/')
    .map((seg) => (/^[a-z]+_(?=[A-Za-z0-9]*[A-Z0-9])[A-Za-z0-9]+$/.test(seg) ? ':id' : seg))
    .join('/')}`;
}

async function databaseCounters(db: Db): Promise<{ commits: bigint; rollbacks: bigint }> {
  // pg_stat_database is flushed by each backend at most once a second; callers wait before reading.
  const r = await sql<{
    xact_commit: string;
    xact_rollback: string;
  }>`select xact_commit::text, xact_rollback::text from pg_stat_database where datname = current_database()`.execute(
    db,
  );
  const row = r.rows[0];
  return { commits: BigInt(row?.xact_commit ?? 0), rollbacks: BigInt(row?.xact_rollback ?? 0) };
}

async function ledgerSize(db: Db, tenantId: bigint): Promise<{ entries: number; lines: number }> {
  const e = await db
    .selectFrom('journal_entries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  const l = await db
    .selectFrom('journal_lines as l')
    .innerJoin('journal_entries as e', 'e.id', 'l.entry_id')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('e.tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return { entries: Number(e.n), lines: Number(l.n) };
}

function table(rows: [string, number, number][], perEvent: number, header: string): void {
  console.log(
    `  ${header.padEnd(52)} ${'count'.padStart(8)} ${'/event'.padStart(8)} ${'total ms'.padStart(10)} ${'ms each'.padStart(8)}`,
  );
  for (const [name, count, total] of rows.sort((a, b) => b[2] - a[2])) {
    console.log(
      `  ${name.slice(0, 52).padEnd(52)} ${String(count).padStart(8)} ${fmt(count / perEvent, 2).padStart(8)} ${fmt(total, 0).padStart(10)} ${fmt(total / Math.max(1, count), 3).padStart(8)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The Stripe fake, in its own process: its CPU is then not mistaken for Accrue's, and it does
// not share an event loop with the drain or the load generator. The businesses are regenerated
// there from their options (the generator is deterministic), so nothing large crosses the pipe.
// ---------------------------------------------------------------------------------------------

interface FakeHandle {
  url: string;
  pid: number | null;
  /** Requests served since the start, as `GET /v1/invoices/:id` shapes with counts. */
  requests(): Promise<{ total: number; byShape: Record<string, number> }>;
  close(): Promise<void>;
}

type FakeMessage =
  { type: 'ready'; port: number } | { type: 'requests'; total: number; byShape: Record<string, number> };

/** How long the fake child may take to generate its businesses and listen. */
const FAKE_START_TIMEOUT_MS = 120_000;

async function startFakeChild(businesses: BusinessOptions[]): Promise<FakeHandle> {
  const runnerArgs = [
    resolve(import.meta.dirname, 'pipeline.ts'),
    '--fake-child',
    `--businesses=${JSON.stringify(businesses)}`,
  ];
  const child: ChildProcess = fork(resolve(import.meta.dirname, '..', 'bin', 'run-ts.js'), runnerArgs, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T extends FakeMessage['type']>(
    type: T,
    timeout_ms: number,
  ): Promise<Extract<FakeMessage, { type: T }>> =>
    new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`Stripe fake child: no ${type} message in time`)), timeout_ms);
      const onMessage = (m: FakeMessage) => {
        if (m.type !== type) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        res(m as Extract<FakeMessage, { type: T }>);
      };
      child.on('message', onMessage);
    });
  const ready = await next('ready', FAKE_START_TIMEOUT_MS);
  const forget = onInterrupt(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    url: `http://127.0.0.1:${ready.port}`,
    pid: child.pid ?? null,
    async requests() {
      const answer = next('requests', 10_000);
      child.send({ type: 'requests' });
      const m = await answer;
      return { total: m.total, byShape: m.byShape };
    },
    async close() {
      forget();
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The child side: generates the businesses, serves them, answers request-count questions. */
async function fakeChild(args: BenchArgs): Promise<void> {
  const options = JSON.parse(args.values.get('businesses') ?? '[]') as BusinessOptions[];
  const fake = await startStripeFake({ apiKey: BENCH_STRIPE_KEY });
  for (const o of options) {
    const b = generateBusiness(o);
    fake.load(b.replay, b.account);
  }
  process.on('message', (m: { type?: string }) => {
    if (m?.type !== 'requests') return;
    const byShape: Record<string, number> = {};
    for (const q of fake.requests) {
      const shape = requestShape(q.method, q.path);
      byShape[shape] = (byShape[shape] ?? 0) + 1;
    }
    process.send?.({ type: 'requests', total: fake.requests.length, byShape });
  });
  process.once('SIGTERM', () => {
    fake.close().finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready', port: fake.port });
}

function diffShapes(after: Record<string, number>, before: Record<string, number>): [string, number][] {
  return Object.entries(after)
    .map(([k, v]): [string, number] => [k, v - (before[k] ?? 0)])
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1]);
}

// ---------------------------------------------------------------------------------------------
// 1 and 2: backfill mode.
// ---------------------------------------------------------------------------------------------

interface DrainSetup {
  label: string;
  db: Db;
  tenant: Tenant;
  fake: FakeHandle;
  stripe: Stripe;
  counting: ReturnType<typeof countingDb>;
  embedded: EmbeddedPostgres | null;
}

/** With `--cpu-profile=file`, a V8 CPU profile of this process over the drain alone (open it in Chrome DevTools). */
async function startProfile(file: string | undefined): Promise<{ stop(): Promise<void> }> {
  if (!file) return { stop: async () => undefined };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      console.log(`  CPU profile of the drain written to ${file}`);
    },
  };
}

/** A timed, profiled `drainInbox` of everything pending for the tenant. */
/** Runs and reports one drain; returns its rate in events per second. */
async function timedDrain(s: DrainSetup, profileFile?: string): Promise<number> {
  const readerStats = new Map<string, CallStats>();
  const readerWall = { ms: 0 };
  const deps: ProcessDeps = {
    db: s.counting.db,
    jobs: null,
    readerFor: (t) => profiledReader(createStripeReader(s.stripe, t.accountId), readerStats, readerWall),
  };
  const pending = await s.db
    .selectFrom('stripe_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', s.tenant.id)
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  await new Promise((r) => setTimeout(r, 1_100));
  const before = await databaseCounters(s.db);
  const requestsBefore = await s.fake.requests();
  s.counting.reset();
  const fakeCpuBefore = s.fake.pid ? processCpu_ms(s.fake.pid) : null;
  const meter = startCpuMeter(null, s.embedded);
  const t0 = performance.now();
  const profile = await startProfile(profileFile);
  const r: DrainResult = await drainInbox(deps, s.tenant.id);
  await profile.stop();
  const wall_ms = performance.now() - t0;
  const cpu = meter.stop();
  const fakeCpuAfter = s.fake.pid ? processCpu_ms(s.fake.pid) : null;
  const fake_ms = fakeCpuBefore !== null && fakeCpuAfter !== null ? fakeCpuAfter - fakeCpuBefore : null;
  await new Promise((res) => setTimeout(res, 1_100));
  const after = await databaseCounters(s.db);
  const requestsAfter = await s.fake.requests();
  const requestCount = requestsAfter.total - requestsBefore.total;
  const events = r.processed + r.ignored + r.failed + r.deferred;
  const rate = events / (wall_ms / 1000);
  const ledger = await ledgerSize(s.db, s.tenant.id);

  console.log(
    `\n## ${s.label}: drained ${events} of ${pending.n} pending events in ${fmt(wall_ms / 1000, 2)} s → ${fmt(rate)} events/s (${machine()})`,
  );
  console.log(
    `  outcome: processed ${r.processed}, ignored ${r.ignored}, failed ${r.failed}, deferred ${r.deferred}; ledger now ${ledger.entries} entries, ${ledger.lines} lines`,
  );
  console.log(
    `  CPU per event: Accrue's drain (this process) ${fmt(cpu.bench_ms / events, 2)} ms, PostgreSQL ${cpu.postgres_ms === null ? 'n/a' : `${fmt(cpu.postgres_ms / events, 2)} ms`}, Stripe fake ${fake_ms === null ? 'n/a' : `${fmt(fake_ms / events, 2)} ms`}; ` +
      `wall per event ${fmt(wall_ms / events, 2)} ms (the rest is waiting: round trips, fsync, other programs)`,
  );

  const readerCalls = [...readerStats.values()].reduce((a, b) => a + b.calls, 0);
  console.log(
    `  Stripe fake HTTP requests: ${requestCount} (${fmt(requestCount / events, 2)} per event); reader calls ${readerCalls} (memoised ones cost no request)`,
  );
  for (const [shape, n] of diffShapes(requestsAfter.byShape, requestsBefore.byShape).slice(0, 12))
    console.log(`    ${String(n).padStart(7)}  ${shape}`);
  table(
    [...readerStats].map(([k, v]) => [`reader.${k}`, v.calls, v.total_ms]),
    events,
    'Stripe reads (time incl. fake, HTTP, queueing)',
  );

  const stmts: [string, number, number][] = [...s.counting.stats].map(([k, v]: [string, StatementStats]) => [
    k,
    v.count,
    v.total_ms,
  ]);
  const statementCount = stmts.reduce((a, b) => a + b[1], 0);
  const statement_ms = stmts.reduce((a, b) => a + b[2], 0);
  const commits = Number(after.commits - before.commits);
  console.log(
    `  SQL statements: ${statementCount} (${fmt(statementCount / events, 1)} per event), transactions committed ${commits} (${fmt(commits / events, 2)} per event, from pg_stat_database)`,
  );
  table(stmts, events, 'SQL statement (client-side time)');
  const other_ms = wall_ms - readerWall.ms - statement_ms;
  console.log(
    `  where the wall time went: Stripe reads ${fmt(readerWall.ms, 0)} ms (${fmt((100 * readerWall.ms) / wall_ms)}%), SQL ${fmt(statement_ms, 0)} ms (${fmt((100 * statement_ms) / wall_ms)}%), ` +
      `everything else (engine, mapping, JSON, Kysely compile) ${fmt(other_ms, 0)} ms (${fmt((100 * other_ms) / wall_ms)}%)`,
  );
  console.log(
    `  per event: ${fmt(wall_ms / events, 2)} ms = Stripe ${fmt(readerWall.ms / events, 2)} + SQL ${fmt(statement_ms / events, 2)} + other ${fmt(other_ms / events, 2)}`,
  );
  const perEventRequests = requestCount / events;
  const local_ms = (wall_ms - readerWall.ms) / events;
  const perRequest_ms = REAL_STRIPE_RTT_MS;
  const oneAtATime = 1000 / (local_ms + perEventRequests * perRequest_ms);
  const overlapped = 1000 / (local_ms + (perEventRequests * perRequest_ms) / READS_IN_FLIGHT_ASSUMED);
  console.log(
    `  against real Stripe (arithmetic, not measured): ${fmt(perEventRequests, 2)} requests/event at ${perRequest_ms} ms → ~${fmt(oneAtATime, 0)} events/s per tenant one read at a time, ` +
      `~${fmt(overlapped, 0)} with ${READS_IN_FLIGHT_ASSUMED} reads in flight; Stripe's rate limit (${STRIPE_LIVE_READS_PER_S} reads/s live, ${STRIPE_SANDBOX_READS_PER_S} in a sandbox) caps it at ` +
      `${fmt(STRIPE_LIVE_READS_PER_S / perEventRequests, 0)} (${fmt(STRIPE_SANDBOX_READS_PER_S / perEventRequests, 0)}) events/s per account whatever the concurrency`,
  );
  printResult({
    bench: 'pipeline',
    metric: `${s.label}: Stripe requests / SQL statements per event`,
    measured: Number(fmt(requestCount / events, 2)),
    unit: `req/event, ${fmt(statementCount / events, 1)} SQL/event, ${fmt(commits / events, 2)} tx/event`,
    target: '-',
    verdict: 'info',
  });
  return rate;
}

/** Prints a throughput verdict and its BENCH_RESULT line. */
function reportRate(metric: string, rate: number, target: number, note = ''): void {
  console.log(`  ${metric}: ${fmt(rate)} events/s${note}, target ≥ ${target}: ${verdict(rate, target, 'higher')}`);
  printResult({
    bench: 'pipeline',
    metric,
    measured: Math.round(rate),
    unit: `events/s${note}`,
    target: `≥ ${target}`,
    verdict: verdict(rate, target, 'higher'),
  });
}

async function drainBench(server: BenchServer, args: BenchArgs): Promise<void> {
  const wanted = Number(args.values.get('events') ?? (args.quick ? QUICK_DRAIN_EVENTS : 0));
  const options: BusinessOptions = {};
  const business = generateBusiness(options);
  const events = wanted > 0 ? business.events.slice(0, wanted) : business.events;
  const bdb = await server.freshDatabase('drain');
  const fake = await startFakeChild([options]);
  try {
    const stripe = createStripeClient({ secretKey: BENCH_STRIPE_KEY, apiBase: fake.url });
    const tenant = await ensureTenant(
      bdb.db,
      { accountId: business.account, livemode: false },
      business.suggestedSettings,
    );
    await applyWhatIf(bdb.db, args);
    const t0 = performance.now();
    const stored = await storeInBulk(bdb.db, tenant.id, events);
    console.log(
      `\n# webhook backlog: stored ${stored} of the sample business's webhook events in bulk in ${fmt((performance.now() - t0) / 1000, 2)} s; ${await durabilitySettings(bdb.db)}`,
    );
    const rate = await timedDrain(
      {
        label: 'drain of a webhook backlog',
        db: bdb.db,
        tenant,
        fake,
        stripe,
        counting: countingDb(bdb.pool),
        embedded: server.embedded,
      },
      args.values.get('cpu-profile'),
    );
    // Webhook events are mapped by reading Stripe, as live events are: the live target applies.
    reportRate('webhook backlog drain (stored events → ledger)', rate, LIVE_TARGET_PER_S);
  } finally {
    await fake.close();
    await bdb.close();
  }
}

/** A what-if experiment (`--what-if=file.sql`): the operator's own SQL, run on the throw-away bench database. */
async function applyWhatIf(db: Db, args: BenchArgs): Promise<void> {
  const whatIf = args.values.get('what-if');
  if (!whatIf) return;
  await sql.raw(readFileSync(whatIf, 'utf8')).execute(db);
  console.log(`\n# WHAT-IF: ran ${whatIf} on the bench database before the drain; these numbers are not the product's`);
}

async function backfillBench(server: BenchServer, args: BenchArgs): Promise<void> {
  // In quick mode a smaller business keeps the run short; the shape is the same.
  const options: BusinessOptions = args.quick ? { customers: 60 } : {};
  const business = generateBusiness(options);
  const runs = Number(args.values.get('runs') ?? (args.quick ? 1 : BACKFILL_RUNS));
  const fake = await startFakeChild([options]);
  const rates: number[] = [];
  try {
    const stripe = createStripeClient({ secretKey: BENCH_STRIPE_KEY, apiBase: fake.url });
    for (let run = 1; run <= runs; run++) {
      // Each run backfills into a fresh database: the drain starts from an empty ledger every time.
      const bdb = await server.freshDatabase('backfill');
      try {
        const tenant = await ensureTenant(
          bdb.db,
          { accountId: business.account, livemode: false },
          business.suggestedSettings,
        );
        await applyWhatIf(bdb.db, args);
        const requestsBefore = (await fake.requests()).total;
        const t0 = performance.now();
        const r = await runBackfill({ db: bdb.db, jobs: null, stripe }, tenant.id);
        const list_ms = performance.now() - t0;
        console.log(
          `\n# backfill mode, run ${run} of ${runs} (runBackfill): listed ${Object.entries(r.byResource)
            .map(([k, v]) => `${v} ${k}`)
            .join(
              ', ',
            )} with ${(await fake.requests()).total - requestsBefore} Stripe requests and stored ${r.stored} synthetic events in ${fmt(list_ms / 1000, 2)} s`,
        );
        rates.push(
          await timedDrain(
            {
              label: 'drain of runBackfill synthetic events',
              db: bdb.db,
              tenant,
              fake,
              stripe,
              counting: countingDb(bdb.pool),
              embedded: server.embedded,
            },
            run === 1 ? args.values.get('cpu-profile') : undefined,
          ),
        );
      } finally {
        await bdb.close();
      }
    }
  } finally {
    await fake.close();
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const note = runs > 1 ? `, median of ${runs} runs (${rates.map((r) => fmt(r, 0)).join(', ')})` : '';
  reportRate('runBackfill drain (synthetic events → ledger)', median, BACKFILL_TARGET_PER_S, note);
}

// ---------------------------------------------------------------------------------------------
// 3: live mode.
// ---------------------------------------------------------------------------------------------

async function pendingCount(db: Db, tenantId: bigint): Promise<number> {
  const r = await db
    .selectFrom('stripe_events')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Waits until the tenant's inbox is empty or the limit passes; returns the events still pending. */
async function waitForEmptyInbox(db: Db, tenantId: bigint, limit_ms: number): Promise<number> {
  const deadline = performance.now() + limit_ms;
  for (;;) {
    const n = await pendingCount(db, tenantId);
    if (n === 0 || performance.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * How the tenant's inbox jobs ran (from pg-boss's own job table): how many drains, how long each
 * took, how long a job waited to be picked up, and the idle gap between one drain's end and the
 * next one's start. Freshness is at least a drain's length plus that gap.
 */
async function inboxJobStory(db: Db, tenantId: bigint): Promise<string> {
  try {
    const r = await sql<{
      jobs: string;
      run_p50: number;
      run_max: number;
      wait_p50: number;
      wait_max: number;
      gap_p50: number;
      gap_max: number;
    }>`
      with runs as (
        select started_on, completed_on, created_on,
               started_on - lag(completed_on) over (order by started_on) as gap
        from pgboss.job
        where name = 'stripe-inbox' and data->>'tenantId' = ${tenantId.toString()} and started_on is not null and completed_on is not null
      )
      select count(*)::text as jobs,
             percentile_cont(0.5) within group (order by extract(epoch from completed_on - started_on)) * 1000 as run_p50,
             max(extract(epoch from completed_on - started_on)) * 1000 as run_max,
             percentile_cont(0.5) within group (order by extract(epoch from started_on - created_on)) * 1000 as wait_p50,
             max(extract(epoch from started_on - created_on)) * 1000 as wait_max,
             percentile_cont(0.5) within group (order by extract(epoch from gap)) * 1000 as gap_p50,
             max(extract(epoch from gap)) * 1000 as gap_max
      from runs`.execute(db);
    const x = r.rows[0];
    if (!x) return 'no inbox jobs found';
    return (
      `inbox jobs (drains) for the tenant: ${x.jobs}; drain length p50 ${fmt(Number(x.run_p50), 0)} ms, max ${fmt(Number(x.run_max), 0)} ms; ` +
      `job created → started p50 ${fmt(Number(x.wait_p50), 0)} ms, max ${fmt(Number(x.wait_max), 0)} ms; idle gap between drains p50 ${fmt(Number(x.gap_p50), 0)} ms, max ${fmt(Number(x.gap_max), 0)} ms`
    );
  } catch (e) {
    // The job table is pg-boss's; if its shape changes, the bench still runs without this line.
    return `inbox job history unavailable (${(e as Error).message})`;
  }
}

async function liveBench(server: BenchServer, args: BenchArgs): Promise<void> {
  const freshnessEvents = Math.round(args.rate_per_s * args.duration_s);
  const waitMax_ms = args.quick ? QUICK_DRAIN_WAIT_MAX_MS : DRAIN_WAIT_MAX_MS;
  const offer_per_s = Math.round(LIVE_TARGET_PER_S * THROUGHPUT_OFFER_FACTOR);
  const throughputEvents = offer_per_s * (args.quick ? QUICK_THROUGHPUT_SECONDS : THROUGHPUT_SECONDS);
  const optionsA = businessWithEvents(freshnessEvents, 'acct_1BenchFreshness000', 101);
  const optionsB = businessWithEvents(throughputEvents, 'acct_1BenchThroughput00', 202);
  const a = generateBusiness(optionsA);
  const b = generateBusiness(optionsB);
  const bdb = await server.freshDatabase('live');
  const fake = await startFakeChild([optionsA, optionsB]);
  const tenantA = await ensureTenant(bdb.db, { accountId: a.account, livemode: false }, a.suggestedSettings);
  const tenantB = await ensureTenant(bdb.db, { accountId: b.account, livemode: false }, b.suggestedSettings);
  const child = await startServerChild({ databaseUrl: bdb.url, workers: true, stripeApiBase: fake.url });
  try {
    const hook = `${child.url}/webhooks/stripe`;
    console.log(
      `\n# live mode: server child with in-process workers; ${await durabilitySettings(bdb.db)}; ${machine()}`,
    );

    // Freshness at the issue's rate.
    const eventsA = a.events.slice(0, freshnessEvents);
    let backlogMax = 0;
    const backlog: number[] = [];
    const sampler = setInterval(() => {
      pendingCount(bdb.db, tenantA.id)
        .then((n) => {
          backlogMax = Math.max(backlogMax, n);
          backlog.push(n);
        })
        .catch(() => undefined);
    }, BACKLOG_SAMPLE_MS);
    const waits = sampleWaits(bdb.db);
    const meter = startCpuMeter(child.child.pid ?? null, server.embedded);
    child.stats.length = 0;
    const loadA = await openLoop(hook, eventsA, args.rate_per_s);
    const sentAt = performance.now();
    const leftA = await waitForEmptyInbox(bdb.db, tenantA.id, waitMax_ms);
    const cpu = meter.stop();
    clearInterval(sampler);
    const waited = await waits.stop();
    const caughtUp_s = (performance.now() - sentAt) / 1000;
    const rows = await sql<{
      ms: number;
    }>`select extract(epoch from (processed_at - received_at)) * 1000 as ms from stripe_events where tenant_id = ${tenantA.id} and processed_at is not null`.execute(
      bdb.db,
    );
    const freshness = distribution(rows.rows.map((r) => Number(r.ms)));
    const ackA = distribution(loadA.deliveries.filter((d) => d.status === 200).map((d) => d.latency_ms));
    const failedA = loadA.deliveries.filter((d) => d.status !== 200).length;
    console.log(
      `freshness run: ${eventsA.length} events at ${args.rate_per_s}/s over ${fmt(loadA.wall_ms / 1000, 1)} s; ${failedA} webhook failures; inbox backlog max ${backlogMax}; inbox empty ${fmt(caughtUp_s, 1)} s after the last answer${leftA ? ` — GAVE UP with ${leftA} still pending` : ''}`,
    );
    console.log(`  inbox backlog, one sample a second from the first webhook: ${backlog.join(' ')}`);
    const n = eventsA.length;
    console.log(
      `  CPU per event (ingest + process): server child ${cpu.server_ms === null ? 'n/a' : fmt(cpu.server_ms / n, 2)} ms, PostgreSQL ${cpu.postgres_ms === null ? 'n/a' : fmt(cpu.postgres_ms / n, 2)} ms, load generator ${fmt(cpu.bench_ms / n, 2)} ms`,
    );
    printWaits('  PostgreSQL while ingesting and processing', waited, 6);
    console.log(`  ${summariseServerStats(child.stats)}`);
    console.log(`  ${await inboxJobStory(bdb.db, tenantA.id)}`);
    console.log(
      `  ack latency with workers running (ms): p50 ${fmt(ackA.p50)}  p95 ${fmt(ackA.p95)}  p99 ${fmt(ackA.p99)}  max ${fmt(ackA.max)}`,
    );
    console.log(
      `  freshness received_at → processed_at (ms, ${freshness.count} events): p50 ${fmt(freshness.p50)}  p95 ${fmt(freshness.p95)}  p99 ${fmt(freshness.p99)}  max ${fmt(freshness.max)}`,
    );
    // Events still pending when we gave up are fresher than nothing: count them as failing the target.
    const p99 = leftA ? Infinity : freshness.p99;
    console.log(
      `  freshness p99 ${fmt(p99)} ms, target < ${FRESHNESS_P99_TARGET_MS} ms: ${verdict(p99, FRESHNESS_P99_TARGET_MS, 'lower')}`,
    );
    printResult({
      bench: 'pipeline',
      metric: `live freshness p99 @${args.rate_per_s}/s`,
      measured: Number(fmt(p99, 0)),
      unit: `ms (p50 ${fmt(freshness.p50, 0)})`,
      target: `< ${FRESHNESS_P99_TARGET_MS}`,
      verdict: verdict(p99, FRESHNESS_P99_TARGET_MS, 'lower'),
    });
    printResult({
      bench: 'pipeline',
      metric: `live ack p99 @${args.rate_per_s}/s, workers on`,
      measured: Number(fmt(ackA.p99, 1)),
      unit: 'ms',
      target: '< 50',
      verdict: verdict(ackA.p99, 50, 'lower'),
    });

    // Sustained throughput: offered a little faster than the target, measured from the first
    // arrival to the last event processed. The backlog when the last webhook is answered says
    // whether the workers kept up; the rate after that point is processing alone.
    const eventsB = b.events.slice(0, throughputEvents);
    const loadB = await openLoop(hook, eventsB, offer_per_s);
    const lastAnswer = new Date();
    const backlogAtEnd = await pendingCount(bdb.db, tenantB.id);
    const leftB = await waitForEmptyInbox(bdb.db, tenantB.id, waitMax_ms);
    const tail = await sql<{
      n: string;
      seconds: number | null;
    }>`select count(*)::text as n, extract(epoch from (max(processed_at) - ${lastAnswer}::timestamptz)) as seconds from stripe_events where tenant_id = ${tenantB.id} and processed_at > ${lastAnswer}`.execute(
      bdb.db,
    );
    const tailEvents = Number(tail.rows[0]?.n ?? 0);
    const tailSeconds = Number(tail.rows[0]?.seconds ?? NaN);
    const span = await sql<{
      n: string;
      seconds: number;
    }>`select count(*)::text as n, extract(epoch from (max(processed_at) - min(received_at))) as seconds from stripe_events where tenant_id = ${tenantB.id} and processed_at is not null`.execute(
      bdb.db,
    );
    const done = Number(span.rows[0]?.n ?? 0);
    const seconds = Number(span.rows[0]?.seconds ?? NaN);
    const rate = done / seconds;
    const failedB = loadB.deliveries.filter((d) => d.status !== 200).length;
    console.log(
      `throughput run: ${eventsB.length} events offered at ${offer_per_s}/s (achieved ${fmt(eventsB.length / (loadB.wall_ms / 1000))}/s, ${failedB} failures); ${done} processed in ${fmt(seconds, 1)} s${leftB ? `; stopped waiting with ${leftB} pending (the rate is over what was processed)` : ''}`,
    );
    console.log(
      `  backlog when the last webhook was answered: ${backlogAtEnd}; after that the workers alone processed ${tailEvents} events in ${fmt(tailSeconds, 2)} s` +
        (tailEvents > 100 ? ` (${fmt(tailEvents / tailSeconds)} events/s without ingestion)` : ' (kept up)'),
    );
    console.log(
      `  ${fmt(rate)} events/s through webhook + workers, target ≥ ${LIVE_TARGET_PER_S}: ${verdict(rate, LIVE_TARGET_PER_S, 'higher')}`,
    );
    printResult({
      bench: 'pipeline',
      metric: 'live throughput (webhook + workers)',
      measured: Math.round(rate),
      unit: 'events/s',
      target: `≥ ${LIVE_TARGET_PER_S}`,
      verdict: verdict(rate, LIVE_TARGET_PER_S, 'higher'),
    });
  } finally {
    await child.stop();
    await fake.close();
    await bdb.close();
  }
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (process.argv.includes('--fake-child')) return fakeChild(args);
  const only = args.values.get('only');
  const server = await startBenchServer({ fast: args.fast });
  console.log(`# pipeline benches${args.quick ? ' (quick)' : ''}; ${machine()}`);
  try {
    if (!only || only === 'drain') await drainBench(server, args);
    if (!only || only === 'backfill') await backfillBench(server, args);
    if (!only || only === 'live') await liveBench(server, args);
  } finally {
    await server.stop();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
