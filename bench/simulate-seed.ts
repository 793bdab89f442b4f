/**
 * One seed of the fault simulator: the seed draws every fault, the webhooks' order and their
 * duplicates; the run books the business through real `accrue serve` processes and posts it to
 * the QuickBooks fake; then the invariants are checked. See `bench/simulate.ts`.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type Stripe from 'stripe';
import { qboServices } from '../backend/app/qbo-sync.ts';
import { loadConfig } from '../backend/config/config.ts';
import { Jobs, QUEUES } from '../backend/jobs/runner.ts';
import { loadLedgerLines } from '../backend/ledger/ledger.ts';
import { ensureTenant, type Tenant } from '../backend/ledger/tenants.ts';
import { startFakeQbo, type FakeQbo } from '../backend/sandbox/qbo/server.ts';
import { startStripeFake, type StripeFake } from '../backend/sandbox/stripe/server.ts';
import { ROLE_INFO, type AccountRole } from '../shared/accounts.ts';
import { AccrueError } from '../shared/errors.ts';
import { prng } from '../shared/prng.ts';
import { toJournalCsv } from '../shared/reports/index.ts';
import { postEvent } from '../test/support/serve-process.ts';
import {
  cloneDatabase,
  Cluster,
  dropConnections,
  failedJobs,
  FAKE_KEY,
  leftOver,
  THROUGH,
  type SeedDatabase,
  type World,
} from './simulate-world.ts';

const WEB_PROCESSES = 1;
const WORKER_PROCESSES = 2;
const QBO_IN_FLIGHT_MAX = 10;
const QBO_PER_MINUTE_MAX = 500;
/** The share of seeds that get a QuickBooks 429. */
const QBO_THROTTLE_SHARE = 0.2;
const CLIENT = { clientId: 'sim-client', clientSecret: 'sim-secret', redirectUris: ['http://127.0.0.1/cb'] };
/** How long each phase may take before the seed fails as a stall. */
const BOOK_DEADLINE_MS = 120_000;
const RELEASE_DEADLINE_MS = 90_000;
const QBO_DEADLINE_MS = 180_000;
/** The QuickBooks outage every seed rides out, in simulated seconds, and how much faster the simulated clock runs. */
const OUTAGE_SIMULATED_S = 3600;
const WAIT_SPEEDUP = 600;
/** Times the person connecting QuickBooks starts again after a refused sign-in. */
const CONNECT_ATTEMPTS_MAX = 3;

export interface FaultCounts {
  kills: number;
  dbDrops: number;
  stripeFaults: number;
  duplicates: number;
  qbo5xx: number;
  qbo429: number;
  qboTimeouts: number;
  qboOutage: number;
  qboDropped: number;
  /** QuickBooks sync or reconcile jobs that ran out of retries during the faults (the next sync redid their work). */
  qboJobsOutOfRetries: number;
}

export interface SeedResult {
  seed: number;
  ok: boolean;
  failures: string[];
  faults: FaultCounts;
  /** Why processes died on their own: not an invariant, but a finding the line reports. */
  crashes: string[];
  events: number;
  qboEntries: number;
  ms: number;
  /** Wall time of each phase that finished, in ms: start, deliver (and book), release, qbo. */
  phases: Record<string, number>;
}

/** Writes the processes' output of a failed seed to a file; its path. */
function keepOutput(seed: number, cluster: Cluster): string {
  const path = join(tmpdir(), `accrue-sim-seed-${seed}.log`);
  writeFileSync(path, cluster.output());
  return path;
}

type Rng = () => number;
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

function shuffle<T>(rng: Rng, xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

async function until(what: string, ms: number, ok: () => Promise<boolean>, tick?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + ms;
  let n = 0;
  for (;;) {
    try {
      if (await ok()) return;
    } catch {
      /* a dropped connection under the check itself: look again */
    }
    if (Date.now() > deadline) throw new Error(`stalled: ${what} not done within ${ms / 1000} s`);
    if (tick && ++n % 20 === 0) await tick().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 250));
  }
}

type Fault = 'kill' | 'db-drop' | 'stripe-429' | 'stripe-5xx';

/** The faults of the delivery phase, each at a drawn position in the stream of deliveries. */
function deliveryFaults(rng: Rng, deliveries: number): Map<number, Fault[]> {
  const plan = new Map<number, Fault[]>();
  const put = (f: Fault) => {
    const at = int(rng, 0, deliveries - 1);
    plan.set(at, [...(plan.get(at) ?? []), f]);
  };
  for (let i = int(rng, 1, 3); i > 0; i--) put('kill');
  for (let i = int(rng, 1, 2); i > 0; i--) put('db-drop');
  for (let i = int(rng, 1, 3); i > 0; i--) put(rng() < 0.5 ? 'stripe-429' : 'stripe-5xx');
  return plan;
}

