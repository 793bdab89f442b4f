/**
 * The Stripe reader of `accrue replay`: the sandbox's store reader (`createStoreReader`), with the
 * invoice-payment lookups answered from an index instead of a scan of every invoice payment of the
 * account. The store is complete before the drain starts and does not change during it, so the
 * index is built once per account, on first use. At 100k events the scan cost about 60 ms per
 * lookup (several per event); the index makes it a map lookup. The invoices of a customer (for
 * matching a charge without invoice) are indexed the same way. Answers are the store reader's: the
 * same objects, in the same (list) order, rendered the same way. The indexes hold the store's own
 * objects (no copies).
 */
import type Stripe from 'stripe';
import { createStoreReader, listedInvoice, type StripeObjectStore } from '../sandbox/stripe/store.ts';
import {
  idOf,
  invoicePaymentOfCharge,
  pickInvoicePayment,
  STRIPE_PAGE_SIZE,
  type StripeObject,
  type StripeReader,
} from '../stripe/reader.ts';

/** Stored objects in list order (newest first) per key. */
type ObjectIndex = Map<string, StripeObject[]>;

interface PaymentIndex {
  byInvoice: ObjectIndex;
  byPaymentIntent: ObjectIndex;
  byCharge: ObjectIndex;
}

function add(map: ObjectIndex, key: string | null, object: StripeObject): void {
  if (!key) return;
  const list = map.get(key);
  if (list) list.push(object);
  else map.set(key, [object]);
}

function indexPayments(store: StripeObjectStore, account: string): PaymentIndex {
  const index: PaymentIndex = { byInvoice: new Map(), byPaymentIntent: new Map(), byCharge: new Map() };
  for (const p of store.peekList(account, 'invoice_payment')) {
    add(index.byInvoice, idOf(p.invoice), p);
    const payment = (p.payment ?? {}) as Record<string, unknown>;
    if (payment.type === 'payment_intent') add(index.byPaymentIntent, idOf(payment.payment_intent), p);
    if (payment.type === 'charge') add(index.byCharge, idOf(payment.charge), p);
  }
  return index;
}

/** Invoices in list order per customer. */
function indexInvoices(store: StripeObjectStore, account: string): ObjectIndex {
  const byCustomer: ObjectIndex = new Map();
  for (const i of store.peekList(account, 'invoice')) add(byCustomer, idOf(i.customer), i);
  return byCustomer;
}

/** One reader per account over a store that no longer changes. */
export function replayReaderFor(store: StripeObjectStore): (account: string) => StripeReader {
  const readers = new Map<string, StripeReader>();
  return (account) => {
    let reader = readers.get(account);
    if (!reader) {
      reader = indexedReader(store, account);
      readers.set(account, reader);
    }
    return reader;
  };
}

function indexedReader(store: StripeObjectStore, account: string): StripeReader {
  const base = createStoreReader(store, account);
  let index: PaymentIndex | undefined;
  let invoices: ObjectIndex | undefined;
  const payments = (pick: (i: PaymentIndex) => ObjectIndex, key: string): Stripe.InvoicePayment[] => {
    index ??= indexPayments(store, account);
    return (pick(index).get(key) ?? []).map((p) => store.render(account, p)) as unknown as Stripe.InvoicePayment[];
  };
  const reader: StripeReader = {
    ...base,
    recentInvoicesOfCustomer: async (customer, before) => {
      invoices ??= indexInvoices(store, account);
      return (invoices.get(customer) ?? [])
        .filter((i) => Number(i.created) <= before)
        .slice(0, STRIPE_PAGE_SIZE)
        .map((i) => listedInvoice(store, account, i));
    },
    listInvoicePayments: async (invoiceId) => payments((i) => i.byInvoice, invoiceId),
    findInvoicePaymentByPaymentIntent: async (pi) => pickInvoicePayment(payments((i) => i.byPaymentIntent, pi)),
    findInvoicePaymentByCharge: (ch) =>
      invoicePaymentOfCharge(reader, ch, async () => pickInvoicePayment(payments((i) => i.byCharge, ch))),
  };
  return reader;
}
