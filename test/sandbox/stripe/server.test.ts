// Proves the Stripe fake behaves like the real API for the real `stripe` client: API-key checks,
// per-account scoping (another account's object is a 404 resource_missing), Stripe's error envelope,
// list pagination with cursors and `created` filters, paged invoice lines, invoice-payment filters,
// expand, replay loading precedence, and injected 429/5xx faults with their headers.
import Stripe from 'stripe';
import { createStripeClient } from '../../../backend/stripe/client.ts';
import { type StripeObject } from '../../../backend/stripe/reader.ts';
import { createMemoryReader } from '../../../backend/sandbox/stripe/store.ts';
import { startStripeFake, parseStripeParams, type StripeFake } from '../../../backend/sandbox/stripe/server.ts';
import * as fx from '../../../backend/sandbox/stripe/fixtures.ts';

const KEY = 'sk_test_fake_key_123456';
const ACCT_A = 'acct_A000000000000001';
const ACCT_B = 'acct_B000000000000002';
const T0 = 1_760_000_000;

let fake: StripeFake;
let stripe: Stripe;

beforeEach(async () => {
  fx.resetIds();
  fake = await startStripeFake({ apiKey: KEY });
  stripe = createStripeClient({ secretKey: KEY, apiBase: fake.url });
});
afterEach(async () => {
  await fake.close();
});

