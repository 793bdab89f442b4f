/**
 * The daily fetch of a tenant's reference rates (docs/accounting.md §3, "Foreign currency"):
 * each day since the provider's last rate, up to today, is fetched and saved; a provider that is
 * down or answers garbage leaves an `fx_rates` exception and is asked again at the next tick;
 * rows the provider got wrong (zero, negative, unknown currency) are dropped and listed. When new
 * rates arrive, every aggregate booked on an estimated rate is booked again, so its entries move
 * to the real rate (through the ledger's adjustments, like any late fact).
 */
import { sql } from 'kysely';
import type { LocalDate } from '../../shared/journal.ts';
import { addDays } from '../../shared/time.ts';
import type { Db } from '../db/database.ts';
import { recordException, resolveOpenExceptions } from '../ledger/exception-queue.ts';
import type { Tenant } from '../ledger/tenants.ts';
import type { Logger } from '../log/logger.ts';
import { fetchProviderRates, ProviderFault, type ProviderConfig } from '../rates/provider.ts';
import { lastProviderDate, saveProviderRates } from '../rates/store.ts';
import { bookAggregates, lockTenantBooks, type AfterPost } from './booking.ts';
import { releasedThrough } from './process.ts';

/** Days fetched in one tick at most (a new provider starts this far back). */
export const RATE_DAYS_PER_TICK_MAX = 31;

export interface RatesDeps {
  db: Db;
  log?: Logger | undefined;
  fetchImpl?: typeof fetch | undefined;
  afterPost?: AfterPost | undefined;
}

export interface RatesOutcome {
  fetched: LocalDate[];
  saved: number;
  problems: number;
  /** Aggregates booked again because they had been booked on an estimate. */
  rebooked: number;
  fault: string | null;
}

/** Fetches the days the tenant's provider has not given yet, through `today`. */
export async function refreshProviderRates(deps: RatesDeps, tenant: Tenant, today: LocalDate): Promise<RatesOutcome> {
  const outcome: RatesOutcome = { fetched: [], saved: 0, problems: 0, rebooked: 0, fault: null };
  const config = tenant.settings.fx_provider;
  if (!config) return outcome;
  const last = await lastProviderDate(deps.db, tenant.id);
  const earliest = addDays(today, -(RATE_DAYS_PER_TICK_MAX - 1));
  let day = last && addDays(last, 1) > earliest ? addDays(last, 1) : earliest;
  for (; day <= today; day = addDays(day, 1)) {
    const saved = await fetchDay(deps, tenant, config, day, outcome);
    if (saved === null) break;
  }
  if (outcome.saved > 0) outcome.rebooked = await rebookEstimated(deps, tenant);
  deps.log?.info({ tenant: tenant.accountId, ...outcome }, 'reference rates fetched');
  return outcome;
}

/** One day: saved rows, or null when the provider failed (the rest waits for the next tick). */
async function fetchDay(
  deps: RatesDeps,
  tenant: Tenant,
  config: ProviderConfig,
  day: LocalDate,
  outcome: RatesOutcome,
): Promise<number | null> {
  try {
    const answer = await fetchProviderRates(config, day, deps.fetchImpl);
    await saveProviderRates(deps.db, tenant.id, answer.rates);
    outcome.fetched.push(day);
    outcome.saved += answer.rates.length;
    outcome.problems += answer.problems.length;
    if (answer.problems.length > 0) {
      const reason = `rate provider gave unusable rates for ${day}, dropped: ${answer.problems.slice(0, 10).join('; ')}`;
      await recordException(deps.db, tenant.id, 'fx_rates', `rates:${day}`, reason, { problems: answer.problems });
    }
    await resolveOpenExceptions(deps.db, tenant.id, 'fx_rates', 'provider', 'rates fetched again');
    return answer.rates.length;
  } catch (err) {
    if (!(err instanceof ProviderFault)) throw err;
    outcome.fault = err.message;
    const next = err.transient ? 'it is asked again at the next daily run' : 'check the tenant’s fx_provider setting';
    await recordException(deps.db, tenant.id, 'fx_rates', 'provider', `${err.message} (for ${day}); ${next}`, {
      date: day,
      url: config.url,
    });
    return null;
  }
}

/** Books again every aggregate left on an estimated rate or without one; returns how many. */
async function rebookEstimated(deps: RatesDeps, tenant: Tenant): Promise<number> {
  const rows = await deps.db
    .selectFrom('exceptions')
    .select(['details'])
    .where('tenant_id', '=', tenant.id)
    .where('kind', '=', 'engine')
    .where('status', '=', 'open')
    .where(sql<boolean>`(details ->> 'severity' = 'warning' or reason like 'no exchange rate %')`)
    .execute();
  const aggregates = new Set<string>();
  for (const r of rows) {
    const aggregate = (r.details as { aggregate?: unknown }).aggregate;
    if (typeof aggregate === 'string') aggregates.add(aggregate);
  }
  if (aggregates.size === 0) return 0;
  const through = await releasedThrough(deps.db, tenant.id);
  await deps.db.transaction().execute(async (tx) => {
    await lockTenantBooks(tx, tenant.id);
    // These exceptions close now; booking raises again any that still hold.
    await tx
      .updateTable('exceptions')
      .set({ status: 'resolved', resolved_at: new Date(), resolved_by: 'rates', note: 'new reference rates' })
      .where('tenant_id', '=', tenant.id)
      .where('kind', '=', 'engine')
      .where('status', '=', 'open')
      .where(sql<boolean>`(details ->> 'severity' = 'warning' or reason like 'no exchange rate %')`)
      .execute();
    await bookAggregates(tx, deps.afterPost, tenant, aggregates, through, 'fx-rates');
  });
  return aggregates.size;
}
