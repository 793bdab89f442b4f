/**
 * `npm run demo` wall time: `node bin/accrue.js demo` (the default sample business) from spawn to
 * exit, `--runs` times, in the project's data folder as `npm run demo` runs it (the embedded
 * PostgreSQL there is reused when present). Skipped by `--quick`.
 *
 * Run: node bin/run-ts.js bench/demo.ts [--runs=3] [--quick]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { fmt, machineNote, printResult, verdict } from './webhook.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TARGET_S = 45;

async function demoOnce(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'accrue.js'), 'demo'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`accrue demo exited with ${code}: ${stderr.slice(-2000)}`);
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick') || process.env['BENCH_QUICK'] === '1';
  if (quick) {
    console.log('demo bench skipped by --quick (one demo takes more than a minute)');
    return;
  }
  const runsArg = process.argv.find((a) => a.startsWith('--runs='));
  const runs = runsArg ? Number(runsArg.slice('--runs='.length)) : 3;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    times.push(await demoOnce());
    console.log(`run ${i + 1}: ${fmt(times.at(-1)!)} s; ${machineNote()}`);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor((times.length - 1) / 2)]!;
  printResult({
    bench: 'demo',
    metric: `npm run demo wall time, median of ${runs} (min ${fmt(times[0]!)} s)`,
    measured: Number(fmt(median)),
    unit: 's',
    target: `< ${TARGET_S}`,
    verdict: verdict(median, TARGET_S, 'lower'),
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
