/**
 * Reading Stripe objects for one connected account: the `StripeReader` the engine's mapping uses,
 * over HTTP (`createStripeReader`) or over an in-memory set of objects (`createMemoryReader`, for
 * golden scenarios and pure tests). Both give the same answers for the same objects.
 *
 * This module also owns the retry policy for every Stripe read (429 and 5xx/network errors back off
 * exponentially with jitter; other 4xx never retry) and the in-memory object store shared by the
 * memory reader and the test fake, so the two cannot drift apart.
 */
import Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';

// ---------------------------------------------------------------------------------------------
// The interface (the engine's mapping imports it from here).
// ---------------------------------------------------------------------------------------------

export interface StripeReader {
  getInvoice(id: string): Promise<Stripe.Invoice>;                  // lines already paged in full (invoice.lines.data holds ALL lines, has_more false)
  listInvoicePayments(invoiceId: string): Promise<Stripe.InvoicePayment[]>;
  findInvoicePaymentByPaymentIntent(pi: string): Promise<Stripe.InvoicePayment | null>;
  findInvoicePaymentByCharge(ch: string): Promise<Stripe.InvoicePayment | null>;
  getCharge(id: string): Promise<Stripe.Charge>;
  /** The payment intent's `latest_charge`: the charge whose balance transaction a payment settled in. */
  latestChargeOf(paymentIntent: string): Promise<string | null>;
  getRefund(id: string): Promise<Stripe.Refund>;
  // Widened from `string` so a charge's nullable `balance_transaction` can be passed straight in.
  getBalanceTransaction(id: string | null): Promise<Stripe.BalanceTransaction | null>;
  getCreditNote(id: string): Promise<Stripe.CreditNote>;            // lines paged in full
  /** The ids of an invoice's credit notes, oldest first. */
  creditNotesOfInvoice(invoice: string): Promise<string[]>;
  getDispute(id: string): Promise<Stripe.Dispute>;
  getPayout(id: string): Promise<Stripe.Payout>;
  getInvoiceItem(id: string): Promise<Stripe.InvoiceItem>;
  getCustomerBalanceTransaction(customer: string, id: string): Promise<Stripe.CustomerBalanceTransaction>;
}

// ---------------------------------------------------------------------------------------------
// Limits.
// ---------------------------------------------------------------------------------------------

/** Stripe's largest page; fewer round trips for invoices with many lines. */
export const STRIPE_PAGE_LIMIT = 100;

/** How many invoice lines Stripe embeds in a retrieved invoice or credit note before `has_more`. */
export const EMBEDDED_LINES_LIMIT = 10;

/**
 * Ceiling on the lines we page in for one invoice or credit note. Stripe caps invoices at a few
 * hundred lines; reaching ten thousand means a cursor loop, and we stop rather than spin.
 */
export const DOCUMENT_LINES_MAX = 10_000;

/**
 * Ceiling on invoice payments for one invoice or one payment. Each is a handful of attempts at
 * most; a thousand means the cursor is not advancing.
 */
export const INVOICE_PAYMENTS_MAX = 1_000;

/** Ceiling on credit notes for one invoice: a cursor that does not advance, not a real invoice. */
export const CREDIT_NOTES_PER_INVOICE_MAX = 1_000;

/** Attempts per request, first try included: five spans roughly 15 s of backoff at the defaults. */
export const STRIPE_ATTEMPTS_MAX = 5;

/** First retry delay for 5xx and network errors; doubles per attempt. */
export const STRIPE_RETRY_BASE_DELAY_MS = 500;

/** No single wait grows past this, so a long outage fails the job instead of parking it for hours. */
export const STRIPE_RETRY_MAX_DELAY_MS = 30_000;

/**
 * First retry delay per `Stripe-Rate-Limited-Reason`. Rate limiters count requests per second, so
 * waiting a full second lets the window roll; concurrency limiters free up as soon as our other
 * in-flight requests finish, so a short wait suffices; a resource-specific limit (a lock or a
 * per-object cap) clears slowest, so it starts longest.
 */
export const RATE_LIMIT_BASE_DELAY_MS: Readonly<Record<string, number>> = {
  'global-rate': 1_000,
  'endpoint-rate': 1_000,
  'global-concurrency': 250,
  'endpoint-concurrency': 250,
  'resource-specific': 2_000,
};

/** For a 429 without a reason header (or one we do not know). */
const RATE_LIMIT_DEFAULT_DELAY_MS = 1_000;

// ---------------------------------------------------------------------------------------------
// Retry policy and error mapping.
// ---------------------------------------------------------------------------------------------

