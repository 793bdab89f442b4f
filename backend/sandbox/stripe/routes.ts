/** The Stripe fake's read-only routes: `GET /v1/{collection}[/{id}[/lines | /balance_transactions[/{id}]]]`. */
import { idOf } from '../../stripe/reader.ts';
import { invalid, noSuch, type FakeApiError } from './errors.ts';
import { listCollection, listLines, retrieve } from './listing.ts';
import type { Params } from './params.ts';
import type { StripeObjectStore } from './store.ts';

/** Top-level collections: URL segment → Stripe `object` type. */
const COLLECTIONS: Readonly<Record<string, string>> = {
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
};

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
  const [, collection, id, sub, subId, ...extra] = segments;
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
    if (subId === undefined) {
      return listCollection(
        store,
        account,
        'customer_balance_transaction',
        params,
        path,
        (t) => idOf(t.customer) === id,
      );
    }
    const txn = retrieve(store, account, 'customer_balance_transaction', subId, params);
    if (idOf(txn.customer) !== id) throw noSuch('customer_balance_transaction', subId, 'id', 404);
    return txn;
  }
  throw unrecognized();
}
