/**
 * Listing an account's history for backfill: async iterators with auto-pagination over invoices
 * (each with all its lines), credit notes (with lines), charges, refunds, disputes, payouts, balance
 * transactions, invoice payments, invoice items, subscriptions (every status), credit grants and
 * customers created since a timestamp; and the lists that hang off one object (`listChildren`): a
 * credit grant's credit balance transactions, a customer's balance transactions.
 *
 * Stripe lists newest first, so a backfill walks backwards in time. It is resumable: `onPage`
 * reports the last id of every page once all of that page's objects have been consumed, and a
 * restarted backfill passes that id back as `startingAfter`. Objects created after the backfill
 * started sit in front of its first page and are not seen; the webhook stream delivers those.
 * Requests use the same retry policy as the reader.
 */
import type Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';
import {
  AccountReads,
  callStripe,
  CUSTOMER_BALANCE_TRANSACTIONS_MAX,
  completeCreditNoteLines,
  completeInvoiceLines,
  STRIPE_PAGE_SIZE,
  type RetryOptions,
} from './reader.ts';

/**
 * Ceiling on pages per listing. At 100 objects a page this is ten million objects, beyond any
 * account we serve; reaching it means the cursor is not advancing.
 */
export const BACKFILL_PAGES_MAX = 100_000;

/** The object types a backfill walks, by their API collection name. */
export interface BackfillObjects {
  invoices: Stripe.Invoice;
  credit_notes: Stripe.CreditNote;
  charges: Stripe.Charge;
  refunds: Stripe.Refund;
  disputes: Stripe.Dispute;
  payouts: Stripe.Payout;
  balance_transactions: Stripe.BalanceTransaction;
  invoice_payments: Stripe.InvoicePayment;
  invoiceitems: Stripe.InvoiceItem;
  subscriptions: Stripe.Subscription;
  credit_grants: Stripe.Billing.CreditGrant;
  customers: Stripe.Customer;
}
export type BackfillKind = keyof BackfillObjects;
export const BACKFILL_KINDS: readonly BackfillKind[] = [
  'invoices',
  'credit_notes',
  'charges',
  'refunds',
  'disputes',
  'payouts',
  'balance_transactions',
  'invoice_payments',
  'invoiceitems',
  'subscriptions',
  'credit_grants',
  'customers',
];

/**
 * Stripe's credit grant list takes no `created` filter: grants are listed whole and those created
 * before `createdGte` are skipped here.
 */
const CREATED_FILTERED_HERE: ReadonlySet<BackfillKind> = new Set(['credit_grants']);

export interface ListingOptions extends RetryOptions {
  /** Only objects with `created` at or after this Unix time (seconds). */
  createdGte?: number | undefined;
  /** Resume after this object id: the last cursor `onPage` reported before the run stopped. */
  startingAfter?: string | null | undefined;
  /**
   * Called once every object of a page has been consumed, with the id to resume after and the
   * page's size. Persist the cursor here; awaiting it holds the next request back.
   */
  onPage?: ((cursor: string, count: number) => void | Promise<void>) | undefined;
  /** Objects per request, 1–100; defaults to 100 (Stripe's maximum, fewest round trips). */
  pageSize?: number | undefined;
}

interface ListParams {
  limit: number;
  created?: { gte: number };
  starting_after?: string;
  expand?: string[];
}

/**
 * Balance transactions listed expanded inside their objects: processing needs them (fees and
 * rates of charges and refunds, when a refund or payout failed), and one list call carrying them
 * saves a read per object.
 */
const EXPAND: Partial<Record<BackfillKind, string[]>> = {
  charges: ['data.balance_transaction'],
  refunds: ['data.balance_transaction', 'data.failure_balance_transaction'],
  payouts: ['data.failure_balance_transaction'],
};

type PageFetcher<T> = (
  stripe: Stripe,
  params: ListParams,
  options: { stripeAccount: string },
) => Promise<Stripe.ApiList<T>>;

// Each collection's list call; the SDK's per-resource parameter types all accept these three fields.
const FETCHERS: { [K in BackfillKind]: PageFetcher<BackfillObjects[K]> } = {
  invoices: (s, p, o) => s.invoices.list(p, o),
  credit_notes: (s, p, o) => s.creditNotes.list(p, o),
  charges: (s, p, o) => s.charges.list(p, o),
  refunds: (s, p, o) => s.refunds.list(p, o),
  disputes: (s, p, o) => s.disputes.list(p, o),
  payouts: (s, p, o) => s.payouts.list(p, o),
  balance_transactions: (s, p, o) => s.balanceTransactions.list(p, o),
  invoice_payments: (s, p, o) => s.invoicePayments.list(p, o),
  invoiceitems: (s, p, o) => s.invoiceItems.list(p, o),
  // Stripe lists only subscriptions that are not canceled unless asked for every status.
  subscriptions: (s, p, o) => s.subscriptions.list({ ...p, status: 'all' }, o),
  credit_grants: (s, { created: _created, ...p }, o) => s.billing.creditGrants.list(p, o),
  customers: (s, p, o) => s.customers.list(p, o),
};

/**
 * Iterates every object of `kind` in `account` (newest first), paging transparently. Invoices and
 * credit notes come with all their lines (`has_more: false`).
 */
