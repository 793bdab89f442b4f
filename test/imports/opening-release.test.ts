/**
 * The imported schedule after later Stripe activity (`openingReleases`, pure): a reduction of the
 * deferral comes off its period and the later ones in proportion, by largest remainder; periods
 * already released keep what they posted and the rest absorb the difference, so the line never
 * releases more than it holds; a reduction larger than what is left releases nothing more.
 */
import { describe, expect, it } from 'vitest';
import { openingReleases } from '../../backend/app/imports/opening-release.ts';
import { periodCalendar } from '../../shared/periods.ts';

const cal = periodCalendar({ type: 'monthly' });
const months = (amounts: bigint[], first = '2026-04-01') => {
  let d = first;
  return amounts.map((amountMinor) => {
    const period = cal.periodOf(d);
    d = period.end;
    return { period, amountMinor };
  });
};
const amounts = (r: { amountMinor: bigint }[]) => r.map((x) => x.amountMinor);

describe('openingReleases', () => {
  it('takes a reduction off its period and the later ones in proportion', () => {
    const schedule = months([10000n, 10000n, 10000n, 10000n]);
    const r = openingReleases(schedule, {
      reductions: [{ date: '2026-05-15', amountMinor: 10001n }],
      released: new Map(),
    });
    // May to July had 30,000; 19,999 left over three periods: 6,667 + 6,666 + 6,666 (remainder to the first).
    expect(amounts(r)).toEqual([10000n, 6667n, 6666n, 6666n]);
  });

  it('keeps what was already released and spreads what is left over the rest', () => {
    const schedule = months([10000n, 10000n, 10000n, 10000n]);
    // A refund dated in May arrived after May had been released at the old amount.
    const released = new Map([
      ['2026-04', 10000n],
      ['2026-05', 10000n],
    ]);
    const r = openingReleases(schedule, { reductions: [{ date: '2026-05-02', amountMinor: 6000n }], released });
    expect(amounts(r)).toEqual([10000n, 10000n, 7000n, 7000n]);
    expect(amounts(r).reduce((a, b) => a + b, 0n)).toBe(40000n - 6000n);
  });

  it('releases nothing more once a reduction takes all that is left', () => {
    const r = openingReleases(months([5000n, 5000n]), {
      reductions: [{ date: '2026-04-10', amountMinor: 12000n }],
      released: new Map(),
    });
    expect(amounts(r)).toEqual([0n, 0n]);
  });
});
