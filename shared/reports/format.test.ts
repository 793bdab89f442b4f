// Proves the formatters and replay files: RFC 4180 quoting round-trips through a parser; the
// journal CSV has the exact header, one row per line, positive major-unit debit/credit with the
// currency's decimals (JPY 0, KWD 3 in `original`), upper-case codes and the correction flag;
// JSON keeps money as strings; tables stay within TABLE_WIDTH_MAX and align money columns.
import { periodCalendar, periodsBetween } from '../periods.ts';
import { csvDocument, csvField, parseCsv } from './csv.ts';
import { sampleLedger } from './fixtures/sample-ledger.ts';
import { formatReport, renderTables, TABLE_WIDTH_MAX } from './format.ts';
import { journal } from './journal-listing.ts';
import {
  JOURNAL_CSV_HEADER,
  ROLLFORWARD_CSV_HEADER,
  toJournalCsv,
  toRollforwardCsv,
  toTrialBalanceCsv,
  toWaterfallCsv,
  WATERFALL_CSV_HEADER,
} from './replay-csv.ts';
import { rollforward } from './rollforward.ts';
import { balanceSheet, incomeStatement } from './statements.ts';
import { trialBalance } from './trial-balance.ts';
import { waterfall } from './waterfall.ts';

const Q1 = periodsBetween(periodCalendar({ type: 'monthly' }), '2026-01-01', '2026-03-31');

describe('csv', () => {
  it('quotes only fields that need it and round-trips commas, quotes and newlines', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    const doc = csvDocument(
      ['a', 'b'],
      [
        ['x,1', 'he said "no"'],
        ['line\r\nbreak', ''],
      ],
    );
    expect(doc.endsWith('\r\n')).toBe(true);
    expect(parseCsv(doc)).toEqual([
      ['a', 'b'],
      ['x,1', 'he said "no"'],
      ['line\r\nbreak', ''],
    ]);
  });
});

describe('toJournalCsv', () => {
  const rows = parseCsv(toJournalCsv(sampleLedger()));
  const header = rows[0]!;
  const body = rows.slice(1);
  const col = (name: string) => header.indexOf(name);

  it('has the exact header and one row per ledger line', () => {
    expect(header.join(',')).toBe(
      'period,posting_date,entry_id,account_role,account,currency,debit,credit,original_currency,original_amount,source_object,correction',
    );
    expect(header).toEqual([...JOURNAL_CSV_HEADER]);
    expect(body).toHaveLength(sampleLedger().length);
  });

  it('writes positive major units on one side, with each currency’s decimals', () => {
    const jpy = body.find(
      (r) => r[col('entry_id')] === 'invoice.finalized:in_J' && r[col('account_role')] === 'receivable',
    )!;
    expect([jpy[col('currency')], jpy[col('debit')], jpy[col('credit')]]).toEqual(['JPY', '12000', '']);
    const kwd = body.find(
      (r) => r[col('entry_id')] === 'invoice.finalized:in_B' && r[col('account_role')] === 'deferred_revenue',
    )!;
    expect([kwd[col('debit')], kwd[col('credit')], kwd[col('original_currency')], kwd[col('original_amount')]]).toEqual(
      ['', '97.50', 'KWD', '30.000'],
    );
    const fee = body.find((r) => r[col('entry_id')] === 'fee:txn_A' && r[col('account_role')] === 'fees')!;
    expect([fee[col('debit')], fee[col('credit')], fee[col('original_currency')], fee[col('original_amount')]]).toEqual(
      ['9.70', '', '', ''],
    );
    for (const r of body) {
      expect((r[col('debit')] === '') !== (r[col('credit')] === '')).toBe(true);
      expect(r[col('debit')]! + r[col('credit')]!).not.toMatch(/^-/);
    }
  });

  it('marks the correction, names the primary source and keeps the period key', () => {
    const late = body.filter((r) => r[col('entry_id')] === 'invoice.finalized:in_D');
    expect(
      late.map((r) => [r[col('period')], r[col('posting_date')], r[col('correction')], r[col('source_object')]]),
    ).toEqual([
      ['2026-03', '2026-03-01', 'true', 'in_D'],
      ['2026-03', '2026-03-01', 'true', 'in_D'],
    ]);
    expect(body.filter((r) => r[col('correction')] === 'true')).toHaveLength(2);
  });

  it('sums back to zero per currency (the file is a replayable balanced ledger)', () => {
    const totals = new Map<string, number>();
    for (const r of body) {
      // Integer arithmetic on minor units: strip the decimal point (every row of a currency has the same decimals).
      const toMinor = (s: string) => (s === '' ? 0 : Number(s.replace('.', '')));
      const cur = r[col('currency')]!;
      totals.set(cur, (totals.get(cur) ?? 0) + toMinor(r[col('debit')]!) - toMinor(r[col('credit')]!));
    }
    expect([...totals.values()]).toEqual([0, 0]);
  });
});