export interface RetryOptions {
  /** Attempts per request including the first; defaults to `STRIPE_ATTEMPTS_MAX`. */
  maxAttempts?: number | undefined;
  /** Injected in tests so backoff costs no wall-clock time. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Jitter source in [0, 1); injected in tests for exact delays. */
  random?: (() => number) | undefined;
}

/** What a request was about, for error messages. */
export interface StripeTarget {
  kind: string;
  id?: string | undefined;
  account: string;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Delay before retry number `retry` (1 for the first retry). Exponential from a base chosen by the
 * failure, capped, with "equal jitter": half the delay is fixed and half random, so concurrent
 * workers spread out but the wait still grows.
 */
export function retryDelayMs(retry: number, rateLimitedReason: string | null, random: () => number): number {
  const base =
    rateLimitedReason === null
      ? STRIPE_RETRY_BASE_DELAY_MS
      : (RATE_LIMIT_BASE_DELAY_MS[rateLimitedReason] ?? RATE_LIMIT_DEFAULT_DELAY_MS);
  const exponential = Math.min(STRIPE_RETRY_MAX_DELAY_MS, base * 2 ** (retry - 1));
  const half = exponential / 2;
  return Math.round(half + random() * half);
}

interface Classified {
  retryable: boolean;
  status: number | null;
  rateLimitedReason: string | null;
}

function classify(err: unknown): Classified | null {
  if (!(err instanceof Stripe.errors.StripeError)) return null;
  const status = typeof err.statusCode === 'number' ? err.statusCode : null;
  if (status === null) return { retryable: true, status, rateLimitedReason: null }; // network, timeout
  if (status === 429) {
    const header = err.headers?.['stripe-rate-limited-reason'];
    return { retryable: true, status, rateLimitedReason: typeof header === 'string' && header ? header : 'unknown' };
  }
  return { retryable: status >= 500, status, rateLimitedReason: null };
}

/** Maps a Stripe SDK error to our error family, keeping Stripe's own code and request id. */
export function toAccrueError(err: InstanceType<typeof Stripe.errors.StripeError>, target: StripeTarget, attempts: number): AccrueError {
  const status = typeof err.statusCode === 'number' ? err.statusCode : null;
  const details: Record<string, unknown> = {
    stripe_status: status,
    stripe_code: err.code ?? null,
    stripe_type: err.type,
    stripe_message: err.message,
    request_id: err.requestId ?? null,
    account: target.account,
    attempts,
  };
  const what = target.id ? `Stripe ${target.kind} ${target.id}` : `Stripe ${target.kind}`;
  if (status === 404) return new AccrueError('not_found', `${what} was not found in account ${target.account}`, details);
  if (status === 429) return new AccrueError('rate_limited', `${what}: Stripe kept rate-limiting after ${attempts} attempts`, details);
  if (status === 401) return new AccrueError('unauthorized', `${what}: Stripe rejected the API key`, details);
  if (status === 403) return new AccrueError('forbidden', `${what}: no access to account ${target.account}`, details);
  if (status !== null && status >= 400 && status < 500) return new AccrueError('invalid_input', `${what}: ${err.message}`, details);
  return new AccrueError('upstream_unavailable', `${what}: Stripe unavailable after ${attempts} attempts (${err.message})`, details);
}

/**
 * Runs one Stripe request with our retry policy: 429 (honouring `Stripe-Rate-Limited-Reason`),
 * 5xx and network errors back off and retry up to `maxAttempts`; any other 4xx fails at once.
 * Failures come out as `AccrueError`s; errors that are not Stripe's pass through untouched.
 */
export async function callStripe<T>(target: StripeTarget, request: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attemptsMax = Math.max(1, options.maxAttempts ?? STRIPE_ATTEMPTS_MAX);
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      const c = classify(err);
      if (c === null) throw err;
      if (!c.retryable || attempt >= attemptsMax) {
        throw toAccrueError(err as InstanceType<typeof Stripe.errors.StripeError>, target, attempt);
      }
      await sleep(retryDelayMs(attempt, c.rateLimitedReason, random));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.
// ---------------------------------------------------------------------------------------------

/** The id of an expandable field, whether Stripe sent the id or the expanded object. */
export function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') return (value as { id: string }).id;
  return null;
}

/**
 * Of the invoice payments found for one payment, the one that settled the invoice: a `paid` one if
 * any, else the newest (an open attempt). Lists arrive newest first.
 */
/**
 * The invoice payment of a charge. An invoice payment names the payment intent whenever the
 * charge has one, and names the charge (`byCharge`) only for charges made without one.
 */
export async function invoicePaymentOfCharge(reader: StripeReader, ch: string, byCharge: () => Promise<Stripe.InvoicePayment | null>): Promise<Stripe.InvoicePayment | null> {
  const pi = idOf((await reader.getCharge(ch)).payment_intent);
  return pi ? reader.findInvoicePaymentByPaymentIntent(pi) : byCharge();
}

/** Ids of credit notes, oldest first (lists come newest first). */
export function oldestFirst(notes: readonly { id: string; created: number }[]): string[] {
  return [...notes].sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((n) => n.id);
}

export function pickInvoicePayment(payments: Stripe.InvoicePayment[]): Stripe.InvoicePayment | null {
  return payments.find((p) => p.status === 'paid') ?? payments[0] ?? null;
}

// ---------------------------------------------------------------------------------------------
// The HTTP reader.
// ---------------------------------------------------------------------------------------------

/**
 * A reader for one connected account over the real API (or the fake). Every request carries
 * `{ stripeAccount: account }`; results are memoised for the reader's lifetime, so create one reader
 * per processing run, not per process, and treat what it returns as read-only (callers share it).
 */
export function createStripeReader(stripe: Stripe, account: string, opts: RetryOptions = {}): StripeReader {
  const requestOptions = { stripeAccount: account };
  const memo = new Map<string, Promise<unknown>>();

  function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = memo.get(key);
    if (hit) return hit as Promise<T>;
    const pending = load();
    memo.set(key, pending);
    // A failure is not remembered: the next call in the run tries again.
    pending.catch(() => memo.delete(key));
    return pending;
  }

