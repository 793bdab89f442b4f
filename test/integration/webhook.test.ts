/**
 * Proves the webhook endpoint: a good signature (under either of two rotating secrets) stores
 * the event and acknowledges it; a bad, stale or missing signature is a 400 that stores nothing;
 * a duplicate is acknowledged and dropped; an unknown event type is stored, acknowledged,
 * counted and never booked.
 */
import Stripe from 'stripe';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainInbox } from '../../backend/app/process.ts';
import { createHttpApp } from '../../backend/http/server.ts';
import { Jobs } from '../../backend/jobs/runner.ts';
import { findTenant } from '../../backend/ledger/tenants.ts';
import { createLogger } from '../../backend/log/logger.ts';
import { stripeWebhookRouter } from '../../backend/stripe/webhook.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const OLD = 'whsec_old_secret';
const NEW = 'whsec_new_secret';
const signer = new Stripe('sk_test_x');
let t: TestDatabase;
let jobs: Jobs;
let app: ReturnType<typeof createHttpApp>;

const event = (id: string, type = 'invoice.finalized') => ({
  id,
  object: 'event',
  type,
  account: 'acct_hooks',
  livemode: false,
  created: 1767225600,
  api_version: '2026-10-28.endive',
  data: { object: { id: 'in_hook', object: 'invoice' } },
});
const sign = (payload: string, secret: string, timestamp?: number) =>
  signer.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) });

async function stored(): Promise<{ id: string; status: string; type: string }[]> {
  return t.db.selectFrom('stripe_events').select(['id', 'status', 'type']).orderBy('seq').execute();
}

beforeAll(async () => {
  t = await createTestDatabase();
  jobs = await new Jobs({ url: t.url }).start();
  const log = createLogger('silent');
  app = createHttpApp({
    db: t.db,
    log,
    rawRoutes: [
      { path: '/webhooks/stripe', handler: stripeWebhookRouter({ db: t.db, jobs, secrets: () => [NEW, OLD], log }) },
    ],
  });
});
afterAll(async () => {
  await jobs.stop();
  await t.close();
});

describe('POST /webhooks/stripe', () => {
  it('refuses a bad signature with 400 and stores nothing', async () => {
    const body = JSON.stringify(event('evt_bad'));
    const res = await request(app)
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .set('stripe-signature', sign(body, 'whsec_wrong'))
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
    const missing = await request(app).post('/webhooks/stripe').set('content-type', 'application/json').send(body);
    expect(missing.status).toBe(400);
    const stale = await request(app)
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .set('stripe-signature', sign(body, NEW, Math.floor(Date.now() / 1000) - 3600))
      .send(body);
    expect(stale.status).toBe(400);
    const tampered = await request(app)
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .set('stripe-signature', sign(body, NEW))
      .send(body.replace('in_hook', 'in_evil'));
    expect(tampered.status).toBe(400);
    expect(await stored()).toEqual([]);
    expect(await findTenant(t.db, { accountId: 'acct_hooks', livemode: false })).toBeNull();
  });

  it('accepts either secret during rotation, stores the event and enqueues its processing', async () => {
    for (const [id, secret] of [
      ['evt_new', NEW],
      ['evt_old', OLD],
    ] as const) {
      const body = JSON.stringify(event(id));
      const res = await request(app)
        .post('/webhooks/stripe')
        .set('content-type', 'application/json')
        .set('stripe-signature', sign(body, secret))
        .send(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: true, duplicate: false });
    }
    expect((await stored()).map((e) => [e.id, e.status])).toEqual([
      ['evt_new', 'pending'],
      ['evt_old', 'pending'],
    ]);
    const jobsRows = await t.db
      .selectFrom('pgboss.job' as never)
      .select(['name' as never])
      .where('name' as never, '=', 'stripe-inbox' as never)
      .execute();
    expect(jobsRows.length).toBeGreaterThanOrEqual(1);
  });

  it('acknowledges a duplicate without storing it twice', async () => {
    const body = JSON.stringify(event('evt_new'));
    const res = await request(app)
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .set('stripe-signature', sign(body, NEW))
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body.duplicate).toBe(true);
    expect((await stored()).filter((e) => e.id === 'evt_new')).toHaveLength(1);
  });

  it('stores, acknowledges and counts an unknown event type, and never books it', async () => {
    const body = JSON.stringify(event('evt_unknown', 'customer.tax_id.created'));
    const res = await request(app)
      .post('/webhooks/stripe')
      .set('content-type', 'application/json')
      .set('stripe-signature', sign(body, NEW))
      .send(body);
    expect(res.status).toBe(200);
    const tenant = (await findTenant(t.db, { accountId: 'acct_hooks', livemode: false }))!;
    // Only the unknown event is left for this drain to see: mark the invoice events done first.
    await t.db
      .updateTable('stripe_events')
      .set({ status: 'processed' })
      .where('type', '=', 'invoice.finalized')
      .execute();
    const r = await drainInbox({ db: t.db, jobs, readerFor: () => ({}) as never }, tenant.id);
    expect(r).toMatchObject({ ignored: 1, processed: 0 });
    const row = (await stored()).find((e) => e.id === 'evt_unknown')!;
    expect(row.status).toBe('ignored');
    const counts = await t.db
      .selectFrom('stripe_events')
      .select(['type'])
      .select((eb) => eb.fn.countAll<bigint>().as('n'))
      .where('status', '=', 'ignored')
      .groupBy('type')
      .execute();
    expect(counts).toEqual([{ type: 'customer.tax_id.created', n: 1n }]);
  });
});
