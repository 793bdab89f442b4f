/**
 * The exception queue's actions in the Stripe App, each audited in its own transaction
 * (`app_audit`, migration 0046): exclude the object with a reason (the exception closes as
 * excluded and a later failure of the same object does not reopen it), mark it reviewed (seen
 * and understood; it stays open), and map the account it is missing to a QuickBooks account —
 * then retry it when it can be retried. Retry and resolve (exceptions.ts) are audited the same way.
 */
import type {
  ExceptionActionResponse,
  ExcludeExceptionRequest,
  MapAccountRequest,
  ReviewExceptionRequest,
} from '../../../shared/api/close.ts';
import { AccrueError } from '../../../shared/errors.ts';
import { retryExceptionIn } from '../../admin/exception-actions.ts';
import type { Db, Tx } from '../../db/database.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { bigintId, tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { auditAppAction } from '../close/audit.ts';
import { checkedAccount } from '../mapping/account-mapping.ts';
import { listChart } from '../mapping/chart.ts';
import { writeMapping } from '../mapping/mapping-store.ts';

function idOf(exceptionId: string): bigint {
  const id = bigintId(exceptionId);
  if (id === null) throw new AccrueError('not_found', `No exception ${exceptionId}.`);
  return id;
}

/** The exception, locked for the action; `not_found` when it is not this tenant's. */
async function lockedException(tx: Tx, tenant: Tenant, id: bigint) {
  const ex = await tx
    .selectFrom('exceptions')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!ex) throw new AccrueError('not_found', `No exception ${id}.`);
  return ex;
}

/** The exception as the action's answer. */
export async function exceptionAfterAction(db: Db | Tx, tenant: Tenant, id: bigint): Promise<ExceptionActionResponse> {
  const ex = await db
    .selectFrom('exceptions')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!ex) throw new AccrueError('not_found', `No exception ${id}.`);
  return {
    exception: {
      id: ex.id.toString(),
      kind: ex.kind,
      status: ex.status,
      reason: ex.reason,
      resolution: ex.resolution,
      note: ex.note,
      reviewed_at: ex.reviewed_at?.toISOString() ?? null,
      reviewed_by: ex.reviewed_by,
    },
  };
}

type OpenException = Awaited<ReturnType<typeof lockedException>>;

/**
 * Runs `act` on an open exception of the caller's tenant, locked, in one transaction with its
 * audit row (`conflict` when it is already closed); answers the exception as it is afterwards.
 */
async function actOnOpenException(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  exceptionId: string,
  audit: { action: 'exception_exclude' | 'exception_review'; note: string | null },
  act: (tx: Tx, tenant: Tenant, id: bigint) => Promise<unknown>,
): Promise<ExceptionActionResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const id = idOf(exceptionId);
  return deps.db.transaction().execute(async (tx) => {
    const ex: OpenException = await lockedException(tx, tenant, id);
    if (ex.status !== 'open') throw new AccrueError('conflict', `Exception ${id} is already closed.`);
    await act(tx, tenant, id);
    await auditAppAction(tx, tenant.id, caller, audit.action, id.toString(), audit.note, {
      kind: ex.kind,
      object: ex.object_id,
    });
    return exceptionAfterAction(tx, tenant, id);
  });
}

/** Closes an open exception as excluded, with the reason on record. */
export async function excludeException(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  exceptionId: string,
  req: ExcludeExceptionRequest,
): Promise<ExceptionActionResponse> {
  return actOnOpenException(
    deps,
    caller,
    exceptionId,
    { action: 'exception_exclude', note: req.reason },
    (tx, tenant, id) =>
      tx
        .updateTable('exceptions')
        .set({
          status: 'resolved',
          resolution: 'excluded',
          resolved_at: new Date(),
          resolved_by: caller.user.id,
          note: req.reason,
        })
        .where('tenant_id', '=', tenant.id)
        .where('id', '=', id)
        .execute(),
  );
}

/** Marks an exception reviewed by the caller; it stays open until its cause is fixed. */
export async function reviewException(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  exceptionId: string,
  req: ReviewExceptionRequest,
): Promise<ExceptionActionResponse> {
  return actOnOpenException(
    deps,
    caller,
    exceptionId,
    { action: 'exception_review', note: req.note || null },
    (tx, tenant, id) =>
      tx
        .updateTable('exceptions')
        .set({ reviewed_at: new Date(), reviewed_by: caller.user.id })
        .where('tenant_id', '=', tenant.id)
        .where('id', '=', id)
        .execute(),
  );
}

/**
 * Maps the role the exception is missing to a QuickBooks account (checked against the company's
 * chart first: `invalid_input` for an unknown, inactive or wrong-type account; `not_configured`
 * without QuickBooks), then retries the exception when it can be retried — all in one
 * transaction with the audit row, so a failed retry leaves the mapping unchanged.
 */
export async function mapExceptionAccount(
  deps: Pick<AppDeps, 'db' | 'qbo' | 'jobs'>,
  caller: AppCaller,
  exceptionId: string,
  req: MapAccountRequest,
): Promise<ExceptionActionResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const id = idOf(exceptionId);
  const chart = await listChart(deps, tenant);
  const account = checkedAccount(req.role, req.qbo_account_id, new Map(chart.map((a) => [a.Id, a])), tenant.settings);
  return deps.db.transaction().execute(async (tx) => {
    const ex = await lockedException(tx, tenant, id);
    if (ex.status !== 'open') throw new AccrueError('conflict', `Exception ${id} is already closed.`);
    await writeMapping(tx, tenant, req.role, account);
    const details = (ex.details ?? {}) as Record<string, unknown>;
    const retryable = ex.kind === 'qbo_post' || ex.kind === 'stripe_event' || typeof details['event'] === 'string';
    const retried = retryable && deps.jobs ? await retryExceptionIn(tx, deps.jobs, tenant.id, id) : null;
    await auditAppAction(tx, tenant.id, caller, 'exception_map_account', id.toString(), null, {
      role: req.role,
      qbo_account_id: req.qbo_account_id,
      retried: retried?.action ?? null,
    });
    return exceptionAfterAction(tx, tenant, id);
  });
}

/** Retries an exception with its audit row in the same transaction (`not_configured` without jobs). */
export async function auditedRetry(
  deps: Pick<AppDeps, 'db' | 'jobs'>,
  caller: AppCaller,
  tenant: Tenant,
  id: bigint,
): Promise<void> {
  const jobs = deps.jobs;
  if (!jobs)
    throw new AccrueError('not_configured', 'The job queue is not running in this process, so nothing can be retried.');
  await deps.db.transaction().execute(async (tx) => {
    const r = await retryExceptionIn(tx, jobs, tenant.id, id);
    await auditAppAction(tx, tenant.id, caller, 'exception_retry', id.toString(), null, { action: r.action });
  });
}

/** Resolves an exception with a note, audited in the same transaction. */
export async function auditedResolve(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  tenant: Tenant,
  id: bigint,
  note: string,
) {
  if (!note.trim()) throw new AccrueError('invalid_input', 'Resolving an exception needs a note.');
  await deps.db.transaction().execute(async (tx) => {
    const r = await tx
      .updateTable('exceptions')
      .set({ status: 'resolved', resolution: 'resolved', resolved_at: new Date(), resolved_by: caller.user.id, note })
      .where('tenant_id', '=', tenant.id)
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    if (!r.numUpdatedRows) throw new AccrueError('not_found', `No open exception ${id}.`);
    await auditAppAction(tx, tenant.id, caller, 'exception_resolve', id.toString(), note);
  });
}
