/**
 * The period-end accrual of unbilled usage (docs/accounting.md, "Unbilled usage accrual"), run by
 * the release before it books: for every period that ends inside the release, the usage facts
 * of `backend/stripe/usage-accrual.ts` are stored (under the tenant's books lock) so the release
 * books them with everything else. Exceptions name the meter, price or summary that could not
 * be accrued; what is refused stores no fact.
 */
import { parseFact } from '../../shared/engine/facts.ts';
import type { UsageBilledFact } from '../../shared/engine/facts.ts';
import type { LocalDate } from '../../shared/journal.ts';
import { periodsBetween } from '../../shared/periods.ts';
import type { TenantSettings } from '../../shared/settings.ts';
import { addDays, localDateOf, startOfDay } from '../../shared/time.ts';
import type { Db } from '../db/database.ts';
import { recordException } from '../ledger/exception-queue.ts';
import { calendarOf } from '../ledger/periods.ts';
import type { Tenant } from '../ledger/tenants.ts';
import type { StripeReader } from '../stripe/reader.ts';
import { unbilledUsageFacts, type PeriodEnd } from '../stripe/usage-accrual.ts';
import { FactCache, lockTenantBooks, prepareFact, storeFacts } from './booking.ts';

/**
 * The ends of the periods whose last day is after `after` and on or before `through`, starting no
 * earlier than the period of `earliest` (the first instant anything metered was billed).
 */
export function periodEndsBetween(
  settings: TenantSettings,
  after: LocalDate,
  through: LocalDate,
  earliest: number,
): PeriodEnd[] {
  const zone = settings.reporting_time_zone;
  const first = localDateOf(earliest, zone);
  const from = first > after ? first : addDays(after, 1);
  if (from > through) return [];
  return periodsBetween(calendarOf(settings), from, through)
    .filter((p) => addDays(p.end, -1) > after && addDays(p.end, -1) <= through)
    .map((p) => ({ key: p.key, at: startOfDay(p.end, zone) }));
}

/** Stores the accrual facts of the periods ending in `(after, through]`; returns how many were stored. */
export async function accrueUnbilledUsage(
  db: Db,
  tenant: Tenant,
  reader: StripeReader,
  after: LocalDate,
  through: LocalDate,
): Promise<number> {
  if (!tenant.settings.accrue_unbilled_usage || !reader.meterEventSummaries) return 0;
  const rows = await db
    .selectFrom('stripe_facts')
    .select('fact')
    .where('tenant_id', '=', tenant.id)
    .where('fact_key', 'like', 'usage\\_billed:%')
    .execute();
  const billed = rows.map((r) => parseFact(r.fact) as UsageBilledFact);
  if (!billed.length) return 0;
  const earliest = Math.min(...billed.map((f) => f.at));
  const ends = periodEndsBetween(tenant.settings, after, through, earliest);
  if (!ends.length) return 0;
  const outcome = await unbilledUsageFacts(reader, billed, ends);
  return db.transaction().execute(async (tx) => {
    await lockTenantBooks(tx, tenant.id);
    for (const ex of outcome.exceptions) await recordException(tx, tenant.id, 'mapping', ex.objectId, ex.reason);
    const prepared = outcome.facts.map((f) => ({ fact: prepareFact(f), eventId: `usage-accrual:${through}` }));
    await storeFacts(tx, tenant.id, prepared, new FactCache());
    return prepared.length;
  });
}
