/**
 * Engine benchmark: generated invoices (1k to 1M invoice lines), booked by the pure engine in
 * aggregate batches the way the pipeline runs it. Prints invoice lines scheduled per second,
 * journal lines per second and the peak resident memory (RSS high-water mark).
 *
 * Run: node bin/run-ts.js bench/engine.ts [maxLines | --quick]   (default 1,000,000; --quick: 100,000)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runEngine } from '../shared/engine/index.ts';
import type { Fact, InvoiceFinalizedFact, InvoiceLineFact } from '../shared/engine/facts.ts';
import { currency } from '../shared/money.ts';
import { defaultSettings } from '../shared/settings.ts';
import { startOfDay } from '../shared/time.ts';

/** Invoices handed to one engine run: the pipeline books per aggregate; small batches keep results short-lived (young-generation garbage) and memory flat. */
const BATCH_INVOICES = 250;
/** Lines per generated invoice: a plan, an add-on and a usage line is a typical subscription invoice. */
const LINES_PER_INVOICE = 3;
const SIZES = [1_000, 10_000, 100_000, 1_000_000];
const USD = currency('usd');
/**
 * The engine allocates many short-lived objects (schedules, lines); a 64 MB young generation lets
 * them die young instead of being promoted, which about doubles throughput. V8 only honours the
 * flag at start-up, so the bench re-runs itself with it once. The same flag
 * (NODE_OPTIONS=--max-semi-space-size=64) suits the worker that runs the engine.
 */
const SEMI_SPACE_FLAG = '--max-semi-space-size=64';
if (!process.execArgv.includes(SEMI_SPACE_FLAG) && process.env.ACCRUE_BENCH_CHILD !== '1') {
  const runner = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [SEMI_SPACE_FLAG, runner, self, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, ACCRUE_BENCH_CHILD: '1' },
  });
  process.exit(r.status ?? 1);
}
const DAY = 86_400;

const T0 = startOfDay('2026-01-01', 'UTC');

/** A deterministic pseudo-random sequence, so every run books the same data. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function makeInvoice(n: number, rnd: () => number): Fact[] {
  const inv = `in_${n}`;
  const startDay = Math.floor(rnd() * 365);
  const start = T0 + startDay * DAY + Math.floor(rnd() * DAY);
  const lines: InvoiceLineFact[] = [];
  let total = 0n;
  for (let i = 0; i < LINES_PER_INVOICE; i++) {
    const annual = rnd() < 0.2;
    const amount = BigInt(100 + Math.floor(rnd() * 500_000));
    total += amount;
    lines.push({
      id: `il_${n}_${i}`,
      amountMinor: amount,
      discountMinor: 0n,
      creditMinor: 0n,
      inclusiveTaxMinor: 0n,
      exclusiveTaxMinor: 0n,
      periodStart: start,
      periodEnd: start + (annual ? 365 : 30) * DAY,
      product: `prod_${i}`,
      price: null,
      proration: false,
      invoiceItem: null,
      pendingItemCreatedAt: null,
      description: null,
    });
  }
  const fin: InvoiceFinalizedFact = {
    type: 'invoice_finalized',
    invoice: inv,
    customer: `cus_${n % 997}`,
    currency: USD,
    at: start,
    totalMinor: total,
    taxMinor: 0n,
    startingBalanceMinor: 0n,
    endingBalanceMinor: 0n,
    lines,
  };
  return [
    fin,
    {
      type: 'payment',
      invoice: inv,
      payment: `ch_${n}`,
      method: 'stripe',
      amountMinor: total,
      currency: USD,
      at: start + 5,
      balanceTransaction: {
        id: `txn_${n}`,
        amountMinor: total,
        feeMinor: total / 34n,
        currency: USD,
        exchangeRate: null,
        created: start + 5,
      },
    },
  ];
}

function bench(
  lines: number,
  batchInvoices = BATCH_INVOICES,
): {
  lines: number;
  seconds: number;
  cpuSeconds: number;
  journalLines: number;
  entries: number;
} {
  const settings = defaultSettings();
  const invoices = Math.ceil(lines / LINES_PER_INVOICE);
  const rnd = lcg(42);
  let journalLines = 0;
  let entries = 0;
  let elapsed = 0n;
  let cpuMicros = 0;
  // The clocks are read around a group of calls covering BATCH_INVOICES invoices, not around each
  // call: with one invoice per call, reading them per call measured process.cpuUsage itself.
  const groupInvoices = Math.max(batchInvoices, BATCH_INVOICES);
  for (let group = 0; group < invoices; group += groupInvoices) {
    const calls: Fact[][] = [];
    for (let from = group; from < Math.min(invoices, group + groupInvoices); from += batchInvoices) {
      const facts: Fact[] = [];
      for (let n = from; n < Math.min(invoices, from + batchInvoices); n++) facts.push(...makeInvoice(n, rnd));
      calls.push(facts);
    }
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    for (const facts of calls) {
      const r = runEngine({ settings, facts, through: '2027-12-31' });
      entries += r.entries.length;
      for (const e of r.entries) journalLines += e.lines.length;
    }
    const dc = process.cpuUsage(c);
    elapsed += process.hrtime.bigint() - t;
    cpuMicros += dc.user + dc.system;
  }
  return {
    lines: invoices * LINES_PER_INVOICE,
    seconds: Number(elapsed) / 1e9,
    cpuSeconds: cpuMicros / 1e6,
    journalLines,
    entries,
  };
}

/** Issue 18's aim: invoice lines scheduled per CPU-second, in batches (it was 200k before). */
const TARGET_LINES_PER_S = 500_000;
/** One invoice per engine call (as live processing books one aggregate at a time): within 20 % of batched. */
const PER_CALL_LINES = 30_000;
/** `--quick` (or BENCH_QUICK=1, as `npm run bench -- --quick` passes it) stops at 100k lines. */
const QUICK_MAX_LINES = 100_000;

