// Proves the one error mapping: every ledger trigger SQLSTATE (AC001–AC005) and a unique
// violation become a stable code and a 4xx; other integrity violations and unknown failures stay
// a 500 that says nothing; the original is kept as `cause`; and the logged cause chain carries
// name, message, code and stack only, never the other properties where client errors keep tokens.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AccrueError } from '../shared/errors.ts';
import {
  CAUSE_CHAIN_MAX,
  causeChain,
  errorChain,
  isTransientFailure,
  SQLSTATE_CODES,
  toAccrueError,
} from './errors.ts';

function databaseError(code: string, message: string): pg.DatabaseError {
  const e = new pg.DatabaseError(message, message.length, 'error');
  e.code = code;
  return e;
}

describe('toAccrueError', () => {
  it.each([
    ['AC001', 'the journal is append-only: UPDATE on journal_lines is refused', 'append_only', 409],
    ['AC002', 'entry inv:1 does not balance: usd 10', 'unbalanced_entry', 422],
    ['AC003', 'entry 7 is already posted; lines cannot be added to it', 'append_only', 409],
    ['AC004', 'period 2026-01 is closed', 'period_closed', 409],
    ['AC005', 'entry rev:1 does not mirror the entry it reverses', 'invalid_reversal', 422],
  ])('maps the ledger trigger SQLSTATE %s to a stable code and a 4xx', (sqlstate, message, code, status) => {
    const cause = databaseError(sqlstate, message);
    const e = toAccrueError(cause);
    expect(e).toBeInstanceOf(AccrueError);
    expect(e.code).toBe(code);
    expect(e.httpStatus).toBe(status);
    expect(e.message).toBe(message);
    expect(e.details).toEqual({ sqlstate });
    expect(e.cause).toBe(cause);
  });

  it('maps every AC SQLSTATE the migrations raise', () => {
    expect(
      Object.keys(SQLSTATE_CODES)
        .filter((k) => k.startsWith('AC'))
        .sort(),
    ).toEqual(['AC001', 'AC002', 'AC003', 'AC004', 'AC005']);
  });

  it('answers a unique violation with 409 conflict, without the constraint name', () => {
    const cause = databaseError(
      '23505',
      'duplicate key value violates unique constraint "journal_entries_reverses_entry_id_key"',
    );
    const e = toAccrueError(cause);
    expect([e.code, e.httpStatus]).toEqual(['conflict', 409]);
    expect(e.message).not.toContain('journal_entries');
    expect(e.cause).toBe(cause);
  });

  it.each(['23503', '23502', '23514', 'XX000'])('keeps SQLSTATE %s a silent 500: it would hide a bug', (sqlstate) => {
    const cause = databaseError(sqlstate, 'journal line names account 9, which does not exist');
    const e = toAccrueError(cause);
    expect([e.code, e.httpStatus, e.message]).toEqual(['internal', 500, 'internal error']);
    expect(e.cause).toBe(cause);
  });

  it.each(['57P01', '08006', '40P01'])(
    'answers SQLSTATE %s (the connection dropped, a deadlock) 503: retry shortly',
    (sqlstate) => {
      const cause = databaseError(sqlstate, 'terminating connection due to administrator command');
      const e = toAccrueError(cause);
      expect([e.code, e.httpStatus]).toEqual(['temporarily_unavailable', 503]);
      expect(e.message).not.toContain('administrator');
      expect(toAccrueError(new Error('Connection terminated unexpectedly')).code).toBe('temporarily_unavailable');
    },
  );

  it('passes an AccrueError through unchanged', () => {
    const e = new AccrueError('not_found', 'no tenant');
    expect(toAccrueError(e)).toBe(e);
  });

  it('maps validation and body-parser failures to invalid_input, and anything else to a silent internal', () => {
    const zod = z.object({ a: z.string() }).safeParse({ a: 1 });
    const fromZod = toAccrueError(zod.error);
    expect([fromZod.code, fromZod.message]).toEqual(['invalid_input', expect.stringMatching(/^a: /)]);
    expect(toAccrueError(Object.assign(new Error('x'), { type: 'entity.parse.failed' })).message).toBe(
      'the request body is not valid JSON',
    );
    expect(toAccrueError(Object.assign(new Error('x'), { type: 'entity.too.large' })).message).toBe(
      'the request body is too large',
    );
    const bug = new TypeError('cannot read properties of undefined (reading "secret")');
    const e = toAccrueError(bug);
    expect([e.code, e.httpStatus, e.message]).toEqual(['internal', 500, 'internal error']);
    expect(e.cause).toBe(bug);
  });
});

describe('cause chains', () => {
  it('lists the causes outermost first with name, message, code and stack only', () => {
    const axiosLike = Object.assign(new Error('Request failed with status code 400'), {
      code: 'ERR_BAD_REQUEST',
      config: { headers: { Authorization: 'Bearer secret-token' } },
    });
    const oauth = new AccrueError('upstream_unavailable', 'QuickBooks token refresh failed', undefined, {
      cause: axiosLike,
    });
    const outer = new AccrueError('internal', 'sync failed', undefined, { cause: oauth });
    const chain = causeChain(outer);
    expect(chain.map((l) => [l.name, l.code, l.message])).toEqual([
      ['AccrueError', 'upstream_unavailable', 'QuickBooks token refresh failed'],
      ['Error', 'ERR_BAD_REQUEST', 'Request failed with status code 400'],
    ]);
    expect(chain.every((l) => typeof l.stack === 'string')).toBe(true);
    expect(JSON.stringify(chain)).not.toContain('secret-token');
    expect(errorChain(outer)[0]!.message).toBe('sync failed');
  });

  it('stops at a cycle and at CAUSE_CHAIN_MAX links', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorChain(a).map((l) => l.message)).toEqual(['a', 'b']);
    let deep: Error = new Error('0');
    for (let i = 1; i < 20; i++) deep = new Error(String(i), { cause: deep });
    expect(errorChain(deep)).toHaveLength(CAUSE_CHAIN_MAX);
    expect(causeChain(new Error('alone'))).toEqual([]);
    expect(causeChain(new Error('non-error', { cause: 'timeout' }))).toEqual([{ name: 'string', message: 'timeout' }]);
  });
});

describe('isTransientFailure', () => {
  const notQueryable = () => new Error('Client has encountered a connection error and is not queryable');
  it('counts a dropped connection as transport, however it surfaces', () => {
    expect(isTransientFailure(databaseError('57P01', 'terminating connection due to administrator command'))).toBe(
      true,
    );
    expect(isTransientFailure(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientFailure(notQueryable())).toBe(true);
    // A transaction whose query and rollback both met the dropped connection.
    expect(isTransientFailure(new AggregateError([new TypeError('x is undefined'), notQueryable()]))).toBe(true);
    expect(isTransientFailure(new Error('wrapped', { cause: notQueryable() }))).toBe(true);
  });
  it('leaves a deterministic failure deterministic', () => {
    expect(isTransientFailure(new TypeError("Cannot read properties of null (reading 'id')"))).toBe(false);
    expect(isTransientFailure(new AggregateError([new TypeError('a'), new RangeError('b')]))).toBe(false);
    expect(isTransientFailure(databaseError('23505', 'duplicate key value'))).toBe(false);
  });
});
