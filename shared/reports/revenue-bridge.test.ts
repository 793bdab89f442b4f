// One revenue figure: the bridge's three totals are the ones the income statement / trial
// balance, the waterfall and the roll-forward compute on their own, and its reconciling items
// close the gaps between them, on the sample ledger and on random ledgers.
import fc from 'fast-check';
import type { LedgerLine } from '../ledger-rows.ts';
import { minor } from '../money.ts';
import { distinctSorted } from './common.ts';
import { randomLedger } from './fixtures/random-ledger.ts';
import { sampleLedger } from './fixtures/sample-ledger.ts';
import { revenueBridge } from './revenue-bridge.ts';
import { rollforward } from './rollforward.ts';
import { incomeStatement } from './statements.ts';
import { trialBalance } from './trial-balance.ts';
import { waterfall } from './waterfall.ts';

/** Checks the bridge against the three reports computed independently over the same lines. */
function expectTies(lines: readonly LedgerLine[]): void {
  const bridge = revenueBridge(lines);
  expect(bridge.problems).toEqual([]);
  const periods = distinctSorted(lines.map((l) => l.period));
  const tb = trialBalance(lines);
  const wf = waterfall(lines);
  const rf = rollforward(lines, { periods });
  for (const c of bridge.currencies) {
    const tbRevenue = -tb.rows
      .filter((r) => r.currency === c.currency && r.role === 'revenue')
      .reduce((t, r) => t + r.balance, 0n);
    expect(c.revenue).toBe(tbRevenue);
    const isRevenue = periods
      .map((p) => incomeStatement(lines, { period: p }).currencies.find((x) => x.currency === c.currency))
      // The bridge is about the Revenue role; other income roles (shipping, application fees) are their own lines.
      .map((x) =>
        (x?.sections.find((s) => s.kind === 'income')?.rows ?? [])
          .filter((r) => r.role === 'revenue')
          .reduce((t, r) => t + r.amountMinor, 0n),
      )
      .reduce((t, v) => t + v, 0n);
    expect(c.revenue).toBe(isRevenue);
    // Income: the income statement's whole income section, which the bridge reaches through
    // shipping and application fees as their own lines.
    const isIncome = periods
      .map((p) => incomeStatement(lines, { period: p }).currencies.find((x) => x.currency === c.currency))
      .map((x) => (x?.sections.find((s) => s.kind === 'income')?.rows ?? []).reduce((t, r) => t + r.amountMinor, 0n))
      .reduce((t, v) => t + v, 0n);
    expect(c.income).toBe(isIncome);
    expect(c.waterfall).toBe(wf.currencies.find((w) => w.currency === c.currency)?.total ?? 0n);
    const rfRecognized = rf.rows
      .filter((r) => r.currency === c.currency && r.role === 'deferred_revenue')
      .reduce((t, r) => t + r.recognized, 0n);
    expect(c.rollforwardRecognized).toBe(rfRecognized);
    const sum = (xs: readonly { amountMinor: bigint }[]) => xs.reduce((t, x) => t + x.amountMinor, 0n);
    expect(c.revenue + sum(c.otherIncome)).toBe(c.income);
    for (const item of c.otherIncome) expect(item.role).not.toBe('revenue');
    expect(c.waterfall + sum(c.outsideWaterfall)).toBe(c.revenue);
    expect(c.rollforwardRecognized + sum(c.recognitionOtherAccounts) + c.reversalsOfRecognition).toBe(c.waterfall);
    expect(c.tiesOut).toBe(true);
  }
}

describe('revenue bridge', () => {
  it('ties the income statement, waterfall and roll-forward on the sample ledger', () => {
    const lines = sampleLedger();
    expectTies(lines);
    const usd = revenueBridge(lines).currencies.find((c) => c.currency === 'usd')!;
    // The sample's duplicated 10.00 recognition and its reversal: in the waterfall, "other" in the roll-forward.
    expect(usd.reversalsOfRecognition).toBe(-1000n);
    expect(usd.rollforwardRecognized).not.toBe(usd.waterfall);
  });

  it('ties on random ledgers, and names the kinds of revenue outside the waterfall', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 40 }), (seed, n) => {
        const lines = randomLedger(seed, n);
        expectTies(lines);
        for (const c of revenueBridge(lines).currencies)
          for (const item of c.outsideWaterfall) expect(item.kind).not.toBe('recognition');
      }),
      { numRuns: 40 },
    );
  });

  it('shows shipping and application fees as their own lines between income and revenue', () => {
    const base = sampleLedger().filter((l) => l.currency === 'usd');
    const entry = base.find((l) => l.role === 'revenue')!;
    const extra = (role: LedgerLine['role'], account: string, amountMinor: bigint, id: string): LedgerLine => ({
      ...entry,
      entryId: id,
      entryKey: id,
      kind: 'invoice_finalized',
      role,
      account,
      amountMinor: minor(amountMinor),
    });
    const lines = [
      ...base,
      extra('shipping', 'Shipping Revenue', -1250n, 'je_ship'),
      extra('receivable', 'Accounts Receivable', 1250n, 'je_ship'),
      extra('application_fees', 'Application Fee Revenue', -300n, 'je_fee'),
      extra('receivable', 'Accounts Receivable', 300n, 'je_fee'),
    ];
    expectTies(lines);
    const usd = revenueBridge(lines).currencies.find((c) => c.currency === 'usd')!;
    expect(usd.otherIncome).toEqual([
      { role: 'application_fees', amountMinor: 300n },
      { role: 'shipping', amountMinor: 1250n },
    ]);
    expect(usd.income - usd.revenue).toBe(1550n);
  });

  it('restricts every figure to the same periods', () => {
    const lines = sampleLedger();
    const feb = revenueBridge(lines, { fromPeriod: '2026-02', throughPeriod: '2026-02' });
    const febLines = lines.filter((l) => l.period === '2026-02');
    expect(feb.currencies.map((c) => c.revenue)).toEqual(revenueBridge(febLines).currencies.map((c) => c.revenue));
    expectTies(febLines);
  });
});
