/**
 * Proves the App API's HTTP contract and its authentication: a request signed the way Stripe
 * signs Dashboard requests reaches the service with the VERIFIED account id (and nothing the
 * client could choose instead); bad, stale or mismatched signatures are 401; live mode needs a
 * signed mode; CORS preflights are answered; read-only roles get 403 on writes; bodies that break
 * the schemas are 400 `invalid_input`; service errors keep their stable codes; the bundle preview
 * splits 150.00 over SSPs 130/30 into 121.88 / 28.12.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import Stripe from 'stripe';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_ROLES } from '../../shared/accounts.ts';
import {
  APP_HEADERS,
  plainSignedPayload,
  signedPayloadString,
  type SettingsResponse,
  type SignedExtra,
} from '../../shared/api/app.ts';
import { AccrueError, isAccrueError } from '../../shared/errors.ts';
import { defaultSettings } from '../../shared/settings.ts';
import type { AppCaller, AppService } from '../app/app-api/types.ts';
import { parseAppSecrets } from './app-auth.ts';
import { appRouter } from './app-routes.ts';
import { currency as currencyOf } from '../../shared/money.ts';

const SECRET = 'absec_test_current';
const OLD_SECRET = 'absec_test_previous';
const USER = 'usr_alice';
const ACCOUNT = 'acct_merchant';

function sign(payload: string, opts: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: opts.secret ?? SECRET,
    ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
  });
}

/** Headers of a plain (two-field) signed request. */
function plainHeaders(
  user = USER,
  account = ACCOUNT,
  opts: { secret?: string; timestamp?: number } = {},
): Record<string, string> {
  return {
    [APP_HEADERS.signature]: sign(plainSignedPayload(user, account), opts),
    [APP_HEADERS.userId]: user,
    [APP_HEADERS.accountId]: account,
  };
}

/** Headers of a request whose extra fields (mode, roles) are signed too. */
function signedHeaders(extra: SignedExtra, user = USER, account = ACCOUNT): Record<string, string> {
  const payload = signedPayloadString(extra, user, account);
  return {
    [APP_HEADERS.signature]: sign(payload),
    [APP_HEADERS.userId]: user,
    [APP_HEADERS.accountId]: account,
    [APP_HEADERS.signedPayload]: payload,
  };
}

const ADMIN: SignedExtra = { mode: 'test', stripe_roles: ['admin'] };

function generalSettings(): SettingsResponse['settings'] {
  const {
    product_rules: _r,
    rules: _rules,
    fx_rates: _f,
    fx_provider: _p,
    account_names: _a,
    ...general
  } = defaultSettings();
  // Set by the opening balances import and by an operator, not by the Settings view.
  const { cutover_date: _c, approval_threshold_minor: _t, ...edited } = general;
  return edited;
}

