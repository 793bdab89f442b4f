/**
 * List endpoints and retrieval as Stripe serves them: per-type filters, `created` ranges, cursor
 * pagination (`limit`, `starting_after`, `ending_before`, `has_more`), the paged `lines` of
 * invoices and credit notes, and `expand[]` on every item. Unknown parameters are refused.
 */
import { idOf, type StripeObject } from '../../stripe/reader.ts';
import { FakeApiError, invalid, noSuch, unknownParameter } from './errors.ts';
import { applyExpand } from './expand.ts';
import { paidOutBy } from './payout-transactions.ts';
import { createdFilter, createdOf, expandPaths, parseLimit, type Params } from './params.ts';
import type { StripeObjectStore } from './store.ts';

type Filter = (object: StripeObject, value: unknown) => boolean;

const fieldEquals =
  (field: string): Filter =>
  (o, v) =>
    idOf(o[field]) === v || o[field] === v;
const boolField =
  (field: string): Filter =>
  (o, v) =>
    String(o[field]) === String(v);

/** Filters each list endpoint accepts beyond pagination, `created` and `expand`. */
const LIST_FILTERS: Readonly<Record<string, Readonly<Record<string, Filter>>>> = {
  invoice: {
    customer: fieldEquals('customer'),
    status: fieldEquals('status'),
    collection_method: fieldEquals('collection_method'),
    subscription: (o, v) =>
      idOf(
        (o.parent as { subscription_details?: { subscription?: unknown } } | null)?.subscription_details?.subscription,
      ) === v,
  },
  invoice_payment: {
    invoice: fieldEquals('invoice'),
    status: fieldEquals('status'),
    payment: () => true /* checked in invoicePaymentFilter */,
  },
  charge: { customer: fieldEquals('customer'), payment_intent: fieldEquals('payment_intent') },
  payment_intent: { customer: fieldEquals('customer') },
  refund: { charge: fieldEquals('charge'), payment_intent: fieldEquals('payment_intent') },
  balance_transaction: {
    type: fieldEquals('type'),
    source: fieldEquals('source'),
    currency: fieldEquals('currency'),
    payout: () => true /* checked in listCollection (payout-transactions.ts) */,
  },
  credit_note: { invoice: fieldEquals('invoice'), customer: fieldEquals('customer') },
  dispute: { charge: fieldEquals('charge'), payment_intent: fieldEquals('payment_intent') },
  payout: { status: fieldEquals('status'), destination: fieldEquals('destination') },
  invoiceitem: { customer: fieldEquals('customer'), invoice: fieldEquals('invoice') },
  'billing.credit_grant': { customer: fieldEquals('customer') },
  // `customer` (required) is checked by the route through each transaction's grant.
  'billing.credit_balance_transaction': { customer: () => true, credit_grant: fieldEquals('credit_grant') },
  customer: { email: fieldEquals('email') },
  // `all`, or one status; without it Stripe lists the subscriptions that are not canceled.
  subscription: { customer: fieldEquals('customer'), status: (o, v) => v === 'all' || o.status === v },
  product: { active: boolField('active') },
  price: { product: fieldEquals('product'), active: boolField('active'), currency: fieldEquals('currency') },
  event: { type: fieldEquals('type'), types: (o, v) => Array.isArray(v) && v.includes(o.type) },
  customer_balance_transaction: {},
  application_fee: { charge: fieldEquals('charge') },
  transfer: { destination: fieldEquals('destination'), transfer_group: fieldEquals('transfer_group') },
  fee_refund: {},
  transfer_reversal: {},
};

const INVOICE_PAYMENT_KEYS = new Set(['type', 'payment_intent', 'charge', 'payment_record']);
const PAGINATION_KEYS = new Set(['limit', 'starting_after', 'ending_before', 'expand', 'created']);

/** One page of an ordered list; a cursor names an item, whose position `cursorPosition` resolves. */
function page(
  store: StripeObjectStore,
  account: string,
  ordered: readonly StripeObject[],
  params: Params,
  url: string,
  cursorPosition: (id: string, param: string) => number,
  keep: (o: StripeObject) => boolean,
): Record<string, unknown> {
  const limit = parseLimit(params.limit);
  const after = params.starting_after;
  const before = params.ending_before;
  if (after !== undefined && before !== undefined) {
    throw invalid(
      'You may only specify one of these parameters: ending_before, starting_after.',
      'parameters_exclusive',
      'ending_before',
    );
  }
  const positioned = ordered.map((o, i) => ({ o, pos: i })).filter(({ o }) => keep(o));
  let data: StripeObject[];
  let hasMore: boolean;
  if (typeof after === 'string' && after !== '') {
    const at = cursorPosition(after, 'starting_after');
    const rest = positioned.filter((x) => x.pos > at);
    data = rest.slice(0, limit).map((x) => x.o);
    hasMore = rest.length > limit;
  } else if (typeof before === 'string' && before !== '') {
    const at = cursorPosition(before, 'ending_before');
    const rest = positioned.filter((x) => x.pos < at);
    data = rest.slice(Math.max(0, rest.length - limit)).map((x) => x.o);
    hasMore = rest.length > limit;
  } else {
    data = positioned.slice(0, limit).map((x) => x.o);
    hasMore = positioned.length > limit;
  }
  const expandList = expandPaths(params);
  return {
    object: 'list',
    data: data.map((o) => applyExpand(store, account, store.render(account, o), expandList, true)),
    has_more: hasMore,
    url,
  };
}

