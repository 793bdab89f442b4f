// SaaS metrics: normalization, movements by hand-made cases, retention, and the invariant
// opening MRR + movements = closing MRR for every month and day on random item sets (fast-check).
import fc from 'fast-check';
import type { LocalDate } from '../journal.ts';
import { currency } from '../money.ts';
import { addDays } from '../time.ts';
import { monthlyAmount, saasMetrics, type RecurringItem } from './metrics.ts';

const USD = currency('usd');
let seq = 0;
function item(customer: string, start: LocalDate, end: LocalDate, amountMinor: bigint): RecurringItem {
  seq++;
  return { customer, invoice: `in_${seq}`, invoiceLine: `il_${seq}`, product: null, start, end, amountMinor };
}

describe('monthly normalization', () => {
  it('divides whole months, scales weeks by 52/12 and odd periods by 365/12 per day', () => {
    expect(monthlyAmount({ start: '2026-01-01', end: '2027-01-01', amountMinor: 120000n })).toBe(10000n);
    expect(monthlyAmount({ start: '2026-01-31', end: '2026-02-28', amountMinor: 5000n })).toBe(5000n);
    expect(monthlyAmount({ start: '2026-01-15', end: '2026-04-15', amountMinor: 30000n })).toBe(10000n);
    // one week of 12.00: 12.00 × 52 / 12 = 52.00
    expect(monthlyAmount({ start: '2026-01-01', end: '2026-01-08', amountMinor: 1200n })).toBe(5200n);
    // 10 days of 10.00: 10.00 × 365 / 120 = 30.4166… → 30.42
    expect(monthlyAmount({ start: '2026-01-01', end: '2026-01-11', amountMinor: 1000n })).toBe(3042n);
  });
});

describe('movements', () => {
  const items = [
    // a: monthly 100.00 Jan–Mar, upgrades to 150.00 from Apr
    item('a', '2026-01-01', '2026-02-01', 10000n),
    item('a', '2026-02-01', '2026-03-01', 10000n),
    item('a', '2026-03-01', '2026-04-01', 10000n),
    item('a', '2026-04-01', '2026-05-01', 15000n),
    // b: annual 1,200.00 from Feb 10 → 100.00 MRR, until next Feb
    item('b', '2026-02-10', '2027-02-10', 120000n),
    // c: 50.00 in Jan, gone in Feb and Mar, back in Apr at 40.00
    item('c', '2026-01-01', '2026-02-01', 5000n),
    item('c', '2026-04-01', '2026-05-01', 4000n),
  ];
  const r = saasMetrics(items, { currency: USD, fromMonth: '2026-01', throughMonth: '2026-04', days: true });
  const m = (k: string) => r.months.find((x) => x.month === k)!;

  it('classifies new, churn, reactivation and expansion per customer', () => {
    expect(m('2026-01')).toMatchObject({ opening: 0n, new: 15000n, closing: 15000n, customers: 2 });
    expect(m('2026-02')).toMatchObject({ opening: 15000n, new: 10000n, churn: 5000n, closing: 20000n, customers: 2 });
    expect(m('2026-03')).toMatchObject({ opening: 20000n, new: 0n, churn: 0n, closing: 20000n });
    expect(m('2026-04')).toMatchObject({ expansion: 5000n, reactivation: 4000n, closing: 29000n, customers: 3 });
    expect(m('2026-04').arr).toBe(29000n * 12n);
    expect(m('2026-04').arpa).toBe(9667n); // 290.00 / 3 = 96.666… → 96.67
  });

  it('measures retention on the customers paying at the start of the month', () => {
    // February: a and c paid 150.00 at the start; a still pays 100.00, c left: 100/150.
    expect(m('2026-02').netRevenueRetention).toBe('0.6667');
    expect(m('2026-02').grossRevenueRetention).toBe('0.6667');
    // April: a and b paid 200.00; a now 150.00 and b 100.00 → net 1.25, gross capped at 1.
    expect(m('2026-04').netRevenueRetention).toBe('1.2500');
    expect(m('2026-04').grossRevenueRetention).toBe('1.0000');
    expect(m('2026-01').netRevenueRetention).toBeNull();
  });

  it('gives the daily series with the day the change happened', () => {
    const feb10 = r.days!.find((d) => d.date === '2026-02-10')!;
    expect(feb10).toMatchObject({ new: 10000n, mrr: 20000n, customers: 2 });
    expect(r.days!.filter((d) => d.date.startsWith('2026-02'))).toHaveLength(28);
  });

  it('refuses a bad or empty range with a clear message', () => {
    expect(() => saasMetrics([], { currency: USD, fromMonth: '2026-13', throughMonth: '2026-14' })).toThrow(/YYYY-MM/);
    expect(() => saasMetrics([], { currency: USD, fromMonth: '2026-05', throughMonth: '2026-04' })).toThrow(/empty/);
  });
});

describe('MRR invariant on random facts', () => {
  const day = fc.integer({ min: 0, max: 500 }).map((n) => addDays('2025-11-01', n));
  const anItem = fc
    .record({
      customer: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      start: day,
      length: fc.oneof(fc.constantFrom(7, 14, 30, 31, 91, 365), fc.integer({ min: 1, max: 400 })),
      amountMinor: fc.bigInt({ min: -5000n, max: 500000n }),
    })
    .map((r) => item(r.customer, r.start, addDays(r.start, r.length), r.amountMinor));

  it('opening + new + expansion + reactivation − contraction − churn = closing, every month and every day', () => {
    fc.assert(
      fc.property(fc.array(anItem, { maxLength: 30 }), (items) => {
        const r = saasMetrics(items, { currency: USD, fromMonth: '2026-01', throughMonth: '2026-12', days: true });
        expect(r.problems).toEqual([]);
        let previous = r.months[0]!.opening;
        for (const m of r.months) {
          expect(m.opening).toBe(previous);
          expect(m.opening + m.new + m.expansion + m.reactivation - m.contraction - m.churn).toBe(m.closing);
          previous = m.closing;
        }
        // Closing MRR recomputed directly: the sum of monthly amounts of items covering the last day.
        for (const m of r.months) {
          const lastDay = addDays(`${m.month === '2026-12' ? '2027-01' : nextMonth(m.month)}-01`, -1);
          const direct = items
            .filter((i) => i.start <= lastDay && lastDay < i.end)
            .map((i) => monthlyAmount(i))
            .filter((v) => v > 0n);
          const byCustomer = new Map<string, bigint>();
          items.forEach((i) => {
            if (i.start <= lastDay && lastDay < i.end && monthlyAmount(i) > 0n)
              byCustomer.set(i.customer, (byCustomer.get(i.customer) ?? 0n) + monthlyAmount(i));
          });
          expect(m.closing).toBe(direct.reduce((t, v) => t + v, 0n));
          expect(m.customers).toBe(byCustomer.size);
        }
        let d0 = r.months[0]!.opening;
        for (const d of r.days!) {
          expect(d0 + d.new + d.expansion + d.reactivation - d.contraction - d.churn).toBe(d.mrr);
          d0 = d.mrr;
        }
      }),
      { numRuns: 60 },
    );
  });
});

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}
