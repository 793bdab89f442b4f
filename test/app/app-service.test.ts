/**
 * Proves the Stripe App's backend end to end over HTTP (real PostgreSQL, the QuickBooks fake, the
 * Stripe fake, requests signed the way Stripe signs Dashboard requests): every `AppService`
 * method answers inside its contract; settings and product rules are versioned (a stale version is
 * 409, every version leaves a history row naming the Dashboard user); the account mapping accepts
 * only QuickBooks accounts of an allowed type and creates missing ones in QuickBooks; reports,
 * invoice and customer drill-downs agree with each other and with the ledger; exceptions can be
 * listed, retried (the job is enqueued) and resolved; and tenant B never sees or changes tenant A's
 * data, nor can a request claim another account than the one Stripe signed.
 */
import { sql } from 'kysely';
import Stripe from 'stripe';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppService, qboDepsFromConfig, type AccrueAppService } from '../../backend/app/app-service.ts';
import { recordException } from '../../backend/ledger/exception-queue.ts';
import { loadConfig } from '../../backend/config/config.ts';
import { PgTokenStore } from '../../backend/db/qbo-stores.ts';
import { appRouter } from '../../backend/http/app-routes.ts';
import { qboApiRouter, qboCallbackRouter } from '../../backend/http/qbo-routes.ts';
import { createHttpApp } from '../../backend/http/server.ts';
import { Jobs, QUEUES } from '../../backend/jobs/runner.ts';
import { postEntries } from '../../backend/ledger/ledger.ts';
import { getTenant, settingsHistory, updateSettings, type Tenant } from '../../backend/ledger/tenants.ts';
import { createLogger } from '../../backend/log/logger.ts';
import { configureQboEndpoints } from '../../backend/qbo/endpoints.ts';
import { createEncryptor, generateKeySpec } from '../../backend/security/encryption.ts';
import { createStripeClient } from '../../backend/stripe/client.ts';
import { ACCOUNT_ROLES } from '../../shared/accounts.ts';
import { APP_HEADERS, signedPayloadString, plainSignedPayload, type SignedExtra } from '../../shared/api/app.ts';
import { aggregateKeyOf, factKey, runEngine, type Fact } from '../../shared/engine/index.ts';
import { serializeFact } from '../../shared/engine/facts.ts';
import { startFakeQbo, type FakeQbo } from '../../backend/sandbox/qbo/server.ts';
import { product as productFixture, price as priceFixture } from '../../backend/sandbox/stripe/fixtures.ts';
import { startStripeFake, type StripeFake } from '../../backend/sandbox/stripe/server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { currency as currencyOf } from '../../shared/money.ts';

const SECRET = 'absec_app_service_test';
const ACCOUNT_A = 'acct_AppTenantA';
const ACCOUNT_B = 'acct_AppTenantB';
const USER_A = 'usr_alice';
const USER_B = 'usr_bob';
const ADMIN: SignedExtra = { mode: 'test', stripe_roles: ['admin'] };
const VIEWER: SignedExtra = { mode: 'test', stripe_roles: ['view_only'] };
const STRIPE_KEY = 'sk_test_appservice';
const CLIENT = { clientId: 'accrue-app-client', clientSecret: 'accrue-app-secret' };
const REDIRECT = 'http://127.0.0.1:9/oauth/qbo/callback';
/** The service's "now": mid-March 2026, so a three-period report covers January to March. */
const NOW_MS = Date.parse('2026-03-15T12:00:00Z');
const JAN_1_2026 = Date.parse('2026-01-01T00:00:00Z') / 1000;
const JAN_1_2027 = Date.parse('2027-01-01T00:00:00Z') / 1000;
const INVOICE = 'in_AppA1';
const CUSTOMER = 'cus_AppA';
const INVOICE_AMOUNT = 120_000n;

function headers(extra: SignedExtra, user = USER_A, account = ACCOUNT_A): Record<string, string> {
  const payload = signedPayloadString(extra, user, account);
  return {
    [APP_HEADERS.signature]: Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
    [APP_HEADERS.userId]: user,
    [APP_HEADERS.accountId]: account,
    [APP_HEADERS.signedPayload]: payload,
  };
}
const asA = (extra: SignedExtra = ADMIN) => headers(extra, USER_A, ACCOUNT_A);
const asB = (extra: SignedExtra = ADMIN) => headers(extra, USER_B, ACCOUNT_B);

let t: TestDatabase;
let qbo: FakeQbo;
let stripeFake: StripeFake;
let jobs: Jobs;
let service: AccrueAppService;
let http: ReturnType<typeof createHttpApp>;
let realmId: string;
let tokens: PgTokenStore;

