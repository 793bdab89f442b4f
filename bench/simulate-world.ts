/**
 * The fault simulator's world: one PostgreSQL server with a migrated template database, a small
 * sample business and its fault-free journal (computed once), and, per seed, a fresh database
 * cloned from the template with real `accrue serve` processes (web and worker roles), the Stripe
 * fake and the QuickBooks fake around it. `bench/simulate.ts` drives it; `simulate-seed.ts` runs
 * one seed's faults and checks.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type Stripe from 'stripe';
import { drainInbox, releaseThrough } from '../backend/app/process.ts';
import { createPool, kyselyFor, type Db } from '../backend/db/database.ts';
import { migrateToLatest } from '../backend/db/migrate.ts';
import { storeEvents } from '../backend/inbox/store.ts';
import { Jobs } from '../backend/jobs/runner.ts';
import { loadLedgerLines } from '../backend/ledger/ledger.ts';
import { ensureTenant } from '../backend/ledger/tenants.ts';
import { generateBusiness, type SampleBusiness } from '../backend/sandbox/stripe/business.ts';
import { startStripeFake } from '../backend/sandbox/stripe/server.ts';
import { createStripeClient } from '../backend/stripe/client.ts';
import { createStripeReader } from '../backend/stripe/reader.ts';
import type { TenantSettingsInput } from '../shared/settings.ts';
import { toJournalCsv } from '../shared/reports/index.ts';
import { startServe, type ServeProcess } from '../test/support/serve-process.ts';

export const FAKE_KEY = 'sk_test_simulator';
/** Release through a date after every schedule of the small business, and after today (so the daily tick adds nothing). */
export const THROUGH = '2026-12-31';

export interface WorldOptions {
  adminUrl: string;
  /** Size of the generated business (small by default: a seed runs in tens of seconds). */
  customers?: number;
  months?: number;
  businessSeed?: number;
}

export interface World {
  adminUrl: string;
  template: string;
  business: SampleBusiness;
  settings: TenantSettingsInput;
  /** The journal (CSV) of the fault-free run: every event once, in order, drained and released in one process. */
  baseline: string;
  close(): Promise<void>;
}

export interface SeedDatabase {
  db: Db;
  url: string;
  name: string;
  close(): Promise<void>;
}

async function admin<T>(adminUrl: string, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

function urlOf(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh database cloned from the template; its pool survives connections being terminated under it. */
export async function cloneDatabase(adminUrl: string, template: string): Promise<SeedDatabase> {
  const name = `accrue_sim_${randomBytes(5).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`create database "${name}" template "${template}"`));
  const url = urlOf(adminUrl, name);
  const pool = createPool(url, 4);
  pool.on('error', () => undefined); // dropped connections are one of the faults
  const db = kyselyFor(pool);
  return {
    db,
    url,
    name,
    async close() {
      await db.destroy().catch(() => undefined);
      await admin(adminUrl, (c) => c.query(`drop database if exists "${name}" with (force)`)).catch(() => undefined);
    },
  };
}

/** Terminates every connection to `name` (the app's pools and the job queue's): a dropped-connection fault. */
export async function dropConnections(adminUrl: string, name: string): Promise<number> {
  return admin(adminUrl, async (c) => {
    const r = await c.query(
      `select count(pg_terminate_backend(pid)) as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
      [name],
    );
    return Number((r.rows[0] as { n: string }).n);
  });
}

/** The journal one process books with every event once, in Stripe's order, and no fault. */
async function faultFreeJournal(
  adminUrl: string,
  template: string,
  business: SampleBusiness,
  settings: TenantSettingsInput,
): Promise<string> {
  const d = await cloneDatabase(adminUrl, template);
  const fake = await startStripeFake({ apiKey: FAKE_KEY });
  const jobs = await new Jobs({ url: d.url }).start();
  try {
    fake.load(business.replay, business.account);
    const tenant = await ensureTenant(d.db, { accountId: business.account, livemode: false }, settings);
    const events = business.events as unknown as Stripe.Event[];
    await storeEvents(
      d.db,
      jobs,
      events.map((event) => ({ event, source: 'webhook' as const })),
    );
    const stripe = createStripeClient({ secretKey: FAKE_KEY, apiBase: fake.url });
    const deps = { db: d.db, jobs, readerFor: () => createStripeReader(stripe, business.account) };
    await drainInbox(deps, tenant.id);
    await releaseThrough(deps, tenant.id, THROUGH);
    return toJournalCsv(await loadLedgerLines(d.db, tenant.id));
  } finally {
    await jobs.stop();
    await fake.close();
    await d.close();
  }
}

