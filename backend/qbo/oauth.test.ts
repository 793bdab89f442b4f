// Proves the QuickBooks connection lifecycle against the fake with the real intuit-oauth and
// node-quickbooks: consent → callback → API call → refresh with rotation (the NEW refresh token is
// kept, the old one dies) → single-flight refresh → revoke; a replayed or forged state is refused;
// invalid_grant marks the connection needs_reconnect.
import { startFakeQbo, type FakeQbo } from '../sandbox/qbo/server.ts';
import { QboAdapter, QboApiError } from './adapter.ts';
import { configureQboEndpoints } from './endpoints.ts';
import { configureOAuthRetries, InMemoryStateStore, InMemoryTokenStore, QboOAuth } from './oauth.ts';

const CLIENT = { clientId: 'client-abc', clientSecret: 'secret-xyz' };
const REDIRECT = 'https://accrue.test/qbo/callback';

let fake: FakeQbo;
let realmId: string;

beforeAll(async () => {
  // Rotate on every refresh and kill the old value at once, so rotation is observable in one test.
  fake = await startFakeQbo({ refreshRotateAfter_ms: 0, oldRefreshGrace_ms: 0 });
  fake.registerApp({ ...CLIENT, redirectUris: [REDIRECT] });
  realmId = fake.createRealm({ companyName: 'Acme' });
  configureQboEndpoints({ QBO_API_BASE: fake.url, QBO_OAUTH_BASE: fake.url });
  configureOAuthRetries({ retryDelay_ms: 1 });
});
afterAll(async () => fake.close());

function makeOAuth(tokens = new InMemoryTokenStore()): { oauth: QboOAuth; tokens: InMemoryTokenStore } {
  const oauth = new QboOAuth({
    ...CLIENT,
    redirectUri: REDIRECT,
    stateSecret: 'x'.repeat(32),
    tokens,
    states: new InMemoryStateStore(),
  });
  return { oauth, tokens };
}

async function consent(oauth: QboOAuth, tenantId: string): Promise<string> {
  const { url } = oauth.authorizationUrl(tenantId);
  expect(url.startsWith(`${fake.url}/connect/oauth2?`)).toBe(true);
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return res.headers.get('location')!;
}

describe('QuickBooks OAuth round trip', () => {
  it('connects, calls the API, refreshes with rotation, single-flights refreshes, and revokes', async () => {
    const { oauth, tokens } = makeOAuth();
    const callback = await consent(oauth, 'tenant-1');
    const { tenantId, realmId: connectedRealm } = await oauth.handleCallback(callback);
    expect(tenantId).toBe('tenant-1');
    expect(connectedRealm).toBe(realmId);

    const first = (await tokens.get('tenant-1'))!;
    const api = new QboAdapter({ realmId, accessToken: first.accessToken });
    const accounts = await api.listAccounts();
    expect(accounts.map((a) => a.Name)).toContain('Checking');

    // Replaying the callback is refused on the state, before the code is ever re-sent.
    await expect(oauth.handleCallback(callback)).rejects.toThrow(/already used/);

    const refreshed = await oauth.refresh('tenant-1');
    expect(refreshed.refreshToken).not.toBe(first.refreshToken);
    expect((await tokens.get('tenant-1'))!.refreshToken).toBe(refreshed.refreshToken);
    // The old refresh token is dead: presenting it again is invalid_grant → needs_reconnect.
    const { oauth: stale, tokens: staleTokens } = makeOAuth();
    await staleTokens.save({ ...first });
    await expect(stale.refresh('tenant-1')).rejects.toThrow(/reconnected/);
    expect((await staleTokens.get('tenant-1'))!.status).toBe('needs_reconnect');

    // Five concurrent refreshes send ONE request, and all callers get the same new token.
    const before = fake.oauthStats().refreshCalls;
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => oauth.refresh('tenant-1')));
    expect(fake.oauthStats().refreshCalls - before).toBe(1);
    expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1);
    expect(oauth.refreshCalls).toBe(2);

    const latest = (await tokens.get('tenant-1'))!;
    const api2 = new QboAdapter({ realmId, accessToken: latest.accessToken });
    expect((await api2.getPreferences()).CurrencyPrefs?.HomeCurrency?.value).toBe('USD');

    await oauth.revoke('tenant-1');
    expect(await tokens.get('tenant-1')).toBeUndefined();
    const err = await api2.getPreferences().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QboApiError);
    expect((err as QboApiError).error).toMatchObject({ kind: 'auth', code: '3200', status: 401 });
  });

  it('refuses forged and expired state', async () => {
    const { oauth } = makeOAuth();
    const callback = await consent(oauth, 'tenant-2');
    const forged = callback.replace(
      /state=([^&]+)/,
      (_m, s: string) => `state=${decodeURIComponent(s).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))}`,
    );
    await expect(oauth.handleCallback(forged)).rejects.toThrow(/signature/);

    const later = new QboOAuth({
      ...CLIENT,
      redirectUri: REDIRECT,
      stateSecret: 'x'.repeat(32),
      tokens: new InMemoryTokenStore(),
      states: new InMemoryStateStore(),
      clock: { now_ms: () => Date.now() + 16 * 60 * 1000, sleep: async () => {} },
    });
    await expect(later.handleCallback(callback)).rejects.toThrow(/expired/);
  });

  it('maps a denied consent to forbidden and a reused code to invalid_grant', async () => {
    const { oauth } = makeOAuth();
    fake.setAuthorizeOutcome({ deny: true });
    const denied = await consent(oauth, 'tenant-3');
    fake.setAuthorizeOutcome({});
    await expect(oauth.handleCallback(denied)).rejects.toThrow(/access_denied/);

    const callback = await consent(oauth, 'tenant-4');
    await oauth.handleCallback(callback);
    // A second exchange of the same code with a fresh state: QuickBooks answers invalid_grant.
    const { state } = oauth.authorizationUrl('tenant-4');
    const reused = callback.replace(/state=[^&]+/, `state=${encodeURIComponent(state)}`);
    await expect(oauth.handleCallback(reused)).rejects.toThrow(/refused the authorization code/);
  });

  it('marks the connection needs_reconnect on invalid_grant and stops refreshing', async () => {
    const { oauth, tokens } = makeOAuth();
    await oauth.handleCallback(await consent(oauth, 'tenant-5'));
    const conn = (await tokens.get('tenant-5'))!;
    await tokens.save({ ...conn, refreshToken: 'not-a-real-token', accessExpiresAt_ms: 0 });
    const err = await oauth.accessToken('tenant-5').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unauthorized', details: { status: 'needs_reconnect' } });
    expect((await tokens.get('tenant-5'))!.status).toBe('needs_reconnect');
    const callsBefore = fake.oauthStats().refreshCalls;
    await expect(oauth.accessToken('tenant-5')).rejects.toThrow(/reconnected/);
    expect(fake.oauthStats().refreshCalls).toBe(callsBefore);
  });
});
