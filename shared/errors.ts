/**
 * The one error family. Every failure a person can act on carries a stable `code`; the HTTP
 * layer and the CLI map codes to statuses and exit codes in one place each. Turning any other
 * failure (a database refusal, a parse error, a bug) into one of these is `toAccrueError` in
 * `backend/errors.ts`. An error that wraps an upstream failure (Stripe, QuickBooks, PostgreSQL)
 * keeps it as the standard `cause`, which is logged but never sent to a client.
 */
export const ERROR_CODES = {
  invalid_input: 400,
  /** A validly signed Stripe event whose envelope (id, type, created, account, data) is malformed. */
  invalid_event: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  /** A request body over the endpoint's size limit. */
  payload_too_large: 413,
  /** A request body in a `Content-Encoding` (or charset) the endpoint does not read. */
  unsupported_media_type: 415,
  conflict: 409,
  period_closed: 409,
  /** A posted journal row (or an account) may not be changed or removed: post a reversing entry. */
  append_only: 409,
  unbalanced_entry: 422,
  /** A reversing entry that does not mirror, line for line, the entry it reverses. */
  invalid_reversal: 422,
  unknown_account: 422,
  rate_limited: 429,
  internal: 500,
  upstream_unavailable: 502,
  not_configured: 503,
  /** The database (or the network to it) failed for a moment: the same request can succeed when retried. */
  temporarily_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AccrueError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** `options.cause`: the upstream failure this error wraps (ES2022 `Error.cause`). */
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AccrueError';
    this.code = code;
    this.details = details;
  }
  get httpStatus(): number {
    return ERROR_CODES[this.code];
  }
}

export function isAccrueError(e: unknown): e is AccrueError {
  return e instanceof AccrueError;
}