/** Migrates a template database once and computes the fault-free journal once. */
export async function openWorld(opts: WorldOptions): Promise<World> {
  const template = `accrue_sim_tmpl_${randomBytes(4).toString('hex')}`;
  await admin(opts.adminUrl, (c) => c.query(`create database "${template}"`));
  const pool = createPool(urlOf(opts.adminUrl, template), 2);
  const tdb = kyselyFor(pool);
  await migrateToLatest(tdb);
  await tdb.destroy();
  const business = generateBusiness({
    seed: opts.businessSeed ?? 20261203,
    customers: opts.customers ?? 6,
    months: opts.months ?? 3,
  });
  const settings: TenantSettingsInput = {
    ...business.suggestedSettings,
    posting_mode: 'detailed',
    amortization: 'monthly_even',
  };
  const baseline = await faultFreeJournal(opts.adminUrl, template, business, settings);
  return {
    adminUrl: opts.adminUrl,
    template,
    business,
    settings,
    baseline,
    async close() {
      await admin(opts.adminUrl, (c) => c.query(`drop database if exists "${template}" with (force)`)).catch(
        () => undefined,
      );
    },
  };
}

/** The error line of a crashed process's output (Node prints it after "throw er;" or as "Error: …"). */
function crashReason(output: string): string {
  const lines = output.split('\n').map((l) => l.trim());
  const hit = lines.find((l) => /^(error|Error|\w+Error):/.test(l));
  const code = /code: '(\w+)'/.exec(output)?.[1];
  return `${hit ?? lines.filter(Boolean).at(-1) ?? '(no output)'}${code ? ` (${code})` : ''}`.slice(0, 200);
}

/** Starts of one process before the seed gives up on it. */
const START_ATTEMPTS_MAX = 3;

interface Slot {
  role: 'web' | 'worker';
  proc: ServeProcess | null;
  ready: Promise<ServeProcess>;
}

/**
 * The serving processes of one seed, supervised: a process killed with SIGKILL is started again at
 * once (as systemd or Kubernetes would), and deliveries wait for a live web process.
 */
export class Cluster {
  readonly #slots: Slot[] = [];
  #closed = false;
  kills = 0;
  /** Why a process failed to start, for a failed seed's report. */
  readonly startFailures: string[] = [];
  /** Processes that died without being killed, each with the first line of its error. */
  readonly crashes: string[] = [];
  readonly #dead: string[] = [];

  constructor(private readonly env: Record<string, string>) {}

  add(role: 'web' | 'worker'): void {
    const slot: Slot = { role, proc: null, ready: Promise.resolve(null as unknown as ServeProcess) };
    this.#launch(slot);
    this.#slots.push(slot);
  }

