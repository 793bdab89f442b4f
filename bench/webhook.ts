/**
 * Webhook acknowledgement benchmark, and the harness the Stripe-side benches share.
 *
 * It owns: a fresh benchmark database (embedded PostgreSQL, or a new database on the server
 * behind DATABASE_URL), the Accrue server started as a child process exactly as `accrue serve`
 * builds it (`buildServer`), an open-loop load generator over keep-alive HTTP that signs every
 * event like Stripe does, percentile arithmetic, and the instruments that say where time goes:
 * CPU per process from /proc, SQL statements by shape, PostgreSQL wait sampling, and the server
 * child's own event-loop delay and pool queue.
 *
 * The measurement: signed events with unique ids are POSTed to `/webhooks/stripe` at a fixed rate
 * (200/s by default) for a fixed duration (60 s; `--quick` 10 s). Each request is due at
 * `start + i / rate`, and it is sent then whether or not earlier ones were answered (open loop), so
 * a slow server cannot hide its slowness by slowing the sender down (coordinated omission):
 * latency is counted from the moment a request was due, not from the moment it left. At the end
 * the stored events are counted and must equal the acknowledged ones.
 *
 * Run: node bin/run-ts.js bench/webhook.ts [--quick] [--duration=60] [--rate=200] [--fast]
 *   --fast  runs the embedded PostgreSQL without fsync (NOT how Accrue runs; for comparison only).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Kysely, PostgresDialect, sql, type LogEvent } from 'kysely';
import pg from 'pg';
import Stripe from 'stripe';
import { createPool, type Db } from '../backend/db/database.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../backend/db/embedded.ts';
import { migrateToLatest } from '../backend/db/migrate.ts';
import type { DB } from '../backend/db/schema.ts';
import type { StripeObject } from '../backend/stripe/reader.ts';

// ---------------------------------------------------------------------------------------------
// Limits and defaults, each with its reason.
// ---------------------------------------------------------------------------------------------

/** The issue's requirement: 200 webhook requests per second, sustained. */
export const DEFAULT_RATE_PER_S = 200;
/** The issue's requirement: sustained for 60 s; `--quick` shortens it for a smoke run. */
export const DEFAULT_DURATION_S = 60;
export const QUICK_DURATION_S = 10;
/** Target from the issue: acknowledgement p99 under 50 ms. */
export const ACK_P99_TARGET_MS = 50;
/** Requests sent before measuring, so the JIT, the pool and the sockets are warm. */
const WARMUP_REQUESTS = 400;
/**
 * Keep-alive sockets the load generator may open. Stripe itself opens many connections; this is
 * high enough that a slow answer never makes a due request wait for a socket for long, and low
 * enough not to exhaust the server's file descriptors.
 */
const SOCKETS_MAX = 256;
/** Re-sends allowed when a reused keep-alive socket turns out to be closed (a benign race). */
const STALE_SOCKET_RETRIES = 1;
/** A request unanswered after this long counts as failed: long, so a slow answer is measured rather than cut off. */
const REQUEST_TIMEOUT_MS = 30_000;
/** How long the server child may take to open its context and listen. */
const SERVER_START_TIMEOUT_MS = 120_000;
/** How long the server child may take to stop (it finishes the job in flight) before it is killed. */
const SERVER_STOP_TIMEOUT_MS = 20_000;
/** The signing secret shared by the load generator and the server child (bench only). */
export const BENCH_WEBHOOK_SECRET = 'whsec_bench_only_not_a_secret';
/** The API key the Stripe fake accepts (bench only). */
export const BENCH_STRIPE_KEY = 'sk_test_bench_only';
/** Longest sleep of the sender between checks of its schedule: short, so no request leaves late. */
const SENDER_SLEEP_MAX_MS = 10;

// ---------------------------------------------------------------------------------------------
// Command line.
// ---------------------------------------------------------------------------------------------

export interface BenchArgs {
  quick: boolean;
  fast: boolean;
  duration_s: number;
  rate_per_s: number;
  /** Everything given as `--name=value`. */
  values: Map<string, string>;
}

