/** The company's chart of accounts as the App reads it from QuickBooks. */
import type { QboAccount as QboAccountItem, QboAccountsResponse } from '../../../shared/api/app.ts';
import type { QboAccount } from '../../qbo/adapter.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { withQbo } from '../quickbooks/session.ts';

/** Every account of the tenant's company, inactive ones too (a mapping may point at one). */
export function listChart(deps: Pick<AppDeps, 'qbo'>, tenant: Tenant): Promise<QboAccount[]> {
  return withQbo(deps, tenant, (session) => session.call((api) => api.listAccounts({ includeInactive: true })));
}

function toQboAccountItem(account: QboAccount): QboAccountItem {
  return {
    id: account.Id,
    name: account.Name,
    type: account.AccountType,
    sub_type: account.AccountSubType ?? null,
    active: account.Active !== false,
  };
}

/** The chart for the mapping picker, by name. */
export async function listQboAccounts(
  deps: Pick<AppDeps, 'db' | 'qbo'>,
  caller: AppCaller,
): Promise<QboAccountsResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const chart = await listChart(deps, tenant);
  const accounts = chart.map(toQboAccountItem).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return { accounts };
}
