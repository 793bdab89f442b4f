// Proves the backfill listings over the real `stripe` client and the fake: every kind pages through
// all objects since a `created` timestamp (newest first), invoices and credit notes arrive with all
// their lines, `onPage` reports resumable cursors, a listing killed mid-way resumes from its last
// cursor without gaps or duplicates, and listing requests retry 429s like the reader.
import type Stripe from 'stripe';
import { createStripeClient } from '../../../backend/stripe/client.ts';
import {
  BACKFILL_KINDS,
  listChildren,
  listCreditNotes,
  listInvoices,
  listObjects,
  type BackfillKind,
} from '../../../backend/stripe/listing.ts';
import type { StripeObject } from '../../../backend/stripe/reader.ts';
import { startStripeFake, type StripeFake } from '../../../backend/sandbox/stripe/server.ts';
import * as fx from '../../../backend/sandbox/stripe/fixtures.ts';

const KEY = 'sk_test_listing_key_12345';
const ACCT = 'acct_L000000000000001';
const T0 = 1_760_000_000;
const DAY = 86_400;

let fake: StripeFake;
let stripe: Stripe;
let sleeps: number[];
const fakeSleep = async (ms: number): Promise<void> => {
  sleeps.push(ms);
};

beforeEach(async () => {
  fx.resetIds();
  sleeps = [];
  fake = await startStripeFake({ apiKey: KEY });
  stripe = createStripeClient({ secretKey: KEY, apiBase: fake.url });
});
afterEach(async () => {
  await fake.close();
});

