/**
 * Calls the Stripe App's use cases directly, without HTTP or `createAppService`: each is a plain
 * function of its dependencies, the verified caller and the input. Proves that settings are
 * versioned (a stale version is a `conflict` and changes nothing), that a product rule is stored
 * in the settings only for a product Stripe has, and that the QuickBooks connect attempts expire
 * with their OAuth state and stay within their limit (oldest forgotten first).
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppCaller, QboDeps } from '../../backend/app/app-api/types.ts';
import { getQboStatus } from '../../backend/app/quickbooks/status.ts';
import { startQboConnect } from '../../backend/app/quickbooks/connect.ts';
import { ConnectAttempts, PENDING_CONNECTS_MAX } from '../../backend/app/quickbooks/connect-attempts.ts';
import { deleteProductRule, getProductRule, putProductRule } from '../../backend/app/rules/product-rules.ts';
import { getSettings, updateSettings } from '../../backend/app/settings/settings.ts';
import { getTenant, settingsHistory } from '../../backend/ledger/tenants.ts';
import { OAUTH_STATE_TTL_MS } from '../../backend/qbo/oauth.ts';
import { isAccrueError } from '../../shared/errors.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const NOW_MS = Date.parse('2026-03-15T12:00:00Z');

function callerOf(accountId: string, user = 'usr_use_cases'): AppCaller {
  return { tenant: { accountId, livemode: false }, user: { id: user, roles: ['admin'] } };
}

/** The AccrueError code a promise rejects with (fails the test if it resolves). */
async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isAccrueError(error)) return error.code;
    throw error;
  }
  throw new Error('expected the use case to fail');
}

/** A Stripe client that knows one product of one account; any other id is Stripe's 404. */
function stripeWithProduct(accountId: string, productId: string): Stripe {
  const retrieve = async (id: string, _params: unknown, options: { stripeAccount?: string }) => {
    if (id !== productId || options.stripeAccount !== accountId)
      throw Object.assign(new Error('No such product'), { statusCode: 404 });
    return { id, object: 'product', name: 'Annual plan', active: true, default_price: null };
  };
  return { products: { retrieve } } as unknown as Stripe;
}

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});

afterAll(async () => {
  await t?.close();
});

describe('settings use cases', () => {
  it('saves on top of the current version and refuses a stale one without changing anything', async () => {
    const caller = callerOf('acct_UseCasesSettings', 'usr_carol');
    const first = await getSettings({ db: t.db }, caller);
    expect(first.version).toBe(1);

    const saved = await updateSettings({ db: t.db }, caller, { version: 1, settings: { catch_up: false } });
    expect(saved.version).toBe(2);
    expect(saved.settings.catch_up).toBe(false);

    expect(await errorCode(updateSettings({ db: t.db }, caller, { version: 1, settings: { catch_up: true } }))).toBe(
      'conflict',
    );
    const after = await getSettings({ db: t.db }, caller);
    expect(after).toEqual(saved);

    const tenant = await getTenant(t.db, caller.tenant);
    const history = await settingsHistory(t.db, tenant.id);
    expect(history.map((h) => [h.version, h.changed_by])).toEqual([
      [2, 'usr_carol'],
      [1, 'usr_carol'],
    ]);
  });
});

