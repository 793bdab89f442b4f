/**
 * Stripe's request parameters: the form/query encoding, `limit`, `created` ranges and `expand[]`,
 * validated with Stripe's error codes.
 */
import type { StripeObject } from '../../stripe/reader.ts';
import { invalid, invalidInteger, unknownParameter } from './errors.ts';

export type Params = Record<string, unknown>;

/** Stripe's default and bounds for `limit` on list endpoints. */
const LIST_PAGE_SIZE_DEFAULT = 10;
const LIST_PAGE_SIZE_MIN = 1;
const LIST_PAGE_SIZE_MAX = 100;

const RANGE_KEYS = new Set(['gt', 'gte', 'lt', 'lte']);

/**
 * Parses Stripe's form/query encoding (`a[b]=1`, `expand[0]=x`, `expand[]=y`) into nested values.
 * Index-or-empty brackets make arrays; everything else makes objects.
 */
export function parseStripeParams(encoded: string): Params {
  const root: Params = {};
  for (const [rawKey, value] of new URLSearchParams(encoded)) {
    const parts = rawKey.split('[').map((p, i) => (i === 0 ? p : p.replace(/\]$/, '')));
    let holder: Record<string, unknown> | unknown[] = root;
    parts.forEach((part, i) => {
      const isLast = i === parts.length - 1;
      const nextIsArray = !isLast && /^\d*$/.test(parts[i + 1] ?? '');
      if (Array.isArray(holder)) {
        const index = part === '' ? holder.length : Number(part);
        if (isLast) holder[index] = value;
        else holder = (holder[index] ??= nextIsArray ? [] : {}) as Record<string, unknown> | unknown[];
      } else {
        if (isLast) holder[part] = value;
        else holder = (holder[part] ??= nextIsArray ? [] : {}) as Record<string, unknown> | unknown[];
      }
    });
  }
  return root;
}

export function parseLimit(value: unknown): number {
  if (value === undefined) return LIST_PAGE_SIZE_DEFAULT;
  const text = String(value);
  if (!/^-?\d+$/.test(text)) throw invalidInteger(text, 'limit');
  const n = Number(text);
  if (n < LIST_PAGE_SIZE_MIN || n > LIST_PAGE_SIZE_MAX) {
    throw invalid(
      `This value must be between ${LIST_PAGE_SIZE_MIN} and ${LIST_PAGE_SIZE_MAX}; you passed ${n}.`,
      'parameter_invalid_integer',
      'limit',
    );
  }
  return n;
}

/** When an object was created: `created`, or `date` for invoice items (which have no `created`). */
export function createdOf(o: StripeObject): number {
  if (typeof o.created === 'number') return o.created;
  return o.object === 'invoiceitem' && typeof o.date === 'number' ? o.date : 0;
}

/** The `created` filter: an exact second, or a `gt`/`gte`/`lt`/`lte` range. */
export function createdFilter(value: unknown): (created: number) => boolean {
  if (value === undefined) return () => true;
  const asInt = (v: unknown, param: string): number => {
    const text = String(v);
    if (!/^-?\d+$/.test(text)) throw invalidInteger(text, param);
    return Number(text);
  };
  if (typeof value === 'string') {
    const exact = asInt(value, 'created');
    return (c) => c === exact;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('Invalid created', 'parameter_invalid_integer', 'created');
  const bounds = value as Record<string, unknown>;
  for (const key of Object.keys(bounds)) if (!RANGE_KEYS.has(key)) throw unknownParameter(`created[${key}]`);
  const gt = bounds.gt === undefined ? null : asInt(bounds.gt, 'created[gt]');
  const gte = bounds.gte === undefined ? null : asInt(bounds.gte, 'created[gte]');
  const lt = bounds.lt === undefined ? null : asInt(bounds.lt, 'created[lt]');
  const lte = bounds.lte === undefined ? null : asInt(bounds.lte, 'created[lte]');
  return (c) =>
    (gt === null || c > gt) && (gte === null || c >= gte) && (lt === null || c < lt) && (lte === null || c <= lte);
}

export function expandPaths(params: Params): string[] {
  const e = params.expand;
  if (e === undefined) return [];
  if (typeof e === 'string') return [e];
  if (Array.isArray(e)) return e.filter((x): x is string => typeof x === 'string');
  throw invalid('Invalid array', 'parameter_invalid_array', 'expand');
}
