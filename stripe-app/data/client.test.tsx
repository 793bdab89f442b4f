/**
 * Proves the data module, the Stripe App's only door to the backend: it signs every request
 * (mode always; administrator/developer role ids only on writes), sends the identity headers
 * and the exact signed string, refuses writes for read-only users before asking Stripe to sign,
 * and turns every failure — missing API_BASE, unsignable request, network error, error body,
 * non-JSON error, off-contract answer — into an AppApiError with a stable code and a sentence.
 */
import fetchStripeSignature from '@stripe/ui-extension-sdk/signature';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signedPayloadString } from '../../shared/api/app.ts';
import { ADMIN_ROLES, contextFor, fail, fakeBackend, ok, VIEW_ONLY_ROLES } from '../testing/fakeBackend.ts';
import { AppApiError, canEditSettings, createAppClient, writeRoleIds } from './client.ts';

vi.mock('@stripe/ui-extension-sdk/signature', () => ({ default: vi.fn(async () => 't=1700000000,v1=fake') }));

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(fetchStripeSignature).mockClear();
});

const STATUS = { status: 'not_connected', company_name: null, realm_id: null, connected_at: null, message: null };

async function errorOf(p: Promise<unknown>): Promise<AppApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppApiError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('App client', () => {
  it('signs the mode on reads and sends the identity headers', async () => {
    const { calls } = fakeBackend({ 'GET /qbo/status': () => ok(STATUS) });
    const client = createAppClient(contextFor({ viewportID: 'settings', mode: 'live', roles: ADMIN_ROLES }));
    await client.getQboStatus();
    expect(vi.mocked(fetchStripeSignature)).toHaveBeenCalledWith({ mode: 'live' });
    expect(calls[0]!.headers).toMatchObject({
      'stripe-signature': 't=1700000000,v1=fake',
      'stripe-user-id': 'usr_1234',
      'stripe-account-id': 'acct_1234',
      'stripe-mode': 'live',
      'stripe-signed-payload': signedPayloadString({ mode: 'live' }, 'usr_1234', 'acct_1234'),
    });
  });

  it('signs role ids on writes, mapping display names when the host sends no ids', async () => {
    const { calls } = fakeBackend({ 'POST /qbo/disconnect': () => ok(STATUS) });
    // getMockContextProps' default user is a "Developer" without a role id.
    const client = createAppClient(contextFor({ viewportID: 'settings' }));
    await client.disconnectQbo();
    expect(vi.mocked(fetchStripeSignature)).toHaveBeenCalledWith({ mode: 'test', stripe_roles: ['developer'] });
    expect(JSON.parse(calls[0]!.headers['stripe-signed-payload']!)).toEqual({
      mode: 'test',
      stripe_roles: ['developer'],
      user_id: 'usr_1234',
      account_id: 'acct_1234',
    });
  });

  it('refuses writes for read-only users without asking Stripe to sign', async () => {
    const { calls } = fakeBackend({});
    const client = createAppClient(contextFor({ viewportID: 'settings', roles: VIEW_ONLY_ROLES }));
    const err = await errorOf(client.updateSettings({ version: 1, settings: { catch_up: false } }));
    expect(err.code).toBe('forbidden');
    expect(calls).toHaveLength(0);
    expect(vi.mocked(fetchStripeSignature)).not.toHaveBeenCalled();
  });

  it('reports a missing API_BASE constant as not_configured', async () => {
    const ctx = contextFor({ viewportID: 'settings' });
    const client = createAppClient({ ...ctx, environment: { ...ctx.environment, constants: {} } });
    expect((await errorOf(client.getSettings())).code).toBe('not_configured');
  });

  it('keeps the backend error code and message', async () => {
    fakeBackend({
      'GET /settings': () => ({ status: 409, body: { error: { code: 'conflict', message: 'Settings changed.' } } }),
    });
    const err = await errorOf(createAppClient(contextFor({ viewportID: 'settings' })).getSettings());
    expect([err.code, err.message, err.status]).toEqual(['conflict', 'Settings changed.', 409]);
  });

  it('explains a non-JSON error, a network failure, an unsignable request and an off-contract answer', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('<html>Bad gateway</html>', { status: 502 })),
    );
    const client = createAppClient(contextFor({ viewportID: 'settings' }));
    expect((await errorOf(client.getSettings())).code).toBe('upstream_unavailable');

    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new TypeError('fetch failed'))),
    );
    expect((await errorOf(client.getSettings())).message).toContain('Could not reach Accrue');

    vi.mocked(fetchStripeSignature).mockRejectedValueOnce(new Error('No such app'));
    expect((await errorOf(client.getSettings())).code).toBe('unauthorized');

    fakeBackend({ 'GET /settings': () => ok({ version: 'one', settings: {} }) });
    expect((await errorOf(client.getSettings())).code).toBe('internal');
  });

  it('encodes ids and queries into the path', async () => {
    const { calls } = fakeBackend({});
    const client = createAppClient(contextFor({ viewportID: 'settings', roles: ADMIN_ROLES }));
    await errorOf(client.getInvoiceDetail('in_1/../x'));
    await errorOf(client.deleteProductRule('prod_1', 9));
    expect(calls[0]!.path).toBe('/invoices/in_1%2F..%2Fx');
    expect([calls[1]!.method, calls[1]!.path, calls[1]!.query]).toEqual([
      'DELETE',
      '/products/prod_1/rule',
      'version=9',
    ]);
  });

  it('learns which serialization of the signed payload the backend verifies, and keeps using it', async () => {
    const extrasFirst = signedPayloadString({ mode: 'test' }, 'usr_1234', 'acct_1234');
    const identityFirst = JSON.stringify({ user_id: 'usr_1234', account_id: 'acct_1234', mode: 'test' });
    let accepted = identityFirst;
    const { calls } = fakeBackend({
      'GET /qbo/status': (call) =>
        call.headers['stripe-signed-payload'] === accepted
          ? ok(STATUS)
          : fail(401, 'unauthorized', 'The Stripe signature does not match this user and account.'),
    });
    const client = createAppClient(contextFor({ viewportID: 'settings' }));
    await client.getQboStatus();
    expect(calls.map((c) => c.headers['stripe-signed-payload'])).toEqual([extrasFirst, identityFirst]);
    // One signature for both attempts: the retry presents another string, it does not re-sign.
    expect(vi.mocked(fetchStripeSignature)).toHaveBeenCalledTimes(1);
    await client.getQboStatus();
    expect(calls[2]!.headers['stripe-signed-payload']).toBe(identityFirst);
    expect(calls).toHaveLength(3);
    // And back, leaving the default order for the other tests.
    accepted = extrasFirst;
    await client.getQboStatus();
    expect(calls.slice(3).map((c) => c.headers['stripe-signed-payload'])).toEqual([identityFirst, extrasFirst]);
  });

  it('gives up after both serializations are refused', async () => {
    const { calls } = fakeBackend({
      'GET /qbo/status': () =>
        fail(401, 'unauthorized', 'The Stripe signature has expired; reload the app and try again.'),
    });
    const err = await errorOf(createAppClient(contextFor({ viewportID: 'settings' })).getQboStatus());
    expect([err.code, err.status]).toEqual(['unauthorized', 401]);
    expect(calls).toHaveLength(2);
  });

  it('recognizes who may edit', () => {
    expect(
      writeRoleIds([
        { type: 'builtIn', id: 'super_admin', name: 'Super Administrator' },
        { type: 'builtIn', id: 'analyst', name: 'Analyst' },
      ]),
    ).toEqual(['super_admin']);
    expect(
      canEditSettings({
        userContext: {
          account: { id: 'acct_1', country: 'US', isSandbox: false },
          locale: 'en',
          roles: [{ type: 'custom', name: 'Developer-ish' }],
        },
      }),
    ).toBe(false);
  });
});
