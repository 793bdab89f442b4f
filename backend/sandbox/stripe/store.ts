/**
 * The sandbox's Stripe object store: objects per account as they currently are, and a
 * `StripeReader` over it with the HTTP reader's semantics and no network. The Stripe fake
 * (`server.ts`) serves from the same store, so the fake and the memory reader cannot drift apart.
 */
import Stripe from 'stripe';
import { storeMeterReads } from './meters.ts';
import { AccrueError } from '../../../shared/errors.ts';
import {
  EMBEDDED_LINES_MAX,
  idOf,
  invoicePaymentOfCharge,
  isStripeObject,
  oldestFirst,
  pickInvoicePayment,
  STRIPE_PAGE_SIZE,
  type StripeObject,
  metadataOfCustomer,
  type StripeReader,
} from '../../stripe/reader.ts';
import { paidOutBy } from './payout-transactions.ts';

/** Object types whose `lines` list is stored separately, in full, and rendered a page at a time. */
const DOCUMENT_LINE_URLS: Readonly<Record<string, string>> = { invoice: 'invoices', credit_note: 'credit_notes' };

/**
 * Lists Stripe embeds in a parent (its first 10 items) whose items are objects of their own, naming
 * their parent in `parentField`: stored apart, and rendered into the parent when it is served.
 */
export const EMBEDDED_SUBLISTS: Readonly<
  Record<string, { field: string; itemType: string; parentField: string; segment: string }>
> = {
  application_fee: { field: 'refunds', itemType: 'fee_refund', parentField: 'fee', segment: 'application_fees' },
  transfer: { field: 'reversals', itemType: 'transfer_reversal', parentField: 'transfer', segment: 'transfers' },
};

interface StoredEntry {
  object: StripeObject; // without `lines` for documents
  seq: number; // insertion order, the tiebreak for equal `created`
  explicit: boolean;
  rank: readonly [number, number]; // (event.created, line index) of the snapshot, for snapshots
}

interface AccountObjects {
  objects: Map<string, StoredEntry>;
  lines: Map<string, StripeObject[]>; // document id → every line, in document order
  incomplete: Set<string>; // documents known only from a first-page snapshot
}

export interface PutOptions {
  /** False for an event's `data.object` snapshot; an explicit object is never overwritten by one. */
  explicit?: boolean;
  /** Ordering of snapshots: a snapshot replaces another only if its rank is not lower. */
  rank?: readonly [number, number];
}

/**
 * Objects per account as they currently are. Documents (invoices, credit notes) keep all their
 * lines; event snapshots never overwrite explicitly given objects, and later snapshots win.
 */
export class StripeObjectStore {
  private readonly accounts = new Map<string, AccountObjects>();
  private seq = 0;
  /** Sorted objects per (account, type), rebuilt after a put of that type: lists are read far more often than written. */
  private readonly listCache = new Map<string, readonly StripeObject[]>();

  private accountOf(account: string): AccountObjects {
    let a = this.accounts.get(account);
    if (!a) {
      a = { objects: new Map(), lines: new Map(), incomplete: new Set() };
      this.accounts.set(account, a);
    }
    return a;
  }