/** `n` invoices one day apart; invoice i has i+1 lines (so the later ones need line paging). */
function putInvoices(n: number): StripeObject[] {
  const out: StripeObject[] = [];
  for (let i = 0; i < n; i++) {
    const inv = fx.invoice({
      customer: 'cus_1',
      created: T0 + i * DAY,
      lines: Array.from({ length: i + 1 }, (_, j) => ({ amount: 100 + j, period: { start: T0, end: T0 + DAY } })),
    });
    fake.put(ACCT, inv);
    out.push(inv);
  }
  return out;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('backfill listings', () => {
  it('lists invoices since a timestamp, newest first, each with all its lines', async () => {
    const invoices = putInvoices(15);
    const pages: [string, number][] = [];
    const got = await collect(
      listInvoices(stripe, ACCT, {
        createdGte: T0 + 3 * DAY,
        pageSize: 4,
        onPage: (c, n) => void pages.push([c, n]),
        sleep: fakeSleep,
      }),
    );
    const expected = invoices.slice(3).reverse();
    expect(got.map((i) => i.id)).toEqual(expected.map((i) => i.id));
    for (const inv of got) {
      const want = expected.find((e) => e.id === inv.id)!;
      expect(inv.lines.has_more).toBe(false);
      expect(inv.lines.data.map((l) => l.id)).toEqual((want.lines as { data: { id: string }[] }).data.map((l) => l.id));
    }
    // 12 invoices in pages of 4; each cursor is the last id of its page.
    expect(pages).toEqual([
      [expected[3]!.id, 4],
      [expected[7]!.id, 4],
      [expected[11]!.id, 4],
    ]);
    expect(fake.requests.every((r) => r.account === ACCT)).toBe(true);
  });

  it('resumes a killed listing from the last reported cursor without gaps or duplicates', async () => {
    const invoices = putInvoices(10);
    let saved: string | null = null;
    const firstRun: string[] = [];
    for await (const inv of listInvoices(stripe, ACCT, { pageSize: 3, onPage: (c) => void (saved = c) })) {
      firstRun.push(inv.id);
      if (firstRun.length === 5) break; // killed mid-way through the second page
    }
    expect(saved).toBe(firstRun[2]); // only the fully consumed first page was checkpointed
    const secondRun = await collect(listInvoices(stripe, ACCT, { pageSize: 3, startingAfter: saved }));
    const processed = new Set([...firstRun.slice(0, 3), ...secondRun.map((i) => i.id)]);
    expect([...processed]).toEqual(invoices.map((i) => i.id).reverse());
    expect(secondRun).toHaveLength(7);
  });

  it('lists credit notes with all lines', async () => {
    const cn = fx.creditNote({
      invoice: 'in_1',
      customer: 'cus_1',
      created: T0,
      lines: Array.from({ length: 14 }, (_, i) => ({ amount: i + 1 })),
    });
    fake.put(ACCT, cn);
    const [got] = await collect(listCreditNotes(stripe, ACCT));
    expect(got!.lines.data).toHaveLength(14);
    expect(got!.lines.has_more).toBe(false);
  });

  it('walks every backfill kind', async () => {
    const objects: Record<BackfillKind, StripeObject> = {
      invoices: fx.invoice({ customer: 'cus_1', created: T0, lines: [{ amount: 1, period: { start: T0, end: T0 } }] }),
      credit_notes: fx.creditNote({ invoice: 'in_1', customer: 'cus_1', created: T0, lines: [{ amount: 1 }] }),
      charges: fx.charge({ amount: 1, customer: 'cus_1', created: T0, paymentIntent: null, balanceTransaction: null }),
      refunds: fx.refund({ amount: 1, charge: 'ch_1', paymentIntent: null, created: T0, balanceTransaction: null }),
      disputes: fx.dispute({
        amount: 1,
        charge: 'ch_1',
        paymentIntent: null,
        created: T0,
        status: 'won',
        balanceTransactions: [],
      }),
      payouts: fx.payout({ amount: 1, created: T0, balanceTransaction: null }),
      balance_transactions: fx.balanceTransaction({ amount: 1, created: T0, type: 'charge', source: 'ch_1' }),
      invoice_payments: fx.invoicePayment({ invoice: 'in_1', amount: 1, created: T0, paymentIntent: 'pi_1' }),
      invoiceitems: fx.invoiceItem({
        amount: 1,
        customer: 'cus_1',
        invoice: null,
        date: T0,
        period: { start: T0, end: T0 },
      }),
      // Canceled: Stripe lists it only when asked for every status, as the backfill asks.
      subscriptions: { id: 'sub_1', object: 'subscription', customer: 'cus_1', created: T0, status: 'canceled' },
      credit_grants: creditGrant('credgr_1', T0),
      customers: fx.customer({ id: 'cus_1', created: T0 }),
    };
    // One older object of each kind that the `created` filter must drop (invoice items carry it as `date`).
    for (const o of Object.values(objects)) {
      fake.put(ACCT, o);
      fake.put(
        ACCT,
        o.object === 'invoiceitem'
          ? { ...o, id: `${o.id}_old`, date: T0 - DAY }
          : { ...o, id: `${o.id}_old`, created: T0 - DAY },
      );
    }
    for (const kind of BACKFILL_KINDS) {
      const got = await collect(listObjects(stripe, ACCT, kind, { createdGte: T0 }));
      expect(
        got.map((o) => o.id),
        kind,
      ).toEqual([objects[kind].id]);
    }
  });

  it("lists a credit grant's credit balance transactions and a customer's balance transactions, whatever their date", async () => {
    const grant = creditGrant('credgr_2', T0);
    const other = creditGrant('credgr_3', T0);
    fake.put(ACCT, fx.customer({ id: 'cus_2', created: T0 - 10 * DAY }));
    fake.put(ACCT, fx.customer({ id: 'cus_3', created: T0 - 10 * DAY }));
    for (const g of [grant, other]) fake.put(ACCT, g);
    for (let i = 0; i < 3; i++) fake.put(ACCT, creditTxn(`cbtxn_${i}`, i < 2 ? 'credgr_2' : 'credgr_3', T0 + i));
    for (let i = 0; i < 2; i++)
      fake.put(
        ACCT,
        fx.customerBalanceTransaction({
          id: `cbt_${i}`,
          customer: i ? 'cus_3' : 'cus_2',
          amount: -100,
          created: T0 - DAY,
          type: 'adjustment',
          endingBalance: -100,
        }),
      );
    const txns = await listChildren(stripe, ACCT, 'credit_grants', grant as unknown as Stripe.Billing.CreditGrant);
    expect(txns.map((t) => t.id)).toEqual(['cbtxn_1', 'cbtxn_0']);
    const customer = (await stripe.customers.retrieve('cus_2', {}, { stripeAccount: ACCT })) as Stripe.Customer;
    const balance = await listChildren(stripe, ACCT, 'customers', customer);
    expect(balance.map((t) => t.id)).toEqual(['cbt_0']);
  });

  it('retries rate-limited list pages with backoff', async () => {
    putInvoices(12); // the newest has 12 lines, so its lines are paged
    fake.inject({ status: 429, count: 1, path: /^\/v1\/invoices$/, rateLimitedReason: 'endpoint-concurrency' });
    fake.inject({ status: 500, count: 1, path: /\/lines$/ });
    const got = await collect(listInvoices(stripe, ACCT, { sleep: fakeSleep, random: () => 1 - Number.EPSILON }));
    expect(got).toHaveLength(12);
    expect(got[0]!.lines.data).toHaveLength(12);
    expect(sleeps).toEqual([250, 500]); // endpoint-concurrency base, then the 5xx base
    expect(fake.requests.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([429, 500]);
  });

  it('refuses a page size outside 1..100', async () => {
    await expect(collect(listInvoices(stripe, ACCT, { pageSize: 101 }))).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });
});

function creditGrant(id: string, created: number): StripeObject {
  return {
    id,
    object: 'billing.credit_grant',
    amount: { monetary: { currency: 'usd', value: 1000 }, type: 'monetary' },
    category: 'paid',
    created,
    customer: id === 'credgr_3' ? 'cus_3' : 'cus_2',
    effective_at: created,
    expires_at: null,
    metadata: {},
    voided_at: null,
  };
}

function creditTxn(id: string, grant: string, created: number): StripeObject {
  return {
    id,
    object: 'billing.credit_balance_transaction',
    created,
    credit: null,
    credit_grant: grant,
    debit: {
      amount: { monetary: { currency: 'usd', value: 100 }, type: 'monetary' },
      credits_applied: { invoice: 'in_1', invoice_line_item: 'il_1' },
      type: 'credits_applied',
    },
    effective_at: created,
    type: 'debit',
  };
}
