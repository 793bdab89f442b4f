/**
 * Stripe's error envelope as the fake answers it: `{ error: { type, message, code?, param?,
 * doc_url?, request_log_url } }` with the status and headers Stripe sends, including injected
 * 429s (`Stripe-Rate-Limited-Reason`) and 5xx (`Stripe-Should-Retry` on 503).
 */

/** An error response in Stripe's envelope. */
export class FakeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { type: string; message: string; code?: string; param?: string },
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }
}

/** An injected failure: the next `count` requests (whose path matches) answer `status`. */
export interface StripeFault {
  status: 429 | 500 | 503;
  count: number;
  path?: RegExp;
  rateLimitedReason?: string;
}

export function invalid(message: string, code?: string, param?: string, status = 400): FakeApiError {
  return new FakeApiError(status, {
    type: 'invalid_request_error',
    message,
    ...(code ? { code } : {}),
    ...(param ? { param } : {}),
  });
}

export function noSuch(type: string, id: string, param: string, status: number): FakeApiError {
  return invalid(`No such ${type}: '${id}'`, 'resource_missing', param, status);
}

export function unknownParameter(name: string): FakeApiError {
  return invalid(`Received unknown parameter: ${name}`, 'parameter_unknown', name);
}

export function invalidInteger(text: string, param: string): FakeApiError {
  return invalid(`Invalid integer: ${text}`, 'parameter_invalid_integer', param);
}

/** The error an injected fault answers with. */
export function faultError(fault: StripeFault): FakeApiError {
  if (fault.status === 429) {
    return new FakeApiError(
      429,
      {
        type: 'invalid_request_error',
        code: 'rate_limit',
        message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
      },
      { 'Stripe-Rate-Limited-Reason': fault.rateLimitedReason ?? 'global-rate' },
    );
  }
  return new FakeApiError(
    fault.status,
    { type: 'api_error', message: 'An unknown error occurred. Please try again later.' },
    fault.status === 503 ? { 'Stripe-Should-Retry': 'true' } : {},
  );
}

/** The response body for an error: Stripe's envelope for API errors, a plain api_error for anything else. */
export function errorBody(
  err: unknown,
  requestId: string,
): { status: number; body: unknown; headers: Record<string, string> } {
  if (!(err instanceof FakeApiError)) {
    return {
      status: 500,
      body: { error: { type: 'api_error', message: `Fake failure: ${(err as Error).message}` } },
      headers: {},
    };
  }
  const code = err.body.code;
  const body = {
    error: {
      ...err.body,
      ...(code ? { doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}` } : {}),
      request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}?t=0`,
    },
  };
  return { status: err.status, body, headers: err.headers };
}

/** Checks the API key (Bearer, or Basic with the key as user) as Stripe does; throws its 401s. */
export function authorize(header: string, apiKey: string | undefined): void {
  let key = '';
  if (header.startsWith('Bearer ')) key = header.slice('Bearer '.length).trim();
  else if (header.startsWith('Basic '))
    key = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8').replace(/:.*$/, '');
  if (!key) {
    throw invalid(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      undefined,
      undefined,
      401,
    );
  }
  const acceptable = apiKey ? key === apiKey : /^(sk|rk)_(test|live)_/.test(key);
  if (!acceptable)
    throw invalid(
      `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
      'api_key_invalid',
      undefined,
      401,
    );
}
