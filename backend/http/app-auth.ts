/**
 * Authentication of the Stripe App's requests (`/api/app/*`): verifies the Dashboard signature,
 * derives the tenant from the VERIFIED account id only, answers CORS for the extension's `null`
 * origin, and offers the role check that guards every write.
 *
 * How a request proves who it is (shared/api/app.ts names the headers):
 * - `Stripe-Signature` from `fetchStripeSignature()`, `Stripe-User-Id`, `Stripe-Account-Id`.
 *   Without extras Stripe signs exactly `JSON.stringify({user_id, account_id})`, which we rebuild.
 * - With extras (`fetchStripeSignature({mode, stripe_roles})`) the UI also sends the exact signed
 *   JSON in `Stripe-Signed-Payload`. We verify the signature over those bytes as received, then
 *   read user, account, mode and roles out of them and require the plain headers to agree. Only
 *   Stripe (holding our app secret with us) can produce a valid signature over a string, so every
 *   field inside a verified string is Stripe's word.
 *
 * Mode (live/test) is not covered by the plain signature, and test and live books are different
 * tenants. Decision: livemode comes from a SIGNED `mode` field. A request without a signed mode
 * is a test-mode request; if it asks for live mode through the unsigned `Stripe-Mode` header it
 * is refused (401), unless the deployment sets `trustUnsignedMode` (then the header decides: the
 * signature still pins the account, so the most a forged header can do is show the same
 * merchant its other mode). Roles are likewise only trusted when signed (`stripe_roles`, which
 * Stripe refuses to sign for a user who lacks them); an unsigned request has no write roles.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';
import { APP_HEADERS, canWrite, plainSignedPayload, SignedPayloadSchema } from '../../shared/api/app.ts';
import type { AppCaller } from '../app/app-api/types.ts';
import { checkAccountId } from '../ledger/tenants.ts';

/** Stripe's own tolerance for signed timestamps: a captured request replays for at most 5 minutes. */
export const APP_SIGNATURE_TOLERANCE_S = 300;
/** Longest signed payload header we read: ids, a mode and a few role ids fit in far less. */
export const SIGNED_PAYLOAD_LENGTH_MAX = 2048;
/** How long a browser may cache a CORS preflight answer (10 minutes, the Chromium cap). */
export const CORS_MAX_AGE_S = 600;
/** Secrets accepted at once: the current one and the one being rotated out, with room to spare. */
export const APP_SECRETS_MAX = 4;

export interface AppAuthOptions {
  /** App signing secrets (`absec_…`); several during rotation. */
  secrets: readonly string[];
  /** Seconds a signature stays valid; defaults to 300 s. */
  tolerance_s?: number;
  /** Let the unsigned `Stripe-Mode` header choose live mode (see the module comment). Default false. */
  trustUnsignedMode?: boolean;
  /** Clock in Unix seconds, for tests. */
  now_s?: () => number;
}

/**
 * Splits the `STRIPE_APP_SECRET` configuration value (comma-separated during rotation) into
 * secrets. Throws `not_configured` when none is set, `invalid_input` for more than the limit.
 */
export function parseAppSecrets(value: string | undefined): string[] {
  const secrets = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (secrets.length === 0)
    throw new AccrueError('not_configured', 'STRIPE_APP_SECRET is not set; the Stripe App cannot be authenticated');
  if (secrets.length > APP_SECRETS_MAX)
    throw new AccrueError('invalid_input', `STRIPE_APP_SECRET lists more than ${APP_SECRETS_MAX} secrets`);
  return secrets;
}

/** Headers the extension may send; every one of them must be allowed by the CORS preflight. */
const ALLOWED_HEADERS = ['Content-Type', ...Object.values(APP_HEADERS)].join(', ');

/**
 * CORS for the UI extension. Its iframe runs with origin `null`, so we answer `*` — safe because
 * we use no cookies: every request carries its own signature. Mount only on `/api/app`.
 * Answers OPTIONS preflights itself (204) before any authentication.
 */
export function appCors(): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', String(CORS_MAX_AGE_S));
      res.status(204).end();
      return;
    }
    next();
  };
}

