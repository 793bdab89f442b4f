/** Reading and changing which QuickBooks account each role of the ledger posts to. */
import type { AccountRole, RolePresentation } from '../../../shared/accounts.ts';
import type { AccountMappingResponse, AccountMappingUpdateRequest } from '../../../shared/api/app.ts';
import { AccrueError } from '../../../shared/errors.ts';
import type { QboAccount } from '../../qbo/adapter.ts';
import { allowedAccountTypes } from '../../qbo/chart.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { listChart } from './chart.ts';
import { readMapping, writeMapping } from './mapping-store.ts';

export async function getAccountMapping(deps: Pick<AppDeps, 'db'>, caller: AppCaller): Promise<AccountMappingResponse> {
  const tenant = await tenantOf(deps.db, caller);
  return { mapping: await readMapping(deps.db, tenant) };
}

type MappedAccount = { id: string; type: string } | null;

/**
 * The QuickBooks account a role may be mapped to, or `invalid_input` saying why not: the id is not
 * in the company's chart, the account is inactive, or its type is not one the role allows.
 */
export function checkedAccount(
  role: AccountRole,
  id: string,
  chartById: ReadonlyMap<string, QboAccount>,
  presentation: RolePresentation,
): MappedAccount {
  const account = chartById.get(id);
  if (!account)
    throw new AccrueError('invalid_input', `QuickBooks has no account ${id} (mapping for ${role}).`, {
      role,
      account: id,
    });
  if (account.Active === false) {
    throw new AccrueError(
      'invalid_input',
      `QuickBooks account "${account.Name}" is inactive; ${role} needs an active account.`,
      {
        role,
        account: id,
      },
    );
  }
  const allowed = allowedAccountTypes(role, presentation);
  if (!allowed.includes(account.AccountType)) {
    throw new AccrueError(
      'invalid_input',
      `"${account.Name}" is ${account.AccountType}; ${role} needs one of ${allowed.join(', ')}.`,
      {
        role,
        account: id,
      },
    );
  }
  return { id: account.Id, type: account.AccountType };
}

/** Maps the roles the request names; the chart is read from QuickBooks only when an id needs checking. */
export async function updateAccountMapping(
  deps: Pick<AppDeps, 'db' | 'qbo' | 'log'>,
  caller: AppCaller,
  req: AccountMappingUpdateRequest,
): Promise<AccountMappingResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const wanted = Object.entries(req.mapping).filter((e): e is [AccountRole, string | null] => e[1] !== undefined);
  const chart = wanted.some(([, id]) => id !== null) ? await listChart(deps, tenant) : [];
  const chartById = new Map(chart.map((a) => [a.Id, a]));
  // Check every role first, so one bad id leaves the whole mapping unchanged.
  const resolved = wanted.map(([role, id]): [AccountRole, MappedAccount] => [
    role,
    id === null ? null : checkedAccount(role, id, chartById, tenant.settings),
  ]);
  for (const [role, account] of resolved) await writeMapping(deps.db, tenant, role, account);
  deps.log?.info(
    { tenant: tenant.id.toString(), user: caller.user.id, roles: resolved.map(([r]) => r) },
    'account mapping changed',
  );
  return { mapping: await readMapping(deps.db, tenant) };
}