async function rawGet(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${fake.url}${path}`, { headers: { Authorization: `Bearer ${KEY}`, ...headers } });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

function lineSpecs(n: number): fx.LineSpec[] {
  return Array.from({ length: n }, (_, i) => ({ amount: 100 * (i + 1), period: { start: T0, end: T0 + 30 * 86_400 } }));
}

describe('authentication', () => {
  it('refuses a request without an API key with a 401 envelope', async () => {
    const res = await fetch(`${fake.url}/v1/charges`);
    const body = (await res.json()) as any;
    expect(res.status).toBe(401);
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/did not provide an API key/);
  });

  it('maps a wrong key to StripeAuthenticationError in the real client', async () => {
    const wrong = createStripeClient({ secretKey: 'sk_test_wrong_key_0000', apiBase: fake.url });
    await expect(wrong.charges.list({}, { stripeAccount: ACCT_A })).rejects.toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
    expect(fake.requests.at(-1)?.status).toBe(401);
  });
});

describe('account scoping and the error envelope', () => {
  it("answers 404 resource_missing for another account's invoice", async () => {
    const inv = fx.invoice({ customer: 'cus_1', created: T0, lines: lineSpecs(2) });
    fake.put(ACCT_A, inv);

    const own = await stripe.invoices.retrieve(inv.id, {}, { stripeAccount: ACCT_A });
    expect(own.id).toBe(inv.id);

    const err = await stripe.invoices.retrieve(inv.id, {}, { stripeAccount: ACCT_B }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    const se = err as InstanceType<typeof Stripe.errors.StripeError>;
    expect(se.statusCode).toBe(404);
    expect(se.code).toBe('resource_missing');
    expect(se.message).toBe(`No such invoice: '${inv.id}'`);
    expect(fake.requests.map((r) => [r.account, r.status])).toEqual([
      [ACCT_A, 200],
      [ACCT_B, 404],
    ]);
  });

  it('renders the full envelope: type, code, message, param, doc_url, request_log_url', async () => {
    const res = await rawGet('/v1/charges/ch_missing', { 'Stripe-Account': ACCT_A });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'resource_missing',
        message: "No such charge: 'ch_missing'",
        param: 'id',
        doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
        request_log_url: expect.stringMatching(/^https:\/\/dashboard\.stripe\.com\/test\/logs\/req_/),
      },
    });
    expect(res.headers.get('request-id')).toMatch(/^req_/);
  });

  it('echoes Stripe-Version and answers unknown URLs with 404', async () => {
    const res = await rawGet('/v1/charges?limit=1', { 'Stripe-Version': '2026-10-28.endive' });
    expect(res.headers.get('stripe-version')).toBe('2026-10-28.endive');
    const unknown = await rawGet('/v1/nonsense');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/Unrecognized request URL \(GET: \/v1\/nonsense\)/);
  });

  it('rejects unknown parameters with parameter_unknown', async () => {
    const err = await stripe.charges
      .list({ bogus: 'x' } as Stripe.ChargeListParams, { stripeAccount: ACCT_A })
      .catch((e: unknown) => e);
    expect((err as any).statusCode).toBe(400);
    expect((err as any).code).toBe('parameter_unknown');
    expect((err as any).param).toBe('bogus');
  });
});

describe('list pagination', () => {
  function putCharges(n: number): string[] {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const c = fx.charge({
        amount: 1000 + i,
        customer: 'cus_1',
        created: T0 + i * 60,
        paymentIntent: null,
        balanceTransaction: null,
      });
      fake.put(ACCT_A, c);
      ids.push(c.id);
    }
    return ids.reverse(); // newest first, as Stripe lists
  }

  it('pages newest-first with has_more, url and object list, forwards and backwards', async () => {
    const ids = putCharges(25);
    const opts = { stripeAccount: ACCT_A };
    const p1 = await stripe.charges.list({}, opts);
    expect(p1.object).toBe('list');
    expect(p1.url).toBe('/v1/charges');
    expect(p1.data.map((c) => c.id)).toEqual(ids.slice(0, 10)); // default limit 10
    expect(p1.has_more).toBe(true);

    const p2 = await stripe.charges.list({ limit: 10, starting_after: p1.data[9]!.id }, opts);
    expect(p2.data.map((c) => c.id)).toEqual(ids.slice(10, 20));
    const p3 = await stripe.charges.list({ limit: 10, starting_after: p2.data[9]!.id }, opts);
    expect(p3.data.map((c) => c.id)).toEqual(ids.slice(20));
    expect(p3.has_more).toBe(false);

    const back = await stripe.charges.list({ limit: 5, ending_before: p3.data[0]!.id }, opts);
    expect(back.data.map((c) => c.id)).toEqual(ids.slice(15, 20));
    expect(back.has_more).toBe(true);

    const all = await stripe.charges.list({ limit: 7 }, opts).autoPagingToArray({ limit: 100 });
    expect(all.map((c) => c.id)).toEqual(ids);
  });

  it('rejects a limit outside 1..100 or not an integer with parameter_invalid_integer', async () => {
    putCharges(1);
    for (const limit of ['0', '101', 'abc']) {
      const res = await rawGet(`/v1/charges?limit=${limit}`, { 'Stripe-Account': ACCT_A });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('parameter_invalid_integer');
      expect(res.body.error.param).toBe('limit');
    }
    expect((await rawGet('/v1/charges?limit=100', { 'Stripe-Account': ACCT_A })).status).toBe(200);
  });

  it('rejects an unknown cursor with 400 resource_missing, and both cursors at once', async () => {
    putCharges(3);
    const err = await stripe.charges
      .list({ starting_after: 'ch_nope' }, { stripeAccount: ACCT_A })
      .catch((e: unknown) => e);
    expect((err as any).statusCode).toBe(400);
    expect((err as any).code).toBe('resource_missing');
    expect((err as any).param).toBe('starting_after');

    const both = await rawGet('/v1/charges?starting_after=a&ending_before=b', { 'Stripe-Account': ACCT_A });
    expect(both.status).toBe(400);
    expect(both.body.error.code).toBe('parameters_exclusive');
  });

  it('applies created[gte] and created[lt]', async () => {
    const ids = putCharges(10); // created T0 .. T0+540
    const page = await stripe.charges.list(
      { created: { gte: T0 + 120, lt: T0 + 300 }, limit: 100 },
      { stripeAccount: ACCT_A },
    );
    // T0+120, +180, +240 → indexes 2,3,4 oldest-first → newest-first slice of `ids`.
    expect(page.data.map((c) => c.id)).toEqual(ids.slice(5, 8));
  });

  it('scopes lists by account', async () => {
    putCharges(3);
    const other = await stripe.charges.list({}, { stripeAccount: ACCT_B });
    expect(other.data).toEqual([]);
    expect(other.has_more).toBe(false);
  });
});

describe('documents with many lines', () => {
  it('embeds only the first 10 invoice lines and serves the rest from /v1/invoices/:id/lines', async () => {
    const inv = fx.invoice({ customer: 'cus_1', created: T0, lines: lineSpecs(23) });
    fake.put(ACCT_A, inv);
    const allIds = (inv.lines as { data: { id: string }[] }).data.map((l) => l.id);
    const opts = { stripeAccount: ACCT_A };

    const got = await stripe.invoices.retrieve(inv.id, {}, opts);
    expect(got.lines.data.map((l) => l.id)).toEqual(allIds.slice(0, 10));
    expect(got.lines.has_more).toBe(true);
    expect(got.lines.url).toBe(`/v1/invoices/${inv.id}/lines`);

    const rest = await stripe.invoices.listLineItems(inv.id, { limit: 100, starting_after: allIds[9]! }, opts);
    expect(rest.data.map((l) => l.id)).toEqual(allIds.slice(10));
    expect(rest.has_more).toBe(false);
    // The SDK turns decimal strings into Stripe.Decimal for this endpoint.
    expect(rest.data[0]!.quantity_decimal?.toString()).toBe('1');

    const bad = await stripe.invoices
      .listLineItems(inv.id, { starting_after: 'il_nope' }, opts)
      .catch((e: unknown) => e);
    expect((bad as any).code).toBe('resource_missing');
  });

  it('pages credit note lines the same way', async () => {
    const cn = fx.creditNote({
      invoice: 'in_x',
      customer: 'cus_1',
      created: T0,
      lines: Array.from({ length: 12 }, (_, i) => ({ amount: 10 + i })),
    });
    fake.put(ACCT_A, cn);
    const got = await stripe.creditNotes.retrieve(cn.id, {}, { stripeAccount: ACCT_A });
    expect(got.lines.data).toHaveLength(10);
    expect(got.lines.has_more).toBe(true);
    const rest = await stripe.creditNotes.listLineItems(
      cn.id,
      { starting_after: got.lines.data[9]!.id },
      { stripeAccount: ACCT_A },
    );
    expect(rest.data.map((l) => l.amount)).toEqual([20, 21]);
  });
});

describe('invoice payments, customer balance transactions and expand', () => {
  it('filters invoice payments by invoice and by payment[type]/payment[payment_intent]/payment[charge]', async () => {
    const a = fx.invoicePayment({ invoice: 'in_1', amount: 100, created: T0, paymentIntent: 'pi_1' });
    const b = fx.invoicePayment({ invoice: 'in_2', amount: 200, created: T0 + 1, paymentIntent: 'pi_2' });
    const c = fx.invoicePayment({ invoice: 'in_2', amount: 300, created: T0 + 2, charge: 'ch_3' });
    for (const p of [a, b, c]) fake.put(ACCT_A, p);
    const opts = { stripeAccount: ACCT_A };

    expect((await stripe.invoicePayments.list({ invoice: 'in_2' }, opts)).data.map((p) => p.id)).toEqual([c.id, b.id]);
    const byPi = await stripe.invoicePayments.list(
      { payment: { type: 'payment_intent', payment_intent: 'pi_1' } },
      opts,
    );
    expect(byPi.data.map((p) => p.id)).toEqual([a.id]);
    const byCharge = await rawGet('/v1/invoice_payments?payment[type]=charge&payment[charge]=ch_3', {
      'Stripe-Account': ACCT_A,
    });
    expect(byCharge.body.data.map((p: { id: string }) => p.id)).toEqual([c.id]);

    const missingType = await rawGet('/v1/invoice_payments?payment[payment_intent]=pi_1', { 'Stripe-Account': ACCT_A });
    expect(missingType.status).toBe(400);
    expect(missingType.body.error.code).toBe('parameter_missing');
  });

  it("serves a customer's balance transaction only under that customer", async () => {
    fake.put(ACCT_A, fx.customer({ id: 'cus_1', created: T0 }));
    fake.put(ACCT_A, fx.customer({ id: 'cus_2', created: T0 }));
    const txn = fx.customerBalanceTransaction({
      customer: 'cus_1',
      amount: -500,
      created: T0,
      type: 'applied_to_invoice',
      endingBalance: 0,
    });
    fake.put(ACCT_A, txn);
    const got = await stripe.customers.retrieveBalanceTransaction('cus_1', txn.id, {}, { stripeAccount: ACCT_A });
    expect(got.amount).toBe(-500);
    const wrong = await stripe.customers
      .retrieveBalanceTransaction('cus_2', txn.id, {}, { stripeAccount: ACCT_A })
      .catch((e: unknown) => e);
    expect((wrong as any).statusCode).toBe(404);
    const list = await stripe.customers.listBalanceTransactions('cus_1', {}, { stripeAccount: ACCT_A });
    expect(list.data.map((t) => t.id)).toEqual([txn.id]);
  });

  it('expands data.balance_transaction on lists and balance_transaction on retrieve', async () => {
    const bt = fx.balanceTransaction({ amount: 1000, fee: 59, created: T0, type: 'charge', source: 'ch_1' });
    const ch = fx.charge({
      id: 'ch_1',
      amount: 1000,
      customer: 'cus_1',
      created: T0,
      paymentIntent: null,
      balanceTransaction: bt.id,
    });
    fake.put(ACCT_A, bt);
    fake.put(ACCT_A, ch);
    const opts = { stripeAccount: ACCT_A };
    const list = await stripe.charges.list({ expand: ['data.balance_transaction'] }, opts);
    expect((list.data[0]!.balance_transaction as Stripe.BalanceTransaction).fee).toBe(59);
    const one = await stripe.charges.retrieve('ch_1', { expand: ['balance_transaction'] }, opts);
    expect((one.balance_transaction as Stripe.BalanceTransaction).net).toBe(941);
    const plain = await stripe.charges.retrieve('ch_1', {}, opts);
    expect(plain.balance_transaction).toBe(bt.id);
  });

  it('expands a field the type has but an object leaves out, and refuses one the type does not have', async () => {
    const failBt = fx.balanceTransaction({
      amount: 300,
      created: T0 + 60,
      type: 'refund_failure',
      source: 're_failed',
    });
    fake.put(ACCT_A, failBt);
    fake.put(
      ACCT_A,
      fx.refund({
        id: 're_ok',
        amount: 100,
        charge: 'ch_1',
        paymentIntent: null,
        created: T0,
        balanceTransaction: null,
      }),
    );
    fake.put(
      ACCT_A,
      fx.refund(
        {
          id: 're_failed',
          amount: 300,
          charge: 'ch_1',
          paymentIntent: null,
          created: T0 + 1,
          balanceTransaction: null,
        },
        { status: 'failed', failure_balance_transaction: failBt.id },
      ),
    );
    const opts = { stripeAccount: ACCT_A };
    const list = await stripe.refunds.list({ expand: ['data.failure_balance_transaction'] }, opts);
    const byId = new Map(list.data.map((r) => [r.id, r]));
    expect((byId.get('re_failed')!.failure_balance_transaction as Stripe.BalanceTransaction).amount).toBe(300);
    expect('failure_balance_transaction' in byId.get('re_ok')!).toBe(false);
    const bad = await stripe.refunds.list({ expand: ['data.no_such_field'] }, opts).catch((e: unknown) => e);
    expect((bad as { statusCode?: number }).statusCode).toBe(400);
  });
});

describe('replay loading', () => {
  it('stores event snapshots, lets later snapshots win and explicit objects win over all', async () => {
    const v1 = fx.invoice({ id: 'in_replay', customer: 'cus_1', created: T0, lines: lineSpecs(1), status: 'open' });
    const v2 = { ...v1, status: 'paid' };
    const other = fx.charge({
      id: 'ch_explicit',
      amount: 5,
      customer: 'cus_1',
      created: T0,
      paymentIntent: null,
      balanceTransaction: null,
    });
    const staleCharge = { ...other, amount: 999 };
    fake.load(
      [
        fx.event({ type: 'invoice.finalized', created: T0, account: ACCT_B, object: v1 }),
        fx.event({ type: 'invoice.paid', created: T0 + 10, account: ACCT_B, object: v2 }),
        other,
        fx.event({ type: 'charge.succeeded', created: T0 + 20, object: staleCharge }),
      ],
      ACCT_A,
    );
    expect((await stripe.invoices.retrieve('in_replay', {}, { stripeAccount: ACCT_B })).status).toBe('paid');
    expect((await stripe.charges.retrieve('ch_explicit', {}, { stripeAccount: ACCT_A })).amount).toBe(5);
    const events = await stripe.events.list({ type: 'invoice.paid' }, { stripeAccount: ACCT_B });
    expect(events.data.map((e) => e.type)).toEqual(['invoice.paid']);
  });
});

describe('documents known from first-page snapshots', () => {
  function firstPageSnapshot(id: string): { full: StripeObject; snapshot: StripeObject; lines: StripeObject[] } {
    const full = fx.invoice({ id, customer: 'cus_1', created: T0, lines: lineSpecs(12) });
    const lines = (full.lines as { data: StripeObject[] }).data;
    const snapshot = {
      ...full,
      lines: { object: 'list', data: lines.slice(0, 10), has_more: true, url: `/v1/invoices/${id}/lines` },
    };
    return { full, snapshot, lines };
  }

  it('completes the lines from separately given line_item objects', async () => {
    const { snapshot, lines } = firstPageSnapshot('in_snap');
    fake.load([fx.event({ type: 'invoice.finalized', created: T0, object: snapshot }), ...lines.slice(10)], ACCT_A);
    const rest = await stripe.invoices.listLineItems(
      'in_snap',
      { starting_after: lines[9]!.id },
      { stripeAccount: ACCT_A },
    );
    expect(rest.data.map((l) => l.id)).toEqual(lines.slice(10).map((l) => l.id));
    const memory = createMemoryReader([
      fx.event({ type: 'invoice.finalized', created: T0, object: snapshot }),
      ...lines.slice(10),
    ]);
    expect((await memory.getInvoice('in_snap')).lines.data).toHaveLength(12);
  });

  it('refuses to pass off a first page as the whole invoice', async () => {
    const { snapshot } = firstPageSnapshot('in_short');
    const replay = [fx.event({ type: 'invoice.finalized', created: T0, object: snapshot })];
    fake.load(replay, ACCT_A);
    const got = await stripe.invoices.retrieve('in_short', {}, { stripeAccount: ACCT_A });
    expect(got.lines.has_more).toBe(true);
    const res = await rawGet('/v1/invoices/in_short/lines', { 'Stripe-Account': ACCT_A });
    expect(res.status).toBe(500);
    expect(res.body.error.message).toMatch(/first-page snapshot/);
    await expect(createMemoryReader(replay).getInvoice('in_short')).rejects.toMatchObject({ code: 'internal' });
  });
});

describe('injected faults', () => {
  it('answers 429 with Stripe-Rate-Limited-Reason for the given count, then recovers', async () => {
    fake.inject({ status: 429, count: 2, path: /^\/v1\/charges/, rateLimitedReason: 'endpoint-rate' });
    const first = await rawGet('/v1/charges', { 'Stripe-Account': ACCT_A });
    expect(first.status).toBe(429);
    expect(first.headers.get('stripe-rate-limited-reason')).toBe('endpoint-rate');
    expect(first.body.error.code).toBe('rate_limit');
    const other = await rawGet('/v1/refunds', { 'Stripe-Account': ACCT_A });
    expect(other.status).toBe(200); // path-scoped
    const err = await stripe.charges.list({}, { stripeAccount: ACCT_A }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect((await rawGet('/v1/charges', { 'Stripe-Account': ACCT_A })).status).toBe(200);
  });

  it('answers 500 and 503 with api_error', async () => {
    fake.inject({ status: 500, count: 1 });
    fake.inject({ status: 503, count: 1 });
    const a = await rawGet('/v1/charges');
    const b = await rawGet('/v1/charges');
    expect([a.status, b.status]).toEqual([500, 503]);
    expect(a.body.error.type).toBe('api_error');
    expect((await rawGet('/v1/charges')).status).toBe(200);
  });
});

describe('parameter encoding', () => {
  it('parses nested brackets and both array notations', () => {
    expect(
      parseStripeParams('created[gte]=5&expand[0]=a&expand[1]=b&payment[type]=charge&types[]=x&types[]=y&limit=3'),
    ).toEqual({
      created: { gte: '5' },
      expand: ['a', 'b'],
      payment: { type: 'charge' },
      types: ['x', 'y'],
      limit: '3',
    });
  });
});