  /** Starts the slot's process; a start that fails (e.g. its connections dropped while starting) is tried again. */
  #launch(slot: Slot): void {
    slot.proc = null;
    const start = async (): Promise<ServeProcess> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await startServe(this.env, ['--role', slot.role]);
        } catch (e) {
          this.startFailures.push((e as Error).message.slice(0, 2000));
          if (this.#closed || attempt >= START_ATTEMPTS_MAX) throw e;
        }
      }
    };
    slot.ready = start().then((p) => {
      // Started after the seed began to stop: `stop()` is waiting on this very promise and will
      // SIGTERM it (killing it here made a clean shutdown look like a signal death).
      slot.proc = p;
      // A process that dies on its own (not by our kill or stop) is a crash: noted, and restarted.
      p.child.once('exit', (code, signal) => {
        if (this.#closed || slot.proc !== p) return;
        this.crashes.push(`${slot.role} exited with ${signal ?? code}: ${crashReason(p.output())}`);
        this.#dead.push(`--- ${slot.role} (crashed)\n${p.output()}`);
        this.#launch(slot);
      });
      return p;
    });
    slot.ready.catch(() => undefined);
  }

  async ready(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.ready));
  }

  /** kill -9 of process `index` (of all roles), then its restart. */
  async kill(index: number): Promise<string> {
    const slot = this.#slots[index % this.#slots.length]!;
    const p = await slot.ready;
    slot.proc = null;
    await p.kill9();
    this.#dead.push(`--- ${slot.role} (killed)\n${p.output()}`);
    this.kills++;
    this.#launch(slot);
    return slot.role;
  }

  get size(): number {
    return this.#slots.length;
  }

  /** A live web process's URL (waiting for a restart when none is up). */
  async webUrl(pick: number): Promise<string> {
    const webs = this.#slots.filter((s) => s.role === 'web');
    const up = webs.filter((s) => s.proc && s.proc.child.exitCode === null && s.proc.child.signalCode === null);
    if (up.length) return up[pick % up.length]!.proc!.url;
    return (await webs[pick % webs.length]!.ready).url;
  }

  /** SIGTERM to every process; their exit codes (0 is a clean shutdown). */
  async stop(): Promise<(number | null)[]> {
    this.#closed = true;
    return Promise.all(this.#slots.map(async (s) => (await s.ready.catch(() => null))?.stop() ?? null));
  }

  output(): string {
    const live = this.#slots.map((s) => `--- ${s.role}\n${s.proc?.output() ?? ''}`);
    return [...this.#dead, ...this.startFailures.map((f) => `--- failed start\n${f}`), ...live].join('\n');
  }
}

/** Rows still waiting: events not booked, QuickBooks writes of unknown outcome or given up, dead-lettered jobs. */
export async function leftOver(db: Db): Promise<{
  events: number;
  qboPending: number;
  qboFailed: number;
  deadBooking: number;
  deadQbo: number;
}> {
  const n = async (q: ReturnType<typeof sql<{ n: string }>>) => Number((await q.execute(db)).rows[0]!.n);
  return {
    events: await n(sql<{ n: string }>`select count(*) as n from stripe_events where status = 'pending'`),
    qboPending: await n(sql<{ n: string }>`select count(*) as n from qbo_sync where state = 'pending'`),
    qboFailed: await n(sql<{ n: string }>`select count(*) as n from qbo_sync where state = 'failed'`),
    // Jobs that ran out of retries: of the Stripe side (their work would be stranded), and of QuickBooks
    // (sync and reconcile; the next sync redoes their work, which the final agreement check proves).
    // A job of a per-tenant (stately) queue that fails while its tenant already has a job waiting
    // to retry is failed at once by pg-boss with retries left (one retrying job per tenant): the
    // waiting one does its work, so only jobs that used every attempt count.
    deadBooking: await n(sql<{ n: string }>`select count(*) as n from pgboss.job
      where state = 'failed' and retry_count >= retry_limit and name in ('stripe-inbox', 'release', 'backfill')`),
    deadQbo: await n(sql<{ n: string }>`select count(*) as n from pgboss.job
      where state = 'failed' and retry_count >= retry_limit and name in ('qbo-sync', 'reconcile')`),
  };
}

/** What the failed jobs said, for a failed seed's line: queue and the error's first words. */
export async function failedJobs(db: Db): Promise<string> {
  const r = await sql<{ name: string; msg: string | null; n: string }>`
    select name, left(coalesce(output->>'message', output::text), 120) as msg, count(*) as n from pgboss.job
    where state = 'failed' and retry_count >= retry_limit and name <> 'dead-letter'
    group by 1, 2 order by 3 desc limit 5`.execute(db);
  return r.rows.map((x) => `${x.name}×${x.n}: ${x.msg ?? ''}`).join(' | ');
}
