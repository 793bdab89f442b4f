/**
 * Completing a QuickBooks connect from Intuit's redirect. This step arrives without a Stripe
 * signature: the signed, single-use OAuth `state` is its authentication.
 */
import { AccrueError, isAccrueError } from '../../../shared/errors.ts';
import type { AppDeps, QboCallbackOutcome } from '../app-api/types.ts';
import type { ConnectAttempts, PendingConnect } from './connect-attempts.ts';

type FailedCallback = Extract<QboCallbackOutcome, { ok: false }>;

export type QboCallbackDeps = Pick<AppDeps, 'db' | 'qbo' | 'log'> & { attempts: ConnectAttempts };

/**
 * The tenant id a `state` claims (`QboOAuth.authorizationUrl` makes it base64url JSON `{t, n, e}`
 * and a MAC), WITHOUT verifying it; null when it does not parse. Only ever used to refuse early.
 */
function tenantHintOf(state: string): string | null {
  try {
    const payload = JSON.parse(Buffer.from(state.split('.')[0] ?? '', 'base64url').toString('utf8')) as { t?: unknown };
    return typeof payload.t === 'string' && /^\d{1,18}$/.test(payload.t) ? payload.t : null;
  } catch {
    return null;
  }
}

/**
 * Test and live books (and two Stripe accounts) never share a QuickBooks company: the refusal
 * when `realmId` is connected to another tenant, checked BEFORE the code is exchanged so a refusal
 * leaves no grant behind. The claimed tenant is only a hint (the exchange verifies the state), so
 * a forged hint can do no more than refuse its own request.
 */
async function realmInUse(
  deps: QboCallbackDeps,
  query: URLSearchParams,
  state: string,
  attempt: PendingConnect | undefined,
): Promise<QboCallbackOutcome | null> {
  const claimed = attempt?.tenantId ?? tenantHintOf(state);
  const realmId = query.get('realmId');
  if (claimed === null || !realmId || query.get('error') !== null) return null;
  const other = await deps.db
    .selectFrom('qbo_connections')
    .select('tenant_id')
    .where('realm_id', '=', realmId)
    .where('tenant_id', '!=', BigInt(claimed))
    .where('status', '!=', 'revoked')
    .executeTakeFirst();
  if (!other) return null;
  const message =
    'This QuickBooks company is already connected to another Stripe account or mode (test and live books stay apart). ' +
    'Disconnect it there first, or choose another company.';
  if (attempt) await deps.attempts.recordFailure(attempt.tenantId, message);
  deps.log?.info({ tenant: claimed, realm: realmId }, 'QuickBooks company already connected to another tenant');
  return { ok: false, reason: 'realm_in_use', message };
}

/**
 * What a failed exchange means to the merchant: `denied` when they cancelled at Intuit, `bad_state`
 * when the state was already used or expired, `exchange_failed` when Intuit refused the code,
 * `upstream` when Intuit did not answer.
 */
function failedOutcome(err: AccrueError, query: URLSearchParams): { outcome: FailedCallback; stateProblem: boolean } {
  const denied = query.get('error') !== null && err.code === 'forbidden' && /consent/i.test(err.message);
  const stateProblem = err.code === 'forbidden' && /state/i.test(err.message);
  const outcome: FailedCallback = denied
    ? { ok: false, reason: 'denied', message: 'The QuickBooks connection was cancelled in QuickBooks.' }
    : stateProblem
      ? {
          ok: false,
          reason: 'bad_state',
          message:
            'This QuickBooks sign-in link was already used or has expired. Start the connection again from the Accrue app in Stripe.',
        }
      : err.code === 'forbidden'
        ? {
            ok: false,
            reason: 'exchange_failed',
            message:
              'QuickBooks refused the sign-in (the code was already used or expired). Start the connection again.',
          }
        : {
            ok: false,
            reason: 'upstream',
            message:
              'QuickBooks did not answer while finishing the connection. Start the connection again in a moment.',
          };
  return { outcome, stateProblem };
}

/** Completes a connect from Intuit's redirect (full URL or query string); never throws. */
export async function completeQboConnect(deps: QboCallbackDeps, callbackUrl: string): Promise<QboCallbackOutcome> {
  if (!deps.qbo)
    return { ok: false, reason: 'not_configured', message: 'QuickBooks is not configured on this Accrue server.' };
  const query = new URLSearchParams(
    callbackUrl.includes('?') ? callbackUrl.slice(callbackUrl.indexOf('?') + 1) : callbackUrl,
  );
  const state = query.get('state') ?? '';
  const attempt = await deps.attempts.take(state);
  const refused = await realmInUse(deps, query, state, attempt);
  if (refused) return refused;
  try {
    const { tenantId, realmId } = await deps.qbo.oauth.handleCallback(callbackUrl);
    await deps.attempts.succeeded(tenantId);
    deps.log?.info({ tenant: tenantId, realm: realmId }, 'QuickBooks connected');
    return { ok: true, realmId };
  } catch (error) {
    const err = isAccrueError(error) ? error : new AccrueError('upstream_unavailable', 'QuickBooks did not answer.');
    const { outcome, stateProblem } = failedOutcome(err, query);
    // Only an attempt we issued records its failure for the status view; a replayed or forged
    // state never touches any tenant's status.
    if (attempt && !stateProblem) await deps.attempts.recordFailure(attempt.tenantId, outcome.message);
    deps.log?.info({ reason: outcome.reason, code: err.code }, 'QuickBooks connect did not complete');
    return outcome;
  }
}
