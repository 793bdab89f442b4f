/**
 * How the App's use cases reach QuickBooks: the configured OAuth client or a `not_configured`
 * error, a session of the tenant's company, and the mapping of every QuickBooks failure to our
 * error family. Token handling stays in `QboOAuth` and the token store; no use case sees a token.
 */
import { AccrueError, isAccrueError } from '../../../shared/errors.ts';
import { isQboApiError } from '../../qbo/adapter.ts';
import { openSession, type QboSession } from '../../qbo/service.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import type { AppDeps, QboDeps } from '../app-api/types.ts';

/** The QuickBooks parts, or `not_configured` naming the settings a deployment must set. */
export function requireQbo(deps: Pick<AppDeps, 'qbo'>): QboDeps {
  if (!deps.qbo) {
    throw new AccrueError(
      'not_configured',
      'QuickBooks is not configured on this Accrue server (QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REDIRECT_URI, ACCRUE_ENCRYPTION_KEY).',
    );
  }
  return deps.qbo;
}

/**
 * Maps a QuickBooks failure to our error family. A connection that needs reconnecting is
 * `not_configured` (503), never `unauthorized` (401): the App reads a 401 as "your Stripe
 * signature failed". Throttling is `rate_limited`, a refused request `invalid_input` with
 * QuickBooks' own words, anything else `upstream_unavailable`.
 */
export function qboFailure(error: unknown): AccrueError {
  if (isAccrueError(error)) {
    if (error.code === 'unauthorized') {
      return new AccrueError(
        'not_configured',
        "QuickBooks needs to be reconnected: it no longer accepts Accrue's authorization.",
        error.details,
      );
    }
    return error;
  }
  if (isQboApiError(error)) {
    const { kind, message, detail } = error.error;
    if (kind === 'throttled')
      return new AccrueError('rate_limited', 'QuickBooks is throttling requests; try again in a minute.');
    if (kind === 'auth')
      return new AccrueError('not_configured', 'QuickBooks needs to be reconnected: it refused the access token.');
    if (kind === 'validation') {
      return new AccrueError(
        'invalid_input',
        `QuickBooks refused the request: ${message}${detail ? ` (${detail})` : ''}`,
      );
    }
    return new AccrueError('upstream_unavailable', `QuickBooks did not answer (${kind}).`);
  }
  return new AccrueError('upstream_unavailable', 'QuickBooks did not answer.');
}

/** Runs `fn` with a QuickBooks session of the tenant; every failure comes back in our error family. */
export async function withQbo<T>(
  deps: Pick<AppDeps, 'qbo'>,
  tenant: Tenant,
  fn: (session: QboSession) => Promise<T>,
): Promise<T> {
  const qbo = requireQbo(deps);
  try {
    const tenantId = tenant.id.toString();
    const session = await openSession(qbo.oauth, tenantId, {
      limiterFor: qbo.limiterFor && ((realmId) => qbo.limiterFor!(tenantId, realmId)),
    });
    return await fn(session);
  } catch (error) {
    throw qboFailure(error);
  }
}