/** Parses `--quick`, `--fast`, `--duration=S`, `--rate=R` and any other `--name=value`. */
export function parseBenchArgs(argv: string[]): BenchArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (const a of argv) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(a);
    if (!m) continue;
    if (m[2] === undefined) flags.add(m[1]!);
    else values.set(m[1]!, m[2]);
  }
  const quick = flags.has('quick') || process.env['BENCH_QUICK'] === '1';
  const number = (name: string, fallback: number): number => {
    const v = values.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${v}`);
    return n;
  };
  return {
    quick,
    fast: flags.has('fast'),
    duration_s: number('duration', quick ? QUICK_DURATION_S : DEFAULT_DURATION_S),
    rate_per_s: number('rate', DEFAULT_RATE_PER_S),
    values,
  };
}

// ---------------------------------------------------------------------------------------------
// Ctrl-C: stop what the bench started (server child, Stripe fake child, embedded PostgreSQL and
// its throw-away data folder) instead of leaving it behind.
// ---------------------------------------------------------------------------------------------

const cleanups: (() => Promise<void>)[] = [];
let interruptHooked = false;

/** Registers a clean-up for Ctrl-C (run newest first); returns a function that unregisters it. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  if (!interruptHooked) {
    interruptHooked = true;
    process.once('SIGINT', () => {
      console.error('interrupted; cleaning up');
      void (async () => {
        for (const c of [...cleanups].reverse()) await c().catch(() => undefined);
        process.exit(130);
      })();
    });
  }
  cleanups.push(cleanup);
  return () => {
    const i = cleanups.indexOf(cleanup);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

// ---------------------------------------------------------------------------------------------
// A fresh database per bench.
// ---------------------------------------------------------------------------------------------

export interface BenchServer {
  /** URL of the maintenance database (`postgres`) on the server. */
  adminUrl: string;
  embedded: EmbeddedPostgres | null;
  /** Creates a new, migrated database; dropped again by `stop`. */
  freshDatabase(label: string): Promise<BenchDatabase>;
  stop(): Promise<void>;
}

export interface BenchDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  db: Db;
  close(): Promise<void>;
}

/** Connections in the bench's own pool (the server child has its own). */
const BENCH_POOL_MAX = 8;

/**
 * Starts the PostgreSQL the benches use: the server behind DATABASE_URL when set, otherwise a
 * throw-away embedded one with the same durability settings Accrue runs with (fsync on), unless
 * `fast` asks for fsync off.
 */
export async function startBenchServer(opts: { fast: boolean }): Promise<BenchServer> {
  let adminUrl = process.env['DATABASE_URL'];
  let embedded: EmbeddedPostgres | null = null;
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: join(tmpdir(), `accrue-bench-pg-${process.pid}-${Date.now().toString(36)}`),
      fast: opts.fast,
      ephemeral: true,
    });
    adminUrl = embedded.url;
  }
  const created: string[] = [];
  const admin = adminUrl;
  const forget = onInterrupt(async () => {
    await embedded?.stop();
  });
  return {
    adminUrl: admin,
    embedded,
    async freshDatabase(label: string): Promise<BenchDatabase> {
      const name = `accrue_bench_${label}_${randomBytes(4).toString('hex')}`;
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`create database "${name}"`);
      } finally {
        await c.end();
      }
      created.push(name);
      const url = new URL(admin);
      url.pathname = `/${name}`;
      const pool = createPool(url.toString(), BENCH_POOL_MAX);
      // An idle connection dropped by the server (Ctrl-C reaches PostgreSQL too) must not crash
      // the bench before it can clean up; errors of running queries still reject their promises.
      pool.on('error', () => undefined);
      const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
      await migrateToLatest(db);
      return { name, url: url.toString(), pool, db, close: () => db.destroy() };
    },
    async stop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        for (const name of created)
          await c.query(`drop database if exists "${name}" with (force)`).catch(() => undefined);
      } finally {
        await c.end();
      }
      forget();
      await embedded?.stop();
    },
  };
}

/** The durability settings of the server, printed next to every result so numbers are comparable. */
export async function durabilitySettings(db: Db): Promise<string> {
  const r = await sql<{
    name: string;
    setting: string;
  }>`select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes') order by name`.execute(
    db,
  );
  return r.rows.map((x) => `${x.name}=${x.setting}`).join(' ');
}

