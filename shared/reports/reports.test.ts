// Proves the pure reports over the sample ledger (shared/reports/fixtures/sample-ledger.ts) give
// the numbers worked out by hand in that file's header: trial balance nets to zero per currency
// and refuses an unbalanced ledger; the journal listing groups and orders entries; the deferred
// revenue roll-forward ties to the ledger each period and flags a deliberately broken input; the
// waterfall's cells, row and column totals; the income statement and balance sheet.
import { AccrueError } from '../errors.ts';
import type { LedgerLine } from '../ledger-rows.ts';
import { periodCalendar, periodsBetween } from '../periods.ts';
import { bucketOfKind } from './common.ts';
import { sampleLedger } from './fixtures/sample-ledger.ts';
import { journal } from './journal-listing.ts';
import { rollforward } from './rollforward.ts';
import { balanceSheet, incomeStatement } from './statements.ts';
import { trialBalance } from './trial-balance.ts';
import { waterfall } from './waterfall.ts';
import { minor } from '../money.ts';

const monthly = periodCalendar({ type: 'monthly' });
const Q1 = periodsBetween(monthly, '2026-01-01', '2026-03-31');

function balanceOf(report: ReturnType<typeof trialBalance>, currency: string, role: string, account?: string): bigint {
  const rows = report.rows.filter(
    (r) => r.currency === currency && r.role === role && (account === undefined || r.account === account),
  );
  if (rows.length === 0) throw new Error(`no trial balance row for ${currency} ${role} ${account ?? ''}`);
  return rows.reduce((t, r) => t + r.balance, 0n);
}

describe('trialBalance', () => {
  it('gives every account its hand-computed balance through March and nets to zero per currency', () => {
    const tb = trialBalance(sampleLedger());
    expect(tb.problems).toEqual([]);
    expect(balanceOf(tb, 'usd', 'receivable')).toBe(22000n);
    expect(balanceOf(tb, 'usd', 'cash_clearing')).toBe(0n);
    expect(balanceOf(tb, 'usd', 'bank')).toBe(25130n);
    expect(balanceOf(tb, 'usd', 'deferred_revenue')).toBe(-10000n);
    expect(balanceOf(tb, 'usd', 'deferred_discounts')).toBe(1000n);
    expect(balanceOf(tb, 'usd', 'tax_liability')).toBe(-1200n);
    expect(balanceOf(tb, 'usd', 'revenue', 'Pro Plan')).toBe(-30000n);
    expect(balanceOf(tb, 'usd', 'revenue', 'Consulting (Gulf); retainer')).toBe(-9750n);
    expect(balanceOf(tb, 'usd', 'revenue', 'Usage')).toBe(-4000n);
    expect(balanceOf(tb, 'usd', 'refunds')).toBe(5000n);
    expect(balanceOf(tb, 'usd', 'fees')).toBe(970n);
    expect(balanceOf(tb, 'usd', 'fx_gain_loss')).toBe(-150n);
    expect(balanceOf(tb, 'jpy', 'cash_clearing')).toBe(12000n);
    expect(balanceOf(tb, 'jpy', 'revenue')).toBe(-12000n);
    expect(tb.totals.map((t) => [t.currency, t.net])).toEqual([
      ['jpy', 0n],
      ['usd', 0n],
    ]);
    const usd = tb.totals.find((t) => t.currency === 'usd')!;
    expect(usd.debits).toBe(usd.credits);
    // Debits and credits are gross, not netted: receivable was debited 324+97.50+40+180.
    const receivable = tb.rows.find((r) => r.currency === 'usd' && r.role === 'receivable')!;
    expect(receivable.debits).toBe(32400n + 9750n + 4000n + 18000n);
    expect(receivable.credits).toBe(32400n + 9750n);
  });

  it('stops at throughPeriod', () => {
    const jan = trialBalance(sampleLedger(), { throughPeriod: '2026-01' });
    expect(jan.throughPeriod).toBe('2026-01');
    expect(balanceOf(jan, 'usd', 'deferred_revenue')).toBe(-(30000n + 9750n - 10000n - 1653n));
    expect(jan.rows.some((r) => r.currency === 'jpy')).toBe(false);
  });

  it('refuses a ledger whose totals do not net to zero, naming the entry', () => {
    const broken = sampleLedger().filter((l) => !(l.entryId === 'je_03' && l.role === 'cash_clearing'));
    expect(() => trialBalance(broken)).toThrowError(AccrueError);
    try {
      trialBalance(broken);
    } catch (e) {
      expect((e as AccrueError).code).toBe('unbalanced_entry');
      expect((e as AccrueError).message).toContain('je_03');
    }
    const shown = trialBalance(broken, { allowUnbalanced: true });
    expect(shown.problems.map((p) => p.code)).toEqual(['unbalanced_currency', 'unbalanced_entry']);
    expect(shown.problems[0]!.difference).toBe(970n);
  });
});

