/**
 * Engine benchmark: generated invoices (1k to 1M invoice lines), booked by the pure engine in
 * aggregate batches the way the pipeline runs it. Prints invoice lines scheduled per second,
 * journal lines per second and the peak resident memory (RSS high-water mark).
 *
 * Run: node bin/run-ts.js bench/engine.ts [maxLines]   (default 1,000,000)
 */
import { runEngine } from '../shared/engine/index.ts';
import type { Fact, InvoiceFinalizedFact, InvoiceLineFact } from '../shared/engine/facts.ts';
import { defaultSettings } from '../shared/settings.ts';
import { startOfDay } from '../shared/time.ts';

/** Invoices handed to one engine run: the pipeline books per aggregate, so batches keep memory flat. */
const BATCH_INVOICES = 5_000;
/** Lines per generated invoice: a plan, an add-on and a usage line is a typical subscription invoice. */
const LINES_PER_INVOICE = 3;
const SIZES = [1_000, 10_000, 100_000, 1_000_000];
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
      id: `il_${n}_${i}`, amountMinor: amount, discountMinor: 0n, creditMinor: 0n, inclusiveTaxMinor: 0n, exclusiveTaxMinor: 0n,
      periodStart: start, periodEnd: start + (annual ? 365 : 30) * DAY, product: `prod_${i}`, price: null, proration: false,
      invoiceItem: null, pendingItemCreatedAt: null, description: null,
    });
  }
  const fin: InvoiceFinalizedFact = { type: 'invoice_finalized', invoice: inv, customer: `cus_${n % 997}`, currency: 'usd', at: start, totalMinor: total, taxMinor: 0n, startingBalanceMinor: 0n, endingBalanceMinor: 0n, lines };
  return [
    fin,
    { type: 'payment', invoice: inv, payment: `ch_${n}`, method: 'stripe', amountMinor: total, currency: 'usd', at: start + 5, balanceTransaction: { id: `txn_${n}`, amountMinor: total, feeMinor: total / 34n, currency: 'usd', exchangeRate: null, created: start + 5 } },
  ];
}

function bench(lines: number): { lines: number; seconds: number; journalLines: number; entries: number } {
  const settings = defaultSettings();
  const invoices = Math.ceil(lines / LINES_PER_INVOICE);
  const rnd = lcg(42);
  let journalLines = 0;
  let entries = 0;
  let elapsed = 0n;
  for (let from = 0; from < invoices; from += BATCH_INVOICES) {
    const facts: Fact[] = [];
    for (let n = from; n < Math.min(invoices, from + BATCH_INVOICES); n++) facts.push(...makeInvoice(n, rnd));
    const t = process.hrtime.bigint();
    const r = runEngine({ settings, facts, through: '2027-12-31' });
    elapsed += process.hrtime.bigint() - t;
    entries += r.entries.length;
    for (const e of r.entries) journalLines += e.lines.length;
  }
  return { lines: invoices * LINES_PER_INVOICE, seconds: Number(elapsed) / 1e9, journalLines, entries };
}

const max = Number(process.argv[2] ?? 1_000_000);
bench(3_000); // warm-up so the JIT has compiled the hot paths
console.log('invoice_lines, seconds, lines_per_s, journal_lines, journal_lines_per_s, peak_rss_mb');
for (const size of SIZES.filter((s) => s <= max)) {
  const r = bench(size);
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    [r.lines, r.seconds.toFixed(3), Math.round(r.lines / r.seconds), r.journalLines, Math.round(r.journalLines / r.seconds), rssMb.toFixed(0)].join(', '),
  );
}