function unauthorized(res: Response, message: string): void {
  res.status(401).json({ error: { code: 'unauthorized', message } });
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** stripe-node's signature helper (the same HMAC scheme as webhooks); typed as nullable by the SDK. */
function signatureVerifier() {
  const helper = Stripe.webhooks.signature;
  if (!helper) throw new AccrueError('internal', 'stripe-node has no webhook signature helper');
  return helper;
}

/** True when the header verifies over `payload` with any of the secrets. Returns the last failure otherwise. */
function verifyWithAnySecret(
  payload: string,
  signature: string,
  opts: AppAuthOptions,
): { ok: true } | { ok: false; reason: string } {
  let reason = 'no secret configured';
  for (const secret of opts.secrets) {
    try {
      signatureVerifier().verifyHeader(
        payload,
        signature,
        secret,
        opts.tolerance_s ?? APP_SIGNATURE_TOLERANCE_S,
        undefined,
        opts.now_s?.(),
      );
      return { ok: true };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // A stale timestamp fails with every secret; keep that reason, it is the one a user can act on.
      if (!/tolerance/i.test(reason)) reason = message;
    }
  }
  return { ok: false, reason };
}

/** Plain reasons for the 401 body: say what is wrong without echoing signature internals. */
function explain(reason: string): string {
  if (/tolerance/i.test(reason)) return 'The Stripe signature has expired; reload the app and try again.';
  return 'The Stripe signature does not match this user and account.';
}

/**
 * The account names the tenant: only a well-formed Stripe account id may create or find one.
 * Answers 400 `invalid_input` and returns false for any other.
 */
function wellFormedAccount(res: Response, accountId: string): boolean {
  try {
    checkAccountId(accountId);
    return true;
  } catch (e) {
    res.status(400).json({ error: { code: 'invalid_input', message: (e as Error).message } });
    return false;
  }
}

/**
 * Express middleware: verifies the Stripe App signature and stores the caller in
 * `res.locals.appCaller`. Any missing header, bad or stale signature, or a body/header
 * `account_id`/`user_id` that differs from the signed one ends the request with
 * 401 `{error:{code:'unauthorized',message}}`.
 */
export function appAuth(opts: AppAuthOptions): RequestHandler {
  if (opts.secrets.length === 0)
    throw new AccrueError('not_configured', 'appAuth needs at least one app signing secret');
  return (req: Request, res: Response, next: NextFunction) => {
    const signature = header(req, APP_HEADERS.signature);
    const userId = header(req, APP_HEADERS.userId);
    const accountId = header(req, APP_HEADERS.accountId);
    if (!signature || !userId || !accountId) {
      unauthorized(res, 'Missing Stripe-Signature, Stripe-User-Id or Stripe-Account-Id header.');
      return;
    }
    const signedPayload = header(req, APP_HEADERS.signedPayload);
    let signed: {
      user_id: string;
      account_id: string;
      mode?: 'live' | 'test' | undefined;
      stripe_roles?: string[] | undefined;
    };
    if (signedPayload !== undefined) {
      if (signedPayload.length > SIGNED_PAYLOAD_LENGTH_MAX) {
        unauthorized(res, 'The signed payload is too long.');
        return;
      }
      const check = verifyWithAnySecret(signedPayload, signature, opts);
      if (!check.ok) {
        unauthorized(res, explain(check.reason));
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(signedPayload);
      } catch {
        unauthorized(res, 'The signed payload is not JSON.');
        return;
      }
      const fields = SignedPayloadSchema.safeParse(parsed);
      if (!fields.success) {
        unauthorized(res, 'The signed payload has unexpected fields.');
        return;
      }
      signed = fields.data;
      if (signed.user_id !== userId || signed.account_id !== accountId) {
        unauthorized(res, 'The user or account does not match the signed one.');
        return;
      }
    } else {
      const check = verifyWithAnySecret(plainSignedPayload(userId, accountId), signature, opts);
      if (!check.ok) {
        unauthorized(res, explain(check.reason));
        return;
      }
      signed = { user_id: userId, account_id: accountId };
    }

    // A body may repeat the identity (Stripe's guide puts it there); it must be the signed one.
    const body: unknown = req.body;
    if (body !== null && typeof body === 'object') {
      const b = body as Record<string, unknown>;
      if (
        (b['account_id'] !== undefined && b['account_id'] !== signed.account_id) ||
        (b['user_id'] !== undefined && b['user_id'] !== signed.user_id)
      ) {
        unauthorized(res, 'The account or user in the body does not match the signed one.');
        return;
      }
    }

    const headerMode = header(req, APP_HEADERS.mode);
    if (headerMode !== undefined && headerMode !== 'live' && headerMode !== 'test') {
      unauthorized(res, 'Stripe-Mode must be "live" or "test".');
      return;
    }
    let livemode: boolean;
    if (signed.mode !== undefined) {
      if (headerMode !== undefined && headerMode !== signed.mode) {
        unauthorized(res, 'Stripe-Mode does not match the signed mode.');
        return;
      }
      livemode = signed.mode === 'live';
    } else if (opts.trustUnsignedMode) {
      livemode = headerMode === 'live';
    } else {
      if (headerMode === 'live') {
        unauthorized(res, 'Live-mode requests must sign the mode.');
        return;
      }
      livemode = false;
    }

    if (!wellFormedAccount(res, signed.account_id)) return;
    const caller: AppCaller = {
      tenant: { accountId: signed.account_id, livemode },
      user: { id: signed.user_id, roles: signed.stripe_roles ?? [] },
    };
    res.locals['appCaller'] = caller;
    next();
  };
}

/** The caller `appAuth` verified; throws `unauthorized` if the middleware did not run (a wiring bug). */
export function appCallerOf(res: Response): AppCaller {
  const caller = res.locals['appCaller'] as AppCaller | undefined;
  if (!caller) throw new AccrueError('unauthorized', 'request was not authenticated');
  return caller;
}

/**
 * Guards a write: only administrators and developers (verified, signed roles) may change
 * settings, mappings, rules or the exception queue. Throws `forbidden` (403) otherwise.
 */
export function requireWriteRole(caller: AppCaller): void {
  if (!canWrite(caller.user.roles)) {
    throw new AccrueError(
      'forbidden',
      'Only administrators and developers of this Stripe account can change Accrue settings.',
    );
  }
}
