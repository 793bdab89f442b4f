/**
 * The performance issue's table (issue 18), row by row, filled from the `BENCH_RESULT` lines of a
 * `bench/run.ts` run: each row shows the number a bench measured next to the issue's target, with
 * the verdict against that target (which can be stricter than the bench's own), or says plainly
 * that nothing measured it.
 */

export interface ResultRow {
  bench: string;
  metric: string;
  value: number;
  unit: string;
}

interface IssueRow {
  what: string;
  target: string;
  /** The bench that measures it (for the "not measured" note). */
  bench: string;
  find(r: ResultRow): boolean;
  meets(value: number): boolean;
}

const ISSUE_ROWS: IssueRow[] = [
  {
    what: 'engine, invoice lines per CPU-second (batches of 250)',
    target: '≥ 500k',
    bench: 'engine',
    find: (r) => r.bench === 'engine' && r.metric.startsWith('invoice lines scheduled per CPU-second'),
    meets: (v) => v >= 500_000,
  },
  {
    what: 'engine, one invoice per call',
    target: 'within 20% of batched',
    bench: 'engine',
    find: (r) => r.bench === 'engine' && /one invoice per call/.test(r.metric),
    meets: (v) => v >= 0.8,
  },
  {
    what: 'webhook ack p99 at 200/s with workers running',
    target: '< 50 ms',
    bench: 'pipeline',
    find: (r) => r.bench === 'pipeline' && r.metric.startsWith('live ack p99'),
    meets: (v) => v < 50,
  },
  {
    what: 'freshness p99 (POST → booked) at 200/s',
    target: '< 1 s (backlog level)',
    bench: 'pipeline',
    find: (r) => r.bench === 'pipeline' && r.metric.startsWith('live freshness p99'),
    meets: (v) => v < 1_000,
  },
  {
    what: 'live throughput, webhook + workers',
    target: '≥ 600 events/s',
    bench: 'pipeline',
    find: (r) => r.bench === 'pipeline' && r.metric === 'live throughput (webhook + workers)',
    meets: (v) => v >= 600,
  },
  {
    what: 'Stripe reads per live event (webhook backlog drain)',
    target: '≤ 0.3',
    bench: 'pipeline',
    find: (r) => r.bench === 'pipeline' && /^drain of a webhook backlog: Stripe requests/.test(r.metric),
    meets: (v) => v <= 0.3,
  },
  {
    what: '`accrue replay`, events/s',
    target: '≥ 1,000 events/s',
    bench: 'replay',
    find: (r) => r.bench === 'replay' && /events\/s/.test(r.metric),
    meets: (v) => v >= 1_000,
  },
  {
    what: '`accrue replay`, peak RSS at 100k events',
    target: '< 400 MB',
    bench: 'replay',
    // Only a run at (about) the stated size counts: `--quick` replays 2,000 events.
    find: (r) =>
      r.bench === 'replay' && /peak RSS/.test(r.metric) && Number(/(\d+) events/.exec(r.metric)?.[1]) >= 90_000,
    meets: (v) => v < 400,
  },
  {
    what: 'backfill of listed objects (synthetic events)',
    target: '≥ 1,500 events/s',
    bench: 'pipeline',
    find: (r) => r.bench === 'pipeline' && r.metric.startsWith('runBackfill drain'),
    meets: (v) => v >= 1_500,
  },
  {
    what: 'month-end release of 1M schedule lines',
    target: '< 30 s',
    bench: 'release',
    find: (r) => r.bench === 'release' && /1M|1,000,000|1000000/.test(r.metric),
    meets: (v) => v < 30,
  },
  {
    what: '`accrue --help` cold start',
    target: '< 0.3 s',
    bench: 'cold-start',
    find: (r) => r.bench === 'cold-start' && r.metric.startsWith('accrue --help cold start'),
    meets: (v) => v < 0.3,
  },
  {
    what: '`npm run demo`',
    target: '< 45 s',
    bench: 'demo',
    find: (r) => r.bench === 'demo',
    meets: (v) => v < 45,
  },
];

/** The issue's rows as table rows: what, measured, target, verdict. */
export function issueTableRows(results: readonly ResultRow[], benchesRun: ReadonlySet<string>): string[][] {
  return ISSUE_ROWS.map((row) => {
    const r = results.find((x) => row.find(x));
    if (!r || !Number.isFinite(r.value)) {
      const why = benchesRun.has(row.bench)
        ? `not measured (bench/${row.bench}.ts reports no such number)`
        : `not measured (bench/${row.bench}.ts ${row.bench === 'release' ? 'does not exist yet' : 'did not run'})`;
      return [row.what, why, row.target, '-'];
    }
    return [row.what, `${r.value} ${r.unit}`.trim(), row.target, row.meets(r.value) ? 'meets' : 'misses'];
  });
}