  /** Stores or replaces an object. Returns false when a snapshot lost to what was already there. */
  put(account: string, input: StripeObject, options: PutOptions = {}): boolean {
    if (!isStripeObject(input))
      throw new AccrueError('invalid_input', 'A Stripe object needs string `id` and `object`');
    const explicit = options.explicit ?? true;
    const rank = options.rank ?? [0, 0];
    const a = this.accountOf(account);
    // A JSON round trip makes our copy independent of the caller's and turns SDK Decimals into the
    // strings Stripe sends on the wire.
    const object = JSON.parse(JSON.stringify(input)) as StripeObject;

    if (object.object === 'line_item' && typeof object.invoice === 'string') {
      this.upsertLine(a, object.invoice, object);
      return true;
    }

    const existing = a.objects.get(object.id);
    if (existing && !explicit) {
      if (existing.explicit) return false;
      if (compareRank(rank, existing.rank) < 0) return false;
    }
    const sublist = EMBEDDED_SUBLISTS[object.object];
    if (sublist) {
      const items = object[sublist.field];
      delete object[sublist.field];
      if (isListLike(items)) for (const item of items.data.filter(isStripeObject)) this.put(account, item, options);
    }
    if (object.object in DOCUMENT_LINE_URLS) {
      const list = object.lines;
      delete object.lines;
      if (isListLike(list)) {
        const incoming = list.data.filter(isStripeObject);
        const previous = a.lines.get(object.id) ?? [];
        if (list.has_more === true) {
          // Only the first page: keep the lines we already know that the page does not repeat.
          const seen = new Set(incoming.map((l) => l.id));
          const rest = previous.filter((l) => !seen.has(l.id));
          a.lines.set(object.id, [...incoming, ...rest]);
          // With nothing beyond the page we cannot know the other lines; say so rather than
          // serve a short invoice as if it were whole.
          if (rest.length === 0) a.incomplete.add(object.id);
          else a.incomplete.delete(object.id);
        } else {
          a.lines.set(object.id, incoming);
          a.incomplete.delete(object.id);
        }
      } else if (!a.lines.has(object.id)) {
        a.lines.set(object.id, []);
      }
    }
    a.objects.set(object.id, { object, seq: existing?.seq ?? ++this.seq, explicit, rank });
    this.listCache.delete(`${account}\u0000${object.object}`);
    if (existing && existing.object.object !== object.object)
      this.listCache.delete(`${account}\u0000${existing.object.object}`);
    return true;
  }

  private upsertLine(a: AccountObjects, documentId: string, line: StripeObject): void {
    const lines = a.lines.get(documentId) ?? [];
    // Line items given on their own complete what a first-page snapshot left out.
    a.incomplete.delete(documentId);
    const i = lines.findIndex((l) => l.id === line.id);
    if (i >= 0) lines[i] = line;
    else lines.push(line);
    a.lines.set(documentId, lines);
  }

  /**
   * Loads replay lines: Stripe objects go to `defaultAccount`; events are stored under
   * `event.account` (or `defaultAccount`, or always `defaultAccount` with `singleAccount`) and their
   * `data.object` snapshots are stored too, below any explicitly given object.
   */
  load(lines: readonly unknown[], defaultAccount: string, opts: { singleAccount?: boolean } = {}): void {
    lines.forEach((line, index) => {
      if (!isStripeObject(line))
        throw new AccrueError('invalid_input', `Replay line ${index + 1} is not a Stripe object`);
      if (line.object !== 'event') {
        this.put(defaultAccount, line);
        return;
      }
      const account = !opts.singleAccount && typeof line.account === 'string' ? line.account : defaultAccount;
      this.put(account, line);
      const snapshot = (line.data as { object?: unknown } | undefined)?.object;
      if (isStripeObject(snapshot)) {
        const created = typeof line.created === 'number' ? line.created : 0;
        this.put(account, snapshot, { explicit: false, rank: [created, index] });
      }
    });
  }

  /** The stored object of a given type, as a fresh copy; documents carry their first page of lines. */
  get(account: string, type: string, id: string, lines: 'first_page' | 'all' = 'first_page'): StripeObject | undefined {
    const entry = this.accounts.get(account)?.objects.get(id);
    if (!entry || entry.object.object !== type) return undefined;
    return this.render(account, entry.object, lines);
  }

  /** Any stored object with this id (for `expand`), whatever its type. */
  getAny(account: string, id: string): StripeObject | undefined {
    const entry = this.accounts.get(account)?.objects.get(id);
    return entry ? this.render(account, entry.object, 'first_page') : undefined;
  }

  /** Every object of a type in list order: newest `created` first, later-stored first on ties. */
  list(account: string, type: string): StripeObject[] {
    return this.peekList(account, type).map((o) => this.render(account, o, 'first_page'));
  }