// ---------------------------------------------------------------------------------------------
// Counting what the database does.
// ---------------------------------------------------------------------------------------------

export interface StatementStats {
  count: number;
  total_ms: number;
}

/**
 * A Kysely instance over `pool` that counts every statement by its shape (the first words and
 * the table), with the time each took as seen by the client.
 */
export function countingDb(pool: pg.Pool): { db: Db; stats: Map<string, StatementStats>; reset(): void } {
  const stats = new Map<string, StatementStats>();
  const log = (e: LogEvent) => {
    const key = statementShape(e.query.sql);
    const s = stats.get(key) ?? { count: 0, total_ms: 0 };
    s.count++;
    s.total_ms += e.queryDurationMillis;
    stats.set(key, s);
  };
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log });
  return { db, stats, reset: () => stats.clear() };
}

/** `insert into "stripe_facts"`, `select … from "journal_lines"`: enough to group statements. */
export function statementShape(text: string): string {
  const s = text.replace(/\s+/g, ' ').trim();
  const verb = (/^(\w+)/.exec(s)?.[1] ?? '?').toLowerCase();
  const table = (
    verb === 'insert'
      ? /into "?([\w.]+)"?/i
      : verb === 'update'
        ? /^update "?([\w.]+)"?/i
        : verb === 'delete'
          ? /from "?([\w.]+)"?/i
          : /from "?([\w.]+)"?/i
  ).exec(s)?.[1];
  if (verb === 'select' && /pg_advisory_xact_lock/.test(s)) return 'select pg_advisory_xact_lock';
  if (verb === 'select' && !table) return `select ${s.slice(7, 40)}`;
  return `${verb} ${table ?? '?'}`;
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: on a shared machine, CPU time per request is the number that does not depend on
// what else is running; wall-clock latency does.
// ---------------------------------------------------------------------------------------------

let clockTicks: number | null = null;
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU time of a process so far, in ms (Linux `/proc`); null when unreadable. */
export function processCpu_ms(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** The embedded PostgreSQL's postmaster and every process it forked (backends, WAL writer, …). */
export function postgresPids(embedded: EmbeddedPostgres | null): number[] {
  if (!embedded) return [];
  try {
    const postmaster = Number(readFileSync(join(embedded.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const pids = [postmaster];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === postmaster) pids.push(Number(entry));
      } catch {
        /* the process ended while we looked */
      }
    }
    return pids;
  } catch {
    return [];
  }
}

export interface CpuMeter {
  /** CPU ms used since `start`, per part; postgres counts processes that existed at either end. */
  stop(): { server_ms: number | null; postgres_ms: number | null; bench_ms: number };
}

/**
 * Starts measuring the CPU time of the server child, the embedded PostgreSQL (all its processes)
 * and this process. Backends that start and end in between are missed, so pools must be warm.
 */
export function startCpuMeter(serverPid: number | null, embedded: EmbeddedPostgres | null): CpuMeter {
  const pgBefore = new Map(postgresPids(embedded).map((p) => [p, processCpu_ms(p) ?? 0]));
  const serverBefore = serverPid ? processCpu_ms(serverPid) : null;
  const benchBefore = process.cpuUsage();
  return {
    stop() {
      const bench = process.cpuUsage(benchBefore);
      const serverAfter = serverPid ? processCpu_ms(serverPid) : null;
      let postgres: number | null = null;
      if (embedded) {
        postgres = 0;
        const pids = new Set([...pgBefore.keys(), ...postgresPids(embedded)]);
        for (const p of pids) {
          const after = processCpu_ms(p);
          if (after !== null) postgres += after - (pgBefore.get(p) ?? 0);
        }
      }
      return {
        server_ms: serverBefore !== null && serverAfter !== null ? serverAfter - serverBefore : null,
        postgres_ms: postgres,
        bench_ms: (bench.user + bench.system) / 1000,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// What the database's sessions are waiting on, sampled: lock waits show serialization that CPU
// numbers cannot.
// ---------------------------------------------------------------------------------------------

/** Sampling period of pg_stat_activity: often enough to catch millisecond waits statistically. */
const WAIT_SAMPLE_MS = 50;
/** A POSIX regular expression for runs of white space, bound as a parameter (no escaping games). */
const WHITESPACE_RUN = '[[:space:]]+';

export interface WaitSampler {
  /** Stops sampling; returns how many active sessions were seen in each state, most frequent first. */
  stop(): Promise<{ samples: number; states: [string, number][] }>;
}

/** Samples the active sessions of `db`'s database (other than the sampler's own). */
export function sampleWaits(db: Db): WaitSampler {
  const states = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const r = await sql<{ state: string; n: string }>`
          select coalesce(wait_event_type || ':' || wait_event, 'on CPU') || ' — ' || left(regexp_replace(query, ${WHITESPACE_RUN}, ' ', 'g'), 60) as state, count(*)::text as n
          from pg_stat_activity
          where datname = current_database() and state = 'active' and pid <> pg_backend_pid()
          group by 1`.execute(db);
        samples++;
        for (const row of r.rows) states.set(row.state, (states.get(row.state) ?? 0) + Number(row.n));
      } catch {
        /* a sample lost while the server is busy is not worth failing the bench for */
      }
      await new Promise((res) => setTimeout(res, WAIT_SAMPLE_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { samples, states: [...states].sort((a, b) => b[1] - a[1]) };
    },
  };
}

/** Prints the sampled states as "average sessions in this state". */
export function printWaits(title: string, w: { samples: number; states: [string, number][] }, top = 8): void {
  console.log(`${title} (average active sessions per state over ${w.samples} samples of pg_stat_activity):`);
  for (const [state, n] of w.states.slice(0, top))
    console.log(`  ${fmt(n / Math.max(1, w.samples), 2).padStart(6)}  ${state}`);
}

// ---------------------------------------------------------------------------------------------
// Percentiles.
// ---------------------------------------------------------------------------------------------

export interface Distribution {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles (no interpolation: every value reported was actually observed). */
export function distribution(values: number[]): Distribution {
  const v = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    v.length ? v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]! : NaN;
  const sum = v.reduce((a, b) => a + b, 0);
  return {
    count: v.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: v.length ? v[v.length - 1]! : NaN,
    mean: v.length ? sum / v.length : NaN,
  };
}

/**
 * The machine's state, printed with every result: on a shared 2-core machine the load average says
 * how much of the measured time was other programs'.
 */
export function machineNote(): string {
  return `${cpus().length} CPUs, load average (1 min) ${loadavg()[0]?.toFixed(2) ?? 'n/a'}`;
}

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** `meets` or `misses`, for a value that should stay below (or reach) a target. */
export function verdict(measured: number, target: number, better: 'lower' | 'higher'): 'meets' | 'misses' {
  if (!Number.isFinite(measured)) return 'misses';
  return (better === 'lower' ? measured < target : measured >= target) ? 'meets' : 'misses';
}

/** One machine-readable line per headline number; `bench/run.ts` builds its summary from these. */
export function printResult(r: {
  bench: string;
  metric: string;
  measured: number;
  unit: string;
  target: string;
  verdict: 'meets' | 'misses' | 'info';
}): void {
  console.log(`BENCH_RESULT ${JSON.stringify(r)}`);
}

// ---------------------------------------------------------------------------------------------
// The server under test, in its own process (as in production: the load generator and the
// Stripe fake must not share an event loop with it).
// ---------------------------------------------------------------------------------------------

/** What the server child reports about itself once a second. */
export interface ServerStats {
  /** Event-loop delay, p99 and max over the second. */
  loop_p99_ms: number;
  loop_max_ms: number;
  /** Queries waiting for a pool connection: most seen, and the average, over the second. */
  pool_waiting_max: number;
  pool_waiting_avg: number;
}

/** How often the child samples its pool's waiting queue. */
const POOL_SAMPLE_MS = 10;

export interface ServerChild {
  url: string;
  child: ChildProcess;
  /** The child's once-a-second reports since `stats.length = 0` was last done. */
  stats: ServerStats[];
  stop(): Promise<void>;
}

/** Summarises the child's reports over a run. */
export function summariseServerStats(stats: ServerStats[]): string {
  if (!stats.length) return 'no server reports';
  const loopMax = Math.max(...stats.map((x) => x.loop_max_ms));
  const loopP99 = distribution(stats.map((x) => x.loop_p99_ms));
  const waitingMax = Math.max(...stats.map((x) => x.pool_waiting_max));
  const waitingAvg = stats.reduce((a, x) => a + x.pool_waiting_avg, 0) / stats.length;
  return `server event-loop delay: worst per-second p99 ${fmt(loopP99.max)} ms (median second ${fmt(loopP99.p50)} ms), max ${fmt(loopMax)} ms; queries waiting for a pool connection: avg ${fmt(waitingAvg, 2)}, max ${waitingMax}`;
}

/** Starts `accrue serve`'s server (`buildServer`) in a child process on 127.0.0.1. */
export async function startServerChild(opts: {
  databaseUrl: string;
  workers: boolean;
  stripeApiBase?: string;
}): Promise<ServerChild> {
  const entry = resolve(import.meta.dirname, 'webhook.ts');
  const runner = resolve(import.meta.dirname, '..', 'bin', 'run-ts.js');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: opts.databaseUrl,
    STRIPE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
    STRIPE_SECRET_KEY: BENCH_STRIPE_KEY,
    STRIPE_API_BASE: opts.stripeApiBase ?? '',
    LOG_LEVEL: 'warn',
    PORT: '0',
    BENCH_WORKERS: opts.workers ? '1' : '0',
  };
  // BENCH_PROFILE_DIR=<dir> writes a V8 CPU profile of the server child there (open it in
  // Chrome DevTools), to see where the server's time goes.
  const profileDir = process.env['BENCH_PROFILE_DIR'];
  const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir)}`] : [];
  const child = spawn(process.execPath, [...nodeFlags, runner, entry, '--serve'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const stats: ServerStats[] = [];
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error('server child did not start in time')), SERVER_START_TIMEOUT_MS);
    child.once('exit', (code) => rej(new Error(`server child exited early with ${code}`)));
    lines.on('line', (line) => {
      const m = /^BENCH_READY (\d+)$/.exec(line);
      const reported = /^BENCH_STATS (\{.*\})$/.exec(line);
      if (m) {
        clearTimeout(timer);
        res(`http://127.0.0.1:${m[1]}`);
      } else if (reported) stats.push(JSON.parse(reported[1]!) as ServerStats);
      else if (line.trim()) process.stderr.write(`[server] ${line}\n`);
    });
  });
  const forget = onInterrupt(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    url,
    child,
    stats,
    async stop() {
      forget();
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        console.error(`server child did not stop within ${SERVER_STOP_TIMEOUT_MS} ms; killing it`);
        child.kill('SIGKILL');
      }, SERVER_STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child side: builds the server like `accrue serve` does and listens on a free port. */
async function serveChild(): Promise<void> {
  const { loadConfig } = await import('../backend/config/config.ts');
  const { createLogger } = await import('../backend/log/logger.ts');
  const { buildServer } = await import('../backend/app/server.ts');
  const config = loadConfig(process.env);
  const log = createLogger(config.LOG_LEVEL);
  const served = await buildServer({ config, log, workers: process.env['BENCH_WORKERS'] === '1' });
  const server = served.http.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  console.log(`BENCH_READY ${address.port}`);
  // Once a second: how late the event loop ran (a long synchronous stretch — the engine over a
  // batch, JSON of a large payload — delays every webhook behind it) and how many queries waited
  // for a free connection of the pool.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const pool = served.ctx.database.pool;
  let waitingMax = 0;
  let waitingSum = 0;
  let ticks = 0;
  setInterval(() => {
    waitingMax = Math.max(waitingMax, pool.waitingCount);
    waitingSum += pool.waitingCount;
    ticks++;
  }, POOL_SAMPLE_MS).unref();
  setInterval(() => {
    const stats: ServerStats = {
      loop_p99_ms: delay.percentile(99) / 1e6,
      loop_max_ms: delay.max / 1e6,
      pool_waiting_max: waitingMax,
      pool_waiting_avg: ticks ? waitingSum / ticks : 0,
    };
    console.log(`BENCH_STATS ${JSON.stringify(stats)}`);
    delay.reset();
    waitingMax = 0;
    waitingSum = 0;
    ticks = 0;
  }, 1_000).unref();
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close();
    served
      .close()
      .catch((e: unknown) => console.error(e))
      .finally(() => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------
// The open-loop load generator.
// ---------------------------------------------------------------------------------------------

const signer = new Stripe(BENCH_STRIPE_KEY);

/** The body and `Stripe-Signature` header of an event, signed now like Stripe signs. */
export function signEvent(event: StripeObject, secret = BENCH_WEBHOOK_SECRET): { body: string; signature: string } {
  const body = JSON.stringify(event);
  return { body, signature: signer.webhooks.generateTestHeaderString({ payload: body, secret }) };
}

export interface Delivery {
  index: number;
  eventId: string;
  status: number | null;
  /** From the moment the request was due (open-loop schedule) to the end of the answer. */
  latency_ms: number;
  /** From the moment the request was actually written to the end of the answer. */
  service_ms: number;
  duplicate: boolean | null;
  error?: string;
}

export interface LoadResult {
  deliveries: Delivery[];
  wall_ms: number;
  /** How late the sender itself ran behind its schedule at worst (should be ~0). */
  sender_lag_max_ms: number;
  /** Requests re-sent because a kept-alive socket was closed under them. */
  stale_socket_retries: number;
}

/**
 * Sends `events` to `url` at `rate_per_s`, open loop: request i is due at start + i/rate and is
 * sent at that moment whatever happened to earlier ones. Resolves when every answer is in.
 */
export async function openLoop(
  url: string,
  events: StripeObject[],
  rate_per_s: number,
  onDelivery?: (d: Delivery) => void,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: SOCKETS_MAX });
  const target = new URL(url);
  const interval_ms = 1000 / rate_per_s;
  const deliveries: Delivery[] = new Array(events.length);
  let done = 0;
  let senderLag = 0;
  let staleRetries = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const start = performance.now();

  const fire = (i: number) => {
    const due = start + i * interval_ms;
    const event = events[i]!;
    const { body, signature } = signEvent(event);
    const sent = performance.now();
    senderLag = Math.max(senderLag, sent - due);
    let finished = false;
    const finish = (status: number | null, text: string, error?: string) => {
      if (finished) return;
      finished = true;
      const end = performance.now();
      let duplicate: boolean | null = null;
      if (status === 200) {
        try {
          duplicate = Boolean((JSON.parse(text) as { duplicate?: boolean }).duplicate);
        } catch {
          duplicate = null;
        }
      }
      const d: Delivery = {
        index: i,
        eventId: String(event.id),
        status,
        latency_ms: end - due,
        service_ms: end - sent,
        duplicate,
        ...(error ? { error } : {}),
      };
      deliveries[i] = d;
      onDelivery?.(d);
      if (++done === events.length) resolveAll();
    };
    const send = (attempt: number) => {
      const req = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          timeout: REQUEST_TIMEOUT_MS,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(body),
            'stripe-signature': signature,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => finish(res.statusCode ?? null, Buffer.concat(chunks).toString('utf8')));
          res.on('error', (e) => finish(null, '', e.message));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        // A kept-alive socket the server closed as idle just as we reused it: send again on a
        // fresh one (what Node's documentation advises, and what Stripe's retries would do).
        // The retry's time stays in the latency, which is counted from the due time.
        if (req.reusedSocket && (e as NodeJS.ErrnoException).code === 'ECONNRESET' && attempt < STALE_SOCKET_RETRIES) {
          staleRetries++;
          send(attempt + 1);
          return;
        }
        finish(null, '', e.message);
      });
      req.end(body);
    };
    send(0);
  };

  let next = 0;
  if (events.length === 0) resolveAll();
  await new Promise<void>((resolveSent) => {
    const tick = () => {
      const now = performance.now();
      while (next < events.length && start + next * interval_ms <= now) fire(next++);
      if (next >= events.length) return resolveSent();
      const wait = Math.max(0, start + next * interval_ms - performance.now());
      setTimeout(tick, Math.min(wait, SENDER_SLEEP_MAX_MS));
    };
    tick();
  });
  await all;
  agent.destroy();
  return {
    deliveries,
    wall_ms: performance.now() - start,
    sender_lag_max_ms: senderLag,
    stale_socket_retries: staleRetries,
  };
}

