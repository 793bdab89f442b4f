/**
 * Rate limits on the public endpoints (Stripe webhook, App API, QuickBooks callback and webhook),
 * with `express-rate-limit`: a fixed window per client IP, checked before the body is read, and
 * per tenant, checked once the request proved which tenant it is (a verified signature). Over the
 * limit a request gets 429 `rate_limited` with `Retry-After` (seconds until the window ends).
 *
 * Counters live in PostgreSQL when the limits carry a database (`PostgresRateLimitStore`), so the
 * limit holds across every web process; without one (unit tests of a single router) they live in
 * this process's memory. A counter that cannot be written lets the request through: the database
 * being down is not a reason to refuse a webhook that would fail on its own anyway.
 */
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { ERROR_CODES } from '../../shared/errors.ts';
import type { Db } from '../db/database.ts';
import { PostgresRateLimitStore } from './rate-limit-store.ts';

export interface RateLimits {
  /** Length of a window, in seconds. */
  window_s: number;
  /** Requests per window from one client IP (IPv6: per /56), per endpoint; 0 = no limit. */
  perIp: number;
  /** Requests per window for one tenant, per endpoint; 0 = no limit. */
  perTenant: number;
  /** Where the counters live; without it, in this process's memory. */
  db?: Db;
}

function storeOf(limits: RateLimits, name: string): { store?: PostgresRateLimitStore; passOnStoreError: boolean } {
  return { store: limits.db ? new PostgresRateLimitStore(limits.db, name) : undefined, passOnStoreError: true };
}

function refuse(what: string) {
  return (_req: Request, res: Response): void => {
    res.status(ERROR_CODES.rate_limited).json({
      error: {
        code: 'rate_limited',
        message: `too many requests ${what}; retry after the number of seconds in Retry-After`,
      },
    });
  };
}

const pass: RequestHandler = (_req, _res, next) => next();

/** The per-IP limit of endpoint `name` (`limits` null or `perIp` 0: none). */
export function ipRateLimit(limits: RateLimits | null | undefined, name: string): RequestHandler {
  if (!limits || limits.perIp <= 0) return pass;
  return rateLimit({
    ...storeOf(limits, `ip:${name}`),
    windowMs: limits.window_s * 1000,
    limit: limits.perIp,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: refuse('from this address'),
  });
}

/**
 * The per-tenant limit of endpoint `name`, keyed by `tenantOf` (called after authentication; a
 * request it returns null for is not counted).
 */
export function tenantRateLimit(
  limits: RateLimits | null | undefined,
  tenantOf: (req: Request, res: Response) => string | null,
  name: string,
): RequestHandler {
  if (!limits || limits.perTenant <= 0) return pass;
  return rateLimit({
    ...storeOf(limits, `tenant:${name}`),
    windowMs: limits.window_s * 1000,
    limit: limits.perTenant,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skip: (req, res) => tenantOf(req, res) === null,
    keyGenerator: (req, res) => `tenant:${tenantOf(req, res) ?? ''}`,
    handler: refuse('for this account'),
  });
}
