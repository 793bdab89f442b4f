/** Starting and ending the QuickBooks connection from the App (the callback is in callback.ts). */
import type { QboConnectResponse, QboStatusResponse } from '../../../shared/api/app.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import type { ConnectAttempts } from './connect-attempts.ts';
import { qboFailure, requireQbo } from './session.ts';
import { qboStatusOf } from './status.ts';

type ConnectDeps = Pick<AppDeps, 'db' | 'qbo' | 'log'> & { attempts: ConnectAttempts };

/**
 * Starts the Intuit OAuth handshake bound to the caller's tenant: a signed, single-use state in
 * the authorization URL, remembered as a pending attempt until it expires.
 */
export async function startQboConnect(deps: ConnectDeps, caller: AppCaller): Promise<QboConnectResponse> {
  const qbo = requireQbo(deps);
  const tenant = await tenantOf(deps.db, caller);
  const { url, state } = qbo.oauth.authorizationUrl(tenant.id.toString());
  const attempt = await deps.attempts.start(state, tenant.id.toString());
  return { authorization_url: url, expires_at: new Date(attempt.expires_ms).toISOString() };
}

/** Revokes the authorization at Intuit (the OAuth client deletes the tokens) and forgets the tenant's attempts. */
export async function disconnectQbo(deps: ConnectDeps, caller: AppCaller): Promise<QboStatusResponse> {
  const qbo = requireQbo(deps);
  const tenant = await tenantOf(deps.db, caller);
  const tenantId = tenant.id.toString();
  try {
    await qbo.oauth.revoke(tenantId);
  } catch (error) {
    throw qboFailure(error);
  }
  await deps.attempts.forgetTenant(tenantId);
  deps.log?.info({ tenant: tenantId, user: caller.user.id }, 'QuickBooks disconnected');
  return qboStatusOf(deps, tenant);
}
