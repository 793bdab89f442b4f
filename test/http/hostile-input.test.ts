/**
 * Proves the public endpoints refuse hostile input with a 4xx and a stable code, never a 500:
 * every malformed-but-validly-signed Stripe event (`invalid_event`, nothing stored), an
 * unsupported Content-Encoding (415) and an oversized body (413) on every route, account ids of
 * the wrong type or length wherever they enter, the per-IP and per-tenant rate limits (429 with
 * Retry-After), and admin calls without a valid key (401, no audit row).
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { recordException } from '../../backend/ledger/exception-queue.ts';
import { ACCOUNT_ID_LENGTH_MAX, checkAccountId, ensureTenant } from '../../backend/ledger/tenants.ts';
import {
  appHeaders,
  intuitSignature,
  plainAppHeaders,
  rowCount,
  startHostile,
  stripeSignature,
  type Hostile,
} from './hostile-harness.ts';

let h: Hostile;
beforeAll(async () => {
  h = await startHostile();
});
afterAll(async () => {
  await h?.close();
});

const good = () => ({
  id: 'evt_hostile_good',
  object: 'event',
  type: 'invoice.finalized',
  account: 'acct_Hostile',
  livemode: false,
  created: 1767225600,
  api_version: '2026-10-28.endive',
  data: { object: { id: 'in_hostile', object: 'invoice' } },
});

function postEvent(body: string) {
  return request(h.http)
    .post('/webhooks/stripe')
    .set('content-type', 'application/json')
    .set('stripe-signature', stripeSignature(body))
    .send(body);
}

const without = (key: string) => {
  const e: Record<string, unknown> = good();
  delete e[key];
  return JSON.stringify(e);
};
const withField = (key: string, value: unknown) => JSON.stringify({ ...good(), [key]: value });
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

/** Raw JSON texts, each validly signed and each malformed. */
const MALFORMED: [string, string][] = [
  ['id null', withField('id', null)],
  ['id missing', without('id')],
  ['type null', withField('type', null)],
  ['type missing', without('type')],
  ['created null', withField('created', null)],
  ['created missing', without('created')],
  ['created a string', withField('created', '1767225600')],
  ['created a float', withField('created', 1767225600.5)],
  ['created 1e300', withField('created', 1e300)],
  ['created negative', withField('created', -1)],
  ['NUL in id', withField('id', 'evt_\u0000x')],
  ['NUL in type', withField('type', 'invoice.\u0000finalized')],
  ['lone surrogate in data', JSON.stringify(good()).replace('"in_hostile"', '"in_\\ud800"')],
  ['lone surrogate in a key', JSON.stringify(good()).replace('"object":"invoice"', '"\\udc00":"invoice"')],
  ['NUL in a key', JSON.stringify(good()).replace('"object":"invoice"', '"a\\u0000":"invoice"')],
  [
    'JSON nested 10,000 deep',
    JSON.stringify({ ...good(), data: { object: { id: 'in_deep', nested: 'X' } } }).replace('"X"', deep(10_000)),
  ],
  ['body null', 'null'],
  ['body an array', '[]'],
  ['body a string', '"evt"'],
  ['data null', withField('data', null)],
  ['data missing', without('data')],
  ['data.object null', withField('data', { object: null })],
  ['data.object an array', withField('data', { object: [] })],
  ['account an array', withField('account', ['acct_X'])],
  ['account 5,000 characters', withField('account', `acct_${'A'.repeat(4995)}`)],
  ['account not acct_', withField('account', 'cus_123')],
  ['livemode a string', withField('livemode', 'true')],
  ['id 1,000 characters', withField('id', `evt_${'a'.repeat(996)}`)],
];

describe('malformed but validly signed Stripe events', () => {
  for (const [what, body] of MALFORMED) {
    it(`${what}: 400 invalid_event, nothing stored`, async () => {
      const before = await rowCount(h, 'stripe_events');
      const tenantsBefore = await rowCount(h, 'tenants');
      const res = await postEvent(body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error.code).toBe('invalid_event');
      expect(res.body.error.message).toMatch(/event/);
      expect(await rowCount(h, 'stripe_events')).toBe(before);
      expect(await rowCount(h, 'tenants')).toBe(tenantsBefore);
    });
  }

  it('a well-formed event is still stored (the checks refuse only what is malformed)', async () => {
    const res = await postEvent(JSON.stringify(good()));
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ received: true, duplicate: false });
  });
});

