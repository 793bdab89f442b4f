/**
 * The serving process: context + HTTP routes (Stripe webhooks, health) + workers.
 */
import type { Express } from 'express';
import type { Config } from '../config/config.ts';
import { createHttpApp } from '../http/server.ts';
import type { Logger } from '../log/logger.ts';
import { stripeWebhookRouter } from '../stripe/webhook.ts';
import { openContext, type AppContext } from './context.ts';

export interface Served {
  http: Express;
  ctx: AppContext;
  close(): Promise<void>;
}

export async function buildServer(opts: { config: Config; log: Logger; workers: boolean }): Promise<Served> {
  const ctx = await openContext({ config: opts.config, log: opts.log, workers: opts.workers, schedule: opts.workers });
  const http = createHttpApp({
    db: ctx.db,
    log: opts.log,
    rawRoutes: [{ path: '/webhooks/stripe', handler: stripeWebhookRouter({ db: ctx.db, jobs: ctx.jobs, secrets: () => opts.config.STRIPE_WEBHOOK_SECRET, log: opts.log }) }],
  });
  return { http, ctx, close: () => ctx.close() };
}
