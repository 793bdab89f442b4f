/**
 * Proves the QuickBooks connection as the merchant drives it, over HTTP against the QuickBooks
 * fake and real PostgreSQL: `POST /api/qbo/connect` (signed) gives an Intuit URL whose state is
 * bound to the tenant; the status is `pending` until Intuit redirects to `/oauth/qbo/callback`,
 * which exchanges the code and stores the tokens ENCRYPTED (the ciphertext contains neither
 * token); a replayed callback is refused without touching the connection; a denial and a forged
 * state give clear pages; an `invalid_grant` from Intuit turns the status into "reconnect"; a
 * reconnect works; a company already connected to another tenant (say, the other mode) is refused;
 * disconnect revokes at Intuit and deletes the tokens; another tenant never sees
 * the connection. Also proves `buildServer` mounts the App API and answers 503 without an app secret.
 */
import Stripe from 'stripe';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppService, qboDepsFromConfig, type AccrueAppService } from '../../backend/app/app-service.ts';
import { buildServer } from '../../backend/app/server.ts';
import { loadConfig } from '../../backend/config/config.ts';
import { PgTokenStore } from '../../backend/db/qbo-stores.ts';
import { appRouter } from '../../backend/http/app-routes.ts';
import { qboApiRouter, qboCallbackRouter } from '../../backend/http/qbo-routes.ts';
import { createHttpApp } from '../../backend/http/server.ts';
import { getTenant } from '../../backend/ledger/tenants.ts';
import { createLogger } from '../../backend/log/logger.ts';
import { configureQboEndpoints } from '../../backend/qbo/endpoints.ts';
import { configureOAuthRetries } from '../../backend/qbo/oauth.ts';
import { createEncryptor, generateKeySpec } from '../../backend/security/encryption.ts';
import { APP_HEADERS, signedPayloadString, type SignedExtra } from '../../shared/api/app.ts';
import { startFakeQbo, type FakeQbo } from '../../backend/sandbox/qbo/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const SECRET = 'absec_qbo_connect_test';
const ACCOUNT_A = 'acct_ConnectA';
const ACCOUNT_B = 'acct_ConnectB';
const ADMIN: SignedExtra = { mode: 'test', stripe_roles: ['admin'] };
const CLIENT = { clientId: 'accrue-connect-client', clientSecret: 'accrue-connect-secret' };
const REDIRECT = 'http://127.0.0.1:9/oauth/qbo/callback';

function headers(account: string, extra: SignedExtra = ADMIN, user = 'usr_connect'): Record<string, string> {
  const payload = signedPayloadString(extra, user, account);
  return {
    [APP_HEADERS.signature]: Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
    [APP_HEADERS.userId]: user,
    [APP_HEADERS.accountId]: account,
    [APP_HEADERS.signedPayload]: payload,
  };
}

let t: TestDatabase;
let fake: FakeQbo;
let realmId: string;
let service: AccrueAppService;
let http: ReturnType<typeof createHttpApp>;
let tokens: PgTokenStore;
let encryptionKey: string;

beforeAll(async () => {
  t = await createTestDatabase();
  fake = await startFakeQbo({ throttle: { enabled: false } });
  realmId = fake.createRealm({ companyName: 'Connect Co' });
  fake.registerApp({ ...CLIENT, redirectUris: [REDIRECT] });
  configureQboEndpoints({ QBO_API_BASE: fake.url, QBO_OAUTH_BASE: fake.url });
  // intuit-oauth retries token calls with 1/2/4 s delays; an invalid_grant is final anyway.
  configureOAuthRetries({ retryDelay_ms: 1 });
  encryptionKey = generateKeySpec('k1');
  const config = loadConfig({
    DATABASE_URL: t.url,
    QBO_CLIENT_ID: CLIENT.clientId,
    QBO_CLIENT_SECRET: CLIENT.clientSecret,
    QBO_REDIRECT_URI: REDIRECT,
    QBO_API_BASE: fake.url,
    QBO_OAUTH_BASE: fake.url,
    ACCRUE_ENCRYPTION_KEY: encryptionKey,
  });
  tokens = new PgTokenStore(t.db, createEncryptor(encryptionKey));
  service = createAppService({ db: t.db, jobs: null, stripe: null, qbo: qboDepsFromConfig(config, t.db) });
  const auth = { secrets: [SECRET] };
  http = createHttpApp({
    db: t.db,
    log: createLogger('silent'),
    routes: [
      { path: '/api/app', handler: appRouter(service, { auth }) },
      { path: '/api/qbo', handler: qboApiRouter({ service, auth }) },
      { path: '/oauth/qbo', handler: qboCallbackRouter({ service }) },
    ],
  });
});