/** A fake service that records the callers it saw and keeps a versioned settings document. */
function fakeService() {
  const calls: { method: string; caller: AppCaller; args: unknown[] }[] = [];
  let version = 3;
  let settings = generalSettings();
  const record = (method: string, caller: AppCaller, ...args: unknown[]) => calls.push({ method, caller, args });
  const unimplemented = (name: string) => async () => {
    throw new AccrueError('internal', `${name} not faked`);
  };
  const service: AppService = {
    async getSettings(c) {
      record('getSettings', c);
      return { version, settings };
    },
    async updateSettings(c, req) {
      record('updateSettings', c, req);
      if (req.version !== version) throw new AccrueError('conflict', 'Settings changed since you loaded them.');
      settings = { ...settings, ...req.settings };
      version += 1;
      return { version, settings };
    },
    async getAccountMapping(c) {
      record('getAccountMapping', c);
      return {
        mapping: Object.fromEntries(ACCOUNT_ROLES.map((r) => [r, r === 'revenue' ? '79' : null])) as Record<
          (typeof ACCOUNT_ROLES)[number],
          string | null
        >,
      };
    },
    updateAccountMapping: unimplemented('updateAccountMapping'),
    saveSettingsPage: unimplemented('saveSettingsPage'),
    listQboAccounts: unimplemented('listQboAccounts'),
    createMissingAccounts: unimplemented('createMissingAccounts'),
    async startQboConnect(c) {
      record('startQboConnect', c);
      return {
        authorization_url: 'https://api.accrue.example/qbo/authorize?ticket=t1',
        expires_at: '2026-11-21T12:10:00Z',
      };
    },
    async getQboStatus(c) {
      record('getQboStatus', c);
      return {
        status: 'connected',
        company_name: 'Sandbox Co',
        realm_id: '9130',
        connected_at: '2026-11-01T00:00:00Z',
        message: null,
      };
    },
    disconnectQbo: unimplemented('disconnectQbo'),
    listProducts: unimplemented('listProducts'),
    async getProductRule(c, productId) {
      record('getProductRule', c, productId);
      throw new AccrueError('not_found', `No product ${productId}`);
    },
    putProductRule: unimplemented('putProductRule'),
    deleteProductRule: unimplemented('deleteProductRule'),
    getSyncStatus: unimplemented('getSyncStatus'),
    listExceptions: unimplemented('listExceptions'),
    retryException: unimplemented('retryException'),
    resolveException: unimplemented('resolveException'),
    async getWaterfall(c, q) {
      record('getWaterfall', c, q);
      // Deliberately off-contract (a number where a minor-unit string belongs) for the drift test.
      return { currency: currencyOf('usd'), periods: ['2026-10'], rows: [], totals_minor: [5 as unknown as string] };
    },
    async getRollforward(c, q) {
      record('getRollforward', c, q);
      return { currency: currencyOf('usd'), rows: [] };
    },
    getInvoiceDetail: unimplemented('getInvoiceDetail'),
    getCustomerDetail: unimplemented('getCustomerDetail'),
    getMetrics: unimplemented('getMetrics'),
    getRpo: unimplemented('getRpo'),
    getRevenueBridge: unimplemented('getRevenueBridge'),
    listApprovals: unimplemented('listApprovals'),
    decideApproval: unimplemented('decideApproval'),
    postManualJournal: unimplemented('postManualJournal'),
    getRules: unimplemented('getRules'),
    previewRules: unimplemented('previewRules'),
    saveRules: unimplemented('saveRules'),
    listPeriods: unimplemented('listPeriods'),
    closePeriod: unimplemented('closePeriod'),
    reopenPeriod: unimplemented('reopenPeriod'),
    getReconciliation: unimplemented('getReconciliation'),
    getReconciliationEntries: unimplemented('getReconciliationEntries'),
    excludeException: unimplemented('excludeException'),
    reviewException: unimplemented('reviewException'),
    mapExceptionAccount: unimplemented('mapExceptionAccount'),
    getBackfillProgress: unimplemented('getBackfillProgress'),
    getExportText: unimplemented('getExportText'),
  };
  return { service, calls };
}

/** The tiny error handler the brief asks for: AccrueError → {error:{code,message}} with its status. */
function errorHandler(err: unknown, _req: Request, res: Response, _next: NextFunction): void {
  if (isAccrueError(err)) {
    res.status(err.httpStatus).json({ error: { code: err.code, message: err.message } });
    return;
  }
  res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
}

function makeApp(opts: { trustUnsignedMode?: boolean; now_s?: () => number } = {}) {
  const fake = fakeService();
  const app = express();
  app.use('/api/app', appRouter(fake.service, { auth: { secrets: [SECRET, OLD_SECRET], ...opts } }));
  app.use(errorHandler);
  return { app, ...fake };
}

