/**
 * One App API client per view and context: rebuilt only when the user, account, mode or backend
 * base URL changes, so effects that depend on it do not refire on every render.
 */
import { useMemo } from 'react';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { canEditSettings, createAppClient, type AppClient } from '../data/client.ts';

/** The client and whether the signed-in user may change settings. */
export function useAppClient(context: ExtensionContextValue): { client: AppClient; canEdit: boolean } {
  const { userContext, environment } = context;
  const roleKey = (userContext.roles ?? []).map((r) => `${r.id ?? ''}:${r.name}`).join(',');
  const baseKey = JSON.stringify(environment.constants ?? null);
  return useMemo(
    () => ({ client: createAppClient({ userContext, environment }), canEdit: canEditSettings({ userContext }) }),
    // Keyed on identity, not object identity: the host passes fresh context objects on each render.
    [userContext.id, userContext.account.id, environment.mode, roleKey, baseKey],
  );
}
