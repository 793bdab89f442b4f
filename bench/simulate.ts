/**
 * The fault simulator: `npm run simulate -- --seeds N [--from S] [--parallel P] [--customers C] [--months M]`.
 *
 * Each seed runs the real pipeline — `accrue serve --role web` and `--role worker` processes
 * against one PostgreSQL, the Stripe fake and the QuickBooks fake — through faults the seed draws:
 * kill -9 of any process (restarted at once, as a supervisor would), every database connection of
 * the seed's database terminated, Stripe 429/500/503, QuickBooks 5xx and 429, timeouts (write committed or
 * not), lost responses and a one-hour outage on a simulated clock, and the webhooks shuffled with some delivered twice.
 * After each seed: the journal equals the fault-free run's, QuickBooks holds no duplicate,
 * QuickBooks' limits were never exceeded, and nothing is left pending. One line per seed, then a
 * summary; the exit code is 1 when any seed failed.
 *
 * One database server for the whole run (DATABASE_URL, or an embedded PostgreSQL started here),
 * a migrated template cloned per seed, one small generated business and its fault-free journal
 * computed once.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '../backend/db/embedded.ts';
import { runSeed, type SeedResult } from './simulate-seed.ts';
import { openWorld, type WorldOptions } from './simulate-world.ts';

export interface SimulationOptions extends WorldOptions {
  seeds: number[];
  /** How many seeds run at once (default 1). */
  parallel?: number;
  /** Called with each printed line (one per seed, then the summary). */
  print?: (line: string) => void;
}

export function seedLine(r: SeedResult): string {
  const f = r.faults;
  const faults =
    `kills=${f.kills} db-drops=${f.dbDrops} stripe-faults=${f.stripeFaults} dups=${f.duplicates} ` +
    `qbo-5xx=${f.qbo5xx} qbo-429=${f.qbo429} qbo-timeouts=${f.qboTimeouts} qbo-outage=${f.qboOutage / 60}min qbo-lost=${f.qboDropped} qbo-jobs-out-of-retries=${f.qboJobsOutOfRetries} crashes=${r.crashes.length}`;
  const what = r.ok ? 'ok  ' : 'FAIL';
  const tail = r.ok ? '' : ` — ${r.failures.join('; ')}`;
  const phases = Object.entries(r.phases)
    .map(([k, v]) => `${k}=${(v / 1000).toFixed(1)}`)
    .join(' ');
  return `seed ${String(r.seed).padStart(5)} ${what} ${(r.ms / 1000).toFixed(1).padStart(6)} s  [${phases}] events=${r.events} qbo-entries=${r.qboEntries} ${faults}${tail}`;
}

/** Runs every seed in turn on one world; the results in seed order. */
export async function runSimulation(opts: SimulationOptions): Promise<SeedResult[]> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const world = await openWorld(opts);
  const results: SeedResult[] = [];
  const queue = [...opts.seeds];
  try {
    // Seeds are independent (each its own database, fakes and processes): run `parallel` at a time.
    await Promise.all(
      Array.from({ length: Math.max(1, opts.parallel ?? 1) }, async () => {
        for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
          const r = await runSeed(world, seed);
          results.push(r);
          print(seedLine(r));
        }
      }),
    );
    results.sort((a, b) => a.seed - b.seed);
  } finally {
    await world.close();
  }
  const passed = results.filter((r) => r.ok).length;
  const secs = results.reduce((s, r) => s + r.ms, 0) / 1000;
  const failed = results.filter((r) => !r.ok).map((r) => r.seed);
  const reasons = new Map<string, number>();
  for (const c of results.flatMap((r) => r.crashes)) reasons.set(c, (reasons.get(c) ?? 0) + 1);
  for (const [c, n] of reasons) print(`crashed ${n}×: ${c}`);
  print(
    `simulated ${results.length} seed(s): ${passed} passed, ${results.length - passed} failed` +
      `${failed.length ? ` (seeds ${failed.join(', ')})` : ''}; ${secs.toFixed(0)} s in all`,
  );
  return results;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '10' },
      from: { type: 'string', default: '1' },
      customers: { type: 'string' },
      months: { type: 'string' },
      parallel: { type: 'string', default: '1' },
    },
  });
  const count = Number(values.seeds);
  const from = Number(values.from);
  const parallel = Number(values.parallel);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(from) || !Number.isInteger(parallel) || parallel < 1) {
    console.error('--seeds and --parallel must be positive whole numbers and --from a whole number');
    return 2;
  }
  let adminUrl = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!adminUrl) {
    const pgHandle = await startEmbeddedPostgres({
      dataDir: join(tmpdir(), `accrue-sim-pg-${process.pid}`),
      fast: true,
      ephemeral: true,
    });
    adminUrl = pgHandle.url;
    stop = () => pgHandle.stop();
  }
  try {
    const results = await runSimulation({
      adminUrl,
      seeds: Array.from({ length: count }, (_, i) => from + i),
      parallel,
      ...(values.customers ? { customers: Number(values.customers) } : {}),
      ...(values.months ? { months: Number(values.months) } : {}),
    });
    return results.every((r) => r.ok) ? 0 : 1;
  } finally {
    await stop?.();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Interrupted: exit normally, so the servers this run started are killed on the way out.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  process.exitCode = await main();
}