  const call = <T>(kind: string, id: string | undefined, request: () => Promise<T>): Promise<T> =>
    callStripe({ kind, id, account }, request, opts);

  /** Every page of a list, `max` items at most (more means the cursor is not advancing). */
  async function listAll<T extends { id: string }>(what: string, max: number, list: (page: { limit: number; starting_after?: string }) => Promise<Stripe.ApiList<T>>): Promise<T[]> {
    const all: T[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      const page = await call(`${what} list`, undefined, () => list({ limit: STRIPE_PAGE_LIMIT, ...(startingAfter ? { starting_after: startingAfter } : {}) }));
      all.push(...page.data);
      const last = page.data[page.data.length - 1];
      if (!page.has_more || !last) return all;
      if (all.length > max) throw new AccrueError('internal', `More than ${max} ${what}s for one query in ${account}`);
      startingAfter = last.id;
    }
  }
  const listAllInvoicePayments = (params: Stripe.InvoicePaymentListParams) =>
    listAll('invoice_payment', INVOICE_PAYMENTS_MAX, (page) => stripe.invoicePayments.list({ ...params, ...page }, requestOptions));
  const listAllCreditNotes = (invoice: string) => listAll('credit_note', CREDIT_NOTES_PER_INVOICE_MAX, (page) => stripe.creditNotes.list({ invoice, ...page }, requestOptions));