afterAll(async () => {
  await fake?.close();
  await t?.close();
});

/** Follows the authorization URL the way the merchant's browser would; returns Intuit's redirect query. */
async function consent(url: string): Promise<string> {
  expect(url.startsWith(`${fake.url}/connect/oauth2?`)).toBe(true);
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
  return location.search;
}

async function status(account: string) {
  const res = await request(http).get('/api/app/qbo/status').set(headers(account));
  expect(res.status).toBe(200);
  return res.body as { status: string; realm_id: string | null; message: string | null; connected_at: string | null };
}

async function tenantIdOf(account: string): Promise<string> {
  return (await getTenant(t.db, { accountId: account, livemode: false })).id.toString();
}

describe('connecting QuickBooks', () => {
  let callbackQuery = '';

  it('starts a connect bound to the tenant and reports pending until the callback completes', async () => {
    expect((await status(ACCOUNT_A)).status).toBe('not_connected');
    const started = await request(http).post('/api/qbo/connect').set(headers(ACCOUNT_A));
    expect(started.status).toBe(200);
    expect(started.body.url).toBe(started.body.authorization_url);
    expect(new URL(started.body.url).searchParams.get('state')).toBeTruthy();
    expect((await status(ACCOUNT_A)).status).toBe('pending');
    // Tenant B started nothing.
    expect((await status(ACCOUNT_B)).status).toBe('not_connected');

    callbackQuery = await consent(started.body.url);
    const page = await request(http).get(`/oauth/qbo/callback${callbackQuery}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('QuickBooks connected — you can close this tab');

    const s = await status(ACCOUNT_A);
    expect(s).toMatchObject({ status: 'connected', realm_id: realmId, message: null });
    expect(s.connected_at).not.toBeNull();
    expect((await status(ACCOUNT_B)).status).toBe('not_connected');
  });

  it('stores the tokens encrypted: the ciphertext contains neither token', async () => {
    const tenantId = await tenantIdOf(ACCOUNT_A);
    const row = await t.db
      .selectFrom('qbo_connections')
      .selectAll()
      .where('tenant_id', '=', BigInt(tenantId))
      .executeTakeFirstOrThrow();
    expect(row.realm_id).toBe(realmId);
    const conn = (await tokens.get(tenantId))!;
    expect(conn.accessToken.length).toBeGreaterThan(8);
    expect(conn.refreshToken.length).toBeGreaterThan(8);
    expect(row.tokens_ciphertext).not.toContain(conn.accessToken);
    expect(row.tokens_ciphertext).not.toContain(conn.refreshToken);
    expect(row.tokens_ciphertext.startsWith('v1.k1.')).toBe(true);
    // And the stored access token really works against the realm, through the App API.
    const accounts = await request(http).get('/api/app/qbo/accounts').set(headers(ACCOUNT_A));
    expect(accounts.status).toBe(200);
    expect(accounts.body.accounts.map((a: { name: string }) => a.name)).toContain('Checking');
  });

  it('refuses a replayed callback without re-sending the code or touching the connection', async () => {
    const tenantId = await tenantIdOf(ACCOUNT_A);
    const before = (await tokens.get(tenantId))!;
    const tokenCalls = fake.oauthStats().tokenCalls;
    const replay = await request(http).get(`/oauth/qbo/callback${callbackQuery}`);
    expect(replay.status).toBe(403);
    expect(replay.text).toMatch(/already used or has expired/);
    // The code was not exchanged a second time (which would make Intuit revoke the grant).
    expect(fake.oauthStats().tokenCalls).toBe(tokenCalls);
    const after = (await tokens.get(tenantId))!;
    expect(after.accessToken).toBe(before.accessToken);
    expect((await status(ACCOUNT_A)).status).toBe('connected');
    expect((await request(http).get('/api/app/qbo/accounts').set(headers(ACCOUNT_A))).status).toBe(200);
  });

  it('refuses a forged state and a callback without state', async () => {
    const forged = await request(http).get('/oauth/qbo/callback?code=abc&realmId=1&state=eyJ0IjoiMSJ9.bm90LWEtbWFj');
    expect(forged.status).toBe(403);
    const bare = await request(http).get('/oauth/qbo/callback?code=abc&realmId=1');
    expect(bare.status).toBe(400);
    expect((await status(ACCOUNT_A)).status).toBe('connected');
  });

  it('turns an invalid_grant from Intuit into "reconnect", then reconnects', async () => {
    const tenantId = await tenantIdOf(ACCOUNT_A);
    const conn = (await tokens.get(tenantId))!;
    // The merchant disconnects Accrue inside QuickBooks: the grant dies, with its tokens.
    const revoked = await fetch(`${fake.url}/v2/oauth2/tokens/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ token: conn.refreshToken }),
    });
    expect(revoked.status).toBe(200);
    const invalidBefore = fake.oauthStats().invalidGrants;

    const res = await request(http).get('/api/app/qbo/accounts').set(headers(ACCOUNT_A));
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('not_configured');
    expect(res.body.error.message).toMatch(/reconnected/);
    expect(fake.oauthStats().invalidGrants).toBe(invalidBefore + 1);
    const s = await status(ACCOUNT_A);
    expect(s.status).toBe('expired');
    expect(s.message).toMatch(/invalid_grant/);
    const sync = await request(http).get('/api/app/sync/status').set(headers(ACCOUNT_A));
    expect(sync.body.qbo.status).toBe('expired');

    // Reconnect through the App API's own connect route.
    const started = await request(http).post('/api/app/qbo/connect').set(headers(ACCOUNT_A));
    expect(started.status).toBe(200);
    expect(Date.parse(started.body.expires_at)).toBeGreaterThan(Date.now());
    expect((await status(ACCOUNT_A)).status).toBe('pending');
    const page = await request(http).get(`/oauth/qbo/callback${await consent(started.body.authorization_url)}`);
    expect(page.status).toBe(200);
    expect((await status(ACCOUNT_A)).status).toBe('connected');
    expect((await request(http).get('/api/app/qbo/accounts').set(headers(ACCOUNT_A))).status).toBe(200);
  });

  it('refuses to connect a QuickBooks company that another tenant already uses, before exchanging the code', async () => {
    expect((await status(ACCOUNT_A)).status).toBe('connected');
    const tokenCalls = fake.oauthStats().tokenCalls;
    const started = await request(http).post('/api/qbo/connect').set(headers(ACCOUNT_B));
    const query = await consent(started.body.url);
    expect(new URLSearchParams(query).get('realmId')).toBe(realmId);
    const page = await request(http).get(`/oauth/qbo/callback${query}`);
    expect(page.status).toBe(409);
    expect(page.text).toMatch(/already connected to another Stripe account/);
    expect(fake.oauthStats().tokenCalls).toBe(tokenCalls);
    const s = await status(ACCOUNT_B);
    expect(s.status).toBe('error');
    expect(s.message).toMatch(/already connected/);
    expect(await tokens.get(await tenantIdOf(ACCOUNT_B))).toBeUndefined();
    expect((await status(ACCOUNT_A)).status).toBe('connected');
  });

  it('disconnects: revokes at Intuit and deletes the tokens', async () => {
    const tenantId = await tenantIdOf(ACCOUNT_A);
    const revokes = fake.oauthStats().revokeCalls;
    const viewer = await request(http)
      .post('/api/qbo/disconnect')
      .set(headers(ACCOUNT_A, { mode: 'test', stripe_roles: ['view_only'] }));
    expect(viewer.status).toBe(403);
    const res = await request(http).post('/api/qbo/disconnect').set(headers(ACCOUNT_A));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('not_connected');
    expect(fake.oauthStats().revokeCalls).toBe(revokes + 1);
    const row = await t.db
      .selectFrom('qbo_connections')
      .select('tenant_id')
      .where('tenant_id', '=', BigInt(tenantId))
      .executeTakeFirst();
    expect(row).toBeUndefined();
    expect((await request(http).get('/api/app/qbo/accounts').set(headers(ACCOUNT_A))).status).toBe(503);
    // Disconnecting again is harmless; the App API route answers the same.
    const again = await request(http).post('/api/app/qbo/disconnect').set(headers(ACCOUNT_A));
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('not_connected');
  });

  it('shows a cancelled page and an error status when the merchant denies access', async () => {
    fake.setAuthorizeOutcome({ deny: true });
    try {
      const started = await request(http).post('/api/qbo/connect').set(headers(ACCOUNT_B));
      const query = await consent(started.body.url);
      expect(new URLSearchParams(query).get('error')).toBe('access_denied');
      const page = await request(http).get(`/oauth/qbo/callback${query}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('QuickBooks connection cancelled');
      const s = await status(ACCOUNT_B);
      expect(s.status).toBe('error');
      expect(s.message).toMatch(/cancelled/);
      expect(await tokens.get(await tenantIdOf(ACCOUNT_B))).toBeUndefined();
    } finally {
      fake.setAuthorizeOutcome({});
    }
  });

  it('exchanges the code once when the callback is submitted twice at the same moment', async () => {
    expect((await status(ACCOUNT_A)).status).toBe('not_connected');
    const started = await request(http).post('/api/qbo/connect').set(headers(ACCOUNT_A));
    const query = await consent(started.body.url);
    const tokenCalls = fake.oauthStats().tokenCalls;
    const pages = await Promise.all([
      request(http).get(`/oauth/qbo/callback${query}`),
      request(http).get(`/oauth/qbo/callback${query}`),
    ]);
    expect(pages.map((p) => p.status).sort()).toEqual([200, 403]);
    expect(fake.oauthStats().tokenCalls).toBe(tokenCalls + 1);
    expect((await status(ACCOUNT_A)).status).toBe('connected');
    expect((await request(http).get('/api/app/qbo/accounts').set(headers(ACCOUNT_A))).status).toBe(200);
  });

  it('requires a Stripe signature on the connect routes', async () => {
    expect((await request(http).post('/api/qbo/connect')).status).toBe(401);
    expect(
      (
        await request(http)
          .post('/api/qbo/disconnect')
          .set({ ...headers(ACCOUNT_A), [APP_HEADERS.accountId]: ACCOUNT_B })
      ).status,
    ).toBe(401);
  });
});

describe('buildServer wiring', () => {
  it('answers 503 not_configured on the App API without STRIPE_APP_SECRET, and serves it with one', async () => {
    const base = { DATABASE_URL: t.url, LOG_LEVEL: 'silent' };
    const without = await buildServer({ config: loadConfig(base), log: createLogger('silent'), workers: false });
    try {
      const res = await request(without.http).get('/api/app/settings').set(headers(ACCOUNT_A));
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('not_configured');
      expect((await request(without.http).post('/api/qbo/connect').set(headers(ACCOUNT_A))).status).toBe(503);
    } finally {
      await without.close();
    }
    const withSecret = await buildServer({
      config: loadConfig({ ...base, STRIPE_APP_SECRET: SECRET }),
      log: createLogger('silent'),
      workers: false,
    });
    try {
      const res = await request(withSecret.http).get('/api/app/settings').set(headers(ACCOUNT_A));
      expect(res.status).toBe(200);
      expect(res.body.version).toBeGreaterThanOrEqual(1);
      expect((await request(withSecret.http).get('/api/app/settings')).status).toBe(401);
      // QuickBooks is not configured in this process: connecting says so instead of failing obscurely.
      const connect = await request(withSecret.http).post('/api/qbo/connect').set(headers(ACCOUNT_A));
      expect(connect.status).toBe(503);
      expect(connect.body.error.message).toMatch(/QuickBooks is not configured/);
      const callback = await request(withSecret.http).get('/oauth/qbo/callback?state=x.y&code=1&realmId=1');
      expect(callback.status).toBe(503);
    } finally {
      await withSecret.close();
    }
  });
});