describe('body encoding and size', () => {
  const routes: { name: string; send: () => request.Test }[] = [
    {
      name: 'Stripe webhook',
      send: () => request(h.http).post('/webhooks/stripe').set('stripe-signature', stripeSignature('{}')),
    },
    {
      name: 'QuickBooks webhook',
      send: () => request(h.http).post('/webhooks/qbo').set('intuit-signature', intuitSignature('{}')),
    },
    {
      name: 'App API',
      send: () => request(h.http).put('/api/app/settings').set(appHeaders('acct_Hostile')),
    },
    {
      name: 'Admin API',
      send: () => request(h.http).post('/admin/tenants/1/jobs/sync').set('authorization', `Bearer ${h.operatorKey}`),
    },
    { name: 'an unknown route', send: () => request(h.http).post('/nowhere') },
  ];

  for (const r of routes) {
    it(`${r.name}: an unsupported Content-Encoding is 415 unsupported_media_type`, async () => {
      const res = await r
        .send()
        .set('content-type', 'application/json')
        .set('content-encoding', 'x-hostile')
        .send('{}');
      expect(res.status, res.text).toBe(415);
      expect(res.body.error.code).toBe('unsupported_media_type');
      expect(res.text).not.toMatch(/at .*\.ts:\d+/);
    });

    it(`${r.name}: an oversized body is 413 payload_too_large`, async () => {
      const huge = JSON.stringify({ pad: 'x'.repeat(3 * 1024 * 1024) });
      const res = await r.send().set('content-type', 'application/json').send(huge);
      expect(res.status, res.text).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    });
  }
});

