/**
 * QuickBooks' per-company limits held across processes: every call takes a lease row in
 * `qbo_call_leases` under the company's `qbo_realm_budget` row lock, so however many Accrue
 * processes call one company, at most `maxInFlight` calls are in flight and at most `perMinute`
 * start in any sliding window, and a 429 pauses them all. Time is the database's clock, the one
 * clock every process shares. A call's lease ends when it returns; a process that dies mid-call
 * leaves its lease until `expires_at` (the adapter's request timeout plus a margin), so a crash
 * costs capacity for a while, never the limit.
 *
 * In front of it sits this process's own `RealmLimiter` with the same caps, so waiting callers
 * queue in memory instead of polling the database.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { QBO_REQUEST_TIMEOUT_MS } from '../qbo/adapter.ts';
import { systemClock, type Clock } from '../qbo/clock.ts';
import {
  RATE_WINDOW_MS,
  REALM_IN_FLIGHT_MAX,
  RealmLimiter,
  REQUESTS_PER_MINUTE_BUDGET,
  type CallLimiter,
  type LimiterStats,
} from '../qbo/limiter.ts';
import type { Db } from './database.ts';

/** A lease outlives a call that hangs until the adapter's timeout by this much. */
const LEASE_MARGIN_MS = 30_000;
/** How soon a caller that found every slot taken looks again. */
const SLOT_POLL_MS = 50;

export interface BudgetOptions {
  maxInFlight?: number;
  perMinute?: number;
  /** The sliding window (tests shorten it; QuickBooks counts a minute). */
  window_ms?: number;
  lease_ms?: number;
  clock?: Clock;
}

type Grant = { lease: string } | { wait_ms: number };

export class PgRealmLimiter implements CallLimiter {
  readonly maxInFlight: number;
  private readonly perMinute: number;
  private readonly window_ms: number;
  private readonly lease_ms: number;
  private readonly clock: Clock;
  private readonly local: RealmLimiter;

  constructor(
    private readonly db: Db,
    private readonly tenantId: bigint,
    private readonly realmId: string,
    opts: BudgetOptions = {},
  ) {
    this.maxInFlight = opts.maxInFlight ?? REALM_IN_FLIGHT_MAX;
    this.perMinute = opts.perMinute ?? REQUESTS_PER_MINUTE_BUDGET;
    this.window_ms = opts.window_ms ?? RATE_WINDOW_MS;
    this.lease_ms = opts.lease_ms ?? QBO_REQUEST_TIMEOUT_MS + LEASE_MARGIN_MS;
    this.clock = opts.clock ?? systemClock;
    // The local gate only bounds concurrency; the window is counted in the database.
    this.local = new RealmLimiter(this.clock, this.maxInFlight, Number.MAX_SAFE_INTEGER);
  }

  get stats(): LimiterStats {
    return this.local.stats;
  }

  /** Pauses this process at once and every other one through the budget row. */
  pause(ms: number): void {
    this.local.pause(ms);
    void this.db
      .updateTable('qbo_realm_budget')
      .set({ paused_until: sql`greatest(paused_until, clock_timestamp() + ${`${ms} milliseconds`}::interval)` })
      .where('tenant_id', '=', this.tenantId)
      .where('realm_id', '=', this.realmId)
      .execute()
      .catch(() => undefined); // the local pause still holds; the next 429 tries again
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    return this.local.run(async () => {
      const lease = await this.acquire();
      try {
        return await fn();
      } finally {
        await this.db
          .updateTable('qbo_call_leases')
          .set({ finished_at: sql`clock_timestamp()` })
          .where('tenant_id', '=', this.tenantId)
          .where('realm_id', '=', this.realmId)
          .where('id', '=', lease)
          .execute()
          .catch(() => undefined); // an unreleased lease only lapses at expires_at
      }
    });
  }

  private async acquire(): Promise<string> {
    for (;;) {
      const grant = await this.tryAcquire();
      if ('lease' in grant) return grant.lease;
      await this.clock.sleep(Math.max(1, grant.wait_ms));
    }
  }

  /** One look under the company's row lock: a lease when a slot and a window place are free, else how long to wait. */
  private tryAcquire(): Promise<Grant> {
    const { tenantId, realmId } = this;
    return this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('qbo_realm_budget')
        .values({ tenant_id: tenantId, realm_id: realmId, paused_until: null })
        .onConflict((oc) => oc.columns(['tenant_id', 'realm_id']).doNothing())
        .execute();
      // The lock first, in its own statement: under READ COMMITTED the count below then takes its
      // snapshot after every lease committed before we held the lock.
      const budget = await sql<{ paused_ms: number }>`
        select coalesce(extract(epoch from (paused_until - clock_timestamp())) * 1000, 0)::float8 as paused_ms
        from qbo_realm_budget where tenant_id = ${tenantId} and realm_id = ${realmId} for update`
        .execute(tx)
        .then((r) => r.rows[0]!);
      if (budget.paused_ms > 0) return { wait_ms: Math.ceil(budget.paused_ms) };
      const window = `${this.window_ms} milliseconds`;
      await sql`delete from qbo_call_leases
        where tenant_id = ${tenantId} and realm_id = ${realmId}
          and started_at < clock_timestamp() - ${window}::interval
          and (finished_at is not null or expires_at < clock_timestamp())`.execute(tx);
      const b = await sql<{ in_flight: number; started: number; oldest_ms: number | null }>`
        select
          count(*) filter (where finished_at is null and expires_at > clock_timestamp())::int as in_flight,
          count(*) filter (where started_at > clock_timestamp() - ${window}::interval)::int as started,
          (extract(epoch from (min(started_at) filter (where started_at > clock_timestamp() - ${window}::interval)
            + ${window}::interval - clock_timestamp())) * 1000)::float8 as oldest_ms
        from qbo_call_leases where tenant_id = ${tenantId} and realm_id = ${realmId}`
        .execute(tx)
        .then((r) => r.rows[0]!);
      if (b.in_flight >= this.maxInFlight) return { wait_ms: SLOT_POLL_MS };
      if (b.started >= this.perMinute) return { wait_ms: Math.ceil(b.oldest_ms ?? SLOT_POLL_MS) + 1 };
      const lease = randomUUID();
      await sql`insert into qbo_call_leases (tenant_id, realm_id, id, started_at, expires_at)
        values (${tenantId}, ${realmId}, ${lease}, clock_timestamp(), clock_timestamp() + ${`${this.lease_ms} milliseconds`}::interval)`.execute(
        tx,
      );
      return { lease };
    });
  }
}

/** One limiter per company per process, so this process's callers share its local gate. */
export function pgLimiters(db: Db, opts: BudgetOptions = {}): (tenantId: string, realmId: string) => CallLimiter {
  const made = new Map<string, PgRealmLimiter>();
  return (tenantId, realmId) => {
    const key = `${tenantId}|${realmId}`;
    let l = made.get(key);
    if (!l) made.set(key, (l = new PgRealmLimiter(db, BigInt(tenantId), realmId, opts)));
    return l;
  };
}