describe('journal', () => {
  it('lists the entries of one period in posting order with debit and credit sides', () => {
    const feb = journal(sampleLedger(), { period: '2026-02' });
    expect(feb.entries.map((e) => e.entryId)).toEqual(['je_10', 'je_07', 'je_08', 'je_09', 'je_11', 'je_12', 'je_13']);
    const refund = feb.entries.find((e) => e.entryId === 'je_08')!;
    expect(refund.lines.map((l) => [l.role, l.debit, l.credit])).toEqual([
      ['refunds', 5000n, 0n],
      ['deferred_revenue', 10000n, 0n],
      ['tax_liability', 1200n, 0n],
      ['cash_clearing', 0n, 16200n],
    ]);
    expect(feb.problems).toEqual([]);
  });

  it('keeps the correction flag and names an entry that does not balance', () => {
    const all = journal(sampleLedger());
    expect(all.entries).toHaveLength(19);
    const late = all.entries.find((e) => e.entryId === 'je_14')!;
    expect(late.correction).toBe(true);
    expect(late.originalDate).toBe('2026-02-27');
    const broken = sampleLedger().map((l) =>
      l.entryId === 'je_05' && l.role === 'revenue' ? { ...l, amountMinor: minor(-9999n) } : l,
    );
    const report = journal(broken);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ code: 'unbalanced_entry', entryId: 'je_05', difference: 1n });
  });
});