  const reader: StripeReader = {
    getInvoice: (id) =>
      cached(`invoice:${id}`, async () => {
        const invoice = await call('invoice', id, () => stripe.invoices.retrieve(id, {}, requestOptions));
        return completeInvoiceLines(stripe, account, invoice, opts);
      }),
    listInvoicePayments: (invoiceId) =>
      cached(`invoice_payments:${invoiceId}`, () => listAllInvoicePayments({ invoice: invoiceId })),
    findInvoicePaymentByPaymentIntent: (pi) =>
      cached(`invoice_payment_by_pi:${pi}`, async () =>
        pickInvoicePayment(await listAllInvoicePayments({ payment: { type: 'payment_intent', payment_intent: pi } })),
      ),
    findInvoicePaymentByCharge: (ch) =>
      cached(`invoice_payment_by_charge:${ch}`, () =>
        invoicePaymentOfCharge(reader, ch, async () => {
          // `payment[charge]` is not in the SDK's parameter types; the API filter is what we rely on.
          const byCharge = { type: 'charge', charge: ch } as unknown as Stripe.InvoicePaymentListParams.Payment;
          return pickInvoicePayment(await listAllInvoicePayments({ payment: byCharge }));
        }),
      ),
    getCharge: (id) => cached(`charge:${id}`, () => call('charge', id, () => stripe.charges.retrieve(id, {}, requestOptions))),
    latestChargeOf: (id) =>
      cached(`payment_intent:${id}`, async () => idOf((await call('payment_intent', id, () => stripe.paymentIntents.retrieve(id, {}, requestOptions))).latest_charge)),
    getRefund: (id) => cached(`refund:${id}`, () => call('refund', id, () => stripe.refunds.retrieve(id, {}, requestOptions))),
    getBalanceTransaction: (id) =>
      id === null || id === undefined || id === ''
        ? Promise.resolve(null)
        : cached(`balance_transaction:${id}`, () =>
            call('balance_transaction', id, () => stripe.balanceTransactions.retrieve(id, {}, requestOptions)),
          ),
    getCreditNote: (id) =>
      cached(`credit_note:${id}`, async () => {
        const note = await call('credit_note', id, () => stripe.creditNotes.retrieve(id, {}, requestOptions));
        return completeCreditNoteLines(stripe, account, note, opts);
      }),
    creditNotesOfInvoice: (invoice) =>
      cached(`credit_notes:${invoice}`, async () => {
        const notes = await listAllCreditNotes(invoice);
        // The list carries each note with its first page of lines: reading one later costs no retrieve.
        for (const note of notes) void cached(`credit_note:${note.id}`, () => completeCreditNoteLines(stripe, account, note, opts)).catch(() => undefined);
        return oldestFirst(notes);
      }),
    getDispute: (id) => cached(`dispute:${id}`, () => call('dispute', id, () => stripe.disputes.retrieve(id, {}, requestOptions))),
    getPayout: (id) => cached(`payout:${id}`, () => call('payout', id, () => stripe.payouts.retrieve(id, {}, requestOptions))),
    getInvoiceItem: (id) =>
      cached(`invoiceitem:${id}`, () => call('invoiceitem', id, () => stripe.invoiceItems.retrieve(id, {}, requestOptions))),
    getCustomerBalanceTransaction: (customer, id) =>
      cached(`customer_balance_transaction:${customer}:${id}`, () =>
        call('customer_balance_transaction', id, () =>
          stripe.customers.retrieveBalanceTransaction(customer, id, {}, requestOptions),
        ),
      ),
  };
  return reader;
}

/** Pages in the rest of a list whose first page came embedded in a parent object. */
async function pageRemainingLines<L extends { id: string }>(
  first: Stripe.ApiList<L>,
  target: StripeTarget,
  nextPage: (startingAfter: string) => Promise<Stripe.ApiList<L>>,
  opts: RetryOptions,
): Promise<Stripe.ApiList<L>> {
  if (!first.has_more) return first;
  const all = [...first.data];
  for (;;) {
    const last = all[all.length - 1];
    if (!last) throw new AccrueError('internal', `${target.kind} ${target.id} says has_more but has no lines`);
    const page = await callStripe(target, () => nextPage(last.id), opts);
    all.push(...page.data);
    if (!page.has_more) break;
    if (page.data.length === 0 || all.length > DOCUMENT_LINES_MAX) {
      throw new AccrueError('internal', `${target.kind} ${target.id}: line paging did not end after ${all.length} lines`);
    }
  }
  return { ...first, data: all, has_more: false };
}

/**
 * Returns the invoice with `lines.data` holding every line (`has_more: false`), fetching pages of
 * `/v1/invoices/:id/lines` after the embedded first page when needed.
 */
export async function completeInvoiceLines(stripe: Stripe, account: string, invoice: Stripe.Invoice, opts: RetryOptions = {}): Promise<Stripe.Invoice> {
  const id = invoice.id;
  if (!invoice.lines.has_more || !id) return invoice;
  const lines = await pageRemainingLines(
    invoice.lines,
    { kind: 'invoice lines', id, account },
    (startingAfter) => stripe.invoices.listLineItems(id, { limit: STRIPE_PAGE_LIMIT, starting_after: startingAfter }, { stripeAccount: account }),
    opts,
  );
  return { ...invoice, lines };
}

/** Same as `completeInvoiceLines`, for a credit note and `/v1/credit_notes/:id/lines`. */
export async function completeCreditNoteLines(stripe: Stripe, account: string, note: Stripe.CreditNote, opts: RetryOptions = {}): Promise<Stripe.CreditNote> {
  if (!note.lines.has_more) return note;
  const lines = await pageRemainingLines(
    note.lines,
    { kind: 'credit_note lines', id: note.id, account },
    (startingAfter) => stripe.creditNotes.listLineItems(note.id, { limit: STRIPE_PAGE_LIMIT, starting_after: startingAfter }, { stripeAccount: account }),
    opts,
  );
  return { ...note, lines };
}

// ---------------------------------------------------------------------------------------------
// The in-memory store (shared with the test fake) and the memory reader.
// ---------------------------------------------------------------------------------------------

