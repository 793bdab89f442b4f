/**
 * `POST /webhooks/stripe`: Connect events for every installed account. The raw body's signature
 * is verified against each configured endpoint secret (several during rotation); the event is
 * stored durably in the inbox and its drain requested in the same transaction, and only then
 * acknowledged. Concurrent deliveries share that transaction (`InboxWriter`,
 * `backend/inbox/writer.ts`). Processing happens afterwards, in the worker. Duplicates (same
 * event id) are dropped; a bad signature is a 400 that stores nothing.
 */
import express, { type Router } from 'express';
import Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';
import type { Db } from '../db/database.ts';
import type { Jobs } from '../jobs/runner.ts';
import type { Logger } from '../log/logger.ts';
import type { EventSource } from '../inbox/store.ts';
import { InboxWriter } from '../inbox/writer.ts';

/** Stripe's own tolerance for the signature timestamp, in seconds. */
const SIGNATURE_TOLERANCE_SECONDS = 300;
/** Largest event body accepted (Stripe events are well under this). */
const WEBHOOK_BODY_SIZE_MAX = '2mb';

const verifier = new Stripe('sk_test_signature_verification_only');

/** Verifies a Stripe-Signature header against any of `secrets`; returns the parsed event. */
export function verifyStripeEvent(raw: Buffer, header: string | undefined, secrets: string[]): Stripe.Event {
  if (!secrets.length) throw new AccrueError('not_configured', 'STRIPE_WEBHOOK_SECRET is not configured');
  if (!header) throw new AccrueError('invalid_input', 'missing Stripe-Signature header');
  let last: unknown;
  for (const secret of secrets) {
    try {
      return verifier.webhooks.constructEvent(raw, header, secret, SIGNATURE_TOLERANCE_SECONDS);
    } catch (e) {
      last = e;
    }
  }
  throw new AccrueError('invalid_input', `signature verification failed: ${(last as Error)?.message ?? 'no match'}`);
}

export interface WebhookDeps {
  db: Db;
  jobs: Jobs;
  secrets: () => string[];
  log: Logger;
  /** Recorded on stored events; `replay` deliveries never trigger an install backfill. */
  source?: EventSource;
}

export function stripeWebhookRouter(deps: WebhookDeps): Router {
  const r = express.Router();
  const inbox = new InboxWriter(deps.db, deps.jobs);
  r.post('/', express.raw({ type: () => true, limit: WEBHOOK_BODY_SIZE_MAX }), async (req, res, next) => {
    try {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.from('');
      const event = verifyStripeEvent(raw, req.get('stripe-signature'), deps.secrets());
      const outcome = await inbox.store(event, deps.source ?? 'webhook', raw.length);
      res.status(200).json({ received: true, ...outcome });
    } catch (e) {
      next(e);
    }
  });
  return r;
}
