/**
 * `accrue replay`: the local sandbox and the contract of our acceptance tests.
 *
 * A JSONL file of Stripe events (and the API objects a local Stripe fake serves) is delivered,
 * signed, in file order, through the same webhook endpoint and processing pipeline production
 * uses, into a fresh set of books; then revenue is released for every period through
 * `through`, and the journal, roll-forward, waterfall and trial balance are written as CSV.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import Stripe from 'stripe';
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
import { startStripeFake } from '../sandbox/stripe/server.ts';
import { loadConfig } from '../config/config.ts';
import { ensureDatabase, type Db } from '../db/database.ts';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { createHttpApp } from '../http/server.ts';
import { loadLedgerLines } from '../ledger/ledger.ts';
import { calendarOf } from '../ledger/periods.ts';
import { ensureTenant, type Tenant } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { stripeWebhookRouter } from '../stripe/webhook.ts';
import { openContext } from './context.ts';
import { drainUntilSettled, releaseThrough } from './process.ts';

/** Longest a replay keeps retrying events whose Stripe reads fail transiently. */
const DRAIN_TIMEOUT_MS = 10 * 60_000;
const REPLAY_API_KEY = 'sk_test_accrue_replay';

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

interface ParsedInput {
  lines: Record<string, unknown>[];
  events: Stripe.Event[];
}

/** Parses the JSONL input; bad lines are reported by number. */
export function parseReplayInput(text: string): ParsedInput {
  const lines: Record<string, unknown>[] = [];
  const events: Stripe.Event[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1;
    if (!raw.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new AccrueError('invalid_input', `line ${n}: malformed JSON (${(e as Error).message})`);
    }
    if (!v || typeof v !== 'object' || Array.isArray(v))
      throw new AccrueError('invalid_input', `line ${n}: expected a JSON object`);
    const o = v as Record<string, unknown>;
    if (typeof o.object !== 'string')
      throw new AccrueError(
        'invalid_input',
        `line ${n}: missing "object" (every line is a Stripe event or API object)`,
      );
    if (o.object === 'event') {
      const data = o.data as { object?: unknown } | undefined;
      if (typeof o.id !== 'string' || typeof o.type !== 'string')
        throw new AccrueError('invalid_input', `line ${n}: event without id or type`);
      if (!data || !data.object || typeof data.object !== 'object')
        throw new AccrueError('invalid_input', `line ${n}: event ${o.id} has no data.object`);
      if (typeof o.account !== 'string')
        throw new AccrueError(
          'invalid_input',
          `line ${n}: event ${o.id} has no "account" (Connect events name the account)`,
        );
      if (typeof o.created !== 'number')
        throw new AccrueError('invalid_input', `line ${n}: event ${o.id} has no numeric "created"`);
      events.push(o as unknown as Stripe.Event);
    } else if (typeof o.id !== 'string') {
      throw new AccrueError('invalid_input', `line ${n}: ${o.object} without an id`);
    }
    lines.push(o);
  });
  if (!events.length) throw new AccrueError('invalid_input', 'the input holds no events');
  return { lines, events };
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
  let text: string;
  try {
    text = readFileSync(opts.input, 'utf8');
  } catch (e) {
    throw new AccrueError('invalid_input', `cannot read ${opts.input}: ${(e as Error).message}`);
  }
  const input = parseReplayInput(text);
  const settings = readSettingsFile(opts.settingsFile);
  const first = input.events[0]!;
  const tenantRef = { accountId: first.account!, livemode: Boolean(first.livemode) };

  const fake = await startStripeFake({ apiKey: REPLAY_API_KEY });
  fake.load(input.lines, tenantRef.accountId);
  const fresh = await freshDatabase(opts);
  const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: fresh.url,
    STRIPE_SECRET_KEY: REPLAY_API_KEY,
    STRIPE_API_BASE: fake.url,
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    LOG_LEVEL: opts.log.level,
  });
  // Workers stay off while delivering: every event is stored first, then the inbox is processed
  // by the same drain the inbox worker runs, so the books never depend on delivery timing.
  const ctx = await openContext({ config, log: opts.log, workers: false });
  const server = createHttpApp({
    db: ctx.db,
    log: opts.log,
    rawRoutes: [
      {
        path: '/webhooks/stripe',
        handler: stripeWebhookRouter({
          db: ctx.db,
          jobs: ctx.jobs,
          secrets: () => [webhookSecret],
          log: opts.log,
          source: 'replay',
        }),
      },
    ],
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  try {
    const tenants = await ensureTenants(ctx.db, input.events, settings);
    const signer = new Stripe(REPLAY_API_KEY);
    const t0 = Date.now();
    await deliverEvents(input.events, { port, signer, webhookSecret, onProgress: opts.onProgress });
    const tenant = tenants.get(`${tenantRef.accountId}|${tenantRef.livemode}`)!;
    const t1 = Date.now();
    for (const t of tenants.values()) await drainUntilSettled(ctx.process, t.id, DRAIN_TIMEOUT_MS);
    const t2 = Date.now();
    const lastCreated = Math.max(...input.events.map((e) => e.created));
    const through = opts.through ?? endOfMonth(localDateOf(lastCreated, settings.reporting_time_zone));
    await releaseThrough(ctx.process, tenant.id, through);
    const t3 = Date.now();

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
      events: input.events.length,
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
    server.close();
    await ctx.close();
    await fake.close();
    if (!opts.keepDatabase) await fresh.drop();
    await fresh.stopServer();
  }
}

/** The books of every account the events name, created (with `settings`) when missing; keyed by account|livemode. */
async function ensureTenants(db: Db, events: Stripe.Event[], settings: TenantSettings): Promise<Map<string, Tenant>> {
  const tenants = new Map<string, Tenant>();
  for (const ev of events) {
    const key = `${ev.account}|${Boolean(ev.livemode)}`;
    const ref = { accountId: ev.account!, livemode: Boolean(ev.livemode) };
    if (!tenants.has(key)) tenants.set(key, await ensureTenant(db, ref, settings, 'replay'));
  }
  return tenants;
}

interface Delivery {
  port: number;
  signer: Stripe;
  webhookSecret: string;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/** Posts every event, signed and in file order, to the local webhook endpoint; any refusal stops the replay. */
async function deliverEvents(events: Stripe.Event[], to: Delivery): Promise<void> {
  let done = 0;
  for (const ev of events) {
    const payload = JSON.stringify(ev);
    const header = to.signer.webhooks.generateTestHeaderString({ payload, secret: to.webhookSecret });
    const res = await fetch(`http://127.0.0.1:${to.port}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      body: payload,
    });
    if (res.status !== 200) {
      const refusal = `${res.status} ${await res.text()}`;
      throw new AccrueError('internal', `the webhook endpoint refused event ${ev.id}: ${refusal}`);
    }
    to.onProgress?.(++done, events.length);
  }
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
  const files: [string, string][] = [
    ['journal.csv', toJournalCsv(lines)],
    ['rollforward.csv', toRollforwardCsv(rollforward(lines, { periods }))],
    ['waterfall.csv', toWaterfallCsv(waterfall(lines))],
    ['trial_balance.csv', toTrialBalanceCsv(trialBalance(lines, { throughPeriod: lastPeriod }))],
  ];
  for (const [name, body] of files) await writeFile(join(out, name), body);
  return files.map(([n]) => join(out, n));
}
