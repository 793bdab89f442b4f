// The cockpit reports through the shared formatter: tables with their definitions and tie
// flags, CSV that parses back with one row per figure, JSON with money as strings.
import { currency } from '../money.ts';
import { parseCsv } from './csv.ts';
import { sampleLedger } from './fixtures/sample-ledger.ts';
import { formatReport } from './format.ts';
import { saasMetrics, type RecurringItem } from './metrics.ts';
import { revenueBridge } from './revenue-bridge.ts';
import { remainingObligations } from './rpo.ts';

const USD = currency('usd');
const items: RecurringItem[] = [
  {
    customer: 'a',
    invoice: 'in_1',
    invoiceLine: 'il_1',
    product: 'p',
    start: '2026-01-01',
    end: '2027-01-01',
    amountMinor: 120000n,
  },
  {
    customer: 'b',
    invoice: 'in_2',
    invoiceLine: 'il_2',
    product: 'p',
    start: '2026-02-01',
    end: '2026-03-01',
    amountMinor: 5000n,
  },
];

describe('cockpit report formats', () => {
  it('metrics: table with definitions, CSV per month and day, JSON money strings', () => {
    const r = saasMetrics(items, { currency: USD, fromMonth: '2026-01', throughMonth: '2026-03', days: true });
    const table = formatReport(r, 'table');
    expect(table).toMatch(/Closing MRR/);
    expect(table).toMatch(/DEFINITIONS/);
    expect(table).toMatch(/net_revenue_retention:/);
    const csv = parseCsv(formatReport(r, 'csv'));
    expect(csv[0]![0]).toBe('granularity');
    expect(csv.filter((row) => row[0] === 'month')).toHaveLength(3);
    expect(csv.filter((row) => row[0] === 'day')).toHaveLength(31 + 28 + 31);
    const feb = csv.find((row) => row[1] === '2026-02')!;
    expect(feb[9]).toBe('150.00');
    const json = JSON.parse(formatReport(r, 'json')) as { months: { closing: string; month: string }[] };
    expect(json.months.find((m) => m.month === '2026-03')!.closing).toBe('100.00');
  });

  it('rpo: summary, months, customers and products', () => {
    const schedule = [
      { invoice: 'in_1', customer: 'a', product: 'p', postingDate: '2026-02-28', amountMinor: 10000n },
      { invoice: 'in_1', customer: 'a', product: 'p', postingDate: '2027-03-31', amountMinor: 2500n },
    ];
    const r = remainingObligations(schedule, { currency: USD, asOf: '2026-01-31', ledgerLines: [] });
    expect(r.tiesOut).toBe(false);
    const table = formatReport(r, 'table');
    expect(table).toMatch(/Non-current/);
    expect(table).toMatch(/rpo_mismatch/);
    const csv = parseCsv(formatReport(r, 'csv'));
    expect(csv.find((row) => row[2] === 'total')!.slice(4)).toEqual(['100.00', '25.00', '125.00']);
    expect(csv.filter((row) => row[2] === 'month')).toHaveLength(2);
  });

  it('revenue bridge: every step with its amount', () => {
    const r = revenueBridge(sampleLedger());
    const table = formatReport(r, 'table');
    expect(table).toMatch(/Revenue waterfall total/);
    expect(table).toMatch(/reversals of recognition/);
    const csv = parseCsv(formatReport(r, 'csv'));
    const usd = csv.filter((row) => row[0] === 'USD');
    expect(usd[0]![1]).toBe('income');
    expect(usd.find((row) => row[1] === 'revenue')).toBeDefined();
    expect(usd.at(-1)![1]).toBe('rollforward_recognized');
  });
});
