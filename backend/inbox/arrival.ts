/**
 * Arrival numbers (`stripe_events.seq`): the order events reached a tenant's inbox, numbered per
 * tenant. A transaction that stores events reserves a block of numbers from the tenant's
 * `inbox_counters` row, whose lock it then holds until it commits, so two transactions storing
 * events of one tenant commit their numbers in the order they took them. Tenants are reserved in
 * id order, so two transactions never wait on each other's tenants crosswise. A number reserved
 * for an event that turns out to be a duplicate is left unused: the numbers order, they do not count.
 */
import { sql } from 'kysely';
import type { Tx } from '../db/database.ts';

/** Reserves `count` numbers for each tenant; returns a taker per tenant that hands them out in order. */
export async function reserveArrivals(tx: Tx, counts: ReadonlyMap<bigint, number>): Promise<Map<bigint, () => bigint>> {
  const takers = new Map<bigint, () => bigint>();
  const tenants = [...counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const tenantId of tenants) {
    const count = counts.get(tenantId)!;
    const r = await sql<{ last_seq: bigint }>`
      insert into inbox_counters (tenant_id, last_seq) values (${tenantId}, ${count})
      on conflict (tenant_id) do update set last_seq = inbox_counters.last_seq + excluded.last_seq
      returning last_seq`.execute(tx);
    let next = BigInt(r.rows[0]!.last_seq) - BigInt(count) + 1n;
    const last = BigInt(r.rows[0]!.last_seq);
    takers.set(tenantId, () => {
      if (next > last) throw new Error(`more events stored for tenant ${tenantId} than arrival numbers reserved`);
      return next++;
    });
  }
  return takers;
}

/** How many events of each tenant a call stores at most. */
export function countByTenant<T>(items: readonly T[], tenantOf: (item: T) => bigint): Map<bigint, number> {
  const counts = new Map<bigint, number>();
  for (const item of items) counts.set(tenantOf(item), (counts.get(tenantOf(item)) ?? 0) + 1);
  return counts;
}
