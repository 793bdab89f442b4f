/**
 * Proves the Intuit webhook endpoint: a notification signed with the verifier token about a
 * journal entry of a connected company queues a reconciliation for that tenant; a bad signature
 * is refused with 401 and queues nothing; changes to other entities or unknown companies are
 * acknowledged and ignored.
 */
import { sql } from 'kysely';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHttpApp } from '../../backend/http/server.ts';
import { qboWebhookRouter } from '../../backend/http/qbo-webhook.ts';
import { createLogger } from '../../backend/log/logger.ts';
import { cloudEvents, signWebhook } from '../../backend/sandbox/qbo/server.ts';
import { freshBooks, type Books } from '../support/scenario.ts';

const VERIFIER = 'verifier-token-for-tests';
let b: Books;
let app: ReturnType<typeof createHttpApp>;

beforeAll(async () => {
  b = await freshBooks([], 'acct_qbohook');
  await b.t.db
    .insertInto('qbo_connections')
    .values({
      tenant_id: b.tenant.id,
      realm_id: '9130001',
      tokens_ciphertext: 'v1.k1.x.y.z',
      access_expires_at: new Date(),
      refresh_expires_at: new Date(),
      refresh_hard_expires_at: null,
      status: 'active',
      status_reason: null,
      last_cdc_at: null,
    })
    .execute();
  const log = createLogger('silent');
  app = createHttpApp({
    db: b.t.db,
    log,
    rawRoutes: [
      { path: '/webhooks/qbo', handler: qboWebhookRouter({ db: b.t.db, jobs: b.jobs, verifier: () => VERIFIER, log }) },
    ],
  });
});
afterAll(async () => b.close());

const reconcileJobs = async () =>
  Number(
    (await sql<{ n: bigint }>`select count(*)::bigint as n from pgboss.job where name = 'reconcile'`.execute(b.t.db))
      .rows[0]!.n,
  );

it('refuses a bad signature and queues nothing', async () => {
  const { body } = signWebhook(
    cloudEvents([{ realmId: '9130001', entity: 'JournalEntry', id: '12', operation: 'updated' }]),
    VERIFIER,
  );
  const res = await request(app)
    .post('/webhooks/qbo')
    .set('content-type', 'application/json')
    .set('intuit-signature', 'AAAA')
    .send(body);
  expect(res.status).toBe(401);
  expect(await reconcileJobs()).toBe(0);
});

it('queues a reconciliation for a journal entry change in a connected company', async () => {
  const signed = signWebhook(
    cloudEvents([
      { realmId: '9130001', entity: 'JournalEntry', id: '12', operation: 'updated' },
      { realmId: '555', entity: 'JournalEntry', id: '1', operation: 'deleted' },
    ]),
    VERIFIER,
  );
  const res = await request(app).post('/webhooks/qbo').set(signed.headers).send(signed.body);
  expect(res.status).toBe(200);
  expect(res.body.reconciliations_queued).toBe(1);
  expect(await reconcileJobs()).toBe(1);
});