  /**
   * Like `list` but hands out the stored objects themselves, without lines, so a caller can filter
   * thousands cheaply. They must not be modified; `render` what you return.
   */
  peekList(account: string, type: string): readonly StripeObject[] {
    const key = `${account}\u0000${type}`;
    const hit = this.listCache.get(key);
    if (hit) return hit;
    const entries = [...(this.accounts.get(account)?.objects.values() ?? [])].filter((e) => e.object.object === type);
    entries.sort(compareListOrder);
    const list = entries.map((e) => e.object);
    this.listCache.set(key, list);
    return list;
  }

  /** The list position of an object (for cursors): `[created, seq]`, or undefined if absent. */
  position(account: string, type: string, id: string): readonly [number, number] | undefined {
    const entry = this.accounts.get(account)?.objects.get(id);
    if (!entry || entry.object.object !== type) return undefined;
    return [createdOf(entry.object), entry.seq];
  }

  /** All lines of a document, in document order, or undefined when there is no such document. */
  lines(account: string, type: string, documentId: string): StripeObject[] | undefined {
    const a = this.accounts.get(account);
    if (!a || a.objects.get(documentId)?.object.object !== type) return undefined;
    return structuredClone(a.lines.get(documentId) ?? []);
  }

  /** True when a document was only seen as a first-page snapshot, so its later lines are unknown. */
  linesIncomplete(account: string, documentId: string): boolean {
    return this.accounts.get(account)?.incomplete.has(documentId) ?? false;
  }

  /** The items of a parent's embedded sub-list (`EMBEDDED_SUBLISTS`), newest first. */
  sublistItems(account: string, parentType: string, parentId: string): readonly StripeObject[] {
    const sublist = EMBEDDED_SUBLISTS[parentType];
    if (!sublist) return [];
    return this.peekList(account, sublist.itemType).filter((o) => idOf(o[sublist.parentField]) === parentId);
  }

  /** A fresh copy of a stored object; documents get their first page of lines, or all of them. */
  render(account: string, object: StripeObject, lines: 'first_page' | 'all' = 'first_page'): StripeObject {
    const copy = structuredClone(object);
    const sublist = EMBEDDED_SUBLISTS[object.object];
    if (sublist) {
      const items = this.sublistItems(account, object.object, object.id);
      copy[sublist.field] = {
        object: 'list',
        data: items.slice(0, EMBEDDED_LINES_MAX).map((o) => structuredClone(o)),
        has_more: items.length > EMBEDDED_LINES_MAX,
        url: `/v1/${sublist.segment}/${object.id}/${sublist.field}`,
      };
    }
    const segment = DOCUMENT_LINE_URLS[object.object];
    if (segment) {
      const incomplete = this.linesIncomplete(account, object.id);
      if (incomplete && lines === 'all') {
        throw new AccrueError(
          'internal',
          `${object.object} ${object.id} is known only from a first-page snapshot; supply its full lines`,
        );
      }
      const all = structuredClone(this.accounts.get(account)?.lines.get(object.id) ?? []);
      const data = lines === 'all' ? all : all.slice(0, EMBEDDED_LINES_MAX);
      copy.lines = {
        object: 'list',
        data,
        has_more: incomplete || data.length < all.length,
        url: `/v1/${segment}/${object.id}/lines`,
      };
    }
    return copy;
  }
}

function isListLike(value: unknown): value is { data: unknown[]; has_more?: unknown } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { data?: unknown }).data);
}

function createdOf(object: StripeObject): number {
  return typeof object.created === 'number' ? object.created : 0;
}

