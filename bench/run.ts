/**
 * `npm run bench`: runs every benchmark in `bench/` that exists, one after the other, each as its
 * own child process (each starts its own fresh database, and one bench's heap or sockets never
 * colour the next one's numbers), streams their output, and ends with a summary table.
 *
 * Benches report headline numbers as `BENCH_RESULT {json}` lines (see `printResult` in
 * `webhook.ts`); a bench that prints none is listed by its exit status and wall time.
 *
 * Run: node bin/run-ts.js bench/run.ts [--quick] [--only-bench=webhook,pipeline] [--duration=S] [--rate=R] [--fast]
 *   --quick is passed to every bench (and BENCH_QUICK=1, BENCH_QBO_QUICK=1 are set for those
 *   that read the environment instead); the other options go to webhook.ts and pipeline.ts only.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { issueTableRows, type ResultRow } from './issue-table.ts';
import { machineNote } from './webhook.ts';

/** Benches run first, in this order (the rest follow alphabetically). */
const PREFERRED_ORDER = ['webhook.ts', 'pipeline.ts', 'engine.ts', 'qbo.ts', 'replay.ts', 'cold-start.ts', 'demo.ts'];
/**
 * Benches that understand this runner's other options (`--duration=`, `--rate=`, `--fast`, …);
 * the others get `--quick` only, since they may read positional arguments.
 */
const FULL_ARGS_BENCHES = new Set(['webhook.ts', 'pipeline.ts']);
/** Files in `bench/` that are not benches. */
const NOT_BENCHES = new Set(['run.ts']);
/** A bench running longer than this is stopped: a hung bench must not hang the whole run. */
const BENCH_TIMEOUT_MS = 40 * 60_000;
const QUICK_BENCH_TIMEOUT_MS = 10 * 60_000;

interface Row {
  bench: string;
  metric: string;
  measured: string;
  target: string;
  verdict: string;
  value: number;
  unit: string;
}

interface Outcome {
  file: string;
  exitCode: number | null;
  wall_s: number;
  rows: Row[];
  lastLine: string;
  /** Lines to repeat under the summary (the freshness run's backlog samples). */
  notes: string[];
}

/** The benches present, in run order. */
export function benchFiles(dir: string): string[] {
  const files = readdirSync(dir).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !NOT_BENCHES.has(f) && !f.endsWith('.d.ts'),
  );
  const rank = (f: string) => {
    const i = PREFERRED_ORDER.indexOf(f);
    return i < 0 ? PREFERRED_ORDER.length : i;
  };
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

async function runOne(file: string, args: string[], quick: boolean): Promise<Outcome> {
  const runner = resolve(import.meta.dirname, '..', 'bin', 'run-ts.js');
  const name = basename(file, '.ts');
  const env = { ...process.env, ...(quick ? { BENCH_QUICK: '1', BENCH_QBO_QUICK: '1' } : {}) };
  const started = performance.now();
  const child = spawn(process.execPath, [runner, file, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const rows: Row[] = [];
  const notes: string[] = [];
  let lastLine = '';
  const relay = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
    createInterface({ input: stream }).on('line', (line) => {
      out.write(`[${name}] ${line}\n`);
      const m = /^BENCH_RESULT (\{.*\})$/.exec(line);
      if (m) {
        try {
          const r = JSON.parse(m[1]!) as {
            bench?: string;
            metric?: string;
            measured?: unknown;
            unit?: string;
            target?: string;
            verdict?: string;
          };
          rows.push({
            bench: r.bench ?? name,
            metric: r.metric ?? '?',
            measured: `${String(r.measured)} ${r.unit ?? ''}`.trim(),
            target: r.target ?? '-',
            verdict: r.verdict ?? '-',
            value: typeof r.measured === 'number' ? r.measured : NaN,
            unit: r.unit ?? '',
          });
        } catch {
          /* a malformed line is shown above and left out of the table */
        }
      } else if (/inbox backlog, one sample a second/.test(line)) {
        notes.push(line.trim());
      } else if (out === process.stdout && /[A-Za-z]{3}/.test(line)) lastLine = line.trim();
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  const timeout_ms = quick ? QUICK_BENCH_TIMEOUT_MS : BENCH_TIMEOUT_MS;
  const timer = setTimeout(() => {
    process.stderr.write(`[run] ${name} exceeded ${timeout_ms / 60_000} min; stopping it\n`);
    child.kill('SIGTERM');
  }, timeout_ms);
  const exitCode = await new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  clearTimeout(timer);
  return { file: name, exitCode, wall_s: (performance.now() - started) / 1000, rows, lastLine, notes };
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  rows.forEach((r, i) => {
    console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

/** The issue's table: every row, measured or "not measured", against the issue's targets. */
function printIssueTable(outcomes: Outcome[]): void {
  const results: ResultRow[] = outcomes.flatMap((o) => o.rows);
  const ran = new Set(outcomes.map((o) => o.file));
  console.log(`\n===== issue 18's table (${machineNote()}) =====`);
  printTable([['what', 'measured', 'target', 'verdict'], ...issueTableRows(results, ran)]);
  for (const note of outcomes.flatMap((o) => o.notes)) console.log(`freshness run, ${note}`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick') || process.env['BENCH_QUICK'] === '1';
  const onlyArg = argv.find((a) => a.startsWith('--only-bench='));
  const only = onlyArg
    ? new Set(
        onlyArg
          .slice('--only-bench='.length)
          .split(',')
          .map((s) => (s.endsWith('.ts') ? s : `${s}.ts`)),
      )
    : null;
  const passThrough = argv.filter((a) => !a.startsWith('--only-bench='));
  const dir = import.meta.dirname;
  const files = benchFiles(dir).filter((f) => !only || only.has(f));
  console.log(`# accrue benches${quick ? ' (quick)' : ''}: ${files.join(', ')}; ${machineNote()}`);
  const outcomes: Outcome[] = [];
  for (const f of files) {
    const path = join(dir, f);
    if (!existsSync(path)) continue;
    console.log(`\n===== ${f} =====`);
    const args = FULL_ARGS_BENCHES.has(f) ? passThrough : quick ? ['--quick'] : [];
    outcomes.push(await runOne(path, args, quick));
  }

  console.log(`\n===== summary (${machineNote()}) =====`);
  const table: string[][] = [['bench', 'metric', 'measured', 'target', 'verdict']];
  for (const o of outcomes) {
    for (const r of o.rows) table.push([r.bench, r.metric, r.measured, r.target, r.verdict]);
    const status = o.exitCode === 0 ? 'completed' : `FAILED (exit ${o.exitCode ?? 'signal'})`;
    table.push([
      o.file,
      `${status} in ${o.wall_s.toFixed(0)} s`,
      o.rows.length ? '' : o.lastLine.slice(0, 80),
      '',
      o.exitCode === 0 ? '' : 'error',
    ]);
  }
  printTable(table);
  printIssueTable(outcomes);
  const misses = outcomes.flatMap((o) => o.rows).filter((r) => r.verdict === 'misses').length;
  const failures = outcomes.filter((o) => o.exitCode !== 0).length;
  console.log(
    `\n${outcomes.length} benches, ${failures} failed to run, ${misses} targets missed. Targets are printed, not enforced: this run exits non-zero only when a bench crashes.`,
  );
  process.exitCode = failures ? 1 : 0;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
