/**
 * The audit trail of the Stripe App's actions on the books (`app_audit`, migration 0046). Every
 * action writes its row with the transaction that does the action, so the two commit together
 * or not at all.
 */
import type { Tx } from '../../db/database.ts';
import type { AppAuditTable } from '../../db/schema.ts';
import type { AppCaller } from '../app-api/types.ts';

export type AppAuditAction = AppAuditTable['action'];

export async function auditAppAction(
  tx: Tx,
  tenantId: bigint,
  caller: AppCaller,
  action: AppAuditAction,
  target: string,
  reason: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await tx
    .insertInto('app_audit')
    .values({
      tenant_id: tenantId,
      actor: caller.user.id,
      action,
      target,
      reason,
      details: JSON.stringify({ roles: caller.user.roles, ...details }),
    })
    .execute();
}
