/**
 * The public surface as `accrue serve` mounts it (Stripe webhook, QuickBooks webhook and callback,
 * App API, Admin API) over a fresh database, the Stripe API fake and the QuickBooks fake, with
 * helpers to sign what each endpoint authenticates. Shared by the hostile-input and fuzz tests.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import Stripe from 'stripe';
import { adminRouter } from '../../backend/admin/router.ts';
import { createAdminKey } from '../../backend/admin/keys.ts';
import { createAppService, qboDepsFromConfig } from '../../backend/app/app-service.ts';
import { loadConfig } from '../../backend/config/config.ts';
import { appRouter } from '../../backend/http/app-routes.ts';
import { qboApiRouter, qboCallbackRouter } from '../../backend/http/qbo-routes.ts';
import { qboWebhookRouter } from '../../backend/http/qbo-webhook.ts';
import type { RateLimits } from '../../backend/http/rate-limit.ts';
import { createHttpApp } from '../../backend/http/server.ts';
import { Jobs } from '../../backend/jobs/runner.ts';
import { createLogger } from '../../backend/log/logger.ts';
import { configureQboEndpoints } from '../../backend/qbo/endpoints.ts';
import { startFakeQbo, type FakeQbo } from '../../backend/sandbox/qbo/server.ts';
import { startStripeFake, type StripeFake } from '../../backend/sandbox/stripe/server.ts';
import { generateKeySpec } from '../../backend/security/encryption.ts';
import { createStripeClient } from '../../backend/stripe/client.ts';
import { createStripeReader } from '../../backend/stripe/reader.ts';
import { stripeWebhookRouter } from '../../backend/stripe/webhook.ts';
import type { ProcessDeps } from '../../backend/app/process.ts';
import { APP_HEADERS, plainSignedPayload, signedPayloadString, type SignedExtra } from '../../shared/api/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

export const WEBHOOK_SECRET = 'whsec_hostile';
export const APP_SECRET = 'absec_hostile';
export const QBO_VERIFIER = 'qbo-verifier-hostile';
const STRIPE_KEY = 'sk_test_hostile';

export interface Hostile {
  t: TestDatabase;
  http: ReturnType<typeof createHttpApp>;
  jobs: Jobs;
  stripeFake: StripeFake;
  /** The drain's dependencies, reading the Stripe fake. */
  process: ProcessDeps;
  operatorKey: string;
  close(): Promise<void>;
}

/** Starts the surface; `rateLimits` applies to every public endpoint (none when absent). */
export async function startHostile(limits?: RateLimits): Promise<Hostile> {
  const t = await createTestDatabase();
  // Counters in the database, as `accrue serve` keeps them.
  const rateLimits = limits && { ...limits, db: t.db };
  const qbo: FakeQbo = await startFakeQbo({ throttle: { enabled: false } });
  const stripeFake: StripeFake = await startStripeFake({ apiKey: STRIPE_KEY });
  const jobs = await new Jobs({ url: t.url }).start();
  const config = loadConfig({
    DATABASE_URL: t.url,
    QBO_CLIENT_ID: 'hostile-client',
    QBO_CLIENT_SECRET: 'hostile-secret',
    QBO_REDIRECT_URI: 'http://127.0.0.1:9/oauth/qbo/callback',
    QBO_API_BASE: qbo.url,
    QBO_OAUTH_BASE: qbo.url,
    ACCRUE_ENCRYPTION_KEY: generateKeySpec('k1'),
  });
  configureQboEndpoints({ QBO_API_BASE: qbo.url, QBO_OAUTH_BASE: qbo.url });
  const stripe = createStripeClient({ secretKey: STRIPE_KEY, apiBase: stripeFake.url });
  const service = createAppService({
    db: t.db,
    jobs,
    stripe,
    qbo: qboDepsFromConfig(config, t.db),
  });
  // HOSTILE_LOG=error shows what a failing fuzz input did on the server side.
  const log = createLogger(process.env['HOSTILE_LOG'] === 'error' ? 'error' : 'silent');
  const auth = { secrets: [APP_SECRET] };
  const http = createHttpApp({
    db: t.db,
    log,
    rawRoutes: [
      {
        path: '/webhooks/stripe',
        handler: stripeWebhookRouter({ db: t.db, jobs, secrets: () => [WEBHOOK_SECRET], log, rateLimits }),
      },
      {
        path: '/webhooks/qbo',
        handler: qboWebhookRouter({ db: t.db, jobs, verifier: () => QBO_VERIFIER, log, rateLimits }),
      },
      { path: '/admin', handler: adminRouter({ db: t.db, jobs, log }) },
    ],
    routes: [
      { path: '/api/app', handler: appRouter(service, { auth, rateLimits }) },
      { path: '/api/qbo', handler: qboApiRouter({ service, auth, rateLimits }) },
      { path: '/oauth/qbo', handler: qboCallbackRouter({ service, rateLimits }) },
    ],
  });
  const operatorKey = (await createAdminKey(t.db, { name: 'Fuzz Operator', role: 'operator', createdBy: 'test' })).key;
  return {
    t,
    http,
    jobs,
    stripeFake,
    process: {
      db: t.db,
      jobs,
      readerFor: (tenant) => createStripeReader(stripe, tenant.accountId, { maxAttempts: 1 }),
    },
    operatorKey,
    async close() {
      await jobs.stop();
      await stripeFake.close();
      await qbo.close();
      await t.close();
    },
  };
}

const signer = new Stripe('sk_test_signer');

/** A valid Stripe-Signature header over `body`. */
export function stripeSignature(body: string): string {
  return signer.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET });
}

/** A valid intuit-signature header over `body`. */
export function intuitSignature(body: string): string {
  return createHmac('sha256', QBO_VERIFIER).update(body).digest('base64');
}

/** Valid Stripe App headers for `account` without a signed payload (plain signature, no roles). */
export function plainAppHeaders(account: string, user = 'usr_fuzz'): Record<string, string> {
  const payload = plainSignedPayload(user, account);
  return {
    [APP_HEADERS.signature]: Stripe.webhooks.generateTestHeaderString({ payload, secret: APP_SECRET }),
    [APP_HEADERS.userId]: user,
    [APP_HEADERS.accountId]: account,
  };
}

/** Valid Stripe App headers for `account` (an administrator, test mode). */
export function appHeaders(account: string, user = 'usr_fuzz'): Record<string, string> {
  const extra: SignedExtra = { mode: 'test', stripe_roles: ['admin'] };
  const payload = signedPayloadString(extra, user, account);
  return {
    [APP_HEADERS.signature]: Stripe.webhooks.generateTestHeaderString({ payload, secret: APP_SECRET }),
    [APP_HEADERS.userId]: user,
    [APP_HEADERS.accountId]: account,
    [APP_HEADERS.signedPayload]: payload,
  };
}

/** Entries whose lines do not sum to zero per currency (debits = credits): must be none. */
export async function unbalancedEntries(h: Hostile): Promise<number> {
  const r = await sql<{ n: string }>`
    select count(*) as n from (
      select entry_id, currency from journal_lines group by entry_id, currency having sum(amount_minor) <> 0
    ) u`.execute(h.t.db);
  return Number(r.rows[0]!.n);
}

/** Rows in a table (for "nothing was written" checks). */
export async function rowCount(h: Hostile, table: 'admin_audit' | 'stripe_events' | 'tenants'): Promise<number> {
  const r = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(h.t.db);
  return Number(r.rows[0]!.n);
}