function checkKnownParams(type: string, params: Params): void {
  const allowed = LIST_FILTERS[type] ?? {};
  for (const key of Object.keys(params)) {
    if (PAGINATION_KEYS.has(key) || key in allowed) continue;
    throw unknownParameter(key);
  }
}

/** `payment[type]` (required) and `payment[payment_intent|charge|payment_record]` on invoice payments. */
function invoicePaymentFilter(params: Params): (o: StripeObject) => boolean {
  const payment = params.payment;
  if (payment === undefined) return () => true;
  if (typeof payment !== 'object' || payment === null || Array.isArray(payment))
    throw invalid('Invalid hash', 'parameter_invalid_hash', 'payment');
  const p = payment as Record<string, unknown>;
  for (const key of Object.keys(p)) if (!INVOICE_PAYMENT_KEYS.has(key)) throw unknownParameter(`payment[${key}]`);
  if (typeof p.type !== 'string')
    throw invalid('Missing required param: payment[type].', 'parameter_missing', 'payment[type]');
  return (o) => {
    const actual = (o.payment ?? {}) as Record<string, unknown>;
    if (actual.type !== p.type) return false;
    for (const key of ['payment_intent', 'charge', 'payment_record']) {
      if (p[key] !== undefined && idOf(actual[key]) !== p[key]) return false;
    }
    return true;
  };
}

/** Positions of the items of a list by id; an unknown cursor is refused with `missing`. */
function cursorIndex(
  items: readonly StripeObject[],
  missing: (id: string, param: string) => FakeApiError,
): (id: string, param: string) => number {
  const index = new Map(items.map((o, i) => [o.id, i]));
  return (id, param) => {
    const i = index.get(id);
    if (i === undefined) throw missing(id, param);
    return i;
  };
}

/** A top-level list (`/v1/invoices`…), optionally scoped (a customer's balance transactions). */
export function listCollection(
  store: StripeObjectStore,
  account: string,
  type: string,
  params: Params,
  url: string,
  scope: (o: StripeObject) => boolean = () => true,
): Record<string, unknown> {
  checkKnownParams(type, params);
  const filters = LIST_FILTERS[type] ?? {};
  const inCreated = createdFilter(params.created);
  const paymentFilter = type === 'invoice_payment' ? invoicePaymentFilter(params) : () => true;
  const paidOut =
    type === 'balance_transaction' && typeof params.payout === 'string'
      ? paidOutBy(store, account, params.payout)
      : null;
  const notCanceled = type === 'subscription' && params.status === undefined;
  const keep = (o: StripeObject): boolean =>
    inCreated(createdOf(o)) &&
    (!notCanceled || o.status !== 'canceled') &&
    paymentFilter(o) &&
    (paidOut === null || paidOut.has(o.id)) &&
    Object.entries(filters).every(([key, f]) => params[key] === undefined || f(o, params[key]));
  const ordered = store.peekList(account, type).filter(scope);
  const cursor = cursorIndex(ordered, (id, param) => noSuch(type, id, param, 400));
  return page(store, account, ordered, params, url, cursor, keep);
}

/** The `lines` of an invoice or credit note, a page at a time. */
export function listLines(
  store: StripeObjectStore,
  account: string,
  type: string,
  documentId: string,
  params: Params,
  url: string,
): Record<string, unknown> {
  checkKnownParams('line', params);
  if (params.created !== undefined) throw unknownParameter('created');
  const lines = store.lines(account, type, documentId);
  if (!lines) throw noSuch(type, documentId, 'id', 404);
  if (store.linesIncomplete(account, documentId)) {
    // Not something Stripe does: the fake was given only the first page of this document.
    throw new FakeApiError(500, {
      type: 'api_error',
      message: `Stripe fake: ${type} ${documentId} was loaded from a first-page snapshot only; load its full lines (the object, or its line_item objects)`,
    });
  }
  const label = type === 'invoice' ? 'Invoice' : 'Credit note';
  const cursor = cursorIndex(lines, (id, param) =>
    invalid(`${label} ${documentId} does not have a line item ${id}`, 'resource_missing', param),
  );
  return page(store, account, lines, params, url, cursor, () => true);
}

/** One object by id, with `expand[]` (the only parameter a retrieve takes). */
export function retrieve(
  store: StripeObjectStore,
  account: string,
  type: string,
  id: string,
  params: Params,
): StripeObject {
  for (const key of Object.keys(params)) if (key !== 'expand') throw unknownParameter(key);
  const found = store.get(account, type, id);
  if (!found) throw noSuch(type, id, 'id', 404);
  return applyExpand(store, account, found, expandPaths(params), false);
}