export async function* listObjects<K extends BackfillKind>(
  stripe: Stripe,
  account: string,
  kind: K,
  opts: ListingOptions = {},
): AsyncGenerator<BackfillObjects[K], void, undefined> {
  const pageSize = opts.pageSize ?? STRIPE_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > STRIPE_PAGE_SIZE) {
    throw new AccrueError('invalid_input', `pageSize must be an integer from 1 to ${STRIPE_PAGE_SIZE}`);
  }
  const fetch = FETCHERS[kind] as PageFetcher<BackfillObjects[K]>;
  const requestOptions = { stripeAccount: account };
  const target = { kind: `${kind} list`, account };
  let cursor = opts.startingAfter ?? undefined;

  for (let pages = 0; pages < BACKFILL_PAGES_MAX; pages++) {
    const params: ListParams = {
      limit: pageSize,
      ...(opts.createdGte !== undefined ? { created: { gte: opts.createdGte } } : {}),
      ...(cursor ? { starting_after: cursor } : {}),
      ...(EXPAND[kind] ? { expand: EXPAND[kind] } : {}),
    };
    const page = await callStripe(target, () => fetch(stripe, params, requestOptions), opts);
    for (const item of page.data) {
      if (CREATED_FILTERED_HERE.has(kind) && opts.createdGte !== undefined && createdOf(item) < opts.createdGte)
        continue;
      yield (await complete(stripe, account, kind, item, opts)) as BackfillObjects[K];
    }
    const last = page.data[page.data.length - 1] as { id?: string } | undefined;
    if (last?.id) {
      cursor = last.id;
      await opts.onPage?.(cursor, page.data.length);
    }
    if (!page.has_more || !last?.id) return;
  }
  throw new AccrueError('internal', `Listing ${kind} for ${account} did not end after ${BACKFILL_PAGES_MAX} pages`);
}

function createdOf(item: unknown): number {
  return (item as { created: number }).created;
}

/** The lists that hang off a listed object: what processing reads for it beyond the object itself. */
export interface BackfillChildren {
  credit_grants: Stripe.Billing.CreditBalanceTransaction;
  customers: Stripe.CustomerBalanceTransaction;
}
export type BackfillParentKind = keyof BackfillChildren;
export const isBackfillParent = (kind: BackfillKind): kind is BackfillParentKind =>
  kind === 'credit_grants' || kind === 'customers';

/**
 * Every child of one listed parent, whatever its date (a grant's credits applied, a customer's
 * balance moves): a credit grant's credit balance transactions (Stripe lists them by customer and
 * grant), a customer's balance transactions.
 */
export async function listChildren<K extends BackfillParentKind>(
  stripe: Stripe,
  account: string,
  kind: K,
  parent: BackfillObjects[K],
  opts: RetryOptions = {},
): Promise<BackfillChildren[K][]> {
  const reads = new AccountReads(account, opts);
  const requestOptions = { stripeAccount: account };
  const max = CUSTOMER_BALANCE_TRANSACTIONS_MAX;
  if (kind === 'customers') {
    const customer = parent.id;
    return (await reads.listAll('customer_balance_transaction', max, (page) =>
      stripe.customers.listBalanceTransactions(customer, page, requestOptions),
    )) as BackfillChildren[K][];
  }
  const grant = parent as Stripe.Billing.CreditGrant;
  const customer = typeof grant.customer === 'string' ? grant.customer : grant.customer?.id;
  if (!customer) return [];
  return (await reads.listAll('billing.credit_balance_transaction', max, (page) =>
    stripe.billing.creditBalanceTransactions.list({ customer, credit_grant: grant.id, ...page }, requestOptions),
  )) as BackfillChildren[K][];
}

async function complete(
  stripe: Stripe,
  account: string,
  kind: BackfillKind,
  item: unknown,
  opts: RetryOptions,
): Promise<unknown> {
  if (kind === 'invoices') return completeInvoiceLines(stripe, account, item as Stripe.Invoice, opts);
  if (kind === 'credit_notes') return completeCreditNoteLines(stripe, account, item as Stripe.CreditNote, opts);
  return item;
}

/** Invoices since `createdGte`, each with all its lines. */
export const listInvoices = (stripe: Stripe, account: string, opts?: ListingOptions) =>
  listObjects(stripe, account, 'invoices', opts);
/** Credit notes since `createdGte`, each with all its lines. */
export const listCreditNotes = (stripe: Stripe, account: string, opts?: ListingOptions) =>
  listObjects(stripe, account, 'credit_notes', opts);
/** Charges since `createdGte`. */
export const listCharges = (stripe: Stripe, account: string, opts?: ListingOptions) =>
  listObjects(stripe, account, 'charges', opts);
/** Refunds since `createdGte`. */
export const listRefunds = (stripe: Stripe, account: string, opts?: ListingOptions) =>
  listObjects(stripe, account, 'refunds', opts);
/** Disputes since `createdGte`. */
export const listDisputes = (stripe: Stripe, account: string, opts?: ListingOptions) =>
  listObjects(stripe, account, 'disputes', opts);
/** Payouts since `createdGte`. */
export const listPayouts = (stripe: Stripe, account: string, opts?: ListingOptions) =>
  listObjects(stripe, account, 'payouts', opts);
/** Balance transactions since `createdGte`. */
export const listBalanceTransactions = (stripe: Stripe, account: string, opts?: ListingOptions) =>
  listObjects(stripe, account, 'balance_transactions', opts);
/** Invoice payments since `createdGte`. */
export const listInvoicePayments = (stripe: Stripe, account: string, opts?: ListingOptions) =>
  listObjects(stripe, account, 'invoice_payments', opts);
