/**
 * The backfill snapshot as a `StripeReader`: processing a backfill's synthetic events reads the
 * objects the backfill listed (`backfill_objects`, and the events that carry them) instead of
 * asking Stripe once more per object.
 *
 * For a round of events, `loadSnapshot` gathers, in a few queries, every listed object their
 * mapping can reach: the events' own objects, the invoice payments and invoice items of each
 * invoice, the invoice payment and charges of each payment intent, the charge of each refund and
 * dispute, the invoice of each credit note, invoice payment and invoice item — following links
 * until nothing new turns up.
 *
 * What the snapshot answers, and when it defers to Stripe:
 * - an object by id: when it was listed; otherwise Stripe is asked.
 * - an invoice's payments, and its credit notes: when the invoice was listed and the listing of
 *   invoice payments (credit notes) finished. Every payment and credit note of an invoice is
 *   created after the invoice, so a listing since any date that includes the invoice includes
 *   all of them.
 * - the invoice payment of a payment intent or charge: when one was listed. "None" is an answer
 *   only after a full backfill (no `--since`); a partial one may have started after the payment
 *   was created, so Stripe is asked.
 * - the latest charge of a payment intent: the newest listed charge that names it, else Stripe.
 * - a credit grant's credit balance transactions, a customer's balance transactions: when the grant
 *   (customer) was listed; they were listed with it, in the same transaction.
 * - a subscription: when listed. "None" is an answer after a full backfill that listed
 *   subscriptions (every status: a cancelled one is still listed).
 * - a customer's metadata (rules): when the customer was listed; "none" after a full backfill
 *   that listed customers.
 */
import { sql } from 'kysely';
import type Stripe from 'stripe';
import type { Db } from '../db/database.ts';
import { AccrueError } from '../../shared/errors.ts';
import {
  idOf,
  invoicePaymentOfCharge,
  metadataOfCustomer,
  oldestFirst,
  pickInvoicePayment,
  type StripeReader,
} from '../stripe/reader.ts';

/** Link-following rounds per load: event object → invoice payment → invoice or charge → … */
const CLOSURE_PASSES_MAX = 6;

/** Where a listed child sits in its parent's list; kept off the object's own (enumerable) fields. */
const POSITION = Symbol('parent position');

type StripeObj = { id: string; object: string } & Record<string, unknown>;

/** What the listing has finished: negative answers are only given for finished, full listings. */
export interface SnapshotCoverage {
  invoicePaymentsListed: boolean;
  creditNotesListed: boolean;
  chargesListed: boolean;
  subscriptionsListed: boolean;
  customersListed: boolean;
  /** The backfill covered the whole history (no `since`). */
  full: boolean;
}

export interface BackfillSnapshot {
  coverage: SnapshotCoverage;
  objects: Map<string, StripeObj>;
  /** Invoice payments by invoice, for every invoice whose payments were looked up. */
  paymentsByInvoice: Map<string, StripeObj[]>;
  /** Credit notes by invoice, for the same invoices. */
  creditNotesByInvoice: Map<string, StripeObj[]>;
  /** Invoice payments by payment intent, for every payment intent looked up. */
  paymentsByIntent: Map<string, StripeObj[]>;
  /** Invoice payments by charge (payments made without a payment intent), for every charge looked up. */
  paymentsByCharge: Map<string, StripeObj[]>;
  /** Listed charges by payment intent, for every payment intent looked up. */
  chargesByIntent: Map<string, StripeObj[]>;
  /** The listed lists of credit grants and customers, by parent id, in Stripe's order. */
  childrenByParent: Map<string, StripeObj[]>;
}

function isObj(v: unknown): v is StripeObj {
  return (
    v !== null &&
    typeof v === 'object' &&
    typeof (v as { id?: unknown }).id === 'string' &&
    typeof (v as { object?: unknown }).object === 'string'
  );
}