describe('rollforward', () => {
  it('classifies entry kinds into the policy buckets', () => {
    expect(bucketOfKind('invoice_finalized')).toBe('billings');
    expect(bucketOfKind('unbilled_accrual')).toBe('billings');
    expect(bucketOfKind('recognition')).toBe('recognized');
    for (const k of ['refund', 'credit_note', 'dispute', 'void', 'uncollectible'] as const)
      expect(bucketOfKind(k)).toBe('contra');
    expect(bucketOfKind('fx')).toBe('fx');
    expect(bucketOfKind('reversal')).toBe('other');
    expect(bucketOfKind('manual')).toBe('other');
  });

  it('rolls deferred revenue forward month by month and ties to the ledger', () => {
    const rf = rollforward(sampleLedger(), { periods: Q1 });
    expect(rf.problems).toEqual([]);
    const usd = rf.rows.filter((r) => r.role === 'deferred_revenue' && r.currency === 'usd');
    expect(usd.map((r) => [r.period, r.opening, r.billings, r.recognized, r.contra, r.fx, r.other, r.closing])).toEqual(
      [
        ['2026-01', 0n, 39750n, 11653n, 0n, 0n, 0n, 28097n],
        ['2026-02', 28097n, 0n, 9627n, 10000n, 0n, 0n, 8470n],
        // March: in_D (correction) + in_C billed; the duplicated recognition and its reversal net out.
        ['2026-03', 8470n, 24000n, 23470n, 0n, 0n, 1000n, 10000n],
      ],
    );
    for (const r of rf.rows) expect(r.closing).toBe(r.ledgerClosing);
    // The closing ties to an independent trial balance at each period end.
    for (const r of usd)
      expect(r.closing).toBe(
        -balanceOf(trialBalance(sampleLedger(), { throughPeriod: r.period }), 'usd', 'deferred_revenue'),
      );
    const jpy = rf.rows.filter((r) => r.role === 'deferred_revenue' && r.currency === 'jpy');
    expect(jpy.map((r) => [r.period, r.billings, r.recognized, r.closing])).toEqual([
      ['2026-01', 0n, 0n, 0n],
      ['2026-02', 12000n, 6000n, 6000n],
      ['2026-03', 0n, 6000n, 0n],
    ]);
  });

  it('adds a deferred_discounts roll-forward only when the ledger has such lines', () => {
    const rf = rollforward(sampleLedger(), { periods: Q1 });
    const dd = rf.rows.filter((r) => r.role === 'deferred_discounts');
    expect(dd.map((r) => [r.period, r.currency, r.billings, r.recognized, r.closing])).toEqual([
      ['2026-01', 'usd', 0n, 0n, 0n],
      ['2026-02', 'usd', 0n, 0n, 0n],
      ['2026-03', 'usd', 2000n, 1000n, 1000n],
    ]);
    const without = rollforward(
      sampleLedger().filter((l) => l.entryId !== 'je_15' && l.entryId !== 'je_19'),
      { periods: Q1 },
    );
    expect(without.rows.some((r) => r.role === 'deferred_discounts')).toBe(false);
  });

  it('opens the first period with the balance carried from before it', () => {
    const rf = rollforward(sampleLedger(), { periods: Q1.slice(1) });
    const feb = rf.rows.find((r) => r.role === 'deferred_revenue' && r.currency === 'usd' && r.period === '2026-02')!;
    expect(feb.opening).toBe(28097n);
    expect(rf.problems).toEqual([]);
  });

  it('flags a line whose period key disagrees with its posting date (broken input)', () => {
    const broken: LedgerLine[] = sampleLedger().map((l) =>
      l.entryId === 'je_11' ? { ...l, postingDate: '2026-03-02' } : l,
    );
    const rf = rollforward(broken, { periods: Q1 });
    expect(rf.problems).toHaveLength(1);
    expect(rf.problems[0]).toMatchObject({
      code: 'rollforward_mismatch',
      period: '2026-02',
      currency: 'usd',
      difference: -5000n,
    });
    const feb = rf.rows.find((r) => r.role === 'deferred_revenue' && r.currency === 'usd' && r.period === '2026-02')!;
    expect(feb.tiesOut).toBe(false);
  });

  it('flags movements hidden by a gap in the requested periods', () => {
    const rf = rollforward(sampleLedger(), { periods: [Q1[0]!, Q1[2]!] });
    expect(rf.problems.map((p) => [p.period, p.currency])).toEqual([
      ['2026-03', 'jpy'],
      ['2026-03', 'usd'],
    ]);
  });
});

