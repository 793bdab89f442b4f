/**
 * The QuickBooks connect routes outside the App API: `POST /api/qbo/connect` and
 * `POST /api/qbo/disconnect` (Stripe App signature auth, write roles only), and Intuit's redirect
 * target `GET /oauth/qbo/callback`, which has no Stripe signature — the signed, single-use `state`
 * it carries IS the authentication — and answers with a small HTML page for the browser tab the
 * merchant opened. Also the stand-in router that answers 503 when the App API is not configured.
 *
 * Routes stay thin: authenticate, call one service method, render the answer.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { QboStatusResponseSchema } from '../../shared/api/app.ts';
import { AccrueError } from '../../shared/errors.ts';
import type { AccrueAppService, QboCallbackOutcome } from '../app/app-service.ts';
import { appAuth, appCallerOf, appCors, requireWriteRole, type AppAuthOptions } from './app-auth.ts';
import { appTenantKey } from './app-routes.ts';
import { ipRateLimit, tenantRateLimit, type RateLimits } from './rate-limit.ts';

/** Longest callback query we read: Intuit's code is at most 512 characters, state and realm are short. */
export const CALLBACK_QUERY_LENGTH_MAX = 4096;

export interface QboRoutesOptions {
  service: AccrueAppService;
  /** App signature verification; null when STRIPE_APP_SECRET is not configured (routes answer 503). */
  auth: AppAuthOptions | null;
  /** Per-IP (and, after authentication, per-tenant) limits; none when absent. */
  rateLimits?: RateLimits | null;
}

/** A router that refuses everything with 503 `not_configured` (CORS preflights still get their answer). */
export function notConfiguredRouter(message: string): Router {
  const r = express.Router();
  r.use(appCors());
  r.use((_req: Request, _res: Response, next: NextFunction) => next(new AccrueError('not_configured', message)));
  return r;
}

/** The message a deployment without the app signing secret answers with. */
export const APP_NOT_CONFIGURED =
  'STRIPE_APP_SECRET is not configured, so requests from the Stripe App cannot be authenticated.';

/** `POST /connect` and `POST /disconnect`; mount at `/api/qbo`. */
export function qboApiRouter(opts: QboRoutesOptions): Router {
  if (!opts.auth) return notConfiguredRouter(APP_NOT_CONFIGURED);
  const r = express.Router();
  r.use(ipRateLimit(opts.rateLimits, 'qbo-api'));
  r.use(appCors());
  r.use(appAuth(opts.auth));
  r.use(tenantRateLimit(opts.rateLimits, appTenantKey, 'qbo-api'));
  r.post('/connect', (_req, res, next) => {
    (async () => {
      const caller = appCallerOf(res);
      requireWriteRole(caller);
      const started = await opts.service.startQboConnect(caller);
      // `url` for the connect button; the App API's own field names too, so either client works.
      res.json({
        url: started.authorization_url,
        authorization_url: started.authorization_url,
        expires_at: started.expires_at,
      });
    })().catch(next);
  });
  r.post('/disconnect', (_req, res, next) => {
    (async () => {
      const caller = appCallerOf(res);
      requireWriteRole(caller);
      res.json(QboStatusResponseSchema.parse(await opts.service.disconnectQbo(caller)));
    })().catch(next);
  });
  return r;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A self-contained page: no scripts, no external assets (the CSP from helmet stays strict). */
function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; color: #1a1f36">
<h1 style="font-size: 1.4rem">${escapeHtml(title)}</h1>
<p>${escapeHtml(body)}</p>
</body></html>`;
}

/** HTTP status of each callback outcome: the page is for a person, the status for logs and tests. */
const OUTCOME_STATUS: Record<Exclude<QboCallbackOutcome, { ok: true }>['reason'], number> = {
  denied: 200,
  bad_state: 403,
  exchange_failed: 400,
  realm_in_use: 409,
  upstream: 502,
  not_configured: 503,
};

/** `GET /callback`; mount at `/oauth/qbo`. Intuit redirects the merchant's browser here. */
export function qboCallbackRouter(opts: Pick<QboRoutesOptions, 'service' | 'rateLimits'>): Router {
  const r = express.Router();
  r.get('/callback', ipRateLimit(opts.rateLimits, 'qbo-callback'), (req, res, next) => {
    (async () => {
      res.setHeader('Cache-Control', 'no-store');
      res.type('html');
      const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
      if (query.length > CALLBACK_QUERY_LENGTH_MAX || !new URLSearchParams(query).get('state')) {
        res
          .status(400)
          .send(
            page(
              'QuickBooks connection failed',
              'This page only completes a QuickBooks sign-in started from the Accrue app in Stripe. Start the connection again from there.',
            ),
          );
        return;
      }
      const outcome = await opts.service.completeQboConnect(query);
      if (outcome.ok) {
        res
          .status(200)
          .send(page('QuickBooks connected', 'QuickBooks connected — you can close this tab and return to Stripe.'));
        return;
      }
      const title = outcome.reason === 'denied' ? 'QuickBooks connection cancelled' : 'QuickBooks connection failed';
      res.status(OUTCOME_STATUS[outcome.reason]).send(page(title, `${outcome.message} You can close this tab.`));
    })().catch(next);
  });
  return r;
}
