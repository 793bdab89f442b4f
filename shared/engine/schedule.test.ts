// Proves the four amortization methods spread amounts exactly as policy section 3 and Stripe's
// published "amortization granularity" example say (120 USD from Jun 15 12:00 to Oct 13 12:00),
// that schedules always sum to their amount, and that cancel events re-spread what remains.
import { periodCalendar } from '../periods.ts';
import { startOfDay } from '../time.ts';
import { allocateSigned, convertMinor } from './allocation.ts';
import { baseSegment, releasedAt, releasesByPeriod, resegment, type CalendarContext } from './schedule.ts';
import { currency, currency as currencyOf } from '../money.ts';

const cal: CalendarContext = { tz: 'UTC', calendar: periodCalendar({ type: 'monthly' }) };
const at = (d: string, hour = 0): number => startOfDay(d, 'UTC') + hour * 3600;

function byMonth(
  amount: bigint,
  start: number,
  end: number,
  method: 'by_time' | 'by_day' | 'monthly_even' | 'monthly_even_prorated_ends',
): Record<string, bigint> {
  const seg = baseSegment(amount, { kind: 'ratable', start, end, method }, cal);
  const out: Record<string, bigint> = {};
  for (const r of releasesByPeriod([seg])) out[r.period.key] = (out[r.period.key] ?? 0n) + r.amountMinor;
  return out;
}

describe('Stripe amortization granularity example (120.00 over Jun 15 12:00 – Oct 13 12:00)', () => {
  const s = at('2024-06-15', 12);
  const e = at('2024-10-13', 12);
  it('by_time: 15.50, 31, 31, 30, 12.50', () => {
    expect(byMonth(12000n, s, e, 'by_time')).toEqual({
      '2024-06': 1550n,
      '2024-07': 3100n,
      '2024-08': 3100n,
      '2024-09': 3000n,
      '2024-10': 1250n,
    });
  });
  it('by_day: start day in full, partial last day cut off: 16, 31, 31, 30, 12', () => {
    expect(byMonth(12000n, s, e, 'by_day')).toEqual({
      '2024-06': 1600n,
      '2024-07': 3100n,
      '2024-08': 3100n,
      '2024-09': 3000n,
      '2024-10': 1200n,
    });
  });
  it('monthly_even: cut off the last month: 30 × 4', () => {
    expect(byMonth(12000n, s, e, 'monthly_even')).toEqual({
      '2024-06': 3000n,
      '2024-07': 3000n,
      '2024-08': 3000n,
      '2024-09': 3000n,
    });
  });
  it('monthly_even_prorated_ends: 15.50, 30.66, 30.66, 30.68, 12.50', () => {
    expect(byMonth(12000n, s, e, 'monthly_even_prorated_ends')).toEqual({
      '2024-06': 1550n,
      '2024-07': 3066n,
      '2024-08': 3066n,
      '2024-09': 3068n,
      '2024-10': 1250n,
    });
  });
});

describe('seed examples', () => {
  it('annual 1,200 from Jan 1 recognizes 100 a month under monthly_even', () => {
    const r = byMonth(120000n, at('2026-01-01'), at('2027-01-01'), 'monthly_even');
    expect(Object.keys(r)).toHaveLength(12);
    for (const v of Object.values(r)) expect(v).toBe(10000n);
  });
  it('a month from Jan 15 recognizes 17/31 in January by time', () => {
    const r = byMonth(3100n, at('2026-01-15'), at('2026-02-15'), 'by_time');
    expect(r).toEqual({ '2026-01': 1700n, '2026-02': 1400n });
  });
  it('cumulative truncation: 100.00 over 3 equal months gives 33.33, 33.33, 33.34', () => {
    expect(byMonth(10000n, at('2026-01-01'), at('2026-04-01'), 'monthly_even')).toEqual({
      '2026-01': 3333n,
      '2026-02': 3333n,
      '2026-03': 3334n,
    });
  });
  it('setup fee 100.00 over 24 months (monthly_even) sums exactly and no month differs from 4.1666… by a cent', () => {
    const r = byMonth(10000n, at('2026-01-01'), at('2028-01-01'), 'monthly_even');
    const vals = Object.values(r);
    expect(vals).toHaveLength(24);
    expect(vals.reduce((a, b) => a + b, 0n)).toBe(10000n);
    for (const v of vals) expect(v === 416n || v === 417n).toBe(true);
  });
});

describe('cancel events re-spread the remainder', () => {
  it('a half refund at mid-schedule keeps the shape of what remains', () => {
    const segs = [
      baseSegment(
        9000n,
        { kind: 'ratable', start: at('2026-01-01'), end: at('2026-04-01'), method: 'monthly_even' },
        cal,
      ),
    ];
    const t = at('2026-02-01');
    const rel = releasedAt(segs, t);
    expect(rel).toBe(3000n);
    // Half of the 60.00 still deferred leaves 30.00 over February and March.
    segs.push(resegment(segs, t, rel, 3000n, cal));
    const r = releasesByPeriod(segs);
    const by: Record<string, bigint> = {};
    for (const x of r) by[x.period.key] = (by[x.period.key] ?? 0n) + x.amountMinor;
    expect(by).toEqual({ '2026-01': 3000n, '2026-02': 1500n, '2026-03': 1500n });
  });
});

describe('recognized to date at an instant', () => {
  it('by_day counts whole days elapsed: the event day itself is not yet earned', () => {
    const seg = baseSegment(
      3100n,
      { kind: 'ratable', start: at('2026-01-15', 12), end: at('2026-02-15', 12), method: 'by_day' },
      cal,
    );
    // Jan 15..19 have passed at Jan 20 18:00: 5 of 31 days.
    expect(releasedAt([seg], at('2026-01-20', 18))).toBe(500n);
    expect(releasedAt([seg], at('2026-02-01'))).toBe(1700n);
  });
  it('by_time is proportional to seconds within the period', () => {
    const seg = baseSegment(
      3100n,
      { kind: 'ratable', start: at('2026-01-01'), end: at('2026-02-01'), method: 'by_time' },
      cal,
    );
    expect(releasedAt([seg], at('2026-01-16', 12))).toBe(1550n);
  });
});

describe('allocation helpers', () => {
  it('allocateSigned matches allocate on non-negative weights and sums exactly on signed ones', () => {
    expect(allocateSigned(15000n, [130n, 30n])).toEqual([12188n, 2812n]);
    const parts = allocateSigned(1001n, [3000n, -1000n, 500n]);
    expect(parts.reduce((a, b) => a + b, 0n)).toBe(1001n);
    expect(parts[1]! < 0n).toBe(true);
  });
  it('convertMinor rounds half away from zero and respects exponents', () => {
    expect(convertMinor(10000n, currency('eur'), currencyOf('usd'), '1.085')).toBe(10850n);
    expect(convertMinor(1n, currency('eur'), currencyOf('usd'), '1.5')).toBe(2n);
    expect(convertMinor(-1n, currency('eur'), currencyOf('usd'), '1.5')).toBe(-2n);
    expect(convertMinor(10000n, currency('usd'), currencyOf('jpy'), '150.123')).toBe(15012n);
  });
});
