/**
 * The Settings view's use cases: read and update the tenant's general settings (product rules and
 * account names have their own use cases under rules/ and mapping/).
 */
import type { SettingsResponse, SettingsUpdateRequest } from '../../../shared/api/app.ts';
import { AccrueError } from '../../../shared/errors.ts';
import type { TenantSettings } from '../../../shared/settings.ts';
import type { Db } from '../../db/database.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { saveVersion } from './save.ts';

/** The general settings the Settings view edits. */
export function generalOf(settings: TenantSettings): SettingsResponse['settings'] {
  return {
    functional_currency: settings.functional_currency,
    reporting_time_zone: settings.reporting_time_zone,
    amortization: settings.amortization,
    catch_up: settings.catch_up,
    discounts_as_contra: settings.discounts_as_contra,
    recover_as_gains: settings.recover_as_gains,
    bad_debt_as_contra: settings.bad_debt_as_contra,
    close_policy: settings.close_policy,
    period_calendar: settings.period_calendar,
    posting_mode: settings.posting_mode,
    connect_revenue: settings.connect_revenue,
    accrue_unbilled_usage: settings.accrue_unbilled_usage,
    revalue_monetary_balances: settings.revalue_monetary_balances,
    termination_credits: settings.termination_credits,
    breakage_after_months: settings.breakage_after_months,
    breakage_rate: settings.breakage_rate,
    escheat_share: settings.escheat_share,
  };
}

export async function getSettings(deps: Pick<AppDeps, 'db'>, caller: AppCaller): Promise<SettingsResponse> {
  const tenant = await tenantOf(deps.db, caller);
  return { version: tenant.settingsVersion, settings: generalOf(tenant.settings) };
}

/** True once the tenant has booked any entry. */
async function hasEntries(db: Db, tenantId: bigint): Promise<boolean> {
  const booked = await db
    .selectFrom('journal_entries')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .limit(1)
    .executeTakeFirst();
  return booked !== undefined;
}

/**
 * The settings with the request's fields merged in (omitted fields keep their values), or a
 * `conflict` when they would move the functional currency or the reporting time zone of books that
 * already hold entries: every posted amount and period boundary takes its meaning from those two,
 * so changing either then would silently re-read the books.
 */
export async function mergedSettings(
  db: Db,
  tenant: Tenant,
  requested: SettingsUpdateRequest['settings'],
): Promise<TenantSettings> {
  const current = tenant.settings;
  const changes = Object.fromEntries(
    Object.entries(requested).filter(([, v]) => v !== undefined),
  ) as Partial<TenantSettings>;
  const moves =
    (changes.functional_currency !== undefined && changes.functional_currency !== current.functional_currency) ||
    (changes.reporting_time_zone !== undefined && changes.reporting_time_zone !== current.reporting_time_zone);
  if (moves && (await hasEntries(db, tenant.id))) {
    throw new AccrueError(
      'conflict',
      'The functional currency and reporting time zone cannot change once entries are booked.',
    );
  }
  return { ...current, ...changes };
}

/**
 * Merges the fields the request sets into the settings and saves them as a new version
 * (`conflict` when `req.version` is stale).
 */
export async function updateSettings(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  req: SettingsUpdateRequest,
): Promise<SettingsResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const next = await saveVersion(
    deps.db,
    caller,
    tenant,
    await mergedSettings(deps.db, tenant, req.settings),
    req.version,
  );
  return { version: next.settingsVersion, settings: generalOf(next.settings) };
}