interface Run {
  world: World;
  rng: Rng;
  d: SeedDatabase;
  cluster: Cluster;
  stripe: StripeFake;
  faults: FaultCounts;
}

async function applyFault(run: Run, f: Fault): Promise<void> {
  if (f === 'kill') {
    await run.cluster.kill(int(run.rng, 0, run.cluster.size - 1));
    run.faults.kills++;
  } else if (f === 'db-drop') {
    await dropConnections(run.world.adminUrl, run.d.name);
    run.faults.dbDrops++;
  } else {
    const status = f === 'stripe-429' ? 429 : run.rng() < 0.5 ? 500 : 503;
    run.stripe.inject({ status, count: int(run.rng, 1, 3) });
    run.faults.stripeFaults++;
  }
}

/** Posts one webhook until a web process acknowledges it (Stripe retries what it saw no 2xx for). */
async function deliverOne(run: Run, event: Stripe.Event, pick: number): Promise<void> {
  const deadline = Date.now() + 90_000;
  let last = '';
  for (let i = 0; ; i++) {
    try {
      const status = await postEvent(await run.cluster.webUrl(pick + i), event);
      if (status === 200) return;
      last = `HTTP ${status}`;
    } catch (e) {
      last = (e as Error).message.split('\n')[0]!; // the web process was killed under the request: deliver again
    }
    if (Date.now() > deadline) throw new Error(`webhook ${event.id} was never acknowledged (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Phase 1: shuffled webhooks, some twice, over the web processes, with kills, dropped connections and Stripe faults. */
async function deliverAll(run: Run): Promise<number> {
  const events = run.world.business.events as unknown as Stripe.Event[];
  const dups = events.filter(() => run.rng() < 0.2);
  run.faults.duplicates = dups.length;
  const stream = shuffle(run.rng, [...events, ...dups]);
  const plan = deliveryFaults(run.rng, stream.length);
  const lanes = 3;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = lane; i < stream.length; i += lanes) {
        for (const f of plan.get(i) ?? []) await applyFault(run, f);
        await deliverOne(run, stream[i]!, i);
      }
    }),
  );
  // Half the seeds also kill a process while the backlog is being drained.
  if (run.rng() < 0.5) {
    await new Promise((r) => setTimeout(r, int(run.rng, 200, 1500)));
    await applyFault(run, 'kill');
  }
  await until('every event booked', BOOK_DEADLINE_MS, async () => (await leftOver(run.d.db)).events === 0);
  return stream.length;
}

/** Phase 2: release through THROUGH by the workers. */
async function release(run: Run, jobs: Jobs, tenant: Tenant): Promise<void> {
  const send = () =>
    jobs
      .send(
        run.d.db,
        QUEUES.release,
        { tenantId: tenant.id.toString(), through: THROUGH },
        { tenantKey: tenant.id.toString() },
      )
      .then(() => undefined);
  await send();
  if (run.rng() < 0.3) await applyFault(run, 'kill');
  await until(
    'revenue released',
    RELEASE_DEADLINE_MS,
    async () => {
      const r = await run.d.db.selectFrom('release_state').select(['released_through']).execute();
      return r.length === 1 && String(r[0]!.released_through) === THROUGH;
    },
    send,
  );
}

/** Connects the tenant to a fresh QuickBooks company through OAuth and maps every account to it. */
async function connectQbo(run: Run, qboFake: FakeQbo, env: Record<string, string>, tenant: Tenant): Promise<string> {
  const qbo = qboServices(loadConfig(env), run.d.db)!;
  const realmId = qboFake.createRealm({ companyName: 'Simulated' });
  qboFake.setAuthorizeOutcome({ realmId });
  // The person connecting: a code is good for one exchange, so when the exchange's answer was lost
  // (a fault; the token client retried with the spent code), QuickBooks refuses it and the product
  // says to start the connection again — which a person does.
  for (let attempt = 1; ; attempt++) {
    const consent = await fetch(qbo.oauth.authorizationUrl(tenant.id.toString()).url, { redirect: 'manual' });
    try {
      await qbo.oauth.handleCallback(consent.headers.get('location')!);
      break;
    } catch (e) {
      if (!(e instanceof AccrueError) || e.code !== 'forbidden' || attempt >= CONNECT_ATTEMPTS_MAX) throw e;
    }
  }
  const accounts = await run.d.db
    .selectFrom('accounts')
    .select(['id', 'role', 'name'])
    .where('tenant_id', '=', tenant.id)
    .execute();
  for (const a of accounts) {
    const info = ROLE_INFO[a.role as AccountRole];
    const [id] = qboFake.seedAccounts(realmId, [
      { Name: a.name, AccountType: info.qbo.type, AccountSubType: info.qbo.subType },
    ]);
    await run.d.db
      .updateTable('accounts')
      .set({ external_id: id!, external_type: info.qbo.type })
      .where('id', '=', a.id)
      .execute();
  }
  return realmId;
}

/** QuickBooks faults: 5xx, timeouts (write committed or not), lost responses, and a burst outage. */
function qboFaults(run: Run, qboFake: FakeQbo, realmId: string): void {
  const f = run.faults;
  qboFake.setLatency(int(run.rng, 2, 15));
  qboFake.setDropRate(realmId, 0.05 + run.rng() * 0.2);
  f.qbo5xx = int(run.rng, 1, 4);
  qboFake.injectFault(realmId, { kind: 'status', status: run.rng() < 0.5 ? 500 : 503, times: f.qbo5xx });
  f.qboTimeouts = int(run.rng, 1, 2);
  for (let i = 0; i < f.qboTimeouts; i++)
    qboFake.injectFault(realmId, { kind: 'timeout', hang_ms: int(run.rng, 200, 1500), commit: run.rng() < 0.5 });
  // A 429 pauses the company's calls for 60 s of real time (the serving processes run on the real
  // clock), so only some seeds draw one.
  f.qbo429 = run.rng() < QBO_THROTTLE_SHARE ? 1 : 0;
  if (f.qbo429) qboFake.injectFault(realmId, { kind: 'throttle', times: f.qbo429 });
  // A one-hour outage on the simulated clock: the serving processes wait WAIT_SPEEDUP times shorter
  // (ACCRUE_WAIT_SPEEDUP), so the hour lasts 3600 / WAIT_SPEEDUP real seconds for both sides.
  f.qboOutage = OUTAGE_SIMULATED_S;
  qboFake.injectFault(realmId, {
    kind: 'outage',
    status: 503,
    until_ms: Date.now() + (OUTAGE_SIMULATED_S * 1000) / WAIT_SPEEDUP,
  });
}

const totalsText = (m: Map<string, bigint>) =>
  [...m]
    .filter(([, v]) => v !== 0n)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');

async function ledgerByQboAccount(db: SeedDatabase['db'], tenant: Tenant): Promise<Map<string, bigint>> {
  const r = await sql<{ external_id: string; total: bigint }>`
    select a.external_id, sum(l.amount_minor)::bigint as total from journal_lines l join accounts a on a.id = l.account_id
    where l.tenant_id = ${tenant.id} group by a.external_id`.execute(db);
  return new Map(r.rows.map((x) => [x.external_id, x.total]));
}

/** Phase 3: post to QuickBooks through the workers, with faults, a kill and a dropped connection on the way. */
async function postToQbo(run: Run, jobs: Jobs, qboFake: FakeQbo, realmId: string, tenant: Tenant): Promise<void> {
  qboFaults(run, qboFake, realmId);
  const data = { tenantId: tenant.id.toString() };
  const opts = { tenantKey: tenant.id.toString() };
  // The next sync, as the daily tick would request it (an entry whose attempts ran out waits for it).
  const requestSync = async () => {
    await jobs.send(run.d.db, QUEUES.sync, data, opts);
    await jobs.send(run.d.db, QUEUES.reconcile, data, opts);
  };
  await requestSync();
  if (run.rng() < 0.5) {
    await new Promise((r) => setTimeout(r, int(run.rng, 100, 2000)));
    await applyFault(run, run.rng() < 0.5 ? 'kill' : 'db-drop');
  }
  await until(
    'QuickBooks to agree with the ledger',
    QBO_DEADLINE_MS,
    async () => {
      const left = await leftOver(run.d.db);
      if (left.qboPending > 0) return false;
      return totalsText(qboFake.accountTotals(realmId)) === totalsText(await ledgerByQboAccount(run.d.db, tenant));
    },
    requestSync,
  );
}

/** The invariants after the seed: same journal, no duplicate in QuickBooks, limits held, nothing left. */
async function check(run: Run, qboFake: FakeQbo, realmId: string, tenant: Tenant): Promise<string[]> {
  const failures: string[] = [];
  const journal = toJournalCsv(await loadLedgerLines(run.d.db, tenant.id));
  if (journal !== run.world.baseline) failures.push('journal differs from the fault-free run');
  const docs = qboFake.journalEntries(realmId).map((j: { DocNumber: string }) => j.DocNumber);
  if (new Set(docs).size !== docs.length)
    failures.push(`${docs.length - new Set(docs).size} duplicate(s) in QuickBooks`);
  const stats = qboFake.stats(realmId);
  run.faults.qboDropped = stats.dropped;
  if (stats.peakInFlight > QBO_IN_FLIGHT_MAX) failures.push(`QuickBooks in flight peaked at ${stats.peakInFlight}`);
  if (stats.peakPerMinute > QBO_PER_MINUTE_MAX)
    failures.push(`QuickBooks saw ${stats.peakPerMinute} requests a minute`);
  if (stats.throttled > run.faults.qbo429)
    failures.push(`QuickBooks throttled ${stats.throttled - run.faults.qbo429} request(s) beyond the injected 429s`);
  const left = await leftOver(run.d.db);
  if (left.events) failures.push(`${left.events} event(s) pending`);
  if (left.qboPending) failures.push(`${left.qboPending} QuickBooks write(s) of unknown outcome`);
  if (left.qboFailed) failures.push(`${left.qboFailed} QuickBooks write(s) given up`);
  if (left.deadBooking)
    failures.push(`${left.deadBooking} booking job(s) out of retries (${await failedJobs(run.d.db)})`);
  run.faults.qboJobsOutOfRetries = left.deadQbo;
  return failures;
}

function environment(run: Pick<Run, 'd' | 'stripe'>, qboUrl: string): Record<string, string> {
  return {
    DATABASE_URL: run.d.url,
    STRIPE_SECRET_KEY: FAKE_KEY,
    STRIPE_API_BASE: run.stripe.url,
    QBO_CLIENT_ID: CLIENT.clientId,
    QBO_CLIENT_SECRET: CLIENT.clientSecret,
    QBO_REDIRECT_URI: CLIENT.redirectUris[0]!,
    QBO_API_BASE: qboUrl,
    QBO_OAUTH_BASE: qboUrl,
    ACCRUE_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
    ACCRUE_WAIT_SPEEDUP: String(WAIT_SPEEDUP),
  };
}

const noFaults = (): FaultCounts => ({
  kills: 0,
  dbDrops: 0,
  stripeFaults: 0,
  duplicates: 0,
  qbo5xx: 0,
  qbo429: 0,
  qboTimeouts: 0,
  qboOutage: 0,
  qboDropped: 0,
  qboJobsOutOfRetries: 0,
});

/** Runs one seed end to end; never throws: a stall or a crash is a failed seed. */
export async function runSeed(world: World, seed: number): Promise<SeedResult> {
  const started = Date.now();
  const faults = noFaults();
  const result = (failures: string[], events = 0, qboEntries = 0): SeedResult => ({
    seed,
    ok: failures.length === 0,
    failures,
    faults,
    crashes: cluster?.crashes ?? [],
    events,
    qboEntries,
    ms: Date.now() - started,
    phases,
  });
  const phases: Record<string, number> = {};
  let mark = started;
  const lap = (name: string) => {
    phases[name] = Date.now() - mark;
    mark = Date.now();
  };
  const cleanup: (() => Promise<unknown>)[] = [];
  let cluster: Cluster | undefined;
  try {
    const d = await cloneDatabase(world.adminUrl, world.template);
    cleanup.push(() => d.close());
    const stripe = await startStripeFake({ apiKey: FAKE_KEY });
    cleanup.push(() => stripe.close());
    stripe.load(world.business.replay, world.business.account);
    const qboFake = await startFakeQbo({ seed });
    cleanup.push(() => qboFake.close());
    qboFake.registerApp(CLIENT);
    const tenant = await ensureTenant(d.db, { accountId: world.business.account, livemode: false }, world.settings);
    const env = environment({ d, stripe }, qboFake.url);
    cluster = new Cluster(env);
    const c = cluster;
    cleanup.push(() => c.stop());
    for (let i = 0; i < WEB_PROCESSES; i++) cluster.add('web');
    for (let i = 0; i < WORKER_PROCESSES; i++) cluster.add('worker');
    await cluster.ready();
    lap('start');
    const jobs = await new Jobs({ url: d.url }).start();
    cleanup.push(() => jobs.stop());
    const run: Run = { world, rng: prng(seed), d, cluster, stripe, faults };

    const events = await deliverAll(run);
    lap('deliver');
    await release(run, jobs, tenant);
    lap('release');
    const realmId = await connectQbo(run, qboFake, env, tenant);
    await postToQbo(run, jobs, qboFake, realmId, tenant);
    lap('qbo');
    const failures = await check(run, qboFake, realmId, tenant);
    const codes = await cluster.stop();
    if (codes.some((x) => x !== 0)) failures.push(`a process exited with ${codes.join(',')} on SIGTERM`);
    if (failures.length) failures.push(`process output: ${keepOutput(seed, cluster)}`);
    return result(failures, events, qboFake.journalEntries(realmId).length);
  } catch (e) {
    const failures = [(e as Error).message];
    if (cluster) failures.push(`process output: ${keepOutput(seed, cluster)}`);
    return result(failures);
  } finally {
    for (const f of cleanup.reverse()) await f().catch(() => undefined);
  }
}
