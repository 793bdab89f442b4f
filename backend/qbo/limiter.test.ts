// Proves the per-realm limiter on a virtual clock: never more than the in-flight cap at once,
// never more than the per-minute budget started in any sliding 60 s window, steady throughput at
// the budget, and a pause after a 429 that holds every new request back.
import type { Clock } from './clock.ts';
import { RATE_WINDOW_MS, RealmLimiter } from './limiter.ts';

/** A clock whose sleeps advance virtual time instead of waiting. */
function virtualClock(): Clock & { t: number } {
  const c = {
    t: 0,
    now_ms: () => c.t,
    sleep: async (ms: number) => {
      // Wake at now+ms; concurrent sleepers with the same target do not add up.
      const target = c.t + ms;
      await new Promise((r) => setImmediate(r));
      c.t = Math.max(c.t, target);
    },
  };
  return c;
}

function maxInAnyWindow(starts: number[]): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < starts.length; hi++) {
    while (starts[lo]! <= starts[hi]! - RATE_WINDOW_MS) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe('RealmLimiter', () => {
  it('keeps in-flight and per-minute counts within bounds under 40 eager workers', async () => {
    const clock = virtualClock();
    const limiter = new RealmLimiter(clock, 8, 450);
    const starts: number[] = [];
    let inFlight = 0;
    let peak = 0;
    let next = 0;
    const total = 1400;
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        while (next < total) {
          next++;
          await limiter.run(async () => {
            starts.push(clock.now_ms());
            inFlight++;
            peak = Math.max(peak, inFlight);
            await new Promise((r) => setImmediate(r));
            inFlight--;
          });
        }
      }),
    );
    expect(starts).toHaveLength(total);
    expect(peak).toBeLessThanOrEqual(8);
    expect(peak).toBeGreaterThan(1);
    starts.sort((a, b) => a - b);
    expect(maxInAnyWindow(starts)).toBe(450);
    // 1400 requests at 450 per window need three full windows after the first burst.
    expect(starts[total - 1]!).toBeGreaterThanOrEqual(3 * RATE_WINDOW_MS);
    expect(starts[total - 1]!).toBeLessThan(4 * RATE_WINDOW_MS);
    expect(limiter.stats).toMatchObject({ calls: total, peakPerMinute: 450 });
  });

  it('holds every new request during a pause', async () => {
    const clock = virtualClock();
    const limiter = new RealmLimiter(clock, 4, 100);
    await limiter.run(async () => undefined);
    limiter.pause(60_000);
    const startedAt: number[] = [];
    await Promise.all([1, 2, 3].map(() => limiter.run(async () => void startedAt.push(clock.now_ms()))));
    expect(startedAt.every((t) => t >= 60_000)).toBe(true);
  });
});