/** Any Stripe object: an id and an `object` type, the rest as Stripe renders it. */
export type StripeObject = { id: string; object: string } & Record<string, unknown>;

/** True for values shaped like a Stripe object. */
export function isStripeObject(value: unknown): value is StripeObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { id?: unknown }).id === 'string' &&
    typeof (value as { object?: unknown }).object === 'string'
  );
}

/** Object types whose `lines` list is stored separately, in full, and rendered a page at a time. */
const DOCUMENT_LINE_URLS: Readonly<Record<string, string>> = { invoice: 'invoices', credit_note: 'credit_notes' };

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
    if (!isStripeObject(input)) throw new AccrueError('invalid_input', 'A Stripe object needs string `id` and `object`');
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
    if (existing && existing.object.object !== object.object) this.listCache.delete(`${account}\u0000${existing.object.object}`);
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
      if (!isStripeObject(line)) throw new AccrueError('invalid_input', `Replay line ${index + 1} is not a Stripe object`);
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

  /** A fresh copy of a stored object; documents get their first page of lines, or all of them. */
  render(account: string, object: StripeObject, lines: 'first_page' | 'all' = 'first_page'): StripeObject {
    const copy = structuredClone(object);
    const segment = DOCUMENT_LINE_URLS[object.object];
    if (segment) {
      const incomplete = this.linesIncomplete(account, object.id);
      if (incomplete && lines === 'all') {
        throw new AccrueError('internal', `${object.object} ${object.id} is known only from a first-page snapshot; supply its full lines`);
      }
      const all = structuredClone(this.accounts.get(account)?.lines.get(object.id) ?? []);
      const data = lines === 'all' ? all : all.slice(0, EMBEDDED_LINES_LIMIT);
      copy.lines = { object: 'list', data, has_more: incomplete || data.length < all.length, url: `/v1/${segment}/${object.id}/lines` };
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
    for (const key of path.slice(0, -1)) holder = holder && typeof holder === 'object' ? (holder as Record<string, unknown>)[key] : undefined;
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
  if (isListLike(lines)) for (const line of lines.data) if (line && typeof line === 'object') coerceDecimalFields(line as Record<string, unknown>, paths);
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
    listInvoicePayments: async (invoiceId) => invoicePayments((p) => idOf(p.invoice) === invoiceId),
    findInvoicePaymentByPaymentIntent: async (pi) =>
      pickInvoicePayment(invoicePayments((p) => paymentOf(p).type === 'payment_intent' && idOf(paymentOf(p).payment_intent) === pi)),
    findInvoicePaymentByCharge: (ch) =>
      invoicePaymentOfCharge(reader, ch, async () => pickInvoicePayment(invoicePayments((p) => paymentOf(p).type === 'charge' && idOf(paymentOf(p).charge) === ch))),
    getCharge: async (id) => must('charge', id) as unknown as Stripe.Charge,
    latestChargeOf: async (id) => idOf(must('payment_intent', id).latest_charge),
    getRefund: async (id) => must('refund', id) as unknown as Stripe.Refund,
    getBalanceTransaction: async (id) => (id ? (must('balance_transaction', id) as unknown as Stripe.BalanceTransaction) : null),
    getCreditNote: async (id) => {
      const note = must('credit_note', id, 'all');
      coerceDocumentLines(note, CREDIT_NOTE_LINE_DECIMALS);
      return note as unknown as Stripe.CreditNote;
    },
    creditNotesOfInvoice: async (invoice) => oldestFirst(store.peekList(account, 'credit_note').filter((cn) => idOf(cn.invoice) === invoice) as unknown as Stripe.CreditNote[]),
    getDispute: async (id) => must('dispute', id) as unknown as Stripe.Dispute,
    getPayout: async (id) => must('payout', id) as unknown as Stripe.Payout,
    getInvoiceItem: async (id) => {
      const item = must('invoiceitem', id);
      coerceDecimalFields(item, LINE_ITEM_DECIMALS);
      return item as unknown as Stripe.InvoiceItem;
    },
    getCustomerBalanceTransaction: async (customer, id) => {
      const txn = must('customer_balance_transaction', id);
      if (idOf(txn.customer) !== customer) {
        throw new AccrueError('not_found', `Stripe customer_balance_transaction ${id} was not found in account ${account}`, {
          stripe_status: 404,
          stripe_code: 'resource_missing',
          account,
        });
      }
      return txn as unknown as Stripe.CustomerBalanceTransaction;
    },
  };
  return reader;
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
