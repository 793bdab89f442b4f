/**
 * `accrue --help` cold start: a new `node bin/accrue.js --help` process, from spawn to exit, `--runs`
 * times (after one run that compiles the sources if they changed); prints min, median and max next
 * to the target, and a bare `node -e 0` for the share that is Node's own start. Each process also
 * reports the CPU time it used (`bench/support/peak-rss.js`): on a busy machine the wall time
 * mostly measures waiting for a core, the CPU time does not.
 *
 * Run: node bin/run-ts.js bench/cold-start.ts [--runs=10] [--quick]
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fmt, machineNote, printResult, verdict } from './webhook.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TARGET_S = 0.3;

const PRELOAD = join(ROOT, 'bench', 'support', 'peak-rss.js');

/** Wall seconds and CPU seconds of each run, each list sorted. */
function timeRuns(args: string[], runs: number): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', PRELOAD, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: ROOT,
    });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}: ${r.stderr.toString()}`);
    wall.push((performance.now() - t0) / 1000);
    cpu.push(Number(/BENCH_CPU_MS=(\d+)/.exec(r.stderr.toString())?.[1] ?? NaN) / 1000);
  }
  return { wall: wall.sort((a, b) => a - b), cpu: cpu.sort((a, b) => a - b) };
}

const line = (label: string, xs: number[]): string =>
  `${label}: min ${fmt(xs[0]!, 3)} s, median ${fmt(median(xs), 3)} s, max ${fmt(xs.at(-1)!, 3)} s`;

const median = (sorted: number[]): number => sorted[Math.floor((sorted.length - 1) / 2)]!;

function main(): void {
  const quick = process.argv.includes('--quick') || process.env['BENCH_QUICK'] === '1';
  const runsArg = process.argv.find((a) => a.startsWith('--runs='));
  const runs = runsArg ? Number(runsArg.slice('--runs='.length)) : quick ? 5 : 10;
  const bin = join(ROOT, 'bin', 'accrue.js');
  timeRuns([bin, '--help'], 1); // compiles first if a source changed since the last build
  const help = timeRuns([bin, '--help'], runs);
  const bare = timeRuns(['-e', '0'], runs);
  console.log(`# cold start, ${runs} runs each; ${machineNote()}`);
  console.log(line('accrue --help, wall', help.wall));
  console.log(line('accrue --help, CPU ', help.cpu));
  console.log(line('node -e 0, wall    ', bare.wall));
  console.log(line('node -e 0, CPU     ', bare.cpu));
  printResult({
    bench: 'cold-start',
    metric: `accrue --help cold start, median of ${runs} (min ${fmt(help.wall[0]!, 3)} s)`,
    measured: Number(fmt(median(help.wall), 3)),
    unit: 's',
    target: `< ${TARGET_S}`,
    verdict: verdict(median(help.wall), TARGET_S, 'lower'),
  });
  printResult({
    bench: 'cold-start',
    metric: `accrue --help CPU time, median of ${runs} (node -e 0: ${fmt(median(bare.cpu), 3)} s)`,
    measured: Number(fmt(median(help.cpu), 3)),
    unit: 's',
    target: '-',
    verdict: 'info',
  });
}

main();
