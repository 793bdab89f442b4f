/**
 * The role → QuickBooks account mapping as stored: one `accounts` row per role and ledger account
 * name, holding the QuickBooks account id and type it posts to.
 */
import { ACCOUNT_ROLES, ROLE_INFO, type AccountRole } from '../../../shared/accounts.ts';
import type { AccountMappingResponse } from '../../../shared/api/app.ts';
import type { TenantSettings } from '../../../shared/settings.ts';
import type { Db } from '../../db/database.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { mappingKey } from '../../qbo/posting.ts';

/** The ledger account a role posts to by default (the tenant's own name, else the role's default). */
export function roleAccountName(settings: TenantSettings, role: AccountRole): string {
  return (settings.account_names as Partial<Record<AccountRole, string>>)[role] ?? ROLE_INFO[role].defaultName;
}

/** The QuickBooks account id of every role (null when unmapped). */
export async function readMapping(db: Db, tenant: Tenant): Promise<AccountMappingResponse['mapping']> {
  const rows = await db
    .selectFrom('accounts')
    .select(['role', 'name', 'external_id'])
    .where('tenant_id', '=', tenant.id)
    .execute();
  const byKey = new Map(rows.map((r) => [mappingKey(r.role as AccountRole, r.name), r.external_id]));
  const entries = ACCOUNT_ROLES.map((role) => [
    role,
    byKey.get(mappingKey(role, roleAccountName(tenant.settings, role))) ?? null,
  ]);
  return Object.fromEntries(entries) as AccountMappingResponse['mapping'];
}

/** Maps a role's account to a QuickBooks account (or unmaps it with null). */
export async function writeMapping(
  db: Db,
  tenant: Tenant,
  role: AccountRole,
  account: { id: string; type: string } | null,
): Promise<void> {
  const external = { external_id: account?.id ?? null, external_type: account?.type ?? null };
  await db
    .insertInto('accounts')
    .values({ tenant_id: tenant.id, role, name: roleAccountName(tenant.settings, role), ...external })
    .onConflict((oc) => oc.columns(['tenant_id', 'role', 'name']).doUpdateSet(external))
    .execute();
}
