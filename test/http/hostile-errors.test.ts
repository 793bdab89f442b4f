/**
 * Proves the failure classification the drain and the HTTP layer rely on: `isTransientFailure`
 * says yes only for transport failures (Stripe unavailable or rate limiting, the network,
 * PostgreSQL's connection), and `toAccrueError` turns the body parser's refusals into 4xx codes.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isTransientFailure, toAccrueError } from '../../backend/errors.ts';
import { AccrueError } from '../../shared/errors.ts';

function dbError(code: string): pg.DatabaseError {
  const e = new pg.DatabaseError('database said no', 0, 'error');
  e.code = code;
  return e;
}
const sysError = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('isTransientFailure', () => {
  it('is true for transport failures, also when wrapped', () => {
    for (const e of [
      new AccrueError('upstream_unavailable', 'Stripe unavailable after 3 attempts'),
      new AccrueError('rate_limited', 'Stripe kept rate-limiting'),
      sysError('ECONNRESET'),
      sysError('ETIMEDOUT'),
      dbError('08006'),
      dbError('57P01'),
      dbError('53300'),
      dbError('40001'),
      new Error('Connection terminated unexpectedly'),
      new AccrueError('internal', 'read failed', undefined, { cause: sysError('ECONNREFUSED') }),
    ])
      expect(isTransientFailure(e), String(e)).toBe(true);
  });

  it('is false for deterministic failures: bad shapes, bugs, refusals, bad data', () => {
    for (const e of [
      new TypeError("Cannot read properties of null (reading 'object')"),
      new RangeError('Invalid time value'),
      new AccrueError('invalid_input', 'no such invoice'),
      new AccrueError('not_found', 'Stripe invoice in_1 was not found'),
      new AccrueError('internal', 'More than 1000 lines'),
      dbError('22021'),
      dbError('23505'),
      null,
      'a string',
    ])
      expect(isTransientFailure(e), String(e)).toBe(false);
  });
});

describe('toAccrueError for request errors', () => {
  it('maps the body parser refusals to 413, 415 and 400, never 500', () => {
    const bodyError = (type: string, status: number) => Object.assign(new Error(type), { type, status, expose: true });
    expect(toAccrueError(bodyError('entity.too.large', 413)).httpStatus).toBe(413);
    expect(toAccrueError(bodyError('encoding.unsupported', 415)).code).toBe('unsupported_media_type');
    expect(toAccrueError(bodyError('charset.unsupported', 415)).httpStatus).toBe(415);
    expect(toAccrueError(bodyError('request.aborted', 400)).httpStatus).toBe(400);
    expect(toAccrueError(Object.assign(new URIError('URI malformed'), { status: 400 })).code).toBe('invalid_input');
    // Anything else stays a 500: a bug must not pass for the client's fault.
    expect(toAccrueError(Object.assign(new Error('boom'), { status: 400 })).code).toBe('internal');
  });
});
