/**
 * Reading Stripe objects for one connected account: the `StripeReader` the engine's mapping uses,
 * over HTTP (`createStripeReader`). The sandbox (`backend/sandbox/stripe/store.ts`) implements the
 * same interface over objects held in memory, for `accrue replay`, the demo and tests.
 *
 * This module also owns the retry policy for every Stripe read (429 and 5xx/network errors back off
 * exponentially with jitter; other 4xx never retry).
 */
import Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';

// ---------------------------------------------------------------------------------------------
// The interface (the engine's mapping imports it from here).
// ---------------------------------------------------------------------------------------------

import { creditReads, meterReads, payoutAndTransferReads } from './reader-extra.ts';
import { expandedReads } from './reader-expanded.ts';
export interface StripeReader {
  getInvoice(id: string): Promise<Stripe.Invoice>; // lines already paged in full (invoice.lines.data holds ALL lines, has_more false)
  listInvoicePayments(invoiceId: string): Promise<Stripe.InvoicePayment[]>;
  findInvoicePaymentByPaymentIntent(pi: string): Promise<Stripe.InvoicePayment | null>;
  findInvoicePaymentByCharge(ch: string): Promise<Stripe.InvoicePayment | null>;
  getCharge(id: string): Promise<Stripe.Charge>;
  /** The payment intent's `latest_charge`: the charge whose balance transaction a payment settled in. */
  latestChargeOf(paymentIntent: string): Promise<string | null>;
  getRefund(id: string): Promise<Stripe.Refund>;
  // Widened from `string` so a charge's nullable `balance_transaction` can be passed straight in.
  getBalanceTransaction(id: string | null): Promise<Stripe.BalanceTransaction | null>;
  getCreditNote(id: string): Promise<Stripe.CreditNote>; // lines paged in full
  /**
   * The customer's invoices created at or before an instant, newest first, at most one page
   * (`STRIPE_PAGE_SIZE`): for matching a charge that no invoice payment names to its invoice.
   */
  recentInvoicesOfCustomer(customer: string, createdAtOrBefore: number): Promise<Stripe.Invoice[]>;
  /** The ids of an invoice's credit notes, oldest first. */
  creditNotesOfInvoice(invoice: string): Promise<string[]>;
  getDispute(id: string): Promise<Stripe.Dispute>;
  getPayout(id: string): Promise<Stripe.Payout>;
  /**
   * The balance transactions an automatic payout paid out (`balance_transactions?payout=`), for
   * a payout from a foreign balance (its realized exchange difference). Optional: a reader
   * without it leaves the payout's carrying amount unknown.
   */
  payoutBalanceTransactions?(payout: string): Promise<Stripe.BalanceTransaction[]>;
  getInvoiceItem(id: string): Promise<Stripe.InvoiceItem>;
  getCustomerBalanceTransaction(customer: string, id: string): Promise<Stripe.CustomerBalanceTransaction>;
  /** Every balance transaction of a customer (stored value: what funded the balance and what used it). */
  listCustomerBalanceTransactions(customer: string): Promise<Stripe.CustomerBalanceTransaction[]>;
  getCreditGrant(id: string): Promise<Stripe.Billing.CreditGrant>;
  /**
   * A customer's metadata, which rules may match on; null for a deleted customer. Optional: a
   * reader without it leaves every invoice's customer metadata unknown.
   */
  customerMetadata?(customer: string): Promise<Readonly<Record<string, string>> | null>;
  /** A subscription (when it was cancelled: `termination_credits`). */
  getSubscription(id: string): Promise<Stripe.Subscription>;
  getCreditBalanceTransaction(id: string): Promise<Stripe.Billing.CreditBalanceTransaction>;
  /** Every credit balance transaction of one grant (its customer's, filtered by grant). */
  listCreditBalanceTransactions(customer: string, grant: string): Promise<Stripe.Billing.CreditBalanceTransaction[]>;
  /** A price with its `tiers` (metered billing; a reader without it books no usage). */
  getPrice?(id: string): Promise<Stripe.Price>;
  /** A billing meter (`not_found` for a meter Stripe does not know). */
  getMeter?(id: string): Promise<Stripe.Billing.Meter>;
  /** Every event summary of a meter for one customer over `[start, end)` (minute-aligned instants), all pages. */
  meterEventSummaries?(
    meter: string,
    customer: string,
    start: number,
    end: number,
  ): Promise<Stripe.Billing.MeterEventSummary[]>;
  /**
   * A transfer with its first page of reversals embedded (a Connect platform's). Optional: a
   * reader without it books a refund's transfer reversals from their own `transfer.reversed` event.
   */
  getTransfer?(id: string): Promise<Stripe.Transfer>;
}

/** Most meter event summaries read for one customer and window (one per window without grouping). */
export const METER_SUMMARIES_MAX = 10_000;

