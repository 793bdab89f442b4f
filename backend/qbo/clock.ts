/**
 * Time for the QuickBooks workers: a clock and a sleep that tests can replace. The executor's
 * limiter, back-offs and token expiry all read this, never `Date.now()` directly, so a test can
 * run a "minute" of QuickBooks traffic in a second with `scaledClock`.
 */
export interface Clock {
  now_ms(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now_ms: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

/**
 * A clock that runs `factor` times faster than real time from the moment it is made: a 60 s
 * back-off takes 1 s of real time at factor 60. Share one instance between the fake QBO and the
 * code under test so both agree on what a minute is.
 */
export function scaledClock(factor: number, start_ms: number = Date.now()): Clock {
  if (!(factor > 0)) throw new Error('scaledClock: factor must be positive');
  const realStart = Date.now();
  return {
    now_ms: () => start_ms + (Date.now() - realStart) * factor,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / factor))),
  };
}

/**
 * The real time, with every wait `factor` times shorter: for the fault simulator, where a
 * QuickBooks outage of one simulated hour lasts `3600 / factor` real seconds and the back-offs
 * that ride it out shrink in step. Rate windows stay in real time (the shared budget counts with
 * the database's clock), so QuickBooks' per-minute limit still means a real minute.
 */
export function acceleratedWaits(factor: number): Clock {
  if (!(factor >= 1)) throw new Error('acceleratedWaits: factor must be at least 1');
  return {
    now_ms: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / factor))),
  };
}
