/**
 * `POST /webhooks/stripe`: Connect events for every installed account. The raw body's signature
 * is verified against each configured endpoint secret (several during rotation); the event is
 * stored durably in the inbox and its drain requested in the same transaction, and only then
 * acknowledged. Concurrent deliveries share that transaction (`InboxWriter`,
 * `backend/inbox/writer.ts`). Processing happens afterwards, in the worker. Duplicates (same
 * event id) are dropped; a bad signature is a 400 that stores nothing.
 *
 * A validly signed event is still checked before it is stored (`checkEventEnvelope`): `id`,
 * `type`, `created`, `account`, `livemode` and `data.object` must have Stripe's shapes, and the
 * body no nesting, NUL or lone surrogate PostgreSQL would refuse (Stripe sends none). A malformed one is a 400
 * `invalid_event` naming the field, never a 500 (which Stripe would retry for days). Over its rate
 * limit (per IP before the body is read, per account after the signature) a delivery gets 429.
 */
import express, { type Router } from 'express';
import Stripe from 'stripe';
import { z } from 'zod';
import { AccrueError } from '../../shared/errors.ts';
import { checkJson } from '../http/json-guard.ts';
import { ipRateLimit, tenantRateLimit, type RateLimits } from '../http/rate-limit.ts';
import { ACCOUNT_ID_LENGTH_MAX, checkAccountId } from '../ledger/tenants.ts';
import type { Db } from '../db/database.ts';
import type { Jobs } from '../jobs/runner.ts';
import type { Logger } from '../log/logger.ts';
import type { EventSource } from '../inbox/store.ts';
import { InboxWriter } from '../inbox/writer.ts';

/** Stripe's own tolerance for the signature timestamp, in seconds. */
const SIGNATURE_TOLERANCE_SECONDS = 300;
/** Largest event body accepted (Stripe events are well under this). */
const WEBHOOK_BODY_SIZE_MAX = '2mb';

/** Longest event id and type accepted (Stripe's ids are at most 255 characters; types are short). */
export const EVENT_ID_LENGTH_MAX = 255;
export const EVENT_TYPE_LENGTH_MAX = 100;
/** Latest `created` accepted: 9999-12-31T23:59:59Z, the last second a date column can hold. */
export const EVENT_CREATED_MAX = 253_402_300_799;

/** The fields of an event Accrue reads before processing, in the shapes Stripe sends. */
const EventEnvelope = z.object({
  id: z
    .string()
    .max(EVENT_ID_LENGTH_MAX)
    .regex(/^[A-Za-z0-9_.:-]+$/, 'must be letters, digits, "_", ".", ":" or "-"'),
  type: z
    .string()
    .max(EVENT_TYPE_LENGTH_MAX)
    .regex(/^[A-Za-z0-9_.]+$/, 'must be letters, digits, "_" or "."'),
  created: z.number().int().min(0).max(EVENT_CREATED_MAX),
  livemode: z.boolean().optional(),
  account: z.string().max(ACCOUNT_ID_LENGTH_MAX).nullish(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

/**
 * Checks a verified event's envelope and body (see the module comment); throws `invalid_event`
 * naming the first bad field.
 */
export function checkEventEnvelope(event: unknown): Stripe.Event {
  if (event === null || typeof event !== 'object' || Array.isArray(event))
    throw new AccrueError('invalid_event', 'the event is not a JSON object');
  checkJson(event, 'invalid_event', { root: 'the event' });
  const r = EventEnvelope.safeParse(event);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'event';
    throw new AccrueError('invalid_event', `the event's ${where} is malformed: ${issue.message}`);
  }
  if (r.data.account) {
    try {
      checkAccountId(r.data.account);
    } catch (e) {
      throw new AccrueError('invalid_event', `the event's account is malformed: ${(e as Error).message}`);
    }
  }
  return event as Stripe.Event;
}

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
  /** Per-IP and per-account limits; none when absent (the server passes its configuration). */
  rateLimits?: RateLimits | null;
}

export function stripeWebhookRouter(deps: WebhookDeps): Router {
  const r = express.Router();
  const inbox = new InboxWriter(deps.db, deps.jobs);
  const accountOf = (_req: unknown, res: express.Response) =>
    (res.locals['stripeEvent'] as Stripe.Event | undefined)?.account ?? null;
  r.post(
    '/',
    ipRateLimit(deps.rateLimits, 'stripe-webhook'),
    express.raw({ type: () => true, limit: WEBHOOK_BODY_SIZE_MAX }),
    (req, res, next) => {
      try {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.from('');
        const event = checkEventEnvelope(verifyStripeEvent(raw, req.get('stripe-signature'), deps.secrets()));
        res.locals['stripeEvent'] = event;
        res.locals['rawLength'] = raw.length;
        next();
      } catch (e) {
        next(e);
      }
    },
    tenantRateLimit(deps.rateLimits, accountOf, 'stripe-webhook'),
    async (_req, res, next) => {
      try {
        const event = res.locals['stripeEvent'] as Stripe.Event;
        const outcome = await inbox.store(event, deps.source ?? 'webhook', res.locals['rawLength'] as number);
        res.status(200).json({ received: true, ...outcome });
      } catch (e) {
        next(e);
      }
    },
  );
  return r;
}