// ---------------------------------------------------------------------------------------------
// Limits.
// ---------------------------------------------------------------------------------------------

/** Most balance transactions read for one customer (stored value). */
export const CUSTOMER_BALANCE_TRANSACTIONS_MAX = 10_000;

/** Stripe's largest page; fewer round trips for invoices with many lines. */
export const STRIPE_PAGE_SIZE = 100;

/** How many invoice lines Stripe embeds in a retrieved invoice or credit note before `has_more`. */
export const EMBEDDED_LINES_MAX = 10;

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

/**
 * Maps a Stripe SDK error to our error family, keeping Stripe's own code and request id, and the
 * SDK error as `cause`. Every other failure is mapped by `toAccrueError` in backend/errors.ts.
 */
export function stripeErrorToAccrue(
  err: InstanceType<typeof Stripe.errors.StripeError>,
  target: StripeTarget,
  attempts: number,
): AccrueError {
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
  if (status === 404)
    return new AccrueError('not_found', `${what} was not found in account ${target.account}`, details, { cause: err });
  if (status === 429)
    return new AccrueError('rate_limited', `${what}: Stripe kept rate-limiting after ${attempts} attempts`, details, {
      cause: err,
    });
  if (status === 401)
    return new AccrueError('unauthorized', `${what}: Stripe rejected the API key`, details, { cause: err });
  if (status === 403)
    return new AccrueError('forbidden', `${what}: no access to account ${target.account}`, details, { cause: err });
  if (status !== null && status >= 400 && status < 500)
    return new AccrueError('invalid_input', `${what}: ${err.message}`, details, { cause: err });
  return new AccrueError(
    'upstream_unavailable',
    `${what}: Stripe unavailable after ${attempts} attempts (${err.message})`,
    details,
    { cause: err },
  );
}

/**
 * Runs one Stripe request with our retry policy: 429 (honouring `Stripe-Rate-Limited-Reason`),
 * 5xx and network errors back off and retry up to `maxAttempts`; any other 4xx fails at once.
 * Failures come out as `AccrueError`s; errors that are not Stripe's pass through untouched.
 */
export async function callStripe<T>(
  target: StripeTarget,
  request: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
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
        throw stripeErrorToAccrue(err as InstanceType<typeof Stripe.errors.StripeError>, target, attempt);
      }
      await sleep(retryDelayMs(attempt, c.rateLimitedReason, random));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.
// ---------------------------------------------------------------------------------------------

/** A customer's metadata as rules see it: null for a deleted customer. */
export function metadataOfCustomer(customer: Stripe.Customer | Stripe.DeletedCustomer): Record<string, string> | null {
  return customer.deleted ? null : { ...customer.metadata };
}

/** The id of an expandable field, whether Stripe sent the id or the expanded object. */
export function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string')
    return (value as { id: string }).id;
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
export async function invoicePaymentOfCharge(
  reader: StripeReader,
  ch: string,
  byCharge: () => Promise<Stripe.InvoicePayment | null>,
): Promise<Stripe.InvoicePayment | null> {
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
 * What one reader remembers and how it asks: results memoised for the reader's lifetime (a failure
 * is not remembered, so the next call in the run tries again), every request through `callStripe`'s
 * retry policy, and lists read to the end.
 */
export class AccountReads {
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    private readonly account: string,
    private readonly opts: RetryOptions,
  ) {}

  cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.memo.get(key);
    if (hit) return hit as Promise<T>;
    const pending = load();
    this.memo.set(key, pending);
    pending.catch(() => this.memo.delete(key));
    return pending;
  }

  call<T>(kind: string, id: string | undefined, request: () => Promise<T>): Promise<T> {
    return callStripe({ kind, id, account: this.account }, request, this.opts);
  }

  /** Every page of a list, `max` items at most (more means the cursor is not advancing). */
  async listAll<T extends { id: string }>(
    what: string,
    max: number,
    list: (page: { limit: number; starting_after?: string }) => Promise<Stripe.ApiList<T>>,
  ): Promise<T[]> {
    const all: T[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      const cursor = startingAfter ? { starting_after: startingAfter } : {};
      const page = await this.call(`${what} list`, undefined, () => list({ limit: STRIPE_PAGE_SIZE, ...cursor }));
      all.push(...page.data);
      const last = page.data[page.data.length - 1];
      if (!page.has_more || !last) return all;
      if (all.length > max)
        throw new AccrueError('internal', `More than ${max} ${what}s for one query in ${this.account}`);
      startingAfter = last.id;
    }
  }
}

/**
 * A reader for one connected account over the real API (or the fake). Every request carries
 * `{ stripeAccount: account }`; results are memoised for the reader's lifetime, so create one reader
 * per processing run, not per process, and treat what it returns as read-only (callers share it).
 */
