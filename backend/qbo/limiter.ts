/**
 * Per-realm request limiter: at most N requests in flight and at most M started in any sliding
 * 60-second window, with a realm-wide pause after a 429. QuickBooks allows 10 concurrent and 500
 * per minute per realm (`docs/quickbooks.md §6`); we stay under both with headroom for other workers (the
 * reconciler, the chart-of-accounts screen) that share the realm's budget.
 *
 * `RealmLimiter` counts in this process only; `PgRealmLimiter` (`backend/db/qbo-budget.ts`) puts
 * it in front of a budget kept in PostgreSQL, so the limits hold across every Accrue process that
 * calls one company. Both are a `CallLimiter`.
 */
import { systemClock, type Clock } from './clock.ts';

/** QuickBooks' concurrency cap is 10; 8 leaves two for reads from other workers. */
export const REALM_IN_FLIGHT_MAX = 8;
/** QuickBooks' cap is 500/min; 450 leaves 10% for other workers and clock skew. */
export const REQUESTS_PER_MINUTE_BUDGET = 450;
/** The sliding window QuickBooks counts over. */
export const RATE_WINDOW_MS = 60_000;

export interface LimiterStats {
  calls: number;
  peakInFlight: number;
  peakPerMinute: number;
}

/** What the executor and a session need from a limiter: run a call within the budget, pause after a 429. */
export interface CallLimiter {
  readonly maxInFlight: number;
  readonly stats: LimiterStats;
  run<T>(fn: () => Promise<T>): Promise<T>;
  pause(ms: number): void;
}

export class RealmLimiter implements CallLimiter {
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly starts: number[] = [];
  private pausedUntil_ms = 0;
  readonly stats: LimiterStats = { calls: 0, peakInFlight: 0, peakPerMinute: 0 };

  constructor(
    private readonly clock: Clock = systemClock,
    readonly maxInFlight: number = REALM_IN_FLIGHT_MAX,
    readonly perMinute: number = REQUESTS_PER_MINUTE_BUDGET,
  ) {}

  /** Stops new requests until `ms` from now (after a 429 QuickBooks asks for 60 s). */
  pause(ms: number): void {
    this.pausedUntil_ms = Math.max(this.pausedUntil_ms, this.clock.now_ms() + ms);
  }

  /** Runs `fn` once a concurrency slot and a rate slot are free. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquireSlot();
    try {
      await this.acquireRate();
      return await fn();
    } finally {
      this.inFlight--;
      this.waiters.shift()?.();
    }
  }

  private async acquireSlot(): Promise<void> {
    while (this.inFlight >= this.maxInFlight) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.inFlight++;
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.inFlight);
  }

  private async acquireRate(): Promise<void> {
    for (;;) {
      const now = this.clock.now_ms();
      while (this.starts.length > 0 && this.starts[0]! <= now - RATE_WINDOW_MS) this.starts.shift();
      if (this.pausedUntil_ms > now) {
        await this.clock.sleep(this.pausedUntil_ms - now);
        continue;
      }
      if (this.starts.length < this.perMinute) {
        // Check and record with no await in between, so concurrent callers cannot both take the last slot.
        this.starts.push(now);
        this.stats.calls++;
        this.stats.peakPerMinute = Math.max(this.stats.peakPerMinute, this.starts.length);
        return;
      }
      await this.clock.sleep(this.starts[0]! + RATE_WINDOW_MS - now + 1);
    }
  }
}

const limiters = new Map<string, RealmLimiter>();

/** The process's limiter for a realm (one per realm, shared by every worker in the process). */
export function limiterForRealm(realmId: string, clock: Clock = systemClock): RealmLimiter {
  let l = limiters.get(realmId);
  if (!l) limiters.set(realmId, (l = new RealmLimiter(clock)));
  return l;
}