function compareRank(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

function compareListOrder(a: StoredEntry, b: StoredEntry): number {
  return createdOf(b.object) - createdOf(a.object) || b.seq - a.seq;
}

/** The account name the memory reader files everything under. */
const MEMORY_ACCOUNT = 'acct_memory';

/**
 * Coerces `decimal_string` fields the way stripe-node 23 does for these endpoints' responses, so a
 * memory reader hands the engine the same `Stripe.Decimal` values an HTTP reader does.
 */
function coerceDecimalFields(object: Record<string, unknown>, paths: readonly (readonly string[])[]): void {
  for (const path of paths) {
    let holder: unknown = object;
    for (const key of path.slice(0, -1))
      holder = holder && typeof holder === 'object' ? (holder as Record<string, unknown>)[key] : undefined;
    const last = path[path.length - 1];
    if (!holder || typeof holder !== 'object' || last === undefined) continue;
    const value = (holder as Record<string, unknown>)[last];
    if (typeof value === 'string') (holder as Record<string, unknown>)[last] = Stripe.Decimal.from(value);
  }
}

const LINE_ITEM_DECIMALS = [['pricing', 'unit_amount_decimal'], ['quantity_decimal']] as const;
const CREDIT_NOTE_LINE_DECIMALS = [['unit_amount_decimal']] as const;

function coerceDocumentLines(document: StripeObject, paths: readonly (readonly string[])[]): void {
  const lines = document.lines;
  if (isListLike(lines))
    for (const line of lines.data)
      if (line && typeof line === 'object') coerceDecimalFields(line as Record<string, unknown>, paths);
}

/**
 * A reader over a store for one account, with the HTTP reader's semantics and no network:
 * documents come with all lines, a missing object is `not_found`, `decimal_string`s are Decimals.
 */
export function createStoreReader(store: StripeObjectStore, account: string): StripeReader {
  function must(type: string, id: string, lines: 'first_page' | 'all' = 'first_page'): StripeObject {
    const found = store.get(account, type, id, lines);
    if (!found) {
      throw new AccrueError('not_found', `Stripe ${type} ${id} was not found in account ${account}`, {
        stripe_status: 404,
        stripe_code: 'resource_missing',
        account,
      });
    }
    return found;
  }
  const invoicePayments = (match: (p: StripeObject) => boolean): Stripe.InvoicePayment[] =>
    store
      .peekList(account, 'invoice_payment')
      .filter(match)
      .map((p) => store.render(account, p)) as unknown as Stripe.InvoicePayment[];
  const paymentOf = (p: StripeObject): Record<string, unknown> => (p.payment ?? {}) as Record<string, unknown>;

  const reader: StripeReader = {
    getInvoice: async (id) => {
      const invoice = must('invoice', id, 'all');
      coerceDocumentLines(invoice, LINE_ITEM_DECIMALS);
      return invoice as unknown as Stripe.Invoice;
    },
    customerMetadata: async (id) => metadataOfCustomer(must('customer', id) as unknown as Stripe.Customer),
    listInvoicePayments: async (invoiceId) => invoicePayments((p) => idOf(p.invoice) === invoiceId),
    findInvoicePaymentByPaymentIntent: async (pi) =>
      pickInvoicePayment(
        invoicePayments((p) => paymentOf(p).type === 'payment_intent' && idOf(paymentOf(p).payment_intent) === pi),
      ),
    findInvoicePaymentByCharge: (ch) =>
      invoicePaymentOfCharge(reader, ch, async () =>
        pickInvoicePayment(invoicePayments((p) => paymentOf(p).type === 'charge' && idOf(paymentOf(p).charge) === ch)),
      ),
    recentInvoicesOfCustomer: async (customer, before) =>
      store
        .peekList(account, 'invoice')
        .filter((i) => idOf(i.customer) === customer && Number(i.created) <= before)
        .slice(0, STRIPE_PAGE_SIZE)
        .map((i) => listedInvoice(store, account, i)),
    getCharge: async (id) => must('charge', id) as unknown as Stripe.Charge,
    latestChargeOf: async (id) => idOf(must('payment_intent', id).latest_charge),
    getRefund: async (id) => must('refund', id) as unknown as Stripe.Refund,
    getBalanceTransaction: async (id) =>
      id ? (must('balance_transaction', id) as unknown as Stripe.BalanceTransaction) : null,
    getCreditNote: async (id) => {
      const note = must('credit_note', id, 'all');
      coerceDocumentLines(note, CREDIT_NOTE_LINE_DECIMALS);
      return note as unknown as Stripe.CreditNote;
    },
    creditNotesOfInvoice: async (invoice) =>
      oldestFirst(
        store
          .peekList(account, 'credit_note')
          .filter((cn) => idOf(cn.invoice) === invoice) as unknown as Stripe.CreditNote[],
      ),
    getDispute: async (id) => must('dispute', id) as unknown as Stripe.Dispute,
    getPayout: async (id) => must('payout', id) as unknown as Stripe.Payout,
    payoutBalanceTransactions: async (payout) => {
      const ids = paidOutBy(store, account, payout);
      return store
        .peekList(account, 'balance_transaction')
        .filter((bt) => ids.has(bt.id)) as unknown as Stripe.BalanceTransaction[];
    },
    getTransfer: async (id) => must('transfer', id) as unknown as Stripe.Transfer,
    getInvoiceItem: async (id) => {
      const item = must('invoiceitem', id);
      coerceDecimalFields(item, LINE_ITEM_DECIMALS);
      return item as unknown as Stripe.InvoiceItem;
    },
    getCustomerBalanceTransaction: async (customer, id) => {
      const txn = must('customer_balance_transaction', id);
      if (idOf(txn.customer) !== customer) {
        throw new AccrueError(
          'not_found',
          `Stripe customer_balance_transaction ${id} was not found in account ${account}`,
          {
            stripe_status: 404,
            stripe_code: 'resource_missing',
            account,
          },
        );
      }
      return txn as unknown as Stripe.CustomerBalanceTransaction;
    },
    ...storeCreditReads(store, account, must),
    ...storeMeterReads(store, account),
  };
  return reader;
}

/** Billing credits and stored value from the store: grants, their balance transactions, a customer's balance. */
function storeCreditReads(
  store: StripeObjectStore,
  account: string,
  must: (type: string, id: string) => StripeObject,
): Pick<
  StripeReader,
  | 'listCustomerBalanceTransactions'
  | 'getCreditGrant'
  | 'getSubscription'
  | 'listCreditBalanceTransactions'
  | 'getCreditBalanceTransaction'
> {
  return {
    listCustomerBalanceTransactions: async (customer) =>
      store
        .peekList(account, 'customer_balance_transaction')
        .filter((t) => idOf(t.customer) === customer)
        .map((t) => store.render(account, t)) as unknown as Stripe.CustomerBalanceTransaction[],
    getCreditGrant: async (id) => must('billing.credit_grant', id) as unknown as Stripe.Billing.CreditGrant,
    getSubscription: async (id) => must('subscription', id) as unknown as Stripe.Subscription,
    listCreditBalanceTransactions: async (_customer, grant) =>
      store
        .peekList(account, 'billing.credit_balance_transaction')
        .filter((t) => idOf(t.credit_grant) === grant)
        .map((t) => store.render(account, t)) as unknown as Stripe.Billing.CreditBalanceTransaction[],
    getCreditBalanceTransaction: async (id) =>
      must('billing.credit_balance_transaction', id) as unknown as Stripe.Billing.CreditBalanceTransaction,
  };
}

/** A stored invoice (from `peekList`) as a list of invoices shows it: first page of lines, Stripe's Decimals. */
export function listedInvoice(store: StripeObjectStore, account: string, stored: StripeObject): Stripe.Invoice {
  const invoice = store.render(account, stored);
  coerceDocumentLines(invoice, LINE_ITEM_DECIMALS);
  return invoice as unknown as Stripe.Invoice;
}

/**
 * An in-memory reader over replay lines or plain objects (events contribute their `data.object`
 * snapshots, explicit objects win), for pure tests and golden scenarios.
 */
export function createMemoryReader(objects: unknown[]): StripeReader {
  const store = new StripeObjectStore();
  store.load(objects, MEMORY_ACCOUNT, { singleAccount: true });
  return createStoreReader(store, MEMORY_ACCOUNT);
}
