/**
 * How the engine fails. Two kinds of failure, handled differently by the per-aggregate runner
 * (aggregate.ts):
 *
 * - A **refusal**: data the engine cannot book (an `AccrueError`, e.g. an `EngineRefusal` such as
 *   weights that sum to zero, a service period over 50 years, an unknown time zone). Only that
 *   aggregate stops; it books nothing and the exception queue shows the reason.
 * - A **bug**: anything else — a TypeError, a RangeError, a broken invariant of the engine's own
 *   arithmetic (`EngineInvariantError`), an unbalanced entry. Under tests it propagates, so the
 *   test fails loudly. In production an unbalanced entry still stops the run (nothing unbalanced
 *   may ever be posted); any other bug is recorded as an exception labelled as an internal error,
 *   with its stack, so one broken aggregate does not stop a tenant's books.
 */
import { AccrueError } from '../errors.ts';

/** Data the engine refuses to book: the aggregate becomes an exception row with this message. */
export class EngineRefusal extends AccrueError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('invalid_input', message, details);
    this.name = 'EngineRefusal';
  }
}

/** A broken invariant of the engine's own arithmetic: a bug, never the data's fault. */
export class EngineInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineInvariantError';
  }
}

/** Throws an `EngineInvariantError` when `condition` does not hold. */
export function assertInvariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new EngineInvariantError(message);
}

export type FailureKind = 'refusal' | 'bug';

/** A refusal is an `AccrueError` about the data; everything else, and an unbalanced entry, is a bug. */
export function classifyFailure(error: unknown): FailureKind {
  return error instanceof AccrueError && error.code !== 'unbalanced_entry' ? 'refusal' : 'bug';
}

/** True while tests run (vitest sets VITEST; test runners set NODE_ENV=test): bugs propagate. */
function underTest(): boolean {
  if (typeof process === 'undefined') return false;
  return Boolean(process.env.VITEST) || process.env.NODE_ENV === 'test';
}

/** Whether a failure stops the whole run (rethrown) instead of becoming an exception row. */
export function failureStopsRun(error: unknown): boolean {
  if (classifyFailure(error) === 'refusal') return false;
  return underTest() || (error instanceof AccrueError && error.code === 'unbalanced_entry');
}

/** The exception-queue reason for a failure that did not stop the run. */
export function failureReason(error: unknown): string {
  if (classifyFailure(error) === 'refusal') return `could not book: ${(error as Error).message}`;
  const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return `internal error in the engine (a bug, not a problem with the data): ${detail}`;
}
