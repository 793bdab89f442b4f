/** The QuickBooks connection as the merchant sees it: not connected, pending, connected, expired or failed. */
import type { QboStatusResponse } from '../../../shared/api/app.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import type { ConnectAttempts } from './connect-attempts.ts';

export type QboStatusDeps = Pick<AppDeps, 'db' | 'qbo'> & { attempts: ConnectAttempts };

const NOT_CONNECTED: QboStatusResponse = {
  status: 'not_connected',
  company_name: null,
  realm_id: null,
  connected_at: null,
  message: null,
};

/**
 * The status of the tenant's connection. An attempt started after the stored connection last
 * changed is `pending`; a stored connection is connected, `expired` (QuickBooks stopped accepting
 * our authorization) or `error` (revoked); without one, the last failed attempt's reason shows.
 */
export async function qboStatusOf(deps: QboStatusDeps, tenant: Tenant): Promise<QboStatusResponse> {
  if (!deps.qbo) return { ...NOT_CONNECTED, message: 'QuickBooks is not configured on this Accrue server.' };
  const tenantId = tenant.id.toString();
  // Read the status columns only: the status never needs the (encrypted) tokens.
  const connection = await deps.db
    .selectFrom('qbo_connections')
    .select(['realm_id', 'status', 'status_reason', 'updated_at'])
    .where('tenant_id', '=', tenant.id)
    .executeTakeFirst();
  const started = await deps.attempts.latestPending(tenantId);
  if (started && (!connection || started.started_ms > connection.updated_at.getTime())) {
    const message = 'Waiting for you to finish signing in to QuickBooks in the other tab.';
    return { ...NOT_CONNECTED, status: 'pending', realm_id: connection?.realm_id ?? null, message };
  }
  if (connection) {
    const base = {
      company_name: null,
      realm_id: connection.realm_id,
      connected_at: connection.updated_at.toISOString(),
    };
    if (connection.status === 'active') return { ...base, status: 'connected', message: null };
    if (connection.status === 'needs_reconnect') {
      const reason = connection.status_reason ? ` (${connection.status_reason})` : '';
      const message = `QuickBooks stopped accepting Accrue's authorization${reason}. Reconnect QuickBooks to resume posting.`;
      return { ...base, status: 'expired', message };
    }
    return {
      ...base,
      status: 'error',
      message: 'The QuickBooks connection was revoked. Connect QuickBooks again to resume posting.',
    };
  }
  const lastFailure = await deps.attempts.lastFailure(tenantId);
  if (lastFailure) return { ...NOT_CONNECTED, status: 'error', message: lastFailure.message };
  return NOT_CONNECTED;
}

export async function getQboStatus(deps: QboStatusDeps, caller: AppCaller): Promise<QboStatusResponse> {
  return qboStatusOf(deps, await tenantOf(deps.db, caller));
}
