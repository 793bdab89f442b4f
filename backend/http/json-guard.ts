/**
 * What a parsed JSON value must not hold before any of it reaches PostgreSQL or our code: nesting
 * deeper than JSON_DEPTH_MAX (a body of 10,000 nested arrays parses, but would exhaust a recursive
 * reader), a lone UTF-16 surrogate (PostgreSQL's `jsonb` and `text` refuse it, so the insert would
 * fail as a 500), and NUL (`text` and `jsonb` refuse it too). The walk is iterative,
 * so no input can overflow the stack here either.
 */
import type { RequestHandler } from 'express';
import { AccrueError } from '../../shared/errors.ts';

/** Deepest nesting accepted: Stripe objects with every expansion stay well under 20 levels. */
export const JSON_DEPTH_MAX = 64;

/** Matches a UTF-16 surrogate that is not part of a pair. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface JsonGuardOptions {
  /** What the value is called in a message (default "the body"). */
  root?: string;
}

function stringProblem(s: string, where: string): string | null {
  if (s.includes('\u0000')) return `${where} contains a NUL character`;
  if (LONE_SURROGATE.test(s)) return `${where} contains an unpaired UTF-16 surrogate (not valid Unicode text)`;
  return null;
}

/** The first thing wrong with `value` (as a sentence naming where), or null when it is acceptable. */
export function jsonProblem(value: unknown, opts: JsonGuardOptions = {}): string | null {
  const root = opts.root ?? 'the body';
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 0, path: root }];
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v === 'string') {
      const p = stringProblem(v, path);
      if (p) return p;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= JSON_DEPTH_MAX) return `${root} is nested deeper than ${JSON_DEPTH_MAX} levels`;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], depth: depth + 1, path: `${path}[${i}]` });
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      const shown = k.length > 40 ? `${k.slice(0, 40)}…` : k;
      const p = stringProblem(k, `a key in ${path}`);
      if (p) return p;
      stack.push({ v: child, depth: depth + 1, path: `${path}.${shown}` });
    }
  }
  return null;
}

/** Throws `code` (400) with the problem when `value` is not acceptable. */
export function checkJson(value: unknown, code: 'invalid_input' | 'invalid_event', opts: JsonGuardOptions = {}): void {
  const problem = jsonProblem(value, opts);
  if (problem) throw new AccrueError(code, problem);
}

/** Middleware for the JSON routes: refuses a parsed body or query string that `jsonProblem` rejects. */
export function jsonGuard(): RequestHandler {
  return (req, _res, next) => {
    try {
      checkJson(req.body, 'invalid_input');
      checkJson(req.query, 'invalid_input', { root: 'the query' });
      next();
    } catch (e) {
      next(e);
    }
  };
}
