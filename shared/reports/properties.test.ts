// Proves the report invariants on many random balanced ledgers (fast-check picks the seeds; a
// failure prints the seed, which replays exactly through randomLedger): the trial balance nets to
// zero per currency; the roll-forward ties to the ledger every period and its last closing equals
// the trial balance's deferred revenue; the balance sheet balances; the waterfall's grand total
// is the sum of its rows and of its columns; the journal CSV has one row per line and round-trips
// hostile account names through the RFC 4180 parser.
import fc from 'fast-check';
import { periodCalendar, periodsBetween } from '../periods.ts';
import { parseCsv } from './csv.ts';
import { randomLedger } from './fixtures/random-ledger.ts';
import { toJournalCsv } from './replay-csv.ts';
import { rollforward } from './rollforward.ts';
import { balanceSheet } from './statements.ts';
import { trialBalance } from './trial-balance.ts';
import { waterfall } from './waterfall.ts';

const PERIODS = periodsBetween(periodCalendar({ type: 'monthly' }), '2026-01-01', '2026-04-30');
/** Enough runs to meet every kind and currency many times, small enough to stay well under a second. */
const RUNS = 60;
const seeds = fc.integer({ min: 1, max: 2 ** 31 - 1 });
const sizes = fc.integer({ min: 1, max: 40 });

describe('report invariants on random ledgers', () => {
  it('trial balance nets to zero and the roll-forward ties every period', () => {
    fc.assert(
      fc.property(seeds, sizes, (seed, n) => {
        const lines = randomLedger(seed, n);
        const tb = trialBalance(lines);
        for (const t of tb.totals) expect(t.net).toBe(0n);
        const rf = rollforward(lines, { periods: PERIODS });
        expect(rf.problems).toEqual([]);
        for (const row of rf.rows.filter((r) => r.role === 'deferred_revenue' && r.period === '2026-04')) {
          const balance = tb.rows
            .filter((r) => r.role === 'deferred_revenue' && r.currency === row.currency)
            .reduce((s, r) => s + r.balance, 0n);
          expect(row.closing).toBe(-balance);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('balance sheet balances and waterfall totals agree', () => {
    fc.assert(
      fc.property(seeds, sizes, (seed, n) => {
        const lines = randomLedger(seed, n);
        for (const p of ['2026-01', '2026-04']) expect(balanceSheet(lines, { throughPeriod: p }).problems).toEqual([]);
        for (const c of waterfall(lines).currencies) {
          const byRows = c.rows.reduce((s, r) => s + r.total, 0n);
          const byColumns = Object.values(c.columnTotals).reduce((s, v) => s + v, 0n);
          expect(byRows).toBe(c.total);
          expect(byColumns).toBe(c.total);
          for (const r of c.rows)
            expect(Object.values(r.cells).reduce((s, cell) => s + cell.amountMinor, 0n)).toBe(r.total);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('journal CSV has one row per line and round-trips account names', () => {
    fc.assert(
      fc.property(seeds, sizes, (seed, n) => {
        const lines = randomLedger(seed, n);
        const rows = parseCsv(toJournalCsv(lines)).slice(1);
        expect(rows).toHaveLength(lines.length);
        expect(rows.map((r) => r[4]).sort()).toEqual(lines.map((l) => l.account).sort());
      }),
      { numRuns: RUNS },
    );
  });
});
