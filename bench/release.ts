/**
 * Month-end release at scale: one tenant whose invoices hold about `--lines` schedule lines (one
 * per invoice line and period it is earned in; default 1,000,000), seeded straight into
 * `stripe_facts` with SQL (no Stripe, no mapping: only the release is measured). The history is
 * released through the end of November untimed, then the month-end release through 31 December is
 * timed: `releaseThrough`, exactly what the release job and `accrue release` run.
 *
 * Run: node bin/run-ts.js bench/release.ts [--lines=1000000] [--quick]   (--quick: 50,000 lines)
 */
import { createHash } from 'node:crypto';
import { releaseThrough, type ProcessDeps } from '../backend/app/process.ts';
import { ensureTenant } from '../backend/ledger/tenants.ts';
import type { Fact, InvoiceLineFact } from '../shared/engine/facts.ts';
import { aggregateKeyOf, factKey, serializeFact } from '../shared/engine/index.ts';
import { currency } from '../shared/money.ts';
import { defaultSettings } from '../shared/settings.ts';
import { startOfDay } from '../shared/time.ts';
import { fmt, machineNote, printResult, startBenchServer, verdict } from './webhook.ts';

const TARGET_S = 30;
const DAY = 86_400;
const T0 = startOfDay('2026-01-01', 'UTC');
const USD = currency('usd');
const LINES_PER_INVOICE = 3;
const SEED_CHUNK = 5_000;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Calendar months touched by [start, end) (UTC): the schedule lines of one monthly-calendar line. */
function monthsTouched(start: number, end: number): number {
  const a = new Date(start * 1000);
  const b = new Date((end - 1) * 1000);
  return (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth() + 1;
}

/** An invoice of three lines (a fifth of them annual) starting in January–November, paid at once. */
function invoiceFacts(n: number, rnd: () => number): { facts: Fact[]; scheduleLines: number } {
  const invoice = `in_rel_${n}`;
  const start = T0 + Math.floor(rnd() * 334) * DAY + Math.floor(rnd() * DAY);
  const lines: InvoiceLineFact[] = [];
  let total = 0n;
  let scheduleLines = 0;
  for (let i = 0; i < LINES_PER_INVOICE; i++) {
    const end = start + (rnd() < 0.2 ? 365 : 30) * DAY;
    const amount = BigInt(100 + Math.floor(rnd() * 500_000));
    total += amount;
    scheduleLines += monthsTouched(start, end);
    lines.push({
      id: `il_rel_${n}_${i}`,
      amountMinor: amount,
      discountMinor: 0n,
      creditMinor: 0n,
      inclusiveTaxMinor: 0n,
      exclusiveTaxMinor: 0n,
      periodStart: start,
      periodEnd: end,
      product: `prod_${i}`,
      price: null,
      proration: false,
      invoiceItem: null,
      pendingItemCreatedAt: null,
      description: null,
    });
  }
  const facts: Fact[] = [
    {
      type: 'invoice_finalized',
      invoice,
      customer: `cus_${n % 997}`,
      currency: USD,
      at: start,
      totalMinor: total,
      taxMinor: 0n,
      startingBalanceMinor: 0n,
      endingBalanceMinor: 0n,
      lines,
    },
    {
      type: 'payment',
      invoice,
      payment: `ch_rel_${n}`,
      method: 'stripe',
      amountMinor: total,
      currency: USD,
      at: start + 5,
      balanceTransaction: null,
    },
  ];
  return { facts, scheduleLines };
}

function arg(name: string, fallback: number): number {
  const v = process.argv.find((a) => a.startsWith(`--${name}=`));
  return v ? Number(v.slice(name.length + 3)) : fallback;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick') || process.env['BENCH_QUICK'] === '1';
  const wanted = arg('lines', quick ? 50_000 : 1_000_000);
  const server = await startBenchServer({ fast: false });
  try {
    const bdb = await server.freshDatabase('release');
    const settings = defaultSettings();
    const tenant = await ensureTenant(bdb.db, { accountId: 'acct_releasebench', livemode: false }, settings);
    console.log(`# release bench: about ${wanted} schedule lines in one tenant; ${machineNote()}`);
    const rnd = lcg(7);
    let scheduleLines = 0;
    let invoices = 0;
    let rows: { key: string; aggregate: string; text: string; hash: string }[] = [];
    const flush = async () => {
      await bdb.pool.query(
        `insert into stripe_facts (tenant_id, fact_key, aggregate, fact, fact_hash)
         select $1, k, a, f::jsonb, h from unnest($2::text[], $3::text[], $4::text[], $5::text[]) as t(k, a, f, h)`,
        [
          tenant.id.toString(),
          rows.map((r) => r.key),
          rows.map((r) => r.aggregate),
          rows.map((r) => r.text),
          rows.map((r) => r.hash),
        ],
      );
      rows = [];
    };
    const seedStart = performance.now();
    while (scheduleLines < wanted) {
      const { facts, scheduleLines: s } = invoiceFacts(invoices++, rnd);
      scheduleLines += s;
      for (const fact of facts) {
        const text = serializeFact(fact);
        const hash = createHash('sha256').update(text).digest('hex');
        rows.push({ key: factKey(fact), aggregate: aggregateKeyOf(fact), text, hash });
      }
      if (rows.length >= SEED_CHUNK) await flush();
    }
    if (rows.length) await flush();
    console.log(
      `seeded ${invoices} invoices, ${invoices * LINES_PER_INVOICE} invoice lines, ${scheduleLines} schedule lines in ${fmt((performance.now() - seedStart) / 1000)} s`,
    );
    const deps: ProcessDeps = {
      db: bdb.db,
      jobs: null,
      readerFor: () => {
        throw new Error('the release reads no Stripe');
      },
    };
    const h0 = performance.now();
    const history = await releaseThrough(deps, tenant.id, '2026-11-30');
    console.log(
      `history through 2026-11-30 (untimed for the target): ${history.posted} entries in ${fmt((performance.now() - h0) / 1000)} s`,
    );
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const monthEnd = await releaseThrough(deps, tenant.id, '2026-12-31');
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `month-end release through 2026-12-31: ${monthEnd.posted} entries over ${monthEnd.aggregates} aggregates in ${fmt(seconds)} s (this process's CPU ${fmt((cpu.user + cpu.system) / 1e6)} s); ${machineNote()}`,
    );
    printResult({
      bench: 'release',
      metric: `month-end release, ${scheduleLines} schedule lines (${wanted >= 1_000_000 ? '1M' : wanted} asked) in one tenant`,
      measured: Number(seconds.toFixed(1)),
      unit: 's',
      target: `< ${TARGET_S}`,
      verdict: verdict(seconds, TARGET_S, 'lower'),
    });
    await bdb.close();
  } finally {
    await server.stop();
  }
}

await main();