/** The coverage of a tenant's backfill, from its progress rows. */
export async function snapshotCoverage(db: Db, tenantId: bigint): Promise<SnapshotCoverage> {
  const rows = await db
    .selectFrom('backfill_progress')
    .select(['resource', 'done', 'since'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const done = (r: string) => rows.some((x) => x.resource === r && x.done);
  return {
    invoicePaymentsListed: done('invoice_payments'),
    creditNotesListed: done('credit_notes'),
    chargesListed: done('charges'),
    subscriptionsListed: done('subscriptions'),
    customersListed: done('customers'),
    full: rows.length > 0 && rows.every((x) => x.since === null),
  };
}

const LOOKUPS = ['ids', 'invoices', 'intents', 'charges', 'parents'] as const;
type IdSets = Record<(typeof LOOKUPS)[number], Set<string>>;
type IdLists = Record<(typeof LOOKUPS)[number], string[]>;

function idSets(): IdSets {
  return {
    ids: new Set<string>(),
    invoices: new Set<string>(),
    intents: new Set<string>(),
    charges: new Set<string>(),
    parents: new Set<string>(),
  };
}

/**
 * Loads what the mapping of `seeds` (objects carried by backfill events) can reach in the
 * snapshot. The seeds themselves are the current listed state and are used as they are.
 */
export async function loadSnapshot(
  db: Db,
  tenantId: bigint,
  seeds: unknown[],
  coverage: SnapshotCoverage,
): Promise<BackfillSnapshot> {
  const snap: BackfillSnapshot = {
    coverage,
    objects: new Map(),
    paymentsByInvoice: new Map(),
    creditNotesByInvoice: new Map(),
    paymentsByIntent: new Map(),
    paymentsByCharge: new Map(),
    chargesByIntent: new Map(),
    childrenByParent: new Map(),
  };
  const asked = idSets();
  const want = idSets();
  // The same object in two events (a failed payout's paid and failed events): the later copy wins.
  const latest = new Map<string, StripeObj>();
  for (const s of seeds) if (isObj(s)) latest.set(s.id, s);
  for (const s of latest.values()) addObject(snap, want, s);

  for (let pass = 0; pass < CLOSURE_PASSES_MAX; pass++) {
    const lookups = nextLookups(snap, want, asked);
    if (LOOKUPS.every((k) => !lookups[k].length)) break;
    for (const r of await readListed(db, tenantId, lookups)) {
      const o = (r.payload ?? (r.event as { data?: { object?: unknown } } | null)?.data?.object) as unknown;
      if (!isObj(o)) continue;
      const known = snap.objects.get(o.id) ?? o;
      indexListed(snap, r, known);
      addObject(snap, want, known);
    }
  }
  indexSeeds(snap);
  for (const list of snap.childrenByParent.values()) list.sort((a, b) => positionOf(a) - positionOf(b));
  return snap;
}

/** Adds an object (and the balance transactions it embeds), and wants what it links to. */
function addObject(snap: BackfillSnapshot, want: IdSets, o: StripeObj): void {
  if (snap.objects.has(o.id)) return;
  snap.objects.set(o.id, o);
  // Balance transactions come expanded in the charges, refunds and payouts a backfill lists.
  for (const bt of [o.balance_transaction, o.failure_balance_transaction]) if (isObj(bt)) snap.objects.set(bt.id, bt);
  const ref = (v: unknown, into: Set<string>) => {
    const id = idOf(v);
    if (id) into.add(id);
  };
  switch (o.object) {
    case 'invoice':
      want.invoices.add(o.id);
      wantInvoiceCredits(o, want);
      for (const line of ((o.lines as { data?: unknown[] } | undefined)?.data ?? []) as {
        parent?: {
          invoice_item_details?: { invoice_item?: unknown } | null;
          subscription_item_details?: { invoice_item?: unknown } | null;
        } | null;
      }[]) {
        ref(
          line.parent?.invoice_item_details?.invoice_item ?? line.parent?.subscription_item_details?.invoice_item,
          want.ids,
        );
      }
      break;
    case 'invoiceitem':
      ref(o.invoice, want.ids);
      break;
    case 'charge':
      ref(o.payment_intent, want.intents);
      want.charges.add(o.id);
      break;
    case 'invoice_payment': {
      ref(o.invoice, want.ids);
      const pay = (o.payment ?? {}) as { type?: string; payment_intent?: unknown; charge?: unknown };
      if (pay.type === 'payment_intent') ref(pay.payment_intent, want.intents);
      if (pay.type === 'charge') ref(pay.charge, want.ids);
      break;
    }
    case 'refund':
    case 'dispute':
      ref(o.charge, want.ids);
      break;
    case 'credit_note':
      ref(o.invoice, want.ids);
      for (const r of (o.refunds as { refund?: unknown }[] | undefined) ?? []) ref(r.refund, want.ids);
      break;
    case 'billing.credit_balance_transaction':
      ref(o.credit_grant, want.ids);
      ref(o.credit_grant, want.parents);
      break;
    case 'billing.credit_grant':
    case 'customer':
      want.parents.add(o.id);
      break;
  }
}

/**
 * What an invoice's billing credits, stored value and cancellation credit notes read: the credit
 * balance transactions its lines name, its customer's balance transactions, its subscriptions.
 */
function wantInvoiceCredits(o: StripeObj, want: IdSets): void {
  type Line = {
    pretax_credit_amounts?: { credit_balance_transaction?: unknown }[] | null;
    parent?: { subscription_item_details?: { subscription?: unknown } | null } | null;
  };
  const add = (v: unknown, into: Set<string>) => {
    const id = idOf(v);
    if (id) into.add(id);
  };
  add(o.customer, want.ids);
  add(o.customer, want.parents);
  add(
    (o.parent as { subscription_details?: { subscription?: unknown } } | null)?.subscription_details?.subscription,
    want.ids,
  );
  for (const line of ((o.lines as { data?: unknown[] } | undefined)?.data ?? []) as Line[]) {
    for (const c of line.pretax_credit_amounts ?? []) add(c.credit_balance_transaction, want.ids);
    add(line.parent?.subscription_item_details?.subscription, want.ids);
  }
}

function positionOf(o: StripeObj): number {
  return (o as { [POSITION]?: number })[POSITION] ?? 0;
}

/**
 * What this pass looks up: everything wanted and not asked before (now asked). Each invoice,
 * payment intent and charge looked up gets its (so far empty) lists, so "none listed" is known.
 */
function nextLookups(snap: BackfillSnapshot, want: IdSets, asked: IdSets): IdLists {
  const ids = [...want.ids].filter((id) => !asked.ids.has(id) && !snap.objects.has(id));
  const invoices = [...want.invoices].filter((id) => !asked.invoices.has(id));
  const intents = [...want.intents].filter((id) => !asked.intents.has(id));
  const charges = [...want.charges].filter((id) => !asked.charges.has(id));
  const parents = [...want.parents].filter((id) => !asked.parents.has(id));
  const lists: IdLists = { ids, invoices, intents, charges, parents };
  for (const k of LOOKUPS) {
    for (const x of lists[k]) asked[k].add(x);
    want[k].clear();
  }
  for (const id of invoices) {
    snap.paymentsByInvoice.set(id, []);
    snap.creditNotesByInvoice.set(id, []);
  }
  for (const id of intents) {
    snap.paymentsByIntent.set(id, []);
    snap.chargesByIntent.set(id, []);
  }
  for (const id of charges) snap.paymentsByCharge.set(id, []);
  for (const id of parents) snap.childrenByParent.set(id, []);
  return lists;
}

/** The listed objects with one of these ids, or linked to one of these invoices, payment intents or charges. */
function readListed(db: Db, tenantId: bigint, { ids, invoices, intents, charges, parents }: IdLists) {
  return db
    .selectFrom('backfill_objects as o')
    .leftJoin('stripe_events as e', (j) =>
      j.on(sql<boolean>`e.id = 'bf_' || o.object_id and e.tenant_id = o.tenant_id`),
    )
    .select([
      'o.object_id',
      'o.object_type',
      'o.invoice_id',
      'o.payment_intent_id',
      'o.charge_id',
      'o.parent_id',
      'o.parent_position',
      'o.payload',
      'e.payload as event',
    ])
    .where('o.tenant_id', '=', tenantId)
    .where((eb) =>
      eb.or([
        ...(ids.length ? [eb('o.object_id', '=', eb.fn.any(eb.val(ids)))] : []),
        ...(invoices.length ? [eb('o.invoice_id', '=', eb.fn.any(eb.val(invoices)))] : []),
        ...(intents.length ? [eb('o.payment_intent_id', '=', eb.fn.any(eb.val(intents)))] : []),
        ...(charges.length ? [eb('o.charge_id', '=', eb.fn.any(eb.val(charges)))] : []),
        ...(parents.length ? [eb('o.parent_id', '=', eb.fn.any(eb.val(parents)))] : []),
      ]),
    )
    .execute();
}

/** Files a listed object under the invoice, payment intent or charge it was looked up by. */
function indexListed(
  snap: BackfillSnapshot,
  r: {
    object_type: string;
    invoice_id: string | null;
    payment_intent_id: string | null;
    charge_id: string | null;
    parent_id: string | null;
    parent_position: number | null;
  },
  known: StripeObj,
): void {
  if (r.parent_id && snap.childrenByParent.has(r.parent_id)) {
    Object.defineProperty(known, POSITION, { value: r.parent_position ?? 0, enumerable: false });
    pushOnce(snap.childrenByParent, r.parent_id, known);
  }
  if (r.object_type === 'invoice_payment') {
    if (r.invoice_id && snap.paymentsByInvoice.has(r.invoice_id)) pushOnce(snap.paymentsByInvoice, r.invoice_id, known);
    if (r.payment_intent_id && snap.paymentsByIntent.has(r.payment_intent_id))
      pushOnce(snap.paymentsByIntent, r.payment_intent_id, known);
    if (r.charge_id && snap.paymentsByCharge.has(r.charge_id)) pushOnce(snap.paymentsByCharge, r.charge_id, known);
  }
  if (r.object_type === 'credit_note' && r.invoice_id && snap.creditNotesByInvoice.has(r.invoice_id))
    pushOnce(snap.creditNotesByInvoice, r.invoice_id, known);
  if (r.object_type === 'charge' && r.payment_intent_id && snap.chargesByIntent.has(r.payment_intent_id))
    pushOnce(snap.chargesByIntent, r.payment_intent_id, known);
}

/** A seed charge or credit note that is not in the table (an event stored without its snapshot row) is indexed too. */
function indexSeeds(snap: BackfillSnapshot): void {
  for (const o of snap.objects.values()) {
    if (o.object === 'charge') {
      const pi = idOf(o.payment_intent);
      if (pi && snap.chargesByIntent.has(pi)) pushOnce(snap.chargesByIntent, pi, o);
    }
    if (o.object === 'credit_note') {
      const invoice = idOf(o.invoice);
      if (invoice && snap.creditNotesByInvoice.has(invoice)) pushOnce(snap.creditNotesByInvoice, invoice, o);
    }
  }
}

function pushOnce(map: Map<string, StripeObj[]>, key: string, o: StripeObj): void {
  const list = map.get(key)!;
  if (!list.some((x) => x.id === o.id)) list.push(o);
}

/**
 * A reader that answers from the snapshot where the snapshot can answer (see the module comment)
 * and asks `base` otherwise. Objects are returned as stored; the mapping only reads them.
 */
export function snapshotReader(base: StripeReader, snap: BackfillSnapshot): StripeReader {
  const byId =
    <T>(type: string, fallback: (id: string) => Promise<T>) =>
    async (id: string): Promise<T> => {
      const o = snap.objects.get(id);
      return o && o.object === type ? (o as unknown as T) : fallback(id);
    };
  const { coverage } = snap;
  const reader: StripeReader = {
    getInvoice: byId('invoice', (id) => base.getInvoice(id)),
    getCharge: byId('charge', (id) => base.getCharge(id)),
    getRefund: byId('refund', (id) => base.getRefund(id)),
    getCreditNote: byId('credit_note', (id) => base.getCreditNote(id)),
    getDispute: byId('dispute', (id) => base.getDispute(id)),
    getPayout: byId('payout', (id) => base.getPayout(id)),
    ...(base.payoutBalanceTransactions
      ? { payoutBalanceTransactions: (payout: string) => base.payoutBalanceTransactions!(payout) }
      : {}),
    ...(base.getTransfer ? { getTransfer: (id: string) => base.getTransfer!(id) } : {}),
    getInvoiceItem: byId('invoiceitem', (id) => base.getInvoiceItem(id)),
    getCustomerBalanceTransaction: (customer, id) => base.getCustomerBalanceTransaction(customer, id),
    listCustomerBalanceTransactions: async (customer) => {
      const listed = childrenOfListed(snap, customer, 'customer');
      return listed
        ? (listed as unknown as Stripe.CustomerBalanceTransaction[])
        : base.listCustomerBalanceTransactions(customer);
    },
    getCreditGrant: byId('billing.credit_grant', (id) => base.getCreditGrant(id)),
    getSubscription: byId('subscription', (id) => {
      if (coverage.subscriptionsListed && coverage.full)
        throw new AccrueError('not_found', `subscription ${id} was not found in the backfill's listing`);
      return base.getSubscription(id);
    }),
    customerMetadata: async (id: string) => {
      const listed = snap.objects.get(id);
      if (listed?.object === 'customer') return metadataOfCustomer(listed as unknown as Stripe.Customer);
      if (coverage.customersListed && coverage.full) return null; // not listed: Stripe does not know it
      return base.customerMetadata ? base.customerMetadata(id) : null;
    },
    listCreditBalanceTransactions: async (customer, grant) => {
      const listed = childrenOfListed(snap, grant, 'billing.credit_grant');
      return listed
        ? (listed as unknown as Stripe.Billing.CreditBalanceTransaction[])
        : base.listCreditBalanceTransactions(customer, grant);
    },
    getCreditBalanceTransaction: byId('billing.credit_balance_transaction', (id) =>
      base.getCreditBalanceTransaction(id),
    ),
    recentInvoicesOfCustomer: (customer, before) => base.recentInvoicesOfCustomer(customer, before),
    getBalanceTransaction: async (id) => {
      const o = id ? snap.objects.get(id) : undefined;
      return o && o.object === 'balance_transaction'
        ? (o as unknown as Stripe.BalanceTransaction)
        : base.getBalanceTransaction(id);
    },
    listInvoicePayments: async (invoiceId) => {
      const listed = snap.paymentsByInvoice.get(invoiceId);
      const invoiceListed = snap.objects.get(invoiceId)?.object === 'invoice';
      if (listed && invoiceListed && coverage.invoicePaymentsListed)
        return listed as unknown as Stripe.InvoicePayment[];
      return base.listInvoicePayments(invoiceId);
    },
    creditNotesOfInvoice: async (invoice) => {
      const listed = snap.creditNotesByInvoice.get(invoice);
      const invoiceListed = snap.objects.get(invoice)?.object === 'invoice';
      if (listed && invoiceListed && coverage.creditNotesListed)
        return oldestFirst(listed as unknown as Stripe.CreditNote[]);
      return base.creditNotesOfInvoice(invoice);
    },
    findInvoicePaymentByPaymentIntent: async (pi) => {
      const listed = snap.paymentsByIntent.get(pi);
      if (listed && listed.length) return pickInvoicePayment(listed as unknown as Stripe.InvoicePayment[]);
      if (listed && coverage.invoicePaymentsListed && coverage.full) return null;
      return base.findInvoicePaymentByPaymentIntent(pi);
    },
    findInvoicePaymentByCharge: (ch) =>
      invoicePaymentOfCharge(reader, ch, async () => {
        const listed = snap.paymentsByCharge.get(ch);
        if (listed && listed.length) return pickInvoicePayment(listed as unknown as Stripe.InvoicePayment[]);
        if (listed && coverage.invoicePaymentsListed && coverage.full) return null;
        return base.findInvoicePaymentByCharge(ch);
      }),
    latestChargeOf: async (pi) => {
      const charges = snap.chargesByIntent.get(pi);
      if (charges && charges.length && coverage.chargesListed) return newest(charges).id;
      return base.latestChargeOf(pi);
    },
  };
  return reader;
}

/** The listed list of a listed parent (stored with it, so whole), or undefined when the parent was not listed. */
function childrenOfListed(snap: BackfillSnapshot, parent: string, type: string): StripeObj[] | undefined {
  if (snap.objects.get(parent)?.object !== type) return undefined;
  return snap.childrenByParent.get(parent);
}

/** The most recently created charge (a payment intent's `latest_charge`); on a tie, a succeeded one. */
function newest(charges: StripeObj[]): StripeObj {
  const rank = (c: StripeObj) => [Number(c.created), c.status === 'succeeded' ? 1 : 0] as const;
  return charges.reduce((best, c) => {
    const [a, b] = [rank(c), rank(best)];
    return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]) ? c : best;
  });
}