describe('waterfall', () => {
  it('puts recognized revenue in booked × recognized cells with row, column and grand totals', () => {
    const wf = waterfall(sampleLedger());
    const usd = wf.currencies.find((c) => c.currency === 'usd')!;
    expect(usd.columns).toEqual(['2026-01', '2026-02', '2026-03']);
    const cells = usd.rows.map((r) => [
      r.bookedPeriod,
      ...usd.columns.map((c) => r.cells[c]?.amountMinor ?? null),
      r.total,
    ]);
    expect(cells).toEqual([
      ['2026-01', 11653n, 9627n, 8470n, 29750n],
      ['2026-02', null, null, 4000n, 4000n],
      ['2026-03', null, null, 10000n, 10000n],
    ]);
    expect(usd.columnTotals).toEqual({ '2026-01': 11653n, '2026-02': 9627n, '2026-03': 22470n });
    expect(usd.total).toBe(43750n);
    // The grand total equals the revenue recognized in the trial balance.
    expect(usd.total).toBe(-balanceOf(trialBalance(sampleLedger()), 'usd', 'revenue'));
    const jpy = wf.currencies.find((c) => c.currency === 'jpy')!;
    expect(
      jpy.rows.map((r) => [r.bookedPeriod, r.cells['2026-02']?.amountMinor, r.cells['2026-03']?.amountMinor]),
    ).toEqual([['2026-02', 6000n, 6000n]]);
  });

  it('keeps invoice and invoice-line ids per cell for drill-down', () => {
    const usd = waterfall(sampleLedger()).currencies.find((c) => c.currency === 'usd')!;
    const janMar = usd.rows.find((r) => r.bookedPeriod === '2026-01')!.cells['2026-03']!;
    expect(janMar.invoices).toEqual(['in_A', 'in_B']);
    expect(janMar.invoiceLines).toEqual(['il_A1', 'il_B1']);
    expect(usd.rows.find((r) => r.bookedPeriod === '2026-02')!.cells['2026-03']!.invoices).toEqual(['in_D']);
  });

  it('nets a reversed recognition out of its cell', () => {
    const withoutReversal = waterfall(sampleLedger().filter((l) => l.entryId !== 'je_17')).currencies.find(
      (c) => c.currency === 'usd',
    )!;
    expect(withoutReversal.rows.find((r) => r.bookedPeriod === '2026-01')!.cells['2026-03']!.amountMinor).toBe(9470n);
  });
});

describe('incomeStatement and balanceSheet', () => {
  it('reports February: revenue, the refund as contra revenue, the FX gain', () => {
    const is = incomeStatement(sampleLedger(), { period: '2026-02' });
    const usd = is.currencies.find((c) => c.currency === 'usd')!;
    expect(usd.sections.map((s) => [s.kind, s.total])).toEqual([
      ['income', 9627n],
      ['contra_income', -5000n],
      ['other_income', 150n],
    ]);
    expect(usd.netRevenue).toBe(4627n);
    expect(usd.netIncome).toBe(4777n);
  });

  it('balances assets against liabilities and equity at the end of each month', () => {
    for (const p of ['2026-01', '2026-02', '2026-03']) {
      const bs = balanceSheet(sampleLedger(), { throughPeriod: p });
      expect(bs.problems).toEqual([]);
      for (const c of bs.currencies) expect(c.totalAssets).toBe(c.totalLiabilitiesAndEquity);
    }
    const mar = balanceSheet(sampleLedger(), { throughPeriod: '2026-03' }).currencies.find(
      (c) => c.currency === 'usd',
    )!;
    expect(mar.totalAssets).toBe(22000n + 25130n);
    // Liabilities: deferred revenue 100.00 + tax 12.00 − deferred discounts 10.00.
    expect(mar.liabilities.total).toBe(10000n + 1200n - 1000n);
    // Equity: revenue 437.50 − discounts 10 − refunds 50 − fees 9.70 + FX 1.50.
    expect(mar.equity.total).toBe(43750n - 1000n - 5000n - 970n + 150n);
  });

  it('flags a balance sheet that does not balance', () => {
    const broken = sampleLedger().filter((l) => !(l.entryId === 'je_09' && l.role === 'bank'));
    const bs = balanceSheet(broken, { throughPeriod: '2026-03' });
    expect(bs.problems).toHaveLength(1);
    expect(bs.problems[0]).toMatchObject({ code: 'balance_sheet_mismatch', currency: 'usd', difference: -25130n });
  });
});

describe('rollforward period keys', () => {
  it('accepts monthly keys as well as Period objects, and refuses other keys', () => {
    const byKeys = rollforward(sampleLedger(), { periods: ['2026-01', '2026-02', '2026-03'] });
    expect(byKeys.rows).toEqual(rollforward(sampleLedger(), { periods: Q1 }).rows);
    expect(() => rollforward(sampleLedger(), { periods: ['2026-P01'] })).toThrowError(AccrueError);
  });
});