describe('App API authentication', () => {
  it('accepts a valid plain signature and hands the service the verified account, test mode, no roles', async () => {
    const { app, calls } = makeApp();
    const res = await request(app).get('/api/app/settings').set(plainHeaders());
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(3);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.caller).toEqual({
      tenant: { accountId: ACCOUNT, livemode: false },
      user: { id: USER, roles: [] },
    });
  });

  it('accepts a signature made with the secret being rotated out', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .get('/api/app/settings')
      .set(plainHeaders(USER, ACCOUNT, { secret: OLD_SECRET }));
    expect(res.status).toBe(200);
  });

  it('refuses a signature made with another secret', async () => {
    const { app, calls } = makeApp();
    const res = await request(app)
      .get('/api/app/settings')
      .set(plainHeaders(USER, ACCOUNT, { secret: 'absec_attacker' }));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(calls).toHaveLength(0);
  });

  it('refuses a stale signature (older than 300 s)', async () => {
    const { app, calls } = makeApp();
    const stale = Math.floor(Date.now() / 1000) - 301 - 5;
    const res = await request(app)
      .get('/api/app/settings')
      .set(plainHeaders(USER, ACCOUNT, { timestamp: stale }));
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/expired/);
    expect(calls).toHaveLength(0);
  });

  it('accepts a signature 299 s old (inside the tolerance)', async () => {
    const { app } = makeApp();
    const recent = Math.floor(Date.now() / 1000) - 290;
    const res = await request(app)
      .get('/api/app/settings')
      .set(plainHeaders(USER, ACCOUNT, { timestamp: recent }));
    expect(res.status).toBe(200);
  });

  it('refuses a header account id other than the signed one', async () => {
    const { app, calls } = makeApp();
    const headers = { ...plainHeaders(), [APP_HEADERS.accountId]: 'acct_victim' };
    const res = await request(app).get('/api/app/settings').set(headers);
    expect(res.status).toBe(401);
    expect(calls).toHaveLength(0);
  });

  it('refuses a body account id other than the signed one', async () => {
    const { app, calls } = makeApp();
    const res = await request(app)
      .put('/api/app/settings')
      .set(signedHeaders(ADMIN))
      .send({ account_id: 'acct_victim', version: 3, settings: { catch_up: false } });
    expect(res.status).toBe(401);
    expect(calls).toHaveLength(0);
  });

  it('refuses requests with missing identity headers', async () => {
    const { app } = makeApp();
    const { [APP_HEADERS.userId]: _u, ...noUser } = plainHeaders();
    expect((await request(app).get('/api/app/settings').set(noUser)).status).toBe(401);
    expect((await request(app).get('/api/app/settings')).status).toBe(401);
  });

  it('refuses a signed payload whose account differs from the header, even if correctly signed', async () => {
    const { app, calls } = makeApp();
    const headers = { ...signedHeaders(ADMIN, USER, 'acct_other'), [APP_HEADERS.accountId]: ACCOUNT };
    const res = await request(app).get('/api/app/settings').set(headers);
    expect(res.status).toBe(401);
    expect(calls).toHaveLength(0);
  });

  it('refuses a signed payload edited after signing (role added)', async () => {
    const { app } = makeApp();
    const headers = signedHeaders({ mode: 'test' });
    headers[APP_HEADERS.signedPayload] = signedPayloadString({ mode: 'test', stripe_roles: ['admin'] }, USER, ACCOUNT);
    const res = await request(app).put('/api/app/settings').set(headers).send({ version: 3, settings: {} });
    expect(res.status).toBe(401);
  });

  it('verifies the signed string as received, whatever order Stripe serialized it in', async () => {
    const { app, calls } = makeApp();
    const identityFirst = JSON.stringify({
      user_id: USER,
      account_id: ACCOUNT,
      mode: 'live',
      stripe_roles: ['developer'],
    });
    const headers = {
      [APP_HEADERS.signature]: sign(identityFirst),
      [APP_HEADERS.userId]: USER,
      [APP_HEADERS.accountId]: ACCOUNT,
      [APP_HEADERS.signedPayload]: identityFirst,
    };
    const res = await request(app).get('/api/app/settings').set(headers);
    expect(res.status).toBe(200);
    expect(calls[0]!.caller).toEqual({
      tenant: { accountId: ACCOUNT, livemode: true },
      user: { id: USER, roles: ['developer'] },
    });
  });

  it('refuses a signed payload with fields we do not expect', async () => {
    const { app } = makeApp();
    const payload = JSON.stringify({ user_id: USER, account_id: ACCOUNT, tenant: 'acct_other' });
    const res = await request(app)
      .get('/api/app/settings')
      .set({
        [APP_HEADERS.signature]: sign(payload),
        [APP_HEADERS.userId]: USER,
        [APP_HEADERS.accountId]: ACCOUNT,
        [APP_HEADERS.signedPayload]: payload,
      });
    expect(res.status).toBe(401);
  });

  it('takes live mode only from a signed mode', async () => {
    const { app, calls } = makeApp();
    const unsignedLive = await request(app)
      .get('/api/app/settings')
      .set({ ...plainHeaders(), [APP_HEADERS.mode]: 'live' });
    expect(unsignedLive.status).toBe(401);
    const signedLive = await request(app)
      .get('/api/app/settings')
      .set({ ...signedHeaders({ mode: 'live' }), [APP_HEADERS.mode]: 'live' });
    expect(signedLive.status).toBe(200);
    expect(calls.at(-1)!.caller.tenant).toEqual({ accountId: ACCOUNT, livemode: true });
    const disagreeing = await request(app)
      .get('/api/app/settings')
      .set({ ...signedHeaders({ mode: 'test' }), [APP_HEADERS.mode]: 'live' });
    expect(disagreeing.status).toBe(401);
  });

  it('lets the unsigned mode header decide only when the deployment opts in', async () => {
    const { app, calls } = makeApp({ trustUnsignedMode: true });
    const res = await request(app)
      .get('/api/app/settings')
      .set({ ...plainHeaders(), [APP_HEADERS.mode]: 'live' });
    expect(res.status).toBe(200);
    expect(calls[0]!.caller.tenant.livemode).toBe(true);
  });

  it('answers the CORS preflight without authentication', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .options('/api/app/settings')
      .set('Origin', 'null')
      .set('Access-Control-Request-Method', 'PUT');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const allowed = String(res.headers['access-control-allow-headers']).toLowerCase();
    for (const h of Object.values(APP_HEADERS)) expect(allowed).toContain(h);
    expect(String(res.headers['access-control-allow-methods'])).toContain('PUT');
  });

  it('parses the rotation list of secrets', () => {
    expect(parseAppSecrets(' absec_a, absec_b ,')).toEqual(['absec_a', 'absec_b']);
    expect(() => parseAppSecrets('')).toThrow(/STRIPE_APP_SECRET/);
  });
});