describe('product rule use cases', () => {
  const account = 'acct_UseCasesRules';
  const caller = callerOf(account);
  const deps = () => ({ db: t.db, stripe: stripeWithProduct(account, 'prod_Annual'), clock: { now_ms: () => NOW_MS } });

  it('stores a rule for a product Stripe has, reads it back, and deletes it as a new version', async () => {
    const { version } = await getSettings({ db: t.db }, caller);
    const put = await putProductRule(deps(), caller, 'prod_Annual', {
      version,
      rule: { rule: 'custom_term', term_months: 12 },
    });
    expect(put).toMatchObject({
      version: version + 1,
      rule: { rule: 'custom_term', term_months: 12 },
      product: { id: 'prod_Annual', name: 'Annual plan' },
    });

    const got = await getProductRule(deps(), caller, 'prod_Annual');
    expect(got.rule).toEqual({ rule: 'custom_term', term_months: 12 });
    expect(got.version).toBe(version + 1);

    expect(await errorCode(putProductRule(deps(), caller, 'prod_Annual', { version, rule: { rule: 'exclude' } }))).toBe(
      'conflict',
    );

    const deleted = await deleteProductRule(deps(), caller, 'prod_Annual', { version: version + 1 });
    expect(deleted).toMatchObject({ rule: null, version: version + 2 });
    expect(await errorCode(deleteProductRule(deps(), caller, 'prod_Annual', { version: version + 2 }))).toBe(
      'not_found',
    );
  });

  it('refuses a rule for a product this account does not have in Stripe', async () => {
    const { version } = await getSettings({ db: t.db }, caller);
    expect(await errorCode(putProductRule(deps(), caller, 'prod_Other', { version, rule: { rule: 'exclude' } }))).toBe(
      'not_found',
    );
    expect((await getSettings({ db: t.db }, caller)).version).toBe(version);
  });
});

describe('QuickBooks connect attempts', () => {
  it('expire with the OAuth state: the status is pending until then', async () => {
    let now = NOW_MS;
    const clock = { now_ms: () => now };
    const attempts = new ConnectAttempts(t.db, clock);
    const oauth = {
      authorizationUrl: (tenantId: string) => ({
        url: `https://intuit.example/auth?t=${tenantId}`,
        state: `state-${tenantId}`,
      }),
    };
    const deps = { db: t.db, qbo: { oauth } as unknown as QboDeps, attempts };
    const caller = callerOf('acct_UseCasesConnect');

    const started = await startQboConnect(deps, caller);
    expect(started.expires_at).toBe(new Date(NOW_MS + OAUTH_STATE_TTL_MS).toISOString());
    expect((await getQboStatus(deps, caller)).status).toBe('pending');

    now = NOW_MS + OAUTH_STATE_TTL_MS - 1;
    expect((await getQboStatus(deps, caller)).status).toBe('pending');
    now = NOW_MS + OAUTH_STATE_TTL_MS;
    expect((await getQboStatus(deps, caller)).status).toBe('not_connected');
  });

  it('keep at most their limit, forgetting the oldest first, and a state is taken once', async () => {
    let now = NOW_MS;
    await t.db.deleteFrom('qbo_connect_attempts').execute(); // the limit counts every tenant's attempts
    const attempts = new ConnectAttempts(t.db, { now_ms: () => now }, 3);
    for (const n of [1, 2, 3, 4]) {
      now = NOW_MS + n;
      await attempts.start(`state-${n}`, `${n}`);
    }
    expect(await attempts.size()).toBe(3);
    expect(await attempts.take('state-1')).toBeUndefined();
    expect(await attempts.take('state-2')).toMatchObject({
      tenantId: '2',
      started_ms: NOW_MS + 2,
      expires_ms: NOW_MS + 2 + OAUTH_STATE_TTL_MS,
    });
    expect(await attempts.take('state-2')).toBeUndefined();
    // Another process (another instance on the same database) sees the same attempts.
    const elsewhere = new ConnectAttempts(t.db, { now_ms: () => now }, 3);
    expect((await elsewhere.latestPending('4'))?.tenantId).toBe('4');
    expect((await elsewhere.take('state-3'))?.tenantId).toBe('3');
    expect(await attempts.take('state-3')).toBeUndefined();
    expect(PENDING_CONNECTS_MAX).toBe(1_000);
  });

  it('remember a failure until the next attempt, and forget the tenant on disconnect', async () => {
    const attempts = new ConnectAttempts(t.db, { now_ms: () => NOW_MS });
    await attempts.recordFailure('7', 'QuickBooks refused the sign-in');
    expect((await attempts.lastFailure('7'))?.message).toBe('QuickBooks refused the sign-in');
    await attempts.start('state-7', '7');
    expect(await attempts.lastFailure('7')).toBeUndefined();
    await attempts.recordFailure('7', 'again');
    await attempts.forgetTenant('7');
    expect(await attempts.latestPending('7')).toBeUndefined();
    expect(await attempts.lastFailure('7')).toBeUndefined();
  });
});
