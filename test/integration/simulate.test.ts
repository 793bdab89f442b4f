/**
 * The fault simulator's short version (`npm run simulate -- --seeds N` is the long one): two seeds
 * of the real pipeline — `accrue serve` web and worker processes against one PostgreSQL, the
 * Stripe and QuickBooks fakes — with kill -9, dropped database connections, Stripe 429/5xx,
 * QuickBooks 5xx, timeouts, lost responses and an outage, shuffled and duplicated webhooks. Each
 * seed must end with the fault-free journal, no duplicate in QuickBooks, QuickBooks' limits never
 * exceeded and nothing pending; the simulator reports any of those as a failure of the seed.
 */
import { expect, inject, it } from 'vitest';
import { runSimulation } from '../../bench/simulate.ts';

const SEEDS = (process.env.SIMULATE_SEEDS ?? '1,2').split(',').map(Number);

it(`survives every fault of seeds ${SEEDS.join(', ')} with the fault-free journal`, async () => {
  const lines: string[] = [];
  const results = await runSimulation({
    adminUrl: inject('adminDatabaseUrl'),
    seeds: SEEDS,
    customers: 4,
    months: 3,
    print: (l) => lines.push(l),
  });
  expect(results).toHaveLength(SEEDS.length);
  for (const r of results) {
    // The faults were really on: each seed killed a process and dropped the connections at least once.
    expect(r.faults.kills).toBeGreaterThan(0);
    expect(r.faults.dbDrops).toBeGreaterThan(0);
    expect(r.faults.qbo5xx + r.faults.qboOutage).toBeGreaterThan(0);
    expect(r.qboEntries).toBeGreaterThan(0);
    expect({ seed: r.seed, failures: r.failures }).toEqual({ seed: r.seed, failures: [] });
  }
  expect(lines.at(-1)).toContain(`${SEEDS.length} passed, 0 failed`);
}, 600_000);