describe('account ids', () => {
  it('are type- and length-checked at the one check every entry point uses (webhook, App API, CLI)', () => {
    expect(() => checkAccountId(['acct_X'])).toThrow(/must be a string/);
    expect(() => checkAccountId(`acct_${'A'.repeat(ACCOUNT_ID_LENGTH_MAX)}`)).toThrow(/longer than 255/);
    expect(() => checkAccountId('acct_X\u0000')).toThrow(/not a Stripe account id/);
    expect(checkAccountId(`acct_${'A'.repeat(ACCOUNT_ID_LENGTH_MAX - 5)}`)).toHaveLength(ACCOUNT_ID_LENGTH_MAX);
  });

  it('App API: a validly signed 5,000-character account id is refused and creates no tenant', async () => {
    const before = await rowCount(h, 'tenants');
    const res = await request(h.http)
      .get('/api/app/settings')
      .set(plainAppHeaders(`acct_${'B'.repeat(4995)}`));
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
    expect(await rowCount(h, 'tenants')).toBe(before);
  });

  it('Admin API: an account filter longer than an account id is refused', async () => {
    const res = await request(h.http)
      .get(`/admin/tenants?account=acct_${'C'.repeat(4995)}`)
      .set('authorization', `Bearer ${h.operatorKey}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
  });
});

describe('admin calls without a valid key', () => {
  it('answer 401 and leave no audit row', async () => {
    const before = await rowCount(h, 'admin_audit');
    for (const auth of [null, 'Bearer aak_AAAAAAAA_nope', 'Basic xyz']) {
      const req = request(h.http).get('/admin/tenants');
      const res = await (auth ? req.set('authorization', auth) : req);
      expect(res.status).toBe(401);
    }
    // A malformed body without a key too.
    const bad = await request(h.http)
      .post('/admin/tenants/1/jobs/sync')
      .set('content-type', 'application/json')
      .send('{');
    expect(bad.status).toBe(400);
    expect(await rowCount(h, 'admin_audit')).toBe(before);
    // With a valid key the call is audited, as before.
    await request(h.http).get('/admin/tenants').set('authorization', `Bearer ${h.operatorKey}`);
    expect(await rowCount(h, 'admin_audit')).toBe(before + 1);
  });
});

describe('admin actions', () => {
  it("commit their audit row in the action's own transaction", async () => {
    const tenant = await ensureTenant(h.t.db, { accountId: 'acct_AuditTx', livemode: false });
    await recordException(h.t.db, tenant.id, 'qbo_post', 'je_1', 'QuickBooks refused the entry');
    const ex = await h.t.db
      .selectFrom('exceptions')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    const res = await request(h.http)
      .post(`/admin/tenants/${tenant.id}/exceptions/${ex.id}/resolve`)
      .set('authorization', `Bearer ${h.operatorKey}`)
      .send({ note: 'posted by hand' });
    expect(res.status, res.text).toBe(200);
    // PostgreSQL stamps each row with the transaction that wrote it (xmin): one transaction wrote both.
    const written = await sql<{ action: string; audit: string }>`
      select (select xmin::text from exceptions where id = ${ex.id}) as action,
             (select xmin::text from admin_audit order by id desc limit 1) as audit`.execute(h.t.db);
    expect(written.rows[0]!.action).toBe(written.rows[0]!.audit);
  });

  it('roll back with a refused action: the refusal is audited, the action left nothing', async () => {
    const tenant = await ensureTenant(h.t.db, { accountId: 'acct_AuditTx', livemode: false });
    const res = await request(h.http)
      .post(`/admin/tenants/${tenant.id}/exceptions/999999/resolve`)
      .set('authorization', `Bearer ${h.operatorKey}`)
      .send({ note: 'nothing to resolve' });
    expect(res.status).toBe(404);
    const last = await sql<{ outcome: string }>`select outcome from admin_audit order by id desc limit 1`.execute(
      h.t.db,
    );
    expect(last.rows[0]!.outcome).toBe('not_found');
  });
});

describe('rate limits', () => {
  let limited: Hostile;
  let perTenant: Hostile;
  beforeAll(async () => {
    limited = await startHostile({ window_s: 60, perIp: 3, perTenant: 0 });
    perTenant = await startHostile({ window_s: 60, perIp: 0, perTenant: 2 });
  });
  afterAll(async () => {
    await limited?.close();
    await perTenant?.close();
  });

  const event = (id: string, account: string) => JSON.stringify({ ...good(), id, account });
  const send = (x: Hostile, body: string) =>
    request(x.http)
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .set('stripe-signature', stripeSignature(body))
      .send(body);

  function expect429(res: request.Response): void {
    expect(res.status, res.text).toBe(429);
    expect(res.body.error.code).toBe('rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  }

  it('per IP: the Stripe webhook, the QuickBooks webhook and callback, and the App API answer 429 with Retry-After', async () => {
    for (let i = 0; i < 3; i++) expect((await send(limited, event(`evt_ip_${i}`, 'acct_IpA'))).status).toBe(200);
    expect429(await send(limited, event('evt_ip_4', 'acct_IpA')));
    const qbo = () =>
      request(limited.http)
        .post('/webhooks/qbo')
        .set('intuit-signature', intuitSignature('{}'))
        .set('content-type', 'application/json')
        .send('{}');
    for (let i = 0; i < 3; i++) expect((await qbo()).status).toBeLessThan(429);
    expect429(await qbo());
    const callback = () => request(limited.http).get('/oauth/qbo/callback?state=x&code=y&realmId=1');
    for (let i = 0; i < 3; i++) expect((await callback()).status).not.toBe(429);
    expect429(await callback());
    const app = () => request(limited.http).get('/api/app/settings').set(appHeaders('acct_IpA'));
    for (let i = 0; i < 3; i++) expect((await app()).status).toBe(200);
    expect429(await app());
  });

  it('per tenant: one account over its limit is refused while another account still gets through', async () => {
    for (let i = 0; i < 2; i++) expect((await send(perTenant, event(`evt_t_${i}`, 'acct_TenA'))).status).toBe(200);
    expect429(await send(perTenant, event('evt_t_3', 'acct_TenA')));
    expect((await send(perTenant, event('evt_t_4', 'acct_TenB'))).status).toBe(200);
    const app = (account: string) => request(perTenant.http).get('/api/app/settings').set(appHeaders(account));
    for (let i = 0; i < 2; i++) expect((await app('acct_TenC')).status).toBe(200);
    expect429(await app('acct_TenC'));
    expect((await app('acct_TenD')).status).toBe(200);
  });
});
