/**
 * Compares Stripe objects with Stripe's own example objects (the reference fixtures, one example
 * per resource, read at test time). A served object drifts when it lacks a field the example has,
 * or holds a value of another JSON type where neither side is null. Nested hashes are compared
 * field by field; a nested Stripe object (one with its own `object`) is compared with the example
 * of its own resource; arrays are compared element by element with the example's first element.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Drift {
  /** Resource the comparison started from, then the dotted path: `invoice.lines.data[0].period.end`. */
  path: string;
  problem: 'missing' | 'type';
  detail: string;
}

/** The reference file's place inside the folder CI keeps beside the checkout. */
const REFERENCE_IN_SHARED = ['shared', 'reference', 'stripe', 'openapi-fixtures3.json'];
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where CI keeps the reference folder: beside the checkout. */
export const REFERENCE_PATH = resolve(REPO_ROOT, '..', ...REFERENCE_IN_SHARED);

/** In a git worktree (`.git` is a file naming `<main>/.git/worktrees/<name>`), the main checkout's sibling. */
function worktreeReferencePath(): string | null {
  const dotGit = resolve(REPO_ROOT, '.git');
  if (!existsSync(dotGit) || !statSync(dotGit).isFile()) return null;
  const match = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
  if (!match?.[1]) return null;
  const mainRoot = resolve(REPO_ROOT, match[1].trim(), '../../..');
  return resolve(mainRoot, '..', ...REFERENCE_IN_SHARED);
}

/** The path of the reference file, or null when it is absent (then the fidelity tests skip, saying so). */
export function referencePath(): string | null {
  for (const p of [REFERENCE_PATH, worktreeReferencePath()]) if (p && existsSync(p)) return p;
  return null;
}

let cached: Record<string, JsonObject> | null = null;
/** Stripe's example object per resource name (`invoice`, `line_item`, `billing.credit_grant` …). */
export function loadExamples(): Record<string, JsonObject> {
  if (cached) return cached;
  const path = referencePath();
  if (!path) throw new Error(`Stripe's example objects are not at ${REFERENCE_PATH}`);
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { resources?: Record<string, JsonObject> };
  if (!parsed.resources || typeof parsed.resources !== 'object') throw new Error(`${path} has no resources`);
  cached = parsed.resources;
  return cached;
}

/** Fields whose values are free-form maps (their keys are the merchant's, not Stripe's). */
const MAP_FIELDS = new Set(['metadata']);

export function jsonType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A Stripe object or a list of them: compared by its own resource, not by the parent's example. */
function stripeObjectType(v: unknown): string | null {
  return isObject(v) && typeof v.object === 'string' ? v.object : null;
}

/** An expandable field: an id on one side, the object it names on the other. */
function expandableMatch(a: unknown, b: unknown): boolean {
  return (
    (typeof a === 'string' && stripeObjectType(b) !== null) || (typeof b === 'string' && stripeObjectType(a) !== null)
  );
}

/**
 * Every drift of `served` from `example` (and, recursively, of every Stripe object inside it from
 * its own resource's example). Resources without an example are not compared.
 */
export function driftFrom(
  served: JsonObject,
  example: JsonObject,
  path: string,
  examples: Record<string, JsonObject>,
): Drift[] {
  const drifts: Drift[] = [];
  for (const [key, expected] of Object.entries(example)) {
    const at = `${path}.${key}`;
    if (!(key in served)) {
      drifts.push({ path: at, problem: 'missing', detail: `Stripe's example has ${key} (${jsonType(expected)})` });
      continue;
    }
    const actual = served[key];
    if (actual === null || expected === null || MAP_FIELDS.has(key)) continue;
    if (expandableMatch(actual, expected)) continue;
    if (jsonType(actual) !== jsonType(expected)) {
      drifts.push({
        path: at,
        problem: 'type',
        detail: `served ${jsonType(actual)}, Stripe's example ${jsonType(expected)}`,
      });
      continue;
    }
    drifts.push(...nestedDrift(actual as Json, expected, at, examples));
  }
  // Stripe objects inside fields the example does not have are still compared with their own resource.
  for (const [key, actual] of Object.entries(served)) {
    if (key in example) continue;
    drifts.push(...nestedDrift(actual, null, `${path}.${key}`, examples));
  }
  return drifts;
}

function nestedDrift(actual: Json, expected: Json, at: string, examples: Record<string, JsonObject>): Drift[] {
  if (Array.isArray(actual)) {
    const first = Array.isArray(expected) ? (expected[0] ?? null) : null;
    return actual.flatMap((item, i) => nestedDrift(item, first, `${at}[${i}]`, examples));
  }
  if (!isObject(actual)) return [];
  const type = stripeObjectType(actual);
  if (type === 'list') return nestedDrift(actual.data ?? [], null, `${at}.data`, examples);
  if (type !== null) {
    const own = examples[type];
    if (own) return driftFrom(actual, own, at, examples);
  }
  return isObject(expected) ? driftFrom(actual, expected, at, examples) : [];
}

/** Drifts of a served Stripe object from its resource's example; [] when Stripe gives no example. */
export function driftOfObject(served: JsonObject, examples: Record<string, JsonObject> = loadExamples()): Drift[] {
  const type = stripeObjectType(served);
  if (type === null) return [{ path: '(object)', problem: 'missing', detail: 'served value has no `object`' }];
  const example = examples[type];
  return example ? driftFrom(served, example, type, examples) : [];
}

/** Fields a served object has that Stripe's example lacks (API-version additions), per resource. */
export function fieldsBeyondExample(
  served: JsonObject,
  examples: Record<string, JsonObject> = loadExamples(),
): string[] {
  const type = stripeObjectType(served);
  const example = type ? examples[type] : undefined;
  if (!type || !example) return [];
  return Object.keys(served)
    .filter((k) => !(k in example))
    .map((k) => `${type}.${k}`);
}
