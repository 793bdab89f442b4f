/**
 * The Stripe fake's read-only routes: `GET /v1/{collection}[/{id}[/lines | /balance_transactions[/{id}] |
 * /refunds[/{id}] | /reversals[/{id}]]]`; `refunds` is under charges and application fees; and
 * `GET /v1/billing/{credit_grants | credit_balance_transactions}[/{id}]`.
 */
import { idOf } from '../../stripe/reader.ts';
import { invalid, noSuch, type FakeApiError } from './errors.ts';
import { listCollection, listLines, retrieve } from './listing.ts';
import { meterRoute } from './meters.ts';
import type { Params } from './params.ts';
import { EMBEDDED_SUBLISTS, type StripeObjectStore } from './store.ts';

/** Top-level collections: URL segment → Stripe `object` type. */
export const COLLECTIONS: Readonly<Record<string, string>> = {
  invoices: 'invoice',
  invoice_payments: 'invoice_payment',
  charges: 'charge',
  payment_intents: 'payment_intent',
  refunds: 'refund',
  balance_transactions: 'balance_transaction',
  credit_notes: 'credit_note',
  disputes: 'dispute',
  payouts: 'payout',
  invoiceitems: 'invoiceitem',
  customers: 'customer',
  products: 'product',
  prices: 'price',
  events: 'event',
  application_fees: 'application_fee',
  transfers: 'transfer',
  subscriptions: 'subscription',
};

/** Billing's collections under `/v1/billing/…`: URL segment → Stripe `object` type. */
export const BILLING_COLLECTIONS: Readonly<Record<string, string>> = {
  credit_grants: 'billing.credit_grant',
  credit_balance_transactions: 'billing.credit_balance_transaction',
};

/**
 * `GET /v1/billing/credit_grants[/{id}]` and `GET /v1/billing/credit_balance_transactions[/{id}]`;
 * listing credit balance transactions needs `customer`, as Stripe's does.
 */
function billingRoute(
  store: StripeObjectStore,
  account: string,
  segments: { collection: string | undefined; id: string | undefined; rest: boolean },
  params: Params,
  path: string,
  unrecognized: () => FakeApiError,
): unknown {
  const type = segments.collection === undefined ? undefined : BILLING_COLLECTIONS[segments.collection];
  if (!type || segments.rest) throw unrecognized();
  if (segments.id !== undefined) return retrieve(store, account, type, segments.id, params);
  if (type === 'billing.credit_grant') return listCollection(store, account, type, params, path);
  const customer = params.customer;
  if (typeof customer !== 'string' || customer === '')
    throw invalid('Missing required param: customer.', 'parameter_missing', 'customer');
  const grantCustomer = (o: Record<string, unknown>): string | null => {
    const grant = store.get(account, 'billing.credit_grant', idOf(o.credit_grant) ?? '');
    return grant ? idOf(grant.customer) : null;
  };
  return listCollection(store, account, type, params, path, (o) => grantCustomer(o) === customer);
}

/**
 * A parent's own list of objects (a customer's balance transactions, an application fee's refunds,
 * a transfer's reversals), listed or retrieved by id under the parent's URL.
 */
function childRoute(
  store: StripeObjectStore,
  account: string,
  parent: { type: string; id: string },
  child: { type: string; parentField: string; id: string | undefined },
  params: Params,
  path: string,
): unknown {
  if (!store.get(account, parent.type, parent.id)) throw noSuch(parent.type, parent.id, 'id', 404);
  const belongs = (o: Record<string, unknown>): boolean => idOf(o[child.parentField]) === parent.id;
  if (child.id === undefined) return listCollection(store, account, child.type, params, path, belongs);
  const found = retrieve(store, account, child.type, child.id, params);
  if (!belongs(found)) throw noSuch(child.type, child.id, 'id', 404);
  return found;
}

/** Answers one request for an account, or throws Stripe's error. */
export function route(
  store: StripeObjectStore,
  method: string,
  path: string,
  params: Params,
  account: string,
): unknown {
  const unrecognized = (): FakeApiError =>
    invalid(
      `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
      undefined,
      undefined,
      404,
    );
  if (method !== 'GET') throw unrecognized();
  const segments = path.split('/').slice(1).map(decodeURIComponent);
  if (segments[0] !== 'v1') throw unrecognized();
  if (segments[1] === 'billing') {
    // Meters first; the credit grants and their balance transactions below.
    const meters = meterRoute(store, segments, params, path, account);
    if (meters !== undefined) return meters;
  }
  const [, collection, id, sub, subId, ...extra] = segments;
  if (collection === 'billing') {
    const segmentsOf = { collection: id, id: sub, rest: subId !== undefined || extra.length > 0 };
    return billingRoute(store, account, segmentsOf, params, path, unrecognized);
  }
  if (collection === undefined || extra.length > 0) throw unrecognized();
  const type = COLLECTIONS[collection];
  if (!type) throw unrecognized();
  if (id === undefined) return listCollection(store, account, type, params, path);
  if (sub === undefined) return retrieve(store, account, type, id, params);
  if (sub === 'lines' && subId === undefined && (type === 'invoice' || type === 'credit_note')) {
    return listLines(store, account, type, id, params, path);
  }
  if (type === 'customer' && sub === 'balance_transactions') {
    if (!store.get(account, 'customer', id)) throw noSuch('customer', id, 'customer', 404);
    const child = { type: 'customer_balance_transaction', parentField: 'customer', id: subId };
    return childRoute(store, account, { type, id }, child, params, path);
  }
  if (type === 'charge' && sub === 'refunds') {
    const child = { type: 'refund', parentField: 'charge', id: subId };
    return childRoute(store, account, { type, id }, child, params, path);
  }
  const sublist = EMBEDDED_SUBLISTS[type];
  if (sublist && sub === sublist.field) {
    const child = { type: sublist.itemType, parentField: sublist.parentField, id: subId };
    return childRoute(store, account, { type, id }, child, params, path);
  }
  throw unrecognized();
}