describe('report CSVs', () => {
  it('writes the roll-forward, waterfall and trial balance with their documented headers', () => {
    const rf = parseCsv(toRollforwardCsv(rollforward(sampleLedger(), { periods: Q1 })));
    expect(rf[0]).toEqual([...ROLLFORWARD_CSV_HEADER]);
    const mar = rf.find((r) => r[0] === 'deferred_revenue' && r[1] === 'USD' && r[2] === '2026-03')!;
    expect(mar.slice(5)).toEqual([
      '84.70',
      '240.00',
      '234.70',
      '0.00',
      '0.00',
      '10.00',
      '100.00',
      '100.00',
      'true',
      '0.00',
    ]);

    const wf = parseCsv(toWaterfallCsv(waterfall(sampleLedger())));
    expect(wf[0]).toEqual([...WATERFALL_CSV_HEADER]);
    expect(wf.find((r) => r[0] === 'USD' && r[1] === '2026-01' && r[2] === '2026-03')).toEqual([
      'USD',
      '2026-01',
      '2026-03',
      '84.70',
      'in_A in_B',
      'il_A1 il_B1',
      'false',
    ]);

    const tb = parseCsv(toTrialBalanceCsv(trialBalance(sampleLedger(), { throughPeriod: '2026-03' })));
    expect(tb.find((r) => r[1] === 'USD' && r[2] === 'deferred_revenue')).toEqual([
      '2026-03',
      'USD',
      'deferred_revenue',
      'liability',
      'Deferred Revenue',
      '547.50',
      '647.50',
      '-100.00',
    ]);
  });

  it('formatReport csv guards free text against spreadsheet formulas in statements', () => {
    const lines = sampleLedger().map((l) => (l.account === 'Usage' ? { ...l, account: '=HYPERLINK("x")' } : l));
    const csv = formatReport(incomeStatement(lines, { period: '2026-03' }), 'csv');
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
  });
});

describe('formatReport json', () => {
  it('writes money as major-unit strings in the right currency, never as numbers', () => {
    const parsed = JSON.parse(formatReport(trialBalance(sampleLedger()), 'json')) as {
      rows: { currency: string; role: string; balance: unknown; debits: unknown }[];
      totals: { currency: string; net: unknown }[];
    };
    const jpyCash = parsed.rows.find((r) => r.currency === 'JPY' && r.role === 'cash_clearing')!;
    expect(jpyCash.balance).toBe('12000');
    const usdDr = parsed.rows.find((r) => r.currency === 'USD' && r.role === 'deferred_revenue')!;
    expect(usdDr.balance).toBe('-100.00');
    const json = formatReport(journal(sampleLedger()), 'json');
    expect(json).not.toMatch(/"(debit|credit|amount|balance)": -?\d/);
    // The original amount is formatted in its own currency (3 decimals), not the line's.
    expect(json).toContain('"amount": "-30.000"');
  });
});

describe('formatReport table', () => {
  it('aligns money right, stays within the width limit, and lists problems', () => {
    const reports = [
      trialBalance(sampleLedger()),
      journal(sampleLedger()),
      rollforward(sampleLedger(), { periods: Q1 }),
      waterfall(sampleLedger()),
      incomeStatement(sampleLedger(), { period: '2026-03' }),
      balanceSheet(sampleLedger(), { throughPeriod: '2026-03' }),
    ];
    for (const r of reports) {
      const text = formatReport(r, 'table');
      for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(TABLE_WIDTH_MAX);
    }
    const tb = formatReport(trialBalance(sampleLedger()), 'table');
    const lines = tb.split('\n');
    const feeLine = lines.find((l) => l.startsWith('fees'))!;
    const totalLine = lines.filter((l) => l.startsWith('TOTAL'))[1]!;
    // Right-aligned: the balance column ends at the same character position.
    expect(feeLine.length).toBe(totalLine.length);
    expect(feeLine.endsWith('9.70')).toBe(true);

    const broken = sampleLedger().map((l) => (l.entryId === 'je_11' ? { ...l, postingDate: '2026-03-02' } : l));
    expect(formatReport(rollforward(broken, { periods: Q1 }), 'table')).toMatch(
      /PROBLEMS\n {2}\[rollforward_mismatch\]/,
    );
  });

  it('splits a too-wide table into column blocks that repeat the key column', () => {
    const columns = [
      { header: 'Key', align: 'left' as const },
      ...Array.from({ length: 30 }, (_, i) => ({ header: `Col${i}`, align: 'right' as const })),
    ];
    const text = renderTables([
      { title: 'Wide', columns, rows: [['k1', ...Array.from({ length: 30 }, () => '1234567.89')]], keyColumns: 1 },
    ]);
    const headerLines = text.split('\n').filter((l) => l.startsWith('Key'));
    expect(headerLines.length).toBeGreaterThan(1);
    for (const l of text.split('\n')) expect(l.length).toBeLessThanOrEqual(TABLE_WIDTH_MAX);
    expect(text).toContain('Col29');
  });
});
