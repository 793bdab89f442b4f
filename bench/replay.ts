/**
 * `accrue replay` at scale: the sample business grown to about `--events` events, written as a
 * replay file, replayed by the `accrue` command itself (compiled, in its own process, as an
 * operator runs it) `--runs` times; prints the rate (events per second of wall time, start to
 * exit) and the replay process's peak resident set size next to their targets, with the phases the
 * replay reports (deliver, drain, release, write). Each run creates and drops its own database
 * (on DATABASE_URL's server when set, otherwise in the embedded PostgreSQL).
 *
 * Run: node bin/run-ts.js bench/replay.ts [--events=100000] [--runs=3] [--quick]
 *   --quick: 2,000 events, one run. BENCH_RSS_EVERY_MS=1000 also prints the replay's RSS each second.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateBusiness } from '../backend/sandbox/stripe/business.ts';
import { fmt, machineNote, printResult, verdict } from './webhook.ts';

const ROOT = resolve(import.meta.dirname, '..');
/** Events the default sample business (300 customers, 18 months) produces: to size a business. */
const EVENTS_PER_CUSTOMER = 11_226 / 300;
const CUSTOMERS_MAX = 5_000;
const RATE_TARGET_EVENTS_PER_S = 1_000;
const PEAK_RSS_TARGET_MB = 400;
/** The memory target is stated for this many events. */
const PEAK_RSS_TARGET_EVENTS = 100_000;

interface RunResult {
  events: number;
  wall_s: number;
  peak_mb: number;
  phases: string;
}

function arg(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const v = a ? Number(a.slice(name.length + 3)) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

/** Writes the replay file (objects, then events) a line at a time; returns the event count. */
async function writeInput(
  dir: string,
  eventsWanted: number,
): Promise<{ file: string; settings: string; events: number }> {
  const customers = Math.max(1, Math.min(CUSTOMERS_MAX, Math.round(eventsWanted / EVENTS_PER_CUSTOMER)));
  const business = generateBusiness({ customers });
  const file = join(dir, 'input.jsonl');
  const out = createWriteStream(file);
  for (const line of business.replay) if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  const settings = join(dir, 'settings.json');
  writeFileSync(settings, JSON.stringify(business.suggestedSettings));
  return { file, settings, events: business.events.length };
}

async function replayOnce(input: { file: string; settings: string }, outDir: string): Promise<RunResult> {
  const args = [
    '--import',
    join(ROOT, 'bench', 'support', 'peak-rss.js'),
    join(ROOT, 'bin', 'accrue.js'),
    'replay',
    input.file,
    '--out',
    outDir,
    '--settings',
    input.settings,
  ];
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b: Buffer) => {
    stderr += b;
    for (const line of b.toString().split('\n')) if (line.startsWith('BENCH_RSS ')) console.log(`  ${line}`);
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const wall_s = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`accrue replay exited with ${code}:\n${stdout}\n${stderr.slice(-4000)}`);
  const events = Number(/replayed (\d+) events/.exec(stdout)?.[1] ?? NaN);
  const phases = /\((deliver [^)]*)\)/.exec(stdout)?.[1] ?? '';
  const peak_kb = Number(/BENCH_PEAK_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);
  return { events, wall_s, peak_mb: peak_kb / 1024, phases };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick') || process.env['BENCH_QUICK'] === '1';
  const eventsWanted = arg('events', quick ? 2_000 : PEAK_RSS_TARGET_EVENTS);
  const runs = arg('runs', quick ? 1 : 3);
  const dir = mkdtempSync(join(tmpdir(), 'accrue-bench-replay-'));
  try {
    console.log(`# replay bench: about ${eventsWanted} events, ${runs} run(s); ${machineNote()}`);
    const input = await writeInput(dir, eventsWanted);
    console.log(`input: ${input.events} events in ${input.file}`);
    const results: RunResult[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await replayOnce(input, join(dir, `out-${i}`));
      results.push(r);
      console.log(
        `run ${i + 1}: ${r.events} events in ${fmt(r.wall_s)} s = ${fmt(r.events / r.wall_s, 0)} events/s, peak RSS ${fmt(r.peak_mb, 0)} MB (${r.phases}); ${machineNote()}`,
      );
    }
    const rates = results.map((r) => r.events / r.wall_s);
    const peaks = results.map((r) => r.peak_mb);
    const n = results[0]!.events;
    console.log(
      `events/s min ${fmt(Math.min(...rates), 0)} median ${fmt(median(rates), 0)}; peak RSS min ${fmt(Math.min(...peaks), 0)} median ${fmt(median(peaks), 0)} MB (max ${fmt(Math.max(...peaks), 0)})`,
    );
    printResult({
      bench: 'replay',
      metric: `accrue replay, ${n} events: events/s, median of ${runs}`,
      measured: Math.round(median(rates)),
      unit: 'events/s',
      target: `>= ${RATE_TARGET_EVENTS_PER_S}`,
      verdict: verdict(median(rates), RATE_TARGET_EVENTS_PER_S, 'higher'),
    });
    printResult({
      bench: 'replay',
      metric: `accrue replay, ${n} events: peak RSS, median of ${runs}`,
      measured: Math.round(median(peaks)),
      unit: 'MB',
      target: `< ${PEAK_RSS_TARGET_MB} MB at ${PEAK_RSS_TARGET_EVENTS} events`,
      verdict: n >= PEAK_RSS_TARGET_EVENTS * 0.9 ? verdict(median(peaks), PEAK_RSS_TARGET_MB, 'lower') : 'info',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
