/** Backfill progress in the Stripe App: per Stripe resource, how many objects were listed and whether it is done. */
import type { BackfillResponse } from '../../../shared/api/close.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';

export async function getBackfillProgress(deps: Pick<AppDeps, 'db'>, caller: AppCaller): Promise<BackfillResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const rows = await deps.db
    .selectFrom('backfill_progress')
    .select(['resource', 'items', 'done', 'updated_at'])
    .where('tenant_id', '=', tenant.id)
    .orderBy('resource')
    .execute();
  return {
    started: rows.length > 0,
    done: rows.length > 0 && rows.every((r) => r.done),
    resources: rows.map((r) => ({
      resource: r.resource,
      items: r.items,
      done: r.done,
      updated_at: r.updated_at.toISOString(),
    })),
  };
}