describe('App API routes', () => {
  it('forbids writes to users without a signed administrator or developer role (403)', async () => {
    const { app, calls } = makeApp();
    const viewOnly = await request(app)
      .put('/api/app/settings')
      .set(signedHeaders({ mode: 'test', stripe_roles: ['view_only'] }))
      .send({ version: 3, settings: { catch_up: false } });
    expect(viewOnly.status).toBe(403);
    expect(viewOnly.body.error.code).toBe('forbidden');
    const unsigned = await request(app)
      .put('/api/app/settings')
      .set(plainHeaders())
      .send({ version: 3, settings: { catch_up: false } });
    expect(unsigned.status).toBe(403);
    const connect = await request(app).post('/api/app/qbo/connect').set(plainHeaders());
    expect(connect.status).toBe(403);
    expect(calls).toHaveLength(0);
  });

  it('saves settings for an administrator and bumps the version; a stale version is a conflict', async () => {
    const { app, calls } = makeApp();
    const ok = await request(app)
      .put('/api/app/settings')
      .set(signedHeaders(ADMIN))
      .send({ version: 3, settings: { catch_up: false, posting_mode: 'detailed' } });
    expect(ok.status).toBe(200);
    expect(ok.body.version).toBe(4);
    expect(ok.body.settings.catch_up).toBe(false);
    expect(calls[0]!.caller.user).toEqual({ id: USER, roles: ['admin'] });
    const stale = await request(app)
      .put('/api/app/settings')
      .set(signedHeaders(ADMIN))
      .send({ version: 3, settings: { catch_up: true } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('conflict');
  });

  it('refuses bodies that break the schema with 400 invalid_input', async () => {
    const { app, calls } = makeApp();
    const badEnum = await request(app)
      .put('/api/app/settings')
      .set(signedHeaders(ADMIN))
      .send({ version: 3, settings: { amortization: 'whenever' } });
    expect(badEnum.status).toBe(400);
    expect(badEnum.body.error.code).toBe('invalid_input');
    expect(badEnum.body.error.message).toContain('settings.amortization');
    const unknownKey = await request(app)
      .put('/api/app/settings')
      .set(signedHeaders(ADMIN))
      .send({ version: 3, settings: {}, sneaky: true });
    expect(unknownKey.status).toBe(400);
    const notJson = await request(app)
      .put('/api/app/settings')
      .set(signedHeaders(ADMIN))
      .set('Content-Type', 'application/json')
      .send('{"version":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('invalid_input');
    const badQuery = await request(app).get('/api/app/reports/waterfall?periods=99').set(plainHeaders());
    expect(badQuery.status).toBe(400);
    expect(calls).toHaveLength(0);
  });

  it('passes parsed queries with defaults to the service', async () => {
    const { app, calls } = makeApp();
    const res = await request(app).get('/api/app/reports/rollforward').set(plainHeaders());
    expect(res.status).toBe(200);
    expect(calls[0]!.args[0]).toEqual({ periods: 6 });
  });

  it('keeps service error codes (not_found → 404)', async () => {
    const { app, calls } = makeApp();
    const res = await request(app).get('/api/app/products/prod_missing/rule').set(plainHeaders());
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'No product prod_missing' } });
    expect(calls[0]!.args[0]).toBe('prod_missing');
  });

  it('turns a service answer outside the contract into a 500, not a broken UI', async () => {
    const { app } = makeApp();
    const res = await request(app).get('/api/app/reports/waterfall').set(plainHeaders());
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('internal');
  });

  it('sends only contract fields: extra keys from the service are dropped, not leaked', async () => {
    const { app, service } = makeApp();
    service.getSettings = async () => ({
      version: 9,
      settings: { ...defaultSettings(), internal_note: 'x' } as unknown as SettingsResponse['settings'],
    });
    const res = await request(app).get('/api/app/settings').set(plainHeaders());
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.settings).sort()).toEqual(Object.keys(generalSettings()).sort());
  });

  it('returns every role in the account mapping', async () => {
    const { app } = makeApp();
    const res = await request(app).get('/api/app/accounts/mapping').set(plainHeaders());
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.mapping).sort()).toEqual([...ACCOUNT_ROLES].sort());
  });

  it('previews a bundle split with the engine allocation: 150.00 over SSP 130/30', async () => {
    const { app } = makeApp();
    const res = await request(app)
      .post('/api/app/bundle-preview')
      .set(plainHeaders())
      .send({
        amount_minor: '15000',
        currency: 'usd',
        components: [
          { name: 'Licence', ssp: '130' },
          { name: 'Support', ssp: '30' },
        ],
      });
    expect(res.status).toBe(200);
    expect(res.body.parts.map((p: { amount: string }) => p.amount)).toEqual(['121.88', '28.12']);
    const zero = await request(app)
      .post('/api/app/bundle-preview')
      .set(plainHeaders())
      .send({ amount_minor: '100', currency: 'usd', components: [{ name: 'A', ssp: '0' }] });
    expect(zero.status).toBe(400);
  });

  it('returns the QuickBooks authorization URL to an administrator', async () => {
    const { app } = makeApp();
    const res = await request(app).post('/api/app/qbo/connect').set(signedHeaders(ADMIN));
    expect(res.status).toBe(200);
    expect(res.body.authorization_url).toMatch(/^https:\/\//);
  });
});

