/**
 * The rates a tenant's provider gave (`fx_provider_rates`), and the rate table the engine books
 * with: the tenant's own `fx_rates` first, the provider's rows for every date and pair the tenant
 * did not set itself.
 */
import { sql } from 'kysely';
import type { FxRate, TenantSettings } from '../../shared/settings.ts';
import type { Db, Tx } from '../db/database.ts';
import type { ProviderRate } from './provider.ts';

/** Saves a day's rates (a rate fetched again replaces the earlier one). */
export async function saveProviderRates(tx: Db | Tx, tenantId: bigint, rates: readonly ProviderRate[]): Promise<void> {
  if (rates.length === 0) return;
  await tx
    .insertInto('fx_provider_rates')
    .values(
      rates.map((r) => ({
        tenant_id: tenantId,
        rate_date: r.date,
        from_currency: r.from,
        to_currency: r.to,
        rate: r.rate,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'rate_date', 'from_currency', 'to_currency'])
        .doUpdateSet({ rate: sql`excluded.rate`, fetched_at: sql`now()` }),
    )
    .execute();
}

/** Every rate the tenant's provider gave, oldest first. */
export async function loadProviderRates(tx: Db | Tx, tenantId: bigint): Promise<FxRate[]> {
  const rows = await tx
    .selectFrom('fx_provider_rates')
    .select(['rate_date', 'from_currency', 'to_currency', 'rate'])
    .where('tenant_id', '=', tenantId)
    .orderBy('rate_date')
    .orderBy('from_currency')
    .orderBy('to_currency')
    .execute();
  return rows.map((r) => ({ date: r.rate_date, from: r.from_currency, to: r.to_currency, rate: r.rate }));
}

/** The last date the provider has a rate for, or null. */
export async function lastProviderDate(tx: Db | Tx, tenantId: bigint): Promise<string | null> {
  const row = await tx
    .selectFrom('fx_provider_rates')
    .select((eb) => eb.fn.max('rate_date').as('last'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return (row?.last as string | null | undefined) ?? null;
}

/** The settings the engine books with: the tenant's own rates, then the provider's for what they do not cover. */
export function withProviderRates(settings: TenantSettings, provider: readonly FxRate[]): TenantSettings {
  if (provider.length === 0) return settings;
  const own = new Set<string>();
  for (const r of settings.fx_rates) {
    own.add(`${r.date}|${r.from}|${r.to}`);
    own.add(`${r.date}|${r.to}|${r.from}`);
  }
  const added = provider.filter((r) => !own.has(`${r.date}|${r.from}|${r.to}`));
  return { ...settings, fx_rates: [...settings.fx_rates, ...added] };
}
