/**
 * Creating in QuickBooks the accounts the unmapped roles need (or adopting an existing account of
 * the right name and type), and mapping the roles to them.
 */
import { ACCOUNT_ROLES } from '../../../shared/accounts.ts';
import type { CreateMissingAccountsRequest, CreateMissingAccountsResponse } from '../../../shared/api/app.ts';
import { applyProposals, proposeAccounts, type RoleAccount } from '../../qbo/chart.ts';
import { mappingKey } from '../../qbo/posting.ts';
import type { QboSession } from '../../qbo/service.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { withQbo } from '../quickbooks/session.ts';
import { readMapping, roleAccountName, writeMapping } from './mapping-store.ts';

type Created = CreateMissingAccountsResponse['created'];

/** Proposes and applies the accounts in one QuickBooks session; maps each role and returns what was created. */
async function createInSession(
  deps: Pick<AppDeps, 'db'>,
  tenant: Tenant,
  needed: RoleAccount[],
  session: QboSession,
): Promise<Created> {
  const chart = await session.call((api) => api.listAccounts({ includeInactive: true }));
  const proposals = proposeAccounts(needed, chart, tenant.settings);
  const api = {
    createAccount: (a: { Name: string; AccountType: string; AccountSubType?: string }) =>
      session.call((x) => x.createAccount(a)),
    listAccounts: (o?: { includeInactive?: boolean }) => session.call((x) => x.listAccounts(o)),
  };
  const applied = await applyProposals(api, proposals);
  const created: Created = [];
  for (const proposal of proposals) {
    const made = applied.get(mappingKey(proposal.role, proposal.account));
    if (!made) continue;
    await writeMapping(deps.db, tenant, proposal.role, { id: made.id, type: made.accountType });
    if (proposal.action !== 'create') continue;
    const { Name, AccountSubType } = proposal.create;
    const account = {
      id: made.id,
      name: made.name ?? Name,
      type: made.accountType,
      sub_type: AccountSubType,
      active: true,
    };
    created.push({ role: proposal.role, account });
  }
  return created;
}

/** The requested roles (all by default) that have no account yet get one. */
export async function createMissingAccounts(
  deps: Pick<AppDeps, 'db' | 'qbo'>,
  caller: AppCaller,
  req: CreateMissingAccountsRequest,
): Promise<CreateMissingAccountsResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const mapping = await readMapping(deps.db, tenant);
  const roles = (req.roles ?? [...ACCOUNT_ROLES]).filter((role) => mapping[role] === null);
  if (roles.length === 0) return { created: [], mapping };
  const needed: RoleAccount[] = roles.map((role) => ({ role, account: roleAccountName(tenant.settings, role) }));
  const created = await withQbo(deps, tenant, (session) => createInSession(deps, tenant, needed, session));
  return { created, mapping: await readMapping(deps.db, tenant) };
}
