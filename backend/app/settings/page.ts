/**
 * The Settings page's one save: the recognition settings and the account mapping together. The
 * whole request is checked before anything is written — every setting against the schema, every
 * account against the company's QuickBooks chart (read before the transaction: no network call
 * runs inside one) — and then written in one transaction: a new settings version with its history
 * row, the mapping rows, and an audit row naming the user, what changed and the version saved.
 * Either all of it lands or none of it.
 */
import {
  REQUIRED_ACCOUNT_ROLES,
  type SettingsPageResponse,
  type SettingsPageUpdateRequest,
} from '../../../shared/api/app.ts';
import { ROLE_INFO, type AccountRole } from '../../../shared/accounts.ts';
import { AccrueError } from '../../../shared/errors.ts';
import type { TenantSettings } from '../../../shared/settings.ts';
import { changeSettingsIn, getTenantById, type Tenant } from '../../ledger/tenants.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { auditAppAction } from '../close/audit.ts';
import { checkedAccount } from '../mapping/account-mapping.ts';
import { listChart } from '../mapping/chart.ts';
import { readMapping, writeMapping } from '../mapping/mapping-store.ts';
import { checkedSettings } from './save.ts';
import { generalOf, mergedSettings } from './settings.ts';

type Resolved = [AccountRole, { id: string; type: string } | null];

/** The settings fields whose value `next` changes. */
function changedFields(current: TenantSettings, next: TenantSettings): (keyof TenantSettings)[] {
  return (Object.keys(next) as (keyof TenantSettings)[]).filter(
    (k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]),
  );
}

/** Every remapped role checked against the chart; `invalid_input` for the first one that fails. */
async function resolvedMapping(
  deps: Pick<AppDeps, 'qbo'>,
  tenant: Tenant,
  settings: TenantSettings,
  mapping: SettingsPageUpdateRequest['mapping'],
): Promise<Resolved[]> {
  const wanted = Object.entries(mapping).filter((e): e is [AccountRole, string | null] => e[1] !== undefined);
  const required = new Set<AccountRole>(REQUIRED_ACCOUNT_ROLES);
  for (const [role, id] of wanted) {
    if (id === null && required.has(role))
      throw new AccrueError(
        'invalid_input',
        `${ROLE_INFO[role].defaultName} is required: choose a QuickBooks account for it instead of none.`,
        { role },
      );
  }
  const chart = wanted.some(([, id]) => id !== null) ? await listChart(deps, tenant) : [];
  const chartById = new Map(chart.map((a) => [a.Id, a]));
  return wanted.map(([role, id]): Resolved => [
    role,
    id === null ? null : checkedAccount(role, id, chartById, settings),
  ]);
}

export async function saveSettingsPage(
  deps: Pick<AppDeps, 'db' | 'qbo' | 'log'>,
  caller: AppCaller,
  req: SettingsPageUpdateRequest,
): Promise<SettingsPageResponse> {
  const tenant = await tenantOf(deps.db, caller);
  if (tenant.settingsVersion !== req.version)
    throw new AccrueError(
      'conflict',
      `Settings changed since version ${req.version} (now ${tenant.settingsVersion}); reload and try again.`,
    );
  const next = checkedSettings(await mergedSettings(deps.db, tenant, req.settings));
  const fields = changedFields(tenant.settings, next);
  const resolved = await resolvedMapping(deps, tenant, next, req.mapping);
  const saved = await deps.db.transaction().execute(async (tx) => {
    const cur = await tx
      .selectFrom('tenants')
      .select('settings_version')
      .where('id', '=', tenant.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (cur.settings_version !== req.version)
      throw new AccrueError(
        'conflict',
        `Settings changed since version ${req.version} (now ${cur.settings_version}); reload and try again.`,
      );
    if (fields.length === 0 && resolved.length === 0) return tenant;
    const changes = Object.fromEntries(fields.map((k) => [k, next[k]])) as Partial<TenantSettings>;
    const after = fields.length > 0 ? await changeSettingsIn(tx, tenant.id, changes, caller.user.id) : tenant;
    for (const [role, account] of resolved) await writeMapping(tx, after, role, account);
    await auditAppAction(tx, tenant.id, caller, 'settings_save', `settings v${after.settingsVersion}`, null, {
      settings: fields,
      mapping: Object.fromEntries(resolved.map(([role, account]) => [role, account?.id ?? null])),
      version: after.settingsVersion,
    });
    return getTenantById(tx, tenant.id);
  });
  deps.log?.info(
    { tenant: tenant.id.toString(), user: caller.user.id, settings: fields, roles: resolved.map(([r]) => r) },
    'settings page saved',
  );
  return {
    version: saved.settingsVersion,
    settings: generalOf(saved.settings),
    mapping: await readMapping(deps.db, saved),
  };
}
