/**
 * 0048 — the public endpoints' rate-limit counters, shared by every web process on the database
 * (`backend/http/rate-limit-store.ts`): one row per limiter, client key and fixed window. A local
 * table in the Citus layout (coordinator only): its keys are client addresses and tenant ids, and
 * nothing references it.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
create table rate_limit_windows (
  limiter text not null,
  client_key text not null,
  window_start_ms bigint not null,
  hits integer not null check (hits >= 0),
  primary key (limiter, client_key, window_start_ms)
);
`,
    )
    .execute(db);
}
