/**
 * The one mapping from any failure to Accrue's error family (`shared/errors.ts`). The HTTP error
 * middleware, the admin router's audit and the CLI all call `toAccrueError`; the status a code
 * answers is `ERROR_CODES` in `shared/errors.ts`, the CLI's exit code is `backend/cli/framework.ts`.
 * What a client sees is always the stable code and message; what was underneath stays in
 * `cause`, and `causeChain` describes it for the logs.
 *
 * Stripe SDK errors are mapped where they are retried (`stripeErrorToAccrue` in
 * `backend/stripe/reader.ts`, which knows the object and the attempts); QuickBooks failures are
 * normalized by `backend/qbo/adapter.ts` and become AccrueErrors in the use cases that know
 * what they mean. Both keep the original as `cause`.
 */
import pg from 'pg';
import { ZodError } from 'zod';
import { AccrueError, isAccrueError, type ErrorCode } from '../shared/errors.ts';

/**
 * PostgreSQL SQLSTATEs that answer 4xx, and why. The ledger's triggers (`backend/db/migrations/`)
 * raise their own class AC; each is a refusal of the request, never a fault of the server:
 *  - AC001 (UPDATE, DELETE or TRUNCATE of a posted journal row or an account) → `append_only`, 409:
 *    the request conflicts with what the ledger already holds; the fix is a reversing entry.
 *  - AC002 (an entry that does not balance per currency, or has fewer than two lines) →
 *    `unbalanced_entry`, 422: the entry itself is wrong, whatever the ledger holds.
 *  - AC003 (lines added to an entry an earlier transaction posted) → `append_only`, 409: the same
 *    conflict as AC001, the entry is final.
 *  - AC004 (an entry into a closed period) → `period_closed`, 409: a valid entry at a moment the
 *    ledger's state refuses; reopening the period or re-dating resolves it.
 *  - AC005 (a reversal that does not mirror the entry it reverses) → `invalid_reversal`, 422: the
 *    entry's content is wrong.
 * Of PostgreSQL's own integrity class (23), only 23505 (unique violation) is mapped, to
 * `conflict` (409): every unique key we declare names an identity (an entry's idempotency key, a
 * tenant's account, the one reversal of an entry, an API key) that the code checks or upserts
 * before writing, so a violation that still escapes is two requests racing for the same identity.
 * The cause stays attached and is logged, so a bug behind one would still show.
 * 23503 (foreign key), 23502 (not null) and 23514 (check) stay 500: those rows are built by our
 * code, never copied from a request, so a violation is a bug, and a 4xx would hide it.
 */
export const SQLSTATE_CODES: Readonly<Record<string, ErrorCode>> = {
  AC001: 'append_only',
  AC002: 'unbalanced_entry',
  AC003: 'append_only',
  AC004: 'period_closed',
  AC005: 'invalid_reversal',
  '23505': 'conflict',
};

/** The client-facing message of a unique violation (PostgreSQL's names the constraint). */
const UNIQUE_VIOLATION_MESSAGE = 'the same record was written at the same time by another request; try again';

function fromDatabaseError(err: pg.DatabaseError): AccrueError | undefined {
  const code = err.code ? SQLSTATE_CODES[err.code] : undefined;
  if (!code) return undefined;
  // The AC messages are our own triggers' words (ids, periods, amounts), written for people.
  const message = err.code === '23505' ? UNIQUE_VIOLATION_MESSAGE : err.message;
  return new AccrueError(code, message, { sqlstate: err.code }, { cause: err });
}

/** Any failure as an AccrueError: itself, a mapped refusal, or `internal` (details never leak). */
export function toAccrueError(err: unknown): AccrueError {
  if (isAccrueError(err)) return err;
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return new AccrueError('invalid_input', `${where}${issue?.message ?? 'invalid input'}`, undefined, { cause: err });
  }
  if (err instanceof pg.DatabaseError) {
    const mapped = fromDatabaseError(err);
    if (mapped) return mapped;
  }
  const fromHttp = fromHttpError(err);
  if (fromHttp) return fromHttp;
  // A dropped database connection, a deadlock, a network error: nothing was wrong with the
  // request, and the same request can succeed in a moment (Stripe, for one, retries a 503).
  if (isTransientFailure(err))
    return new AccrueError('temporarily_unavailable', 'temporarily unavailable; retry shortly', undefined, {
      cause: err,
    });
  return new AccrueError('internal', 'internal error', undefined, { cause: err });
}

/**
 * The body parser's refusals (`type`) and other errors Express raises for a request (an
 * `http-errors` error with a 4xx `status` and `expose`: a bad percent-encoding in the path, an
 * aborted upload). Each is the client's doing, never the server's, so none is a 500.
 */
