/**
 * The one error family. Every failure a person can act on carries a stable `code`; the HTTP
 * layer and the CLI map codes to statuses and exit codes in one place each.
 */
export const ERROR_CODES = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  period_closed: 409,
  unbalanced_entry: 422,
  unknown_account: 422,
  rate_limited: 429,
  internal: 500,
  upstream_unavailable: 502,
  not_configured: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AccrueError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
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