function invoiceFact(): Fact {
  return {
    type: 'invoice_finalized',
    invoice: INVOICE,
    customer: CUSTOMER,
    currency: currencyOf('usd'),
    at: JAN_1_2026,
    totalMinor: INVOICE_AMOUNT,
    taxMinor: 0n,
    startingBalanceMinor: 0n,
    endingBalanceMinor: 0n,
    lines: [
      {
        id: 'il_AppA1',
        amountMinor: INVOICE_AMOUNT,
        discountMinor: 0n,
        creditMinor: 0n,
        inclusiveTaxMinor: 0n,
        exclusiveTaxMinor: 0n,
        periodStart: JAN_1_2026,
        periodEnd: JAN_1_2027,
        product: 'prod_AppA1',
        price: 'price_AppA1',
        proration: false,
        invoiceItem: null,
        pendingItemCreatedAt: null,
        description: 'Pro plan (annual)',
      },
    ],
  };
}

/**
 * Books tenant A's invoice the way the pipeline does — the stored fact, the pure engine over it,
 * the ledger's idempotent posting — released through February.
 */
async function bookInvoice(tenant: Tenant): Promise<void> {
  const fact = invoiceFact();
  await t.db
    .insertInto('stripe_facts')
    .values({
      tenant_id: tenant.id,
      fact_key: factKey(fact),
      aggregate: aggregateKeyOf(fact),
      fact: serializeFact(fact),
      fact_hash: '',
      event_id: null,
    })
    .execute();
  const through = '2026-02-28';
  const { entries, exceptions } = runEngine({ settings: tenant.settings, facts: [fact], through });
  expect(exceptions).toEqual([]);
  await postEntries(t.db, tenant, entries);
  await t.db.insertInto('release_state').values({ tenant_id: tenant.id, released_through: through }).execute();
}

beforeAll(async () => {
  t = await createTestDatabase();
  qbo = await startFakeQbo({ throttle: { enabled: false } });
  realmId = qbo.createRealm({ companyName: 'Tenant A Books' });
  qbo.registerApp({ ...CLIENT, redirectUris: [REDIRECT] });
  stripeFake = await startStripeFake({ apiKey: STRIPE_KEY });
  const created = Math.floor(NOW_MS / 1000) - 86_400;
  stripeFake.put(
    ACCOUNT_A,
    productFixture({ id: 'prod_AppA1', name: 'Pro plan', created }, { default_price: 'price_AppA1' }),
  );
  stripeFake.put(
    ACCOUNT_A,
    priceFixture({ id: 'price_AppA1', product: 'prod_AppA1', unitAmount: 9900, created, interval: 'year' }),
  );
  stripeFake.put(ACCOUNT_A, productFixture({ id: 'prod_AppA2', name: 'Setup fee', created }));
  stripeFake.put(ACCOUNT_A, {
    id: INVOICE,
    object: 'invoice',
    number: 'APPA-0001',
    customer: CUSTOMER,
    currency: 'usd',
    status: 'open',
    livemode: false,
  });
  stripeFake.put(ACCOUNT_B, productFixture({ id: 'prod_AppB1', name: 'Tenant B widget', created }));
  jobs = await new Jobs({ url: t.url }).start();
  const config = loadConfig({
    DATABASE_URL: t.url,
    QBO_CLIENT_ID: CLIENT.clientId,
    QBO_CLIENT_SECRET: CLIENT.clientSecret,
    QBO_REDIRECT_URI: REDIRECT,
    QBO_API_BASE: qbo.url,
    QBO_OAUTH_BASE: qbo.url,
    ACCRUE_ENCRYPTION_KEY: generateKeySpec('k1'),
  });
  configureQboEndpoints({ QBO_API_BASE: qbo.url, QBO_OAUTH_BASE: qbo.url });
  const qboDeps = qboDepsFromConfig(config, t.db)!;
  tokens = new PgTokenStore(t.db, createEncryptor(config.ACCRUE_ENCRYPTION_KEY!));
  service = createAppService({
    db: t.db,
    jobs,
    stripe: createStripeClient({ secretKey: STRIPE_KEY, apiBase: stripeFake.url }),
    qbo: qboDeps,
    clock: { now_ms: () => NOW_MS },
  });
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
  await jobs?.stop();
  await stripeFake?.close();
  await qbo?.close();
  await t?.close();
});

/** Connects tenant A to the fake realm directly (the OAuth round trip has its own test file). */
async function connectTenantA(): Promise<void> {
  const tenant = await getTenant(t.db, { accountId: ACCOUNT_A, livemode: false });
  const now = Date.now();
  await tokens.save({
    tenantId: tenant.id.toString(),
    realmId,
    accessToken: qbo.issueAccessToken(realmId, CLIENT.clientId),
    accessExpiresAt_ms: now + 3_600_000,
    refreshToken: 'unused-refresh-token',
    refreshExpiresAt_ms: now + 86_400_000,
    status: 'active',
    updatedAt_ms: now,
  });
}