const BODY_ERRORS: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  'entity.parse.failed': { code: 'invalid_input', message: 'the request body is not valid JSON' },
  'entity.too.large': { code: 'payload_too_large', message: 'the request body is too large' },
  'parameters.too.many': { code: 'payload_too_large', message: 'the request has too many parameters' },
  'encoding.unsupported': {
    code: 'unsupported_media_type',
    message: 'the request body is in a Content-Encoding this endpoint does not read; send it uncompressed',
  },
  'charset.unsupported': { code: 'unsupported_media_type', message: 'the request body is in an unsupported charset' },
  'request.aborted': { code: 'invalid_input', message: 'the request body was not received in full' },
  'request.size.invalid': { code: 'invalid_input', message: 'the request body does not match its Content-Length' },
};

function fromHttpError(err: unknown): AccrueError | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const { type, status, expose } = err as { type?: unknown; status?: unknown; expose?: unknown };
  const known = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
  if (known) return new AccrueError(known.code, known.message, undefined, { cause: err });
  // The router's refusal of a path parameter that is not valid percent-encoded UTF-8.
  if (err instanceof URIError && status === 400)
    return new AccrueError('invalid_input', 'the path is not valid percent-encoded UTF-8', undefined, { cause: err });
  if (typeof status === 'number' && status >= 400 && status < 500 && expose === true)
    return new AccrueError(
      status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'invalid_input',
      'the request could not be read',
      undefined,
      { cause: err },
    );
  return undefined;
}

/** Node's socket error codes that mean the connection (to Stripe, PostgreSQL …) failed, not the request. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * True when a failure is about transport, so trying the same work again later can succeed: Stripe
 * unavailable or rate limiting after its own retries (`upstream_unavailable`, `rate_limited`), a
 * network error, PostgreSQL gone (connection exceptions, SQLSTATE class 08; shutdown, 57P01–57P03;
 * out of resources, class 53; a serialization failure or deadlock, 40001 / 40P01), or the pool's
 * "Connection terminated" (and a client's "not queryable" after its connection failed). Anything else — a malformed event, a TypeError, a refusal, a bug — is
 * deterministic: the same input fails the same way, so retrying only holds back the work behind it.
 */
/**
 * The pool's and the client's own words for a connection that went away: "Connection terminated",
 * a connect timeout, and a client refusing queries after its connection failed.
 */
const TRANSIENT_MESSAGE =
  /^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable/;

export function isTransientFailure(err: unknown): boolean {
  for (const link of errorChainValues(err)) {
    if (isAccrueError(link)) {
      if (link.code === 'upstream_unavailable' || link.code === 'rate_limited') return true;
      continue;
    }
    if (link === null || typeof link !== 'object') continue;
    const code = (link as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (NETWORK_ERROR_CODES.has(code)) return true;
      if (link instanceof pg.DatabaseError && /^(08|53|57P0[123]|40001|40P01)/.test(code)) return true;
    }
    const message = (link as { message?: unknown }).message;
    if (typeof message === 'string' && TRANSIENT_MESSAGE.test(message)) return true;
    // A failed transaction whose rollback failed too (the connection dropped under both).
    if (link instanceof AggregateError && link.errors.some((e) => isTransientFailure(e))) return true;
  }
  return false;
}

/** `err` and its causes, outermost first (at most CAUSE_CHAIN_MAX, no cycles). */
function errorChainValues(err: unknown): unknown[] {
  const chain: unknown[] = [];
  const seen = new Set<unknown>();
  for (let cur = err; cur !== undefined && cur !== null && !seen.has(cur) && chain.length < CAUSE_CHAIN_MAX;) {
    seen.add(cur);
    chain.push(cur);
    cur = (cur as { cause?: unknown }).cause;
  }
  return chain;
}

/** One link of a cause chain, as logged: never the error's other properties (they may hold tokens). */
export interface CauseLink {
  name: string;
  message: string;
  code?: string | undefined;
  stack?: string | undefined;
}

/** Links followed at most; a cycle or a runaway chain stops here. */
export const CAUSE_CHAIN_MAX = 8;

function describe(link: unknown): CauseLink {
  if (!(link instanceof Error)) return { name: typeof link, message: String(link) };
  const code = (link as { code?: unknown }).code;
  return {
    name: link.name,
    message: link.message,
    code: typeof code === 'string' ? code : undefined,
    stack: link.stack,
  };
}

/**
 * `err` and the causes under it, outermost first: name, message, code and stack of each. Only
 * these four are read, because wrapped client errors (axios, intuit-oauth) carry the request, and
 * with it credentials, in their other properties.
 */
export function errorChain(err: unknown): CauseLink[] {
  const chain: CauseLink[] = [];
  const seen = new Set<unknown>();
  let current = err;
  while (current !== undefined && current !== null && !seen.has(current) && chain.length < CAUSE_CHAIN_MAX) {
    seen.add(current);
    chain.push(describe(current));
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** The causes under `err`, without `err` itself. */
export function causeChain(err: unknown): CauseLink[] {
  return errorChain(err).slice(1);
}
