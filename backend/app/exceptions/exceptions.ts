/** The exception queue's use cases as the App sees them: list, retry, resolve (both audited, actions.ts). */
import type {
  ExceptionResponse,
  ExceptionsQuery,
  ExceptionsResponse,
  ResolveExceptionRequest,
} from '../../../shared/api/app.ts';
import { AccrueError } from '../../../shared/errors.ts';
import { listExceptions as listExceptionRows } from '../../ledger/exception-queue.ts';
import { bigintId, tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { auditedResolve, auditedRetry } from './actions.ts';
import { eventStatuses, exceptionItem, oneException } from './exception-view.ts';

/** A page of the tenant's exceptions (open, resolved or all), after the `starting_after` id. */
export async function listExceptions(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  query: ExceptionsQuery,
): Promise<ExceptionsResponse> {
  const tenant = await tenantOf(deps.db, caller);
  let after: bigint | undefined;
  if (query.starting_after !== undefined) {
    const id = bigintId(query.starting_after);
    if (id === null) throw new AccrueError('invalid_input', 'starting_after must be an exception id.');
    after = id;
  }
  // One row more than the page tells whether there is a next page.
  const filter = {
    ...(query.status === 'all' ? {} : { status: query.status }),
    limit: query.limit + 1,
    ...(after ? { after } : {}),
  };
  const rows = await listExceptionRows(deps.db, tenant.id, filter);
  const page = rows.slice(0, query.limit);
  const statuses = await eventStatuses(deps.db, tenant, page);
  return { exceptions: page.map((row) => exceptionItem(row, statuses)), has_more: rows.length > query.limit };
}

/**
 * Retries an exception (the retry is an enqueue, so it needs the job queue: `not_configured`
 * without one). An id that is not a number names no exception: `not_found`.
 */
export async function retryException(
  deps: Pick<AppDeps, 'db' | 'jobs'>,
  caller: AppCaller,
  exceptionId: string,
): Promise<ExceptionResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const id = bigintId(exceptionId);
  if (id === null) throw new AccrueError('not_found', `No exception ${exceptionId}.`);
  await auditedRetry(deps, caller, tenant, id);
  return oneException(deps.db, tenant, id);
}

/** Marks an exception resolved by the caller, with their note. */
export async function resolveException(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  exceptionId: string,
  req: ResolveExceptionRequest,
): Promise<ExceptionResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const id = bigintId(exceptionId);
  if (id === null) throw new AccrueError('not_found', `No exception ${exceptionId}.`);
  await auditedResolve(deps, caller, tenant, id, req.note);
  return oneException(deps.db, tenant, id);
}
