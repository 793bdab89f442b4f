/**
 * `POST /webhooks/qbo`: Intuit's change notifications. The raw body's `intuit-signature` is
 * verified with the app's verifier token; a change to a journal entry or an account of a
 * connected company queues a reconciliation of the tenants connected to that company (which
 * reads the details through change data capture). Intuit wants an answer within 3 seconds, so
 * nothing else happens here.
 */
import express, { type Router } from 'express';
import { AccrueError } from '../../shared/errors.ts';
import type { Db } from '../db/database.ts';
import { QUEUES, type Jobs } from '../jobs/runner.ts';
import type { Logger } from '../log/logger.ts';
import { ipRateLimit, type RateLimits } from './rate-limit.ts';
import { WEBHOOK_BODY_BYTES_MAX, parseIntuitWebhook, verifyIntuitSignature } from '../qbo/webhook.ts';

/** What a QuickBooks realm (company) id looks like: digits only. */
const REALM_ID = /^\d{1,40}$/;

/** Entities whose changes can make QuickBooks disagree with the ledger. */
const WATCHED = new Set(['journalentry', 'account']);

/** The body's changes; a verified body of an unexpected shape (an entity list that is a number…) is a 400. */
function parseShape(raw: Buffer): ReturnType<typeof parseIntuitWebhook> {
  try {
    return parseIntuitWebhook(raw);
  } catch (e) {
    if (e instanceof AccrueError) throw e;
    throw new AccrueError(
      'invalid_input',
      'the webhook body does not have the shape of Intuit notifications',
      undefined,
      {
        cause: e,
      },
    );
  }
}

export function qboWebhookRouter(deps: {
  db: Db;
  jobs: Jobs;
  verifier: () => string | undefined;
  log: Logger;
  /** Per-IP limit, before the body is read; none when absent. */
  rateLimits?: RateLimits | null;
}): Router {
  const r = express.Router();
  r.post(
    '/',
    ipRateLimit(deps.rateLimits, 'qbo-webhook'),
    express.raw({ type: () => true, limit: WEBHOOK_BODY_BYTES_MAX }),
    async (req, res, next) => {
      try {
        const verifier = deps.verifier();
        if (!verifier) throw new AccrueError('not_configured', 'QBO_WEBHOOK_VERIFIER is not configured');
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.from('');
        if (!verifyIntuitSignature(raw, req.get('intuit-signature'), verifier))
          throw new AccrueError('unauthorized', 'intuit-signature does not match the body');
        // A realm id is a QuickBooks company number; anything else (say, a NUL) names no company we know.
        const changes = parseShape(raw).filter((c) => WATCHED.has(c.entity.toLowerCase()) && REALM_ID.test(c.realmId));
        const realms = [...new Set(changes.map((c) => c.realmId))];
        let queued = 0;
        if (realms.length) {
          const tenants = await deps.db
            .selectFrom('qbo_connections')
            .select('tenant_id')
            .where('realm_id', 'in', realms)
            .where('status', '=', 'active')
            .execute();
          for (const t of tenants) {
            await deps.jobs.send(
              deps.db,
              QUEUES.reconcile,
              { tenantId: t.tenant_id.toString() },
              { tenantKey: t.tenant_id.toString() },
            );
            queued++;
          }
        }
        res.status(200).json({ received: changes.length, reconciliations_queued: queued });
      } catch (e) {
        next(e);
      }
    },
  );
  return r;
}