describe('settings', () => {
  it('reads defaults, saves a new version with a history row naming the user, and refuses a stale version', async () => {
    const first = await request(http).get('/api/app/settings').set(asA());
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(1);
    expect(first.body.settings.amortization).toBe('by_time');

    const saved = await request(http)
      .put('/api/app/settings')
      .set(asA())
      .send({ version: 1, settings: { amortization: 'by_day', catch_up: false } });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      version: 2,
      settings: { amortization: 'by_day', catch_up: false, reporting_time_zone: 'UTC' },
    });

    const stale = await request(http)
      .put('/api/app/settings')
      .set(asA())
      .send({ version: 1, settings: { amortization: 'monthly_even' } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('conflict');

    const tenant = await getTenant(t.db, { accountId: ACCOUNT_A, livemode: false });
    const history = await settingsHistory(t.db, tenant.id);
    expect(history.map((h) => h.version)).toEqual([2, 1]);
    expect(history[0]!.changed_by).toBe(USER_A);
    expect((history[0]!.settings as { amortization: string }).amortization).toBe('by_day');
    expect((history[1]!.settings as { amortization: string }).amortization).toBe('by_time');

    // Put the default back so the books below amortize by time.
    const back = await request(http)
      .put('/api/app/settings')
      .set(asA())
      .send({ version: 2, settings: { amortization: 'by_time', catch_up: true } });
    expect(back.body.version).toBe(3);
  });

  it('refuses an invalid time zone, and writes from read-only users', async () => {
    const bad = await request(http)
      .put('/api/app/settings')
      .set(asA())
      .send({ version: 3, settings: { reporting_time_zone: 'Mars/Olympus' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_input');
    const viewer = await request(http)
      .put('/api/app/settings')
      .set(asA(VIEWER))
      .send({ version: 3, settings: { catch_up: false } });
    expect(viewer.status).toBe(403);
    const unchanged = await request(http).get('/api/app/settings').set(asA(VIEWER));
    expect(unchanged.body.version).toBe(3);
  });
});

describe('tenant isolation and identity', () => {
  it("gives tenant B its own books: A's settings version and changes are invisible to B", async () => {
    const b = await request(http).get('/api/app/settings').set(asB());
    expect(b.status).toBe(200);
    expect(b.body.version).toBe(1);
    const a = await request(http).get('/api/app/settings').set(asA());
    expect(a.body.version).toBeGreaterThan(1);
  });

  it('refuses a request that claims another account than the signed one', async () => {
    // Signed for A, presented as B.
    const forged = { ...asA(), [APP_HEADERS.accountId]: ACCOUNT_B };
    expect((await request(http).get('/api/app/settings').set(forged)).status).toBe(401);
    // Plain signature for A with B in the body.
    const plain = {
      [APP_HEADERS.signature]: Stripe.webhooks.generateTestHeaderString({
        payload: plainSignedPayload(USER_A, ACCOUNT_A),
        secret: SECRET,
      }),
      [APP_HEADERS.userId]: USER_A,
      [APP_HEADERS.accountId]: ACCOUNT_A,
    };
    const res = await request(http)
      .post('/api/app/bundle-preview')
      .set(plain)
      .send({ account_id: ACCOUNT_B, amount_minor: '100', currency: 'usd', components: [{ name: 'a', ssp: '1' }] });
    expect(res.status).toBe(401);
  });
});

describe('QuickBooks accounts and mapping', () => {
  it('is not_configured before QuickBooks is connected', async () => {
    const res = await request(http).get('/api/app/qbo/accounts').set(asA());
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('not_configured');
    const mapping = await request(http).get('/api/app/accounts/mapping').set(asA());
    expect(mapping.status).toBe(200);
    expect(Object.keys(mapping.body.mapping).sort()).toEqual([...ACCOUNT_ROLES].sort());
    expect(Object.values(mapping.body.mapping).every((v) => v === null)).toBe(true);
  });

  it("lists the realm's chart, maps a role to an account of an allowed type, and refuses unknown or wrong-typed ids", async () => {
    await connectTenantA();
    const list = await request(http).get('/api/app/qbo/accounts').set(asA());
    expect(list.status).toBe(200);
    const checking = list.body.accounts.find((a: { name: string }) => a.name === 'Checking');
    expect(checking).toMatchObject({ type: 'Bank', active: true });

    const ok = await request(http)
      .put('/api/app/accounts/mapping')
      .set(asA())
      .send({ mapping: { bank: checking.id } });
    expect(ok.status).toBe(200);
    expect(ok.body.mapping.bank).toBe(checking.id);
    const tenant = await getTenant(t.db, { accountId: ACCOUNT_A, livemode: false });
    const row = await t.db
      .selectFrom('accounts')
      .select(['external_id', 'external_type'])
      .where('tenant_id', '=', tenant.id)
      .where('role', '=', 'bank')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ external_id: checking.id, external_type: 'Bank' });

    const wrongType = await request(http)
      .put('/api/app/accounts/mapping')
      .set(asA())
      .send({ mapping: { deferred_revenue: checking.id } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toMatch(/Bank/);
    const unknown = await request(http)
      .put('/api/app/accounts/mapping')
      .set(asA())
      .send({ mapping: { fees: '987654' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('invalid_input');
    // A refused request changes nothing.
    const after = await request(http).get('/api/app/accounts/mapping').set(asA());
    expect(after.body.mapping.deferred_revenue).toBeNull();
    expect(after.body.mapping.fees).toBeNull();

    // Tenant B has no connection and sees none of A's mapping.
    expect((await request(http).get('/api/app/qbo/accounts').set(asB())).status).toBe(503);
    const bMapping = await request(http).get('/api/app/accounts/mapping').set(asB());
    expect(bMapping.body.mapping.bank).toBeNull();
  });

  it('creates the missing accounts in QuickBooks with the suggested types and maps them', async () => {
    const res = await request(http)
      .post('/api/app/qbo/accounts/create-missing')
      .set(asA())
      .send({ roles: ['deferred_revenue', 'revenue', 'bank'] });
    expect(res.status).toBe(200);
    // `bank` is already mapped, so only the other two are created.
    expect(res.body.created.map((c: { role: string }) => c.role).sort()).toEqual(['deferred_revenue', 'revenue']);
    const inQbo = qbo.accounts(realmId);
    const deferred = inQbo.find((a) => a.Name === 'Deferred Revenue');
    expect(deferred?.AccountType).toBe('Other Current Liability');
    expect(res.body.mapping.deferred_revenue).toBe(deferred.Id);
    expect(res.body.mapping.revenue).toBe(inQbo.find((a) => a.Name === 'Revenue')?.Id);
    // Unmapping is a null.
    const unmap = await request(http)
      .put('/api/app/accounts/mapping')
      .set(asA())
      .send({ mapping: { revenue: null } });
    expect(unmap.body.mapping.revenue).toBeNull();
  });
});

describe('the Settings page save', () => {
  /** Tenant A's `app_audit` rows of Settings page saves. */
  async function pageAudits() {
    const tenant = await getTenant(t.db, { accountId: ACCOUNT_A, livemode: false });
    return t.db
      .selectFrom('app_audit')
      .select(['actor', 'target', 'details'])
      .where('tenant_id', '=', tenant.id)
      .where('action', '=', 'settings_save')
      .orderBy('id')
      .execute();
  }

  it('saves settings and mapping together as one new version, with its history row and an audit row', async () => {
    const before = await request(http).get('/api/app/settings').set(asA());
    const version: number = before.body.version;
    const accounts = (await request(http).get('/api/app/qbo/accounts').set(asA())).body.accounts;
    const income = accounts.find((a: { name: string }) => a.name === 'Revenue');
    const res = await request(http)
      .put('/api/app/settings/page')
      .set(asA())
      .send({
        version,
        settings: { breakage_rate: '0.05', escheat_share: '0.25', termination_credits: 'unsatisfied_first' },
        mapping: { revenue: income.id },
      });
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(version + 1);
    expect(res.body.settings).toMatchObject({
      breakage_rate: '0.05',
      escheat_share: '0.25',
      termination_credits: 'unsatisfied_first',
    });
    expect(res.body.mapping.revenue).toBe(income.id);
    const tenant = await getTenant(t.db, { accountId: ACCOUNT_A, livemode: false });
    const [latest] = await settingsHistory(t.db, tenant.id);
    expect([latest?.version, latest?.changed_by]).toEqual([version + 1, USER_A]);
    const audits = await pageAudits();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor: USER_A, target: `settings v${version + 1}` });
    expect(audits[0]!.details).toMatchObject({
      settings: ['breakage_rate', 'escheat_share', 'termination_credits'],
      mapping: { revenue: income.id },
      version: version + 1,
    });
  });

  it('writes nothing when any part is refused: a wrong account type, a bad share, a required role unmapped', async () => {
    const before = await request(http).get('/api/app/settings').set(asA());
    const version: number = before.body.version;
    const mappingBefore = (await request(http).get('/api/app/accounts/mapping').set(asA())).body.mapping;
    const accounts = (await request(http).get('/api/app/qbo/accounts').set(asA())).body.accounts;
    const checking = accounts.find((a: { name: string }) => a.name === 'Checking');
    const save = (body: object) =>
      request(http)
        .put('/api/app/settings/page')
        .set(asA())
        .send({ version, ...body });
    const wrongType = await save({ settings: { catch_up: false }, mapping: { deferred_revenue: checking.id } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toMatch(/Bank/);
    const badShare = await save({ settings: { escheat_share: '1.5' }, mapping: {} });
    expect(badShare.status).toBe(400);
    expect(badShare.body.error.message).toMatch(/escheat_share: must be at most 1/);
    const unmapRequired = await save({ settings: { catch_up: false }, mapping: { revenue: null } });
    expect(unmapRequired.status).toBe(400);
    expect(unmapRequired.body.error.message).toMatch(/Revenue is required/);
    const stale = await request(http)
      .put('/api/app/settings/page')
      .set(asA())
      .send({ version: version - 1, settings: { catch_up: false }, mapping: {} });
    expect(stale.status).toBe(409);
    const viewer = await request(http)
      .put('/api/app/settings/page')
      .set(asA(VIEWER))
      .send({ version, settings: { catch_up: false }, mapping: {} });
    expect(viewer.status).toBe(403);
    // Nothing changed: same version and settings, same mapping, no new audit row.
    expect((await request(http).get('/api/app/settings').set(asA())).body).toEqual(before.body);
    expect((await request(http).get('/api/app/accounts/mapping').set(asA())).body.mapping).toEqual(mappingBefore);
    expect(await pageAudits()).toHaveLength(1);
  });
});

describe('products and product rules', () => {
  it("lists only the caller's Stripe products with their default price and current rule", async () => {
    const res = await request(http).get('/api/app/products').set(asA());
    expect(res.status).toBe(200);
    const ids = res.body.products.map((p: { id: string }) => p.id).sort();
    expect(ids).toEqual(['prod_AppA1', 'prod_AppA2']);
    const pro = res.body.products.find((p: { id: string }) => p.id === 'prod_AppA1');
    expect(pro.default_price).toEqual({ id: 'price_AppA1', currency: 'usd', unit_amount_minor: '9900' });
    expect(pro.rule).toBeNull();
    // The platform key acts on the caller's account only.
    expect(stripeFake.requests.filter((r) => r.path === '/v1/products').every((r) => r.account === ACCOUNT_A)).toBe(
      true,
    );
    const b = await request(http).get('/api/app/products').set(asB());
    expect(b.body.products.map((p: { id: string }) => p.id)).toEqual(['prod_AppB1']);
  });

  it('puts, reads and deletes a rule inside the versioned settings', async () => {
    const version = (await request(http).get('/api/app/settings').set(asA())).body.version as number;
    const put = await request(http)
      .put('/api/app/products/prod_AppA2/rule')
      .set(asA())
      .send({ version, rule: { rule: 'custom_term', term_months: 12 } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      version: version + 1,
      rule: { rule: 'custom_term', term_months: 12 },
      product: { id: 'prod_AppA2', name: 'Setup fee' },
    });

    const got = await request(http).get('/api/app/products/prod_AppA2/rule').set(asA());
    expect(got.body.rule).toEqual({ rule: 'custom_term', term_months: 12 });
    const listed = await request(http).get('/api/app/products').set(asA());
    expect(listed.body.products.find((p: { id: string }) => p.id === 'prod_AppA2').rule).toEqual({
      rule: 'custom_term',
      term_months: 12,
    });

    const stale = await request(http)
      .put('/api/app/products/prod_AppA2/rule')
      .set(asA())
      .send({ version, rule: { rule: 'exclude' } });
    expect(stale.status).toBe(409);
    const bad = await request(http)
      .put('/api/app/products/prod_AppA2/rule')
      .set(asA())
      .send({ version: version + 1, rule: { rule: 'custom_term' } });
    expect(bad.status).toBe(400);

    const tenant = await getTenant(t.db, { accountId: ACCOUNT_A, livemode: false });
    expect((await settingsHistory(t.db, tenant.id))[0]).toMatchObject({ version: version + 1, changed_by: USER_A });

    const del = await request(http)
      .delete(`/api/app/products/prod_AppA2/rule?version=${version + 1}`)
      .set(asA());
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ rule: null, version: version + 2 });
    expect(
      (
        await request(http)
          .delete(`/api/app/products/prod_AppA2/rule?version=${version + 2}`)
          .set(asA())
      ).status,
    ).toBe(404);
  });

  it('still reads and removes a rule whose product Stripe no longer has', async () => {
    const tenant = await getTenant(t.db, { accountId: ACCOUNT_A, livemode: false });
    const rules = { ...tenant.settings.product_rules, prod_AppGone: { rule: 'exclude' as const } };
    const saved = await updateSettings(
      t.db,
      tenant.id,
      { ...tenant.settings, product_rules: rules },
      tenant.settingsVersion,
      'test-setup',
    );
    const got = await request(http).get('/api/app/products/prod_AppGone/rule').set(asA());
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      product: { id: 'prod_AppGone', active: false, default_price: null },
      rule: { rule: 'exclude' },
    });
    const del = await request(http)
      .delete(`/api/app/products/prod_AppGone/rule?version=${saved.settingsVersion}`)
      .set(asA());
    expect(del.status).toBe(200);
    expect(
      (await getTenant(t.db, { accountId: ACCOUNT_A, livemode: false })).settings.product_rules['prod_AppGone'],
    ).toBeUndefined();
  });

  it('refuses a rule for a product of another account', async () => {
    const version = (await request(http).get('/api/app/settings').set(asA())).body.version as number;
    const res = await request(http)
      .put('/api/app/products/prod_AppB1/rule')
      .set(asA())
      .send({ version, rule: { rule: 'exclude' } });
    expect(res.status).toBe(404);
    expect((await request(http).get('/api/app/settings').set(asA())).body.version).toBe(version);
  });

  it('previews a bundle split by relative standalone selling price', async () => {
    const res = await request(http)
      .post('/api/app/bundle-preview')
      .set(asA())
      .send({
        amount_minor: '15000',
        currency: 'usd',
        components: [
          { name: 'Software', ssp: '130' },
          { name: 'Support', ssp: '30' },
        ],
      });
    expect(res.status).toBe(200);
    const parts = res.body.parts.map((p: { amount_minor: string }) => BigInt(p.amount_minor));
    expect(parts[0] + parts[1]).toBe(15000n);
    expect(parts[0]).toBeGreaterThan(parts[1]);
  });
});

describe('books: reports, invoice and customer detail, sync status', () => {
  let tenantA: Tenant;
  let finalizedEntryId: string;

  beforeAll(async () => {
    tenantA = await getTenant(t.db, { accountId: ACCOUNT_A, livemode: false });
    await bookInvoice(tenantA);
    const fin = await t.db
      .selectFrom('journal_entries')
      .select('id')
      .where('tenant_id', '=', tenantA.id)
      .where('kind', '=', 'invoice_finalized')
      .executeTakeFirstOrThrow();
    finalizedEntryId = fin.id.toString();
    // The finalization entry was posted to QuickBooks; the recognition entries were not yet.
    await t.db
      .insertInto('qbo_sync')
      .values({
        tenant_id: tenantA.id,
        realm_id: realmId,
        request_id: 'req-app-1',
        doc_number: 'AC-app-1',
        period: '2026-01',
        txn_date: '2026-01-01',
        currency: currencyOf('usd'),
        lines_hash: 'h',
        source_entry_ids: [finalizedEntryId],
        state: 'posted',
        qbo_id: '4242',
        sync_token: '0',
        posted_lines_hash: 'h',
        reason: null,
        code: null,
      })
      .execute();
    await t.db
      .insertInto('qbo_sync')
      .values({
        tenant_id: tenantA.id,
        realm_id: realmId,
        request_id: 'req-app-2',
        doc_number: 'AC-app-2',
        period: '2026-02',
        txn_date: '2026-02-28',
        currency: currencyOf('usd'),
        lines_hash: 'h2',
        source_entry_ids: [],
        state: 'failed',
        qbo_id: null,
        sync_token: null,
        posted_lines_hash: null,
        reason: 'closed period',
        code: '6200',
      })
      .execute();
    await t.db
      .insertInto('stripe_events')
      .values({
        id: 'evt_AppA1',
        tenant_id: tenantA.id,
        type: 'invoice.finalized',
        created: JAN_1_2026,
        object_id: INVOICE,
        payload: JSON.stringify({ id: 'evt_AppA1' }),
      })
      .execute();
  });

  it('reports a waterfall and a roll-forward that agree with each other and with the invoice', async () => {
    const wf = await request(http).get('/api/app/reports/waterfall?periods=3').set(asA());
    expect(wf.status).toBe(200);
    expect(wf.body.periods).toEqual(['2026-01', '2026-02', '2026-03']);
    expect(wf.body.rows).toHaveLength(1);
    const row = wf.body.rows[0];
    expect(row.booked_period).toBe('2026-01');
    const [jan, feb, mar] = row.recognized_minor.map(BigInt);
    expect(jan).toBeGreaterThan(0n);
    expect(feb).toBeGreaterThan(0n);
    expect(mar).toBe(0n); // March is not released yet
    expect(BigInt(row.booked_minor)).toBe(INVOICE_AMOUNT);
    expect(BigInt(row.remaining_minor)).toBe(INVOICE_AMOUNT - jan - feb);
    expect(wf.body.totals_minor.map(BigInt)).toEqual([jan, feb, mar]);

    const rf = await request(http).get('/api/app/reports/rollforward?periods=3').set(asA());
    expect(rf.status).toBe(200);
    expect(rf.body.rows.map((r: { period: string }) => r.period)).toEqual(['2026-01', '2026-02', '2026-03']);
    for (const r of rf.body.rows) {
      const n = (k: string) => BigInt(r[k]);
      expect(n('closing_minor')).toBe(
        n('opening_minor') + n('billings_minor') - n('recognized_minor') - n('contra_minor') + n('fx_minor'),
      );
    }
    const [rJan, rFeb, rMar] = rf.body.rows;
    expect(BigInt(rJan.billings_minor)).toBe(INVOICE_AMOUNT);
    expect(BigInt(rJan.recognized_minor)).toBe(jan);
    expect(BigInt(rFeb.recognized_minor)).toBe(feb);
    expect(BigInt(rMar.closing_minor)).toBe(BigInt(row.remaining_minor));

    // Tenant B has no books: empty reports, not A's.
    const b = await request(http).get('/api/app/reports/waterfall?periods=3').set(asB());
    expect(b.body.rows).toEqual([]);
    const bRf = await request(http).get('/api/app/reports/rollforward?periods=3').set(asB());
    expect(bRf.body.rows.every((r: { closing_minor: string }) => r.closing_minor === '0')).toBe(true);
  });

  it("shows an invoice's schedule from the engine and its entries with their QuickBooks ids", async () => {
    const res = await request(http).get(`/api/app/invoices/${INVOICE}`).set(asA());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      invoice_id: INVOICE,
      number: 'APPA-0001',
      customer_id: CUSTOMER,
      currency: 'usd',
      booked_on: '2026-01-01',
    });
    expect(res.body.schedule).toHaveLength(1);
    const line = res.body.schedule[0];
    expect(line).toMatchObject({
      invoice_line: 'il_AppA1',
      description: 'Pro plan (annual)',
      product: 'prod_AppA1',
      service_start: '2026-01-01',
      service_end: '2027-01-01',
    });
    expect(BigInt(line.amount_minor)).toBe(INVOICE_AMOUNT);
    expect(BigInt(line.recognized_minor) + BigInt(line.deferred_minor)).toBe(INVOICE_AMOUNT);
    expect(line.periods).toHaveLength(12);
    expect(
      line.periods
        .map((p: { amount_minor: string }) => BigInt(p.amount_minor))
        .reduce((a: bigint, b: bigint) => a + b, 0n),
    ).toBe(INVOICE_AMOUNT);
    const recognizedPeriods = line.periods
      .filter((p: { recognized: boolean }) => p.recognized)
      .map((p: { period: string }) => p.period);
    expect(recognizedPeriods).toEqual(['2026-01', '2026-02']);

    // The recognized amount is exactly what the ledger's recognition entries credited to revenue.
    const revenue = res.body.entries
      .filter((e: { kind: string }) => e.kind === 'recognition')
      .flatMap((e: { lines: { role: string; amount_minor: string }[] }) => e.lines)
      .filter((l: { role: string }) => l.role === 'revenue');
    expect(-revenue.reduce((s: bigint, l: { amount_minor: string }) => s + BigInt(l.amount_minor), 0n)).toBe(
      BigInt(line.recognized_minor),
    );
    const fin = res.body.entries.find((e: { kind: string }) => e.kind === 'invoice_finalized');
    expect(fin.qbo_id).toBe('4242');
    expect(
      res.body.entries
        .filter((e: { kind: string }) => e.kind === 'recognition')
        .every((e: { qbo_id: string | null }) => e.qbo_id === null),
    ).toBe(true);
    for (const e of res.body.entries)
      expect(e.lines.reduce((s: bigint, l: { amount_minor: string }) => s + BigInt(l.amount_minor), 0n)).toBe(0n);

    expect((await request(http).get(`/api/app/invoices/${INVOICE}`).set(asB())).status).toBe(404);
    expect((await request(http).get('/api/app/invoices/in_nothing_booked').set(asA())).status).toBe(404);
  });

  it("shows a customer's invoices with recognized and deferred totals", async () => {
    const inv = (await request(http).get(`/api/app/invoices/${INVOICE}`).set(asA())).body.schedule[0];
    const res = await request(http).get(`/api/app/customers/${CUSTOMER}`).set(asA());
    expect(res.status).toBe(200);
    expect(res.body.invoices).toEqual([
      {
        invoice_id: INVOICE,
        number: null,
        booked_on: '2026-01-01',
        total_minor: INVOICE_AMOUNT.toString(),
        recognized_minor: inv.recognized_minor,
        deferred_minor: inv.deferred_minor,
      },
    ]);
    expect(res.body.recognized_minor).toBe(inv.recognized_minor);
    expect(res.body.deferred_minor).toBe(inv.deferred_minor);
    expect(res.body.entries.length).toBeGreaterThan(0);
    expect((await request(http).get(`/api/app/customers/${CUSTOMER}`).set(asB())).status).toBe(404);
  });

  it('reports sync status: last event, last posting, pending and failed counts, exceptions and the connection', async () => {
    const entries = await t.db
      .selectFrom('journal_entries')
      .select(sql<bigint>`count(*)::bigint`.as('n'))
      .where('tenant_id', '=', tenantA.id)
      .executeTakeFirstOrThrow();
    const res = await request(http).get('/api/app/sync/status').set(asA());
    expect(res.status).toBe(200);
    expect(res.body.last_event_type).toBe('invoice.finalized');
    expect(res.body.last_event_received_at).not.toBeNull();
    expect(res.body.last_posting_at).not.toBeNull();
    expect(res.body.pending_count).toBe(Number(entries.n) - 1);
    expect(res.body.failed_count).toBe(1);
    expect(res.body.qbo).toMatchObject({ status: 'connected', realm_id: realmId });

    const b = await request(http).get('/api/app/sync/status').set(asB());
    expect(b.body).toMatchObject({
      last_event_received_at: null,
      last_posting_at: null,
      pending_count: 0,
      failed_count: 0,
      open_exceptions: 0,
    });
    expect(b.body.qbo.status).toBe('not_connected');
  });
});