describe('App API: the month-end close routes (shared/api/close.ts)', () => {
  const admin = () => signedHeaders(ADMIN);
  const viewer = () => signedHeaders({ mode: 'test' });

  it('refuses a reopen without a reason, and a close or reopen by a user without a write role', async () => {
    const { app, calls } = makeApp();
    const noReason = await request(app).post('/api/app/periods/2026-01/reopen').set(admin()).send({});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error).toMatchObject({ code: 'invalid_input' });
    expect(noReason.body.error.message).toMatch(/reason/);
    const viewerClose = await request(app).post('/api/app/periods/2026-02/close').set(viewer()).send({});
    expect(viewerClose.status).toBe(403);
    const viewerExclude = await request(app)
      .post('/api/app/exceptions/4/exclude')
      .set(viewer())
      .send({ reason: 'ok then' });
    expect(viewerExclude.status).toBe(403);
    expect(calls).toEqual([]);
  });

  it('validates every query and body with its schema before the service is called', async () => {
    const { app, calls } = makeApp();
    const bad = [
      request(app).get('/api/app/reconciliation?period=2026-13').set(admin()),
      request(app).get('/api/app/reconciliation').set(admin()),
      request(app).get('/api/app/reconciliation/entries?period=2026-03').set(admin()),
      request(app).post('/api/app/exceptions/4/exclude').set(admin()).send({ reason: 'x' }),
      request(app).post('/api/app/exceptions/4/map-account').set(admin()).send({ role: 'nope', qbo_account_id: '1' }),
      request(app).post('/api/app/periods/2026-02/close').set(admin()).send({ force: true }),
      request(app).get('/api/app/exports/csv?from=2026-1').set(admin()),
    ];
    for (const res of await Promise.all(bad)) {
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_input');
    }
    expect(calls).toEqual([]);
  });

  it('answers 503 not_configured from reconciliation when QuickBooks is not connected', async () => {
    const { app, service } = makeApp();
    service.getReconciliation = async () => {
      throw new AccrueError('not_configured', 'QuickBooks is not connected.');
    };
    const res = await request(app).get('/api/app/reconciliation?period=2026-03').set(admin());
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('not_configured');
  });
});
