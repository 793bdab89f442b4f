/**
 * Saving a new version of a tenant's settings from the App: the one path the Settings view and the
 * product rule editor both write through.
 */
import { AccrueError } from '../../../shared/errors.ts';
import { TenantSettingsSchema, type TenantSettings } from '../../../shared/settings.ts';
import type { Db } from '../../db/database.ts';
import { updateSettings, type Tenant } from '../../ledger/tenants.ts';
import type { AppCaller } from '../app-api/types.ts';

/**
 * Saves `next` on top of `expectedVersion`. The App sends the version it showed the user: when
 * someone saved in between, the write is a `conflict` (409) and the user reloads, instead of
 * silently undoing the other change. Settings that do not pass the schema are `invalid_input`
 * naming the first bad field. The history row records `caller.user.id`.
 */
export async function saveVersion(
  db: Db,
  caller: AppCaller,
  tenant: Tenant,
  next: TenantSettings,
  expectedVersion: number,
): Promise<Tenant> {
  if (tenant.settingsVersion !== expectedVersion) {
    throw new AccrueError(
      'conflict',
      `Settings changed since version ${expectedVersion} (now ${tenant.settingsVersion}); reload and try again.`,
    );
  }
  return updateSettings(db, tenant.id, checkedSettings(next), expectedVersion, caller.user.id);
}

/** `next` as the schema reads it, or `invalid_input` naming the first bad field. */
export function checkedSettings(next: TenantSettings): TenantSettings {
  const parsed = TenantSettingsSchema.safeParse(next);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = `${issue?.path.join('.') ?? ''}${issue ? ': ' : ''}`;
    throw new AccrueError('invalid_input', `Invalid settings: ${where}${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