describe('exceptions', () => {
  let tenantA: Tenant;
  beforeAll(async () => {
    tenantA = await getTenant(t.db, { accountId: ACCOUNT_A, livemode: false });
    await t.db
      .insertInto('stripe_events')
      .values({
        id: 'evt_AppFailed',
        tenant_id: tenantA.id,
        type: 'charge.refunded',
        created: JAN_1_2026 + 60,
        object_id: 're_1',
        payload: JSON.stringify({ id: 'evt_AppFailed' }),
        status: 'failed',
        attempts: 5,
        last_error: 'boom',
      })
      .execute();
    await recordException(
      t.db,
      tenantA.id,
      'stripe_event',
      'evt_AppFailed',
      'could not process charge.refunded: boom',
      { type: 'charge.refunded' },
    );
    await recordException(t.db, tenantA.id, 'engine', INVOICE, 'no exchange rate EUR→USD', { aggregate: INVOICE });
  });

  it('lists, retries (re-pending the event and enqueueing the inbox) and resolves exceptions, per tenant', async () => {
    const open = await request(http).get('/api/app/exceptions').set(asA());
    expect(open.status).toBe(200);
    expect(open.body.exceptions.map((e: { kind: string }) => e.kind)).toEqual(['stripe_event', 'engine']);
    const [eventEx, engineEx] = open.body.exceptions;
    expect(eventEx).toMatchObject({ status: 'open', retryable: true, object_ids: ['evt_AppFailed'], attempts: 0 });
    expect(engineEx.retryable).toBe(false);

    const page = await request(http).get('/api/app/exceptions?limit=1').set(asA());
    expect(page.body).toMatchObject({ has_more: true });
    const next = await request(http)
      .get(`/api/app/exceptions?limit=1&starting_after=${page.body.exceptions[0].id}`)
      .set(asA());
    expect(next.body.exceptions[0].id).toBe(engineEx.id);

    // Tenant B can neither see nor touch A's exceptions.
    expect((await request(http).get('/api/app/exceptions?status=all').set(asB())).body.exceptions).toEqual([]);
    expect((await request(http).post(`/api/app/exceptions/${eventEx.id}/retry`).set(asB())).status).toBe(404);
    expect(
      (await request(http).post(`/api/app/exceptions/${eventEx.id}/resolve`).set(asB()).send({ note: 'not mine' }))
        .status,
    ).toBe(404);

    const retried = await request(http).post(`/api/app/exceptions/${eventEx.id}/retry`).set(asA());
    expect(retried.status).toBe(200);
    expect(retried.body.exception).toMatchObject({ id: eventEx.id, status: 'retrying', attempts: 1 });
    const ev = await t.db
      .selectFrom('stripe_events')
      .select(['status', 'attempts'])
      .where('id', '=', 'evt_AppFailed')
      .executeTakeFirstOrThrow();
    expect(ev).toEqual({ status: 'pending', attempts: 0 });
    const queued = await sql<{
      n: bigint;
    }>`select count(*)::bigint as n from pgboss.job where name = ${QUEUES.inbox} and data->>'tenantId' = ${tenantA.id.toString()}`.execute(
      t.db,
    );
    expect(Number(queued.rows[0]!.n)).toBeGreaterThanOrEqual(1);

    expect((await request(http).post(`/api/app/exceptions/${engineEx.id}/retry`).set(asA())).status).toBe(409);

    const resolved = await request(http)
      .post(`/api/app/exceptions/${engineEx.id}/resolve`)
      .set(asA())
      .send({ note: 'Added the EUR rate' });
    expect(resolved.status).toBe(200);
    expect(resolved.body.exception).toMatchObject({ status: 'resolved', retryable: false });
    const row = await t.db
      .selectFrom('exceptions')
      .select(['resolved_by', 'note'])
      .where('id', '=', BigInt(engineEx.id))
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ resolved_by: USER_A, note: 'Added the EUR rate' });

    expect(
      (await request(http).get('/api/app/exceptions').set(asA())).body.exceptions.map((e: { id: string }) => e.id),
    ).toEqual([eventEx.id]);
    expect(
      (await request(http).get('/api/app/exceptions?status=resolved').set(asA())).body.exceptions.map(
        (e: { id: string }) => e.id,
      ),
    ).toEqual([engineEx.id]);
    expect((await request(http).get('/api/app/sync/status').set(asA())).body.open_exceptions).toBe(1);
  });

  it('refuses a currency change once entries are booked', async () => {
    const version = (await request(http).get('/api/app/settings').set(asA())).body.version as number;
    const res = await request(http)
      .put('/api/app/settings')
      .set(asA())
      .send({ version, settings: { functional_currency: 'EUR' } });
    expect(res.status).toBe(409);
    // Tenant B has no entries, so it may still choose its currency.
    const b = await request(http)
      .put('/api/app/settings')
      .set(asB())
      .send({ version: 1, settings: { functional_currency: 'EUR' } });
    expect(b.status).toBe(200);
    expect(b.body.settings.functional_currency).toBe('eur');
  });
});
