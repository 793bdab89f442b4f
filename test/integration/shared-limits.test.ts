/**
 * The state several processes share through PostgreSQL, each "process" here being its own
 * connection pool and its own objects on one database: QuickBooks' per-company budget (calls in
 * flight and calls per window) holds however many limiters call one company, and a token refresh
 * is made once however many OAuth clients find the access token expired at the same moment.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { qboServices } from '../../backend/app/qbo-sync.ts';
import { loadConfig } from '../../backend/config/config.ts';
import { createPool, kyselyFor, type Db } from '../../backend/db/database.ts';
import { PgRealmLimiter } from '../../backend/db/qbo-budget.ts';
import { ensureTenant } from '../../backend/ledger/tenants.ts';
import { configureOAuthRetries } from '../../backend/qbo/oauth.ts';
import { startFakeQbo, type FakeQbo } from '../../backend/sandbox/qbo/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const PROCESSES = 3;
let t: TestDatabase;
const pools: Db[] = [];
let fake: FakeQbo;

beforeAll(async () => {
  t = await createTestDatabase();
  for (let i = 0; i < PROCESSES; i++) pools.push(kyselyFor(createPool(t.url, 4)));
  configureOAuthRetries({ retryDelay_ms: 1, maxRetries: 0 });
  fake = await startFakeQbo();
});
afterAll(async () => {
  for (const p of pools) await p.destroy();
  await fake?.close();
  await t?.close();
});

it('holds one company’s calls in flight and per window across processes', async () => {
  const tenant = await ensureTenant(t.db, { accountId: 'acct_budget', livemode: false });
  const limits = { maxInFlight: 3, perMinute: 12, window_ms: 1_500 };
  const limiters = pools.map((db) => new PgRealmLimiter(db, tenant.id, 'realm-budget', limits));
  let inFlight = 0;
  let peak = 0;
  const starts: number[] = [];
  const call = async () => {
    starts.push(Date.now());
    peak = Math.max(peak, ++inFlight);
    await new Promise((r) => setTimeout(r, 40));
    inFlight--;
  };
  await Promise.all(limiters.flatMap((l) => Array.from({ length: 10 }, () => l.run(call))));

  expect(starts).toHaveLength(30);
  expect(peak).toBeLessThanOrEqual(limits.maxInFlight);
  // Starts are stamped here, a few ms after the database granted them: allow that much slack.
  const slack_ms = 200;
  starts.sort((a, b) => a - b);
  for (let i = 0; i < starts.length; i++) {
    const inWindow = starts.filter((s) => s >= starts[i]! && s < starts[i]! + limits.window_ms - slack_ms).length;
    expect(inWindow).toBeLessThanOrEqual(limits.perMinute);
  }
  // Each process alone would have allowed its own three at once.
  expect(peak).toBe(limits.maxInFlight);
}, 60_000);

it('pauses every process after one is throttled', async () => {
  const tenant = await ensureTenant(t.db, { accountId: 'acct_pause', livemode: false });
  const [a, b] = pools.map((db) => new PgRealmLimiter(db, tenant.id, 'realm-pause'));
  await a!.run(async () => undefined);
  a!.pause(800);
  await new Promise((r) => setTimeout(r, 100)); // the pause is written in the background
  const before = Date.now();
  await b!.run(async () => undefined);
  expect(Date.now() - before).toBeGreaterThanOrEqual(500);
});

it('refreshes an expired token once when several processes need it at the same moment', async () => {
  const client = { clientId: 'shared-client', clientSecret: 'shared-secret', redirectUris: ['http://127.0.0.1/cb'] };
  fake.registerApp(client);
  const realmId = fake.createRealm({ companyName: 'Shared Co' });
  const tenant = await ensureTenant(t.db, { accountId: 'acct_refresh', livemode: false });
  const config = loadConfig({
    DATABASE_URL: t.url,
    QBO_CLIENT_ID: client.clientId,
    QBO_CLIENT_SECRET: client.clientSecret,
    QBO_REDIRECT_URI: client.redirectUris[0],
    QBO_API_BASE: fake.url,
    QBO_OAUTH_BASE: fake.url,
    ACCRUE_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
  });
  const services = pools.map((db) => qboServices(config, db)!);
  fake.setAuthorizeOutcome({ realmId });
  const { url } = services[0]!.oauth.authorizationUrl(tenant.id.toString());
  const consent = await fetch(url, { redirect: 'manual' });
  await services[0]!.oauth.handleCallback(consent.headers.get('location')!);
  await t.db
    .updateTable('qbo_connections')
    .set({ access_expires_at: new Date(Date.now() - 1000) })
    .where('tenant_id', '=', tenant.id)
    .execute();
  const refreshesBefore = fake.oauthStats().refreshCalls;

  const tokens = await Promise.all(services.map((s) => s.oauth.accessToken(tenant.id.toString())));

  expect(fake.oauthStats().refreshCalls - refreshesBefore).toBe(1);
  expect(services.reduce((n, s) => n + s.oauth.refreshCalls, 0)).toBe(1);
  expect(new Set(tokens.map((x) => x.accessToken)).size).toBe(1);
  const conn = await services[2]!.tokens.get(tenant.id.toString());
  expect(conn?.status).toBe('active');
  expect(conn?.accessToken).toBe(tokens[0]!.accessToken);
});