/** Copies of `source` events with fresh unique ids (`<prefix>_<n>`), cycling as needed. */
export function uniqueEvents(source: StripeObject[], count: number, prefix: string): StripeObject[] {
  if (!source.length) throw new Error('no source events');
  return Array.from({ length: count }, (_, i) => ({ ...source[i % source.length]!, id: `${prefix}_${i}` }));
}

// ---------------------------------------------------------------------------------------------
// The acknowledgement bench.
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const { generateBusiness } = await import('../backend/sandbox/stripe/business.ts');
  const business = generateBusiness({});
  const server = await startBenchServer({ fast: args.fast });
  const bdb = await server.freshDatabase('ack');
  const child = await startServerChild({ databaseUrl: bdb.url, workers: false });
  try {
    const durability = await durabilitySettings(bdb.db);
    const total = Math.round(args.rate_per_s * args.duration_s);
    const run = randomBytes(3).toString('hex');
    console.log(
      `# webhook acknowledgement: ${total} signed events at ${args.rate_per_s}/s for ${args.duration_s} s, open loop, keep-alive; ${durability}; workers off (ingestion only); ${machineNote()}`,
    );

    const warm = await openLoop(
      `${child.url}/webhooks/stripe`,
      uniqueEvents(business.events, WARMUP_REQUESTS, `evt_warm_${run}`),
      args.rate_per_s,
    );
    const warmFailures = warm.deliveries.filter((d) => d.status !== 200).length;
    if (warmFailures)
      console.log(
        `warning: ${warmFailures} warm-up requests failed, e.g. ${JSON.stringify(warm.deliveries.find((d) => d.status !== 200))}`,
      );

    const prefix = `evt_ack_${run}`;
    const meter = startCpuMeter(child.child.pid ?? null, server.embedded);
    const waits = sampleWaits(bdb.db);
    child.stats.length = 0;
    const load = await openLoop(
      `${child.url}/webhooks/stripe`,
      uniqueEvents(business.events, total, prefix),
      args.rate_per_s,
    );
    const cpu = meter.stop();
    const waited = await waits.stop();
    const ok = load.deliveries.filter((d) => d.status === 200);
    const acknowledgedNew = ok.filter((d) => d.duplicate === false).length;
    const failed = load.deliveries.length - ok.length;
    const latency = distribution(load.deliveries.filter((d) => d.status === 200).map((d) => d.latency_ms));
    const service = distribution(ok.map((d) => d.service_ms));
    const storedRow = await bdb.db
      .selectFrom('stripe_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('id', 'like', `${prefix}_%`)
      .executeTakeFirstOrThrow();
    const stored = Number(storedRow.n);
    const achieved = load.deliveries.length / (load.wall_ms / 1000);

    console.log(`after the run: ${machineNote()}`);
    console.log(
      `sent ${load.deliveries.length} in ${fmt(load.wall_ms / 1000, 2)} s (${fmt(achieved)} req/s achieved; sender lag max ${fmt(load.sender_lag_max_ms)} ms; ${load.stale_socket_retries} re-sent after a stale keep-alive socket)`,
    );
    console.log(
      `acknowledged 200: ${ok.length} (new ${acknowledgedNew}), failed: ${failed}${failed ? ` e.g. ${JSON.stringify(load.deliveries.find((d) => d.status !== 200))}` : ''}`,
    );
    console.log(
      `latency from due time (ms): p50 ${fmt(latency.p50)}  p95 ${fmt(latency.p95)}  p99 ${fmt(latency.p99)}  max ${fmt(latency.max)}  mean ${fmt(latency.mean)}`,
    );
    console.log(
      `service time from send (ms): p50 ${fmt(service.p50)}  p95 ${fmt(service.p95)}  p99 ${fmt(service.p99)}  max ${fmt(service.max)}`,
    );
    const n = load.deliveries.length;
    const perRequest = (ms: number | null) => (ms === null ? 'n/a' : `${fmt(ms / n, 2)} ms`);
    console.log(
      `CPU per request: server ${perRequest(cpu.server_ms)}, PostgreSQL ${perRequest(cpu.postgres_ms)}, load generator ${perRequest(cpu.bench_ms)}`,
    );
    if (cpu.server_ms !== null && cpu.postgres_ms !== null) {
      const perRequest_ms = (cpu.server_ms + cpu.postgres_ms) / n;
      console.log(
        `  → on ${cpus().length} idle cores the server + PostgreSQL could absorb about ${fmt((cpus().length * 1000) / perRequest_ms, 0)} requests/s (CPU-bound estimate; the server's own event loop caps at ${fmt(1000 / ((cpu.server_ms ?? 0) / n), 0)}/s)`,
      );
      printResult({
        bench: 'webhook',
        metric: 'CPU per webhook (server + PostgreSQL)',
        measured: Number(fmt(perRequest_ms, 2)),
        unit: `ms (server ${fmt((cpu.server_ms ?? 0) / n, 2)}, pg ${fmt((cpu.postgres_ms ?? 0) / n, 2)})`,
        target: '-',
        verdict: 'info',
      });
    }
    printWaits('PostgreSQL during the run', waited);
    console.log(summariseServerStats(child.stats));
    const durable = stored === acknowledgedNew && failed === 0;
    console.log(
      `stored events ${stored} vs acknowledged ${acknowledgedNew}: ${stored === acknowledgedNew ? 'equal' : 'MISMATCH'}`,
    );
    console.log(
      `ack p99 ${fmt(latency.p99)} ms, target < ${ACK_P99_TARGET_MS} ms: ${verdict(latency.p99, ACK_P99_TARGET_MS, 'lower')}`,
    );
    printResult({
      bench: 'webhook',
      metric: `ack p99 @${args.rate_per_s}/s for ${args.duration_s}s`,
      measured: Number(fmt(latency.p99, 2)),
      unit: 'ms',
      target: `< ${ACK_P99_TARGET_MS}`,
      verdict: verdict(latency.p99, ACK_P99_TARGET_MS, 'lower'),
    });
    printResult({
      bench: 'webhook',
      metric: 'ack p50 / p95 / max',
      measured: Number(fmt(latency.p50, 2)),
      unit: `ms (p95 ${fmt(latency.p95)}, max ${fmt(latency.max)})`,
      target: '-',
      verdict: 'info',
    });
    printResult({
      bench: 'webhook',
      metric: 'stored == acknowledged',
      measured: stored,
      unit: `stored of ${acknowledgedNew} acked, ${failed} failed`,
      target: 'equal, 0 failed',
      verdict: durable ? 'meets' : 'misses',
    });
  } finally {
    await child.stop();
    await bdb.close();
    await server.stop();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const task = process.argv.includes('--serve') ? serveChild() : main();
  task.catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
