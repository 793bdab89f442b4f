/** `expand[]`: replaces expandable ids with the stored objects they name, along dotted paths. */
import { EMBEDDED_LINES_MAX, idOf, type StripeObject } from '../../stripe/reader.ts';
import { invalid } from './errors.ts';
import type { StripeObjectStore } from './store.ts';

/** Expandable fields Stripe leaves out of an object until they apply. */
const OPTIONAL_EXPANDABLE: Readonly<Record<string, ReadonlySet<string>>> = {
  refund: new Set(['failure_balance_transaction']),
  payout: new Set(['failure_balance_transaction']),
  charge: new Set(['transfer']), // only destination charges have one
  price: new Set(['tiers']), // includable: only tiered prices have tiers to include
};

/**
 * Lists Stripe serves as null unless expanded ("includable"): a charge's refunds, the first 10,
 * newest first, with `has_more` and the URL that pages the rest.
 */
const INCLUDABLE: Readonly<Record<string, Readonly<Record<string, IncludedList>>>> = {
  charge: { refunds: { itemType: 'refund', parentField: 'charge', url: (id) => `/v1/charges/${id}/refunds` } },
};

interface IncludedList {
  itemType: string;
  parentField: string;
  url: (id: string) => string;
}

function includedList(store: StripeObjectStore, account: string, parent: StripeObject, list: IncludedList): unknown {
  const items = store.peekList(account, list.itemType).filter((o) => idOf(o[list.parentField]) === parent.id);
  return {
    object: 'list',
    data: items.slice(0, EMBEDDED_LINES_MAX).map((o) => store.render(account, o)),
    has_more: items.length > EMBEDDED_LINES_MAX,
    url: list.url(parent.id),
  };
}

/** Replaces expandable ids along `path` (dotted) with the stored objects they name. */
function expand(store: StripeObjectStore, account: string, value: unknown, path: string[]): unknown {
  const [head, ...rest] = path;
  if (head === undefined || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => expand(store, account, v, path));
  const obj = value as Record<string, unknown>;
  const included = INCLUDABLE[String(obj.object)]?.[head];
  if (included && rest.length === 0) {
    obj[head] = includedList(store, account, obj as StripeObject, included);
    return obj;
  }
  if (!(head in obj)) {
    // Stripe checks the path against the type, not the object: an expandable field this object
    // leaves out (a refund that did not fail has no failure_balance_transaction) expands to nothing.
    if (OPTIONAL_EXPANDABLE[String(obj.object)]?.has(head)) return obj;
    throw invalid(`This property cannot be expanded (${head}).`, undefined, 'expand');
  }
  if (rest.length === 0) {
    const id = obj[head];
    if (typeof id === 'string') obj[head] = store.getAny(account, id) ?? id;
    return obj;
  }
  obj[head] = expand(store, account, obj[head], rest);
  return obj;
}

/** Expands every path on an object; on a list item (`listPrefix`), only paths under `data.`. */
export function applyExpand(
  store: StripeObjectStore,
  account: string,
  object: StripeObject,
  paths: string[],
  listPrefix: boolean,
): StripeObject {
  for (const p of paths) {
    const segments = p.split('.');
    if (listPrefix) {
      if (segments[0] !== 'data') continue; // handled by the list wrapper
      segments.shift();
    }
    expand(store, account, object, segments);
  }
  return object;
}
