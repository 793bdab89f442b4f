/**
 * A store for `express-rate-limit` whose counters live in PostgreSQL (table `rate_limit_windows`),
 * so that every web process on the database counts the same requests: with three web processes a
 * limit of 100 a minute is 100 a minute in all, not 100 in each.
 *
 * Fixed windows: a hit lands in the window `floor(now / windowMs)`, counted by one upsert that
 * returns the new total. Old windows are swept now and then by the store itself (one hit in
 * `SWEEP_EVERY_HITS`), so the table holds about one row per active client and limiter.
 */
import { sql } from 'kysely';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Db } from '../db/database.ts';

/** On average, one hit in this many also deletes the windows that ended before the previous one. */
const SWEEP_EVERY_HITS = 1000;

export class PostgresRateLimitStore implements Store {
  /** Counters are shared by processes: express-rate-limit must not assume this instance sees every hit. */
  readonly localKeys = false;
  private windowMs = 60_000;

  constructor(
    private readonly db: Db,
    /** Names the limiter (endpoint and kind), so two limiters never share a counter. */
    readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private windowStart(): number {
    return Math.floor(this.now() / this.windowMs) * this.windowMs;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const start = this.windowStart();
    const r = await sql<{ hits: number }>`
      select hits from rate_limit_windows
      where limiter = ${this.prefix} and client_key = ${key} and window_start_ms = ${start}`.execute(this.db);
    const row = r.rows[0];
    return row ? { totalHits: row.hits, resetTime: new Date(start + this.windowMs) } : undefined;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const start = this.windowStart();
    const r = await sql<{ hits: number }>`
      insert into rate_limit_windows (limiter, client_key, window_start_ms, hits)
      values (${this.prefix}, ${key}, ${start}, 1)
      on conflict (limiter, client_key, window_start_ms) do update set hits = rate_limit_windows.hits + 1
      returning hits`.execute(this.db);
    if (Math.random() * SWEEP_EVERY_HITS < 1) await this.sweep(start);
    return { totalHits: r.rows[0]!.hits, resetTime: new Date(start + this.windowMs) };
  }

  async decrement(key: string): Promise<void> {
    await sql`
      update rate_limit_windows set hits = greatest(hits - 1, 0)
      where limiter = ${this.prefix} and client_key = ${key} and window_start_ms = ${this.windowStart()}`.execute(
      this.db,
    );
  }

  async resetKey(key: string): Promise<void> {
    await sql`delete from rate_limit_windows where limiter = ${this.prefix} and client_key = ${key}`.execute(this.db);
  }

  /** Deletes this limiter's windows that ended before the current one began. */
  async sweep(currentStart = this.windowStart()): Promise<void> {
    await sql`delete from rate_limit_windows where limiter = ${this.prefix} and window_start_ms < ${currentStart}`.execute(
      this.db,
    );
  }
}
