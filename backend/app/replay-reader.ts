/**
 * The Stripe reader of `accrue replay`: the sandbox's store reader (`createStoreReader`), with the
 * invoice-payment lookups answered from an index instead of a scan of every invoice payment of the
 * account. The store is complete before the drain starts and does not change during it, so the
 * index is built once per account, on first use. At 100k events the scan cost about 60 ms per
 * lookup (several per event); the index makes it a map lookup. Answers are the store reader's:
 * the same payments, in the same (list) order, rendered the same way.
 */
import type Stripe from 'stripe';
import { createStoreReader, type StripeObjectStore } from '../sandbox/stripe/store.ts';
import {
  idOf,
  invoicePaymentOfCharge,
  pickInvoicePayment,
  type StripeObject,
  type StripeReader,
} from '../stripe/reader.ts';

interface PaymentIndex {
  byInvoice: Map<string, StripeObject[]>;
  byPaymentIntent: Map<string, StripeObject[]>;
  byCharge: Map<string, StripeObject[]>;
}

function add(map: Map<string, StripeObject[]>, key: string | null, p: StripeObject): void {
  if (!key) return;
  const list = map.get(key);
  if (list) list.push(p);
  else map.set(key, [p]);
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
  const payments = (pick: (i: PaymentIndex) => Map<string, StripeObject[]>, key: string): Stripe.InvoicePayment[] => {
    index ??= indexPayments(store, account);
    return (pick(index).get(key) ?? []).map((p) => store.render(account, p)) as unknown as Stripe.InvoicePayment[];
  };
  const reader: StripeReader = {
    ...base,
    listInvoicePayments: async (invoiceId) => payments((i) => i.byInvoice, invoiceId),
    findInvoicePaymentByPaymentIntent: async (pi) => pickInvoicePayment(payments((i) => i.byPaymentIntent, pi)),
    findInvoicePaymentByCharge: (ch) =>
      invoicePaymentOfCharge(reader, ch, async () => pickInvoicePayment(payments((i) => i.byCharge, ch))),
  };
  return reader;
}
