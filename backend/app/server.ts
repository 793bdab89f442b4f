/**
 * The serving process: context + HTTP routes (Stripe webhooks, health, the Stripe App's API at
 * `/api/app`, QuickBooks connect at `/api/qbo` and its OAuth callback at `/oauth/qbo`, the support
 * staff's admin API at `/admin`) + workers.
 */
import type { Express } from 'express';
import { adminRouter } from '../admin/router.ts';
import { rateLimitsOf, type Config } from '../config/config.ts';
import { appRouter } from '../http/app-routes.ts';
import { APP_NOT_CONFIGURED, notConfiguredRouter, qboApiRouter, qboCallbackRouter } from '../http/qbo-routes.ts';
import { createHttpApp } from '../http/server.ts';
import type { Logger } from '../log/logger.ts';
import { stripeWebhookRouter } from '../stripe/webhook.ts';
import { qboWebhookRouter } from '../http/qbo-webhook.ts';
import { appServiceFromContext } from './app-service.ts';
import { openContext, type AppContext } from './context.ts';

export interface Served {
  http: Express;
  ctx: AppContext;
  close(): Promise<void>;
}

export async function buildServer(opts: { config: Config; log: Logger; workers: boolean }): Promise<Served> {
  const ctx = await openContext({ config: opts.config, log: opts.log, workers: opts.workers, schedule: opts.workers });
  const app = appServiceFromContext({
    config: opts.config,
    db: ctx.db,
    jobs: ctx.jobs,
    stripe: ctx.stripe,
    log: opts.log,
    qbo: ctx.qbo,
  });
  // Without the app signing secret no Stripe App request can be authenticated: answer 503, never serve unauthenticated.
  const appAuth = opts.config.STRIPE_APP_SECRET.length > 0 ? { secrets: opts.config.STRIPE_APP_SECRET } : null;
  // Counters in PostgreSQL: the limits hold across every web process on the database.
  const rateLimits = { ...rateLimitsOf(opts.config), db: ctx.db };
  const http = createHttpApp({
    db: ctx.db,
    log: opts.log,
    rawRoutes: [
      {
        path: '/webhooks/stripe',
        handler: stripeWebhookRouter({
          db: ctx.db,
          jobs: ctx.jobs,
          secrets: () => opts.config.STRIPE_WEBHOOK_SECRET,
          log: opts.log,
          rateLimits,
        }),
      },
      {
        path: '/webhooks/qbo',
        handler: qboWebhookRouter({
          db: ctx.db,
          jobs: ctx.jobs,
          verifier: () => opts.config.QBO_WEBHOOK_VERIFIER,
          log: opts.log,
          rateLimits,
        }),
      },
      // Mounted before the JSON parser so that even a malformed body is refused and audited by the admin router.
      { path: '/admin', handler: adminRouter({ db: ctx.db, jobs: ctx.jobs, log: opts.log }) },
    ],
    routes: [
      {
        path: '/api/app',
        handler: appAuth ? appRouter(app, { auth: appAuth, rateLimits }) : notConfiguredRouter(APP_NOT_CONFIGURED),
      },
      { path: '/api/qbo', handler: qboApiRouter({ service: app, auth: appAuth, rateLimits }) },
      { path: '/oauth/qbo', handler: qboCallbackRouter({ service: app, rateLimits }) },
    ],
  });
  return { http, ctx, close: () => ctx.close() };
}