/** One headline number in the format `bench/run.ts` collects into its summary table. */
function printResult(r: {
  metric: string;
  measured: number;
  unit: string;
  target: string;
  verdict: 'meets' | 'misses' | 'info';
}): void {
  console.log(`BENCH_RESULT ${JSON.stringify({ bench: 'engine', ...r })}`);
}

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const numeric = process.argv.slice(2).find((a) => /^\d+$/.test(a));
const max = numeric ? Number(numeric) : quick ? QUICK_MAX_LINES : SIZES[SIZES.length - 1]!;
bench(30_000); // warm-up so the JIT has compiled the hot paths
console.log(
  `engine bench: ${LINES_PER_INVOICE} lines per invoice (20% annual, 80% monthly), batches of ${BATCH_INVOICES} invoices, ${SEMI_SPACE_FLAG}`,
);
// Wall time suffers when other processes share the machine; CPU time (user + system of this
// process, which includes the garbage collector's helper threads) is the steadier measure.
console.log(
  'invoice_lines, wall_s, cpu_s, lines_per_wall_s, lines_per_cpu_s, journal_lines, journal_lines_per_cpu_s, peak_rss_mb',
);
let last: ReturnType<typeof bench> | undefined;
let first: ReturnType<typeof bench> | undefined;
for (const size of SIZES.filter((s) => s <= max)) {
  const r = bench(size);
  if (size >= 100_000 && !first) first = r;
  last = r;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    [
      r.lines,
      r.seconds.toFixed(3),
      r.cpuSeconds.toFixed(3),
      Math.round(r.lines / r.seconds),
      Math.round(r.lines / r.cpuSeconds),
      r.journalLines,
      Math.round(r.journalLines / r.cpuSeconds),
      rssMb.toFixed(0),
    ].join(', '),
  );
}
if (last) {
  const perCpu = Math.round(last.lines / last.cpuSeconds);
  printResult({
    metric: `invoice lines scheduled per CPU-second (${last.lines} lines)`,
    measured: perCpu,
    unit: 'lines/s',
    target: `>= ${TARGET_LINES_PER_S}`,
    verdict: perCpu >= TARGET_LINES_PER_S ? 'meets' : 'misses',
  });
  printResult({
    metric: 'invoice lines scheduled per wall-second',
    measured: Math.round(last.lines / last.seconds),
    unit: 'lines/s',
    target: '-',
    verdict: 'info',
  });
  printResult({
    metric: 'journal lines per CPU-second',
    measured: Math.round(last.journalLines / last.cpuSeconds),
    unit: 'lines/s',
    target: '-',
    verdict: 'info',
  });
  printResult({
    metric: 'peak RSS',
    measured: Math.round(process.resourceUsage().maxRSS / 1024),
    unit: 'MB',
    target: '-',
    verdict: 'info',
  });
  if (first && first !== last) {
    // Linear growth: CPU time per line at the largest size against the first size of 100k or more.
    const ratio = last.cpuSeconds / last.lines / (first.cpuSeconds / first.lines);
    printResult({
      metric: `CPU per line, ${last.lines} vs ${first.lines} lines (1.0 = linear)`,
      measured: Number(ratio.toFixed(2)),
      unit: 'x',
      target: '<= 1.5',
      verdict: ratio <= 1.5 ? 'meets' : 'misses',
    });
  }
}
if (last) {
  // The same invoices, one per engine call: what a fixed cost per call (context, calendar, caches)
  // adds. Compared with the batched rate over the same number of lines, measured right before it.
  const batched = bench(PER_CALL_LINES);
  const single = bench(PER_CALL_LINES, 1);
  const batchedRate = Math.round(batched.lines / batched.cpuSeconds);
  const singleRate = Math.round(single.lines / single.cpuSeconds);
  console.log(
    `one invoice per call: ${singleRate} lines/CPU-s against ${batchedRate} batched (${single.lines} lines each)`,
  );
  const ratio = singleRate / batchedRate;
  printResult({
    metric: `one invoice per call against batched (${singleRate} vs ${batchedRate} lines/CPU-s)`,
    measured: Number(ratio.toFixed(2)),
    unit: 'x',
    target: '>= 0.8',
    verdict: ratio >= 0.8 ? 'meets' : 'misses',
  });
}