export function createStripeReader(stripe: Stripe, account: string, opts: RetryOptions = {}): StripeReader {
  const requestOptions = { stripeAccount: account };
  const reads = new AccountReads(account, opts);
  const cached = reads.cached.bind(reads);
  const call = reads.call.bind(reads);
  const listAllInvoicePayments = (params: Stripe.InvoicePaymentListParams) =>
    reads.listAll('invoice_payment', INVOICE_PAYMENTS_MAX, (page) =>
      stripe.invoicePayments.list({ ...params, ...page }, requestOptions),
    );
  const listAllCreditNotes = (invoice: string) =>
    reads.listAll('credit_note', CREDIT_NOTES_PER_INVOICE_MAX, (page) =>
      stripe.creditNotes.list({ invoice, ...page }, requestOptions),
    );

  const reader: StripeReader = {
    getInvoice: (id) =>
      cached(`invoice:${id}`, async () => {
        // The customer comes expanded in the same request: its metadata (rules may match on it)
        // is remembered for `customerMetadata`, and the invoice keeps naming the customer by id.
        const expanded = await call('invoice', id, () =>
          stripe.invoices.retrieve(id, { expand: ['customer'] }, requestOptions),
        );
        const customer = expanded.customer;
        if (customer && typeof customer !== 'string')
          void cached(`customer_metadata:${customer.id}`, async () => metadataOfCustomer(customer));
        const invoice = customer && typeof customer !== 'string' ? { ...expanded, customer: customer.id } : expanded;
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
    recentInvoicesOfCustomer: (customer, before) =>
      cached(`invoices_of_customer:${customer}:${before}`, async () => {
        const params = { customer, created: { lte: before }, limit: STRIPE_PAGE_SIZE };
        const page = await call('invoice list', undefined, () => stripe.invoices.list(params, requestOptions));
        return page.data;
      }),
    ...expandedReads(stripe, reads, requestOptions),
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
        for (const note of notes)
          void cached(`credit_note:${note.id}`, () => completeCreditNoteLines(stripe, account, note, opts)).catch(
            () => undefined,
          );
        return oldestFirst(notes);
      }),
    getDispute: (id) =>
      cached(`dispute:${id}`, () => call('dispute', id, () => stripe.disputes.retrieve(id, {}, requestOptions))),
    getPayout: (id) =>
      cached(`payout:${id}`, () => call('payout', id, () => stripe.payouts.retrieve(id, {}, requestOptions))),
    getInvoiceItem: (id) =>
      cached(`invoiceitem:${id}`, () =>
        call('invoiceitem', id, () => stripe.invoiceItems.retrieve(id, {}, requestOptions)),
      ),
    getCustomerBalanceTransaction: (customer, id) =>
      cached(`customer_balance_transaction:${customer}:${id}`, () =>
        call('customer_balance_transaction', id, () =>
          stripe.customers.retrieveBalanceTransaction(customer, id, {}, requestOptions),
        ),
      ),
    ...payoutAndTransferReads(stripe, reads, requestOptions),
    ...creditReads(stripe, reads, requestOptions),
    ...meterReads(stripe, requestOptions, reads),
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
      throw new AccrueError(
        'internal',
        `${target.kind} ${target.id}: line paging did not end after ${all.length} lines`,
      );
    }
  }
  return { ...first, data: all, has_more: false };
}

/**
 * Returns the invoice with `lines.data` holding every line (`has_more: false`), fetching pages of
 * `/v1/invoices/:id/lines` after the embedded first page when needed.
 */
export async function completeInvoiceLines(
  stripe: Stripe,
  account: string,
  invoice: Stripe.Invoice,
  opts: RetryOptions = {},
): Promise<Stripe.Invoice> {
  const id = invoice.id;
  if (!invoice.lines.has_more || !id) return invoice;
  const lines = await pageRemainingLines(
    invoice.lines,
    { kind: 'invoice lines', id, account },
    (startingAfter) =>
      stripe.invoices.listLineItems(
        id,
        { limit: STRIPE_PAGE_SIZE, starting_after: startingAfter },
        { stripeAccount: account },
      ),
    opts,
  );
  return { ...invoice, lines };
}

/** Same as `completeInvoiceLines`, for a credit note and `/v1/credit_notes/:id/lines`. */
export async function completeCreditNoteLines(
  stripe: Stripe,
  account: string,
  note: Stripe.CreditNote,
  opts: RetryOptions = {},
): Promise<Stripe.CreditNote> {
  if (!note.lines.has_more) return note;
  const lines = await pageRemainingLines(
    note.lines,
    { kind: 'credit_note lines', id: note.id, account },
    (startingAfter) =>
      stripe.creditNotes.listLineItems(
        note.id,
        { limit: STRIPE_PAGE_SIZE, starting_after: startingAfter },
        { stripeAccount: account },
      ),
    opts,
  );
  return { ...note, lines };
}

// ---------------------------------------------------------------------------------------------
// Stripe objects as plain values.
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
