// Proves the StripeReader over the real `stripe` client and the fake: every call carries the
// connected account, invoice and credit-note lines are paged in full, 429s back off by their
// Stripe-Rate-Limited-Reason and 5xx/network errors retry (with a fake sleep) while other 4xx fail at
// once, missing objects are `not_found`, results are memoised per reader, and the in-memory reader
// gives exactly the same answers as the HTTP reader on the same objects.
import Stripe from 'stripe';
import { AccrueError } from '../../../shared/errors.ts';
import { createStripeClient, parseApiBase } from '../../../backend/stripe/client.ts';
import {
  createStripeReader,
  retryDelayMs,
  RATE_LIMIT_BASE_DELAY_MS,
  STRIPE_ATTEMPTS_MAX,
  STRIPE_RETRY_BASE_DELAY_MS,
  STRIPE_RETRY_MAX_DELAY_MS,
  type StripeReader,
} from '../../../backend/stripe/reader.ts';
import { createMemoryReader } from '../../../backend/sandbox/stripe/store.ts';
import type { StripeObject } from '../../../backend/stripe/reader.ts';
import { startStripeFake, type StripeFake } from '../../../backend/sandbox/stripe/server.ts';
import * as fx from '../../../backend/sandbox/stripe/fixtures.ts';

const KEY = 'sk_test_reader_key_123456';
const ACCT = 'acct_R000000000000001';
const T0 = 1_760_000_000;

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

/** A small consistent world: an invoice of 23 lines paid by a PI, a refund, a 12-line credit note, … */
function world(): StripeObject[] {
  const lines = Array.from({ length: 23 }, (_, i) => ({
    amount: 1000 + i,
    period: { start: T0, end: T0 + 30 * 86_400 },
    quantity: 2,
    unitAmountDecimal: `${(1000 + i) / 2}`,
  }));
  const inv = fx.invoice({ id: 'in_big', customer: 'cus_1', created: T0, lines, subscription: 'sub_1' });
  const btCharge = fx.balanceTransaction({
    id: 'txn_ch',
    amount: 23_253,
    fee: 705,
    created: T0,
    type: 'charge',
    source: 'ch_1',
  });
  const pi = fx.paymentIntent({ id: 'pi_1', amount: 23_253, customer: 'cus_1', created: T0, latestCharge: 'ch_1' });
  const ch = fx.charge({
    id: 'ch_1',
    amount: 23_253,
    customer: 'cus_1',
    created: T0,
    paymentIntent: 'pi_1',
    balanceTransaction: 'txn_ch',
    amountRefunded: 500,
  });
  const openAttempt = fx.invoicePayment({
    id: 'inpay_open',
    invoice: 'in_big',
    amount: 23_253,
    created: T0 + 5,
    paymentIntent: 'pi_1',
    status: 'open',
    isDefault: false,
  });
  const paid = fx.invoicePayment({
    id: 'inpay_paid',
    invoice: 'in_big',
    amount: 23_253,
    created: T0 + 1,
    paymentIntent: 'pi_1',
  });
  const legacyCharge = fx.charge({
    id: 'ch_legacy',
    amount: 700,
    customer: 'cus_1',
    created: T0 + 2,
    paymentIntent: null,
    balanceTransaction: null,
  });
  const legacyPayment = fx.invoicePayment({
    id: 'inpay_legacy',
    invoice: 'in_other',
    amount: 700,
    created: T0 + 2,
    charge: 'ch_legacy',
  });
  const btRefund = fx.balanceTransaction({
    id: 'txn_re',
    amount: -500,
    created: T0 + 100,
    type: 'refund',
    source: 're_1',
  });
  const re = fx.refund({
    id: 're_1',
    amount: 500,
    charge: 'ch_1',
    paymentIntent: 'pi_1',
    created: T0 + 100,
    balanceTransaction: 'txn_re',
  });
  const cn = fx.creditNote({
    id: 'cn_1',
    invoice: 'in_big',
    customer: 'cus_1',
    created: T0 + 100,
    lines: Array.from({ length: 12 }, (_, i) => ({ amount: 10 + i, quantity: 1 })),
    refunds: [{ refund: 're_1', amount_refunded: 500 }],
  });
  const withdrawal = fx.balanceTransaction({
    id: 'txn_dp',
    amount: -23_253,
    fee: 1500,
    created: T0 + 200,
    type: 'adjustment',
    source: 'dp_1',
  });
  const dp = fx.dispute({
    id: 'dp_1',
    amount: 23_253,
    charge: 'ch_1',
    paymentIntent: 'pi_1',
    created: T0 + 200,
    status: 'lost',
    balanceTransactions: [withdrawal],
  });
  const btPayout = fx.balanceTransaction({
    id: 'txn_po',
    amount: -20_000,
    created: T0 + 300,
    type: 'payout',
    source: 'po_1',
  });
  const po = fx.payout({ id: 'po_1', amount: 20_000, created: T0 + 300, balanceTransaction: 'txn_po' });
  const ii = fx.invoiceItem({
    id: 'ii_1',
    amount: 5000,
    customer: 'cus_1',
    invoice: 'in_big',
    date: T0,
    period: { start: T0, end: T0 },
  });
  const cus = fx.customer({ id: 'cus_1', created: T0 - 1000 });
  const cbt = fx.customerBalanceTransaction({
    id: 'cbtxn_1',
    customer: 'cus_1',
    amount: -300,
    created: T0,
    type: 'applied_to_invoice',
    invoice: 'in_big',
    endingBalance: 0,
  });
  return [
    inv,
    btCharge,
    pi,
    ch,
    openAttempt,
    paid,
    legacyCharge,
    legacyPayment,
    btRefund,
    re,
    cn,
    withdrawal,
    dp,
    btPayout,
    po,
    ii,
    cus,
    cbt,
  ];
}

function loadWorld(): StripeObject[] {
  const objects = world();
  for (const o of objects) fake.put(ACCT, o);
  return objects;
}

function httpReader(opts: Parameters<typeof createStripeReader>[2] = {}): StripeReader {
  return createStripeReader(stripe, ACCT, { sleep: fakeSleep, random: () => 0.5, ...opts });
}

describe('createStripeClient', () => {
  it('splits STRIPE_API_BASE into host, port and protocol', () => {
    expect(parseApiBase('http://127.0.0.1:1234')).toEqual({ host: '127.0.0.1', port: 1234, protocol: 'http' });
    expect(parseApiBase('https://api.stripe.com')).toEqual({ host: 'api.stripe.com', port: 443, protocol: 'https' });
    expect(() => parseApiBase('ftp://x')).toThrow(AccrueError);
    expect(() => parseApiBase('http://x/prefix')).toThrow(/path/);
  });

  it('refuses to build a client without a key', () => {
    expect(() => createStripeClient({ secretKey: '' })).toThrow(expect.objectContaining({ code: 'not_configured' }));
  });

  it('pins the API version on every request', async () => {
    fake.put(ACCT, fx.customer({ id: 'cus_v', created: T0 }));
    const seen: (string | undefined)[] = [];
    stripe.on('request', (e: { api_version?: string }) => seen.push(e.api_version));
    await stripe.customers.retrieve('cus_v', {}, { stripeAccount: ACCT });
    expect(seen).toEqual(['2026-10-28.endive']);
  });
});

describe('the HTTP reader', () => {
  it('pages all 23 invoice lines, carrying Stripe-Account on every request', async () => {
    loadWorld();
    const inv = await httpReader().getInvoice('in_big');
    expect(inv.lines.data).toHaveLength(23);
    expect(inv.lines.has_more).toBe(false);
    expect(inv.lines.data.map((l) => l.amount)).toEqual(Array.from({ length: 23 }, (_, i) => 1000 + i));
    expect(inv.lines.data[22]!.quantity_decimal?.toString()).toBe('2');
    expect(fake.requests.map((r) => r.path)).toEqual(['/v1/invoices/in_big', '/v1/invoices/in_big/lines']);
    expect(fake.requests.every((r) => r.account === ACCT)).toBe(true);
  });

  it("lists an invoice's credit notes once, and reading one of them then costs no request", async () => {
    loadWorld();
    const reader = httpReader();
    expect(await reader.creditNotesOfInvoice('in_big')).toEqual(['cn_1']);
    expect(await reader.creditNotesOfInvoice('in_big')).toEqual(['cn_1']);
    expect(await reader.creditNotesOfInvoice('in_other')).toEqual([]);
    const note = await reader.getCreditNote('cn_1');
    expect(note.lines.data).toHaveLength(12);
    // The note's remaining lines are paged as soon as it is listed.
    expect(fake.requests.map((r) => `${r.path} ${new URLSearchParams(r.query).get('invoice') ?? ''}`).sort()).toEqual([
      '/v1/credit_notes in_big',
      '/v1/credit_notes in_other',
      '/v1/credit_notes/cn_1/lines ',
    ]);
    expect(await createMemoryReader(world()).creditNotesOfInvoice('in_other')).toEqual([]);
  });

  it('pages credit note lines in full', async () => {
    loadWorld();
    const cn = await httpReader().getCreditNote('cn_1');
    expect(cn.lines.data.map((l) => l.amount)).toEqual(Array.from({ length: 12 }, (_, i) => 10 + i));
    expect(cn.lines.has_more).toBe(false);
  });

  it('finds the paid invoice payment by payment intent and by charge', async () => {
    loadWorld();
    const reader = httpReader();
    expect((await reader.findInvoicePaymentByPaymentIntent('pi_1'))?.id).toBe('inpay_paid');
    expect((await reader.findInvoicePaymentByCharge('ch_1'))?.id).toBe('inpay_paid');
    expect((await reader.findInvoicePaymentByCharge('ch_legacy'))?.id).toBe('inpay_legacy');
    expect(await reader.findInvoicePaymentByPaymentIntent('pi_none')).toBeNull();
    expect((await reader.listInvoicePayments('in_big')).map((p) => p.id)).toEqual(['inpay_open', 'inpay_paid']);
  });

  it('returns null for a null balance transaction without a request', async () => {
    expect(await httpReader().getBalanceTransaction(null)).toBeNull();
    expect(fake.requests).toHaveLength(0);
  });

  it('memoises objects within one reader', async () => {
    loadWorld();
    const reader = httpReader();
    const a = await reader.getCharge('ch_1');
    const b = await reader.getCharge('ch_1');
    expect(b).toBe(a);
    expect(fake.requests.filter((r) => r.path === '/v1/charges/ch_1')).toHaveLength(1);
  });

  it("maps a missing (or another account's) object to not_found without retrying", async () => {
    loadWorld();
    const other = createStripeReader(stripe, 'acct_other', { sleep: fakeSleep });
    const err = await other.getInvoice('in_big').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccrueError);
    expect((err as AccrueError).code).toBe('not_found');
    expect((err as AccrueError).details).toMatchObject({
      stripe_code: 'resource_missing',
      stripe_status: 404,
      attempts: 1,
    });
    expect(fake.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does not retry other 4xx errors', async () => {
    const wrongKey = createStripeReader(
      createStripeClient({ secretKey: 'sk_test_wrong_0000000', apiBase: fake.url }),
      ACCT,
      { sleep: fakeSleep },
    );
    const err = await wrongKey.getCharge('ch_1').catch((e: unknown) => e);
    expect((err as AccrueError).code).toBe('unauthorized');
    expect(fake.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

describe('retries', () => {
  it('backs off on 429 by the Stripe-Rate-Limited-Reason and then succeeds', async () => {
    loadWorld();
    fake.inject({ status: 429, count: 2, path: /\/v1\/charges\//, rateLimitedReason: 'resource-specific' });
    const ch = await httpReader().getCharge('ch_1');
    expect(ch.id).toBe('ch_1');
    const base = RATE_LIMIT_BASE_DELAY_MS['resource-specific']!;
    // random 0.5 → three quarters of the exponential delay.
    expect(sleeps).toEqual([base * 0.75, base * 2 * 0.75]);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it('waits less for a concurrency limit than for a rate limit', () => {
    const half = () => 0.5;
    expect(retryDelayMs(1, 'global-concurrency', half)).toBeLessThan(retryDelayMs(1, 'global-rate', half));
    expect(retryDelayMs(1, 'endpoint-rate', half)).toBeLessThan(retryDelayMs(1, 'resource-specific', half));
  });

  it('keeps jitter within [half, full] of the capped exponential delay', () => {
    expect(retryDelayMs(1, null, () => 0)).toBe(STRIPE_RETRY_BASE_DELAY_MS / 2);
    expect(retryDelayMs(1, null, () => 0.999999)).toBe(STRIPE_RETRY_BASE_DELAY_MS);
    expect(retryDelayMs(30, null, () => 0.999999)).toBe(STRIPE_RETRY_MAX_DELAY_MS);
  });

  it('recovers from a burst of 500s on the lines endpoint mid-paging', async () => {
    loadWorld();
    fake.inject({ status: 500, count: 3, path: /\/lines$/ });
    const inv = await httpReader().getInvoice('in_big');
    expect(inv.lines.data).toHaveLength(23);
    expect(sleeps).toEqual([375, 750, 1500]);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 500, 500, 500, 200]);
  });

  it('gives up after maxAttempts with upstream_unavailable', async () => {
    loadWorld();
    fake.inject({ status: 503, count: 10 });
    const err = await httpReader()
      .getPayout('po_1')
      .catch((e: unknown) => e);
    expect((err as AccrueError).code).toBe('upstream_unavailable');
    expect((err as AccrueError).details).toMatchObject({ attempts: STRIPE_ATTEMPTS_MAX, stripe_status: 503 });
    expect(fake.requests).toHaveLength(STRIPE_ATTEMPTS_MAX);
    expect(sleeps).toHaveLength(STRIPE_ATTEMPTS_MAX - 1);
  });

  it('gives up on persistent 429 with rate_limited', async () => {
    loadWorld();
    fake.inject({ status: 429, count: 10, rateLimitedReason: 'global-rate' });
    const err = await httpReader({ maxAttempts: 3 })
      .getRefund('re_1')
      .catch((e: unknown) => e);
    expect((err as AccrueError).code).toBe('rate_limited');
    expect(fake.requests).toHaveLength(3);
  });

  it('retries network errors', async () => {
    const closed = await startStripeFake({ apiKey: KEY });
    const deadUrl = closed.url;
    await closed.close();
    const reader = createStripeReader(createStripeClient({ secretKey: KEY, apiBase: deadUrl }), ACCT, {
      sleep: fakeSleep,
      random: () => 0,
      maxAttempts: 3,
    });
    const err = await reader.getCharge('ch_1').catch((e: unknown) => e);
    expect((err as AccrueError).code).toBe('upstream_unavailable');
    expect(sleeps).toEqual([250, 500]);
  });
});

describe('createMemoryReader', () => {
  it('answers exactly like the HTTP reader on the same objects', async () => {
    const objects = loadWorld();
    const http = httpReader();
    const memory = createMemoryReader(objects);
    const calls: [string, (r: StripeReader) => Promise<unknown>][] = [
      ['getInvoice', (r) => r.getInvoice('in_big')],
      ['listInvoicePayments', (r) => r.listInvoicePayments('in_big')],
      ['findInvoicePaymentByPaymentIntent', (r) => r.findInvoicePaymentByPaymentIntent('pi_1')],
      ['findInvoicePaymentByCharge', (r) => r.findInvoicePaymentByCharge('ch_legacy')],
      ['getCharge', (r) => r.getCharge('ch_1')],
      ['latestChargeOf', (r) => r.latestChargeOf('pi_1')],
      ['getRefund', (r) => r.getRefund('re_1')],
      ['getBalanceTransaction', (r) => r.getBalanceTransaction('txn_ch')],
      ['getCreditNote', (r) => r.getCreditNote('cn_1')],
      ['creditNotesOfInvoice', (r) => r.creditNotesOfInvoice('in_big')],
      ['getDispute', (r) => r.getDispute('dp_1')],
      ['getPayout', (r) => r.getPayout('po_1')],
      ['getInvoiceItem', (r) => r.getInvoiceItem('ii_1')],
      ['getCustomerBalanceTransaction', (r) => r.getCustomerBalanceTransaction('cus_1', 'cbtxn_1')],
      ['recentInvoicesOfCustomer', (r) => r.recentInvoicesOfCustomer('cus_1', T0 + 86_400)],
    ];
    for (const [name, call] of calls) {
      const [viaHttp, viaMemory] = [await call(http), await call(memory)];
      expect(viaMemory, name).toStrictEqual(viaHttp);
      expect(viaMemory, name).not.toBeNull();
    }
    // Decimal fields are real Stripe.Decimal values in both.
    const [h, m] = [await http.getInvoice('in_big'), await memory.getInvoice('in_big')];
    expect(Stripe.Decimal.from('2').eq(m.lines.data[0]!.quantity_decimal!)).toBe(true);
    expect(typeof h.lines.data[0]!.quantity_decimal).toBe(typeof m.lines.data[0]!.quantity_decimal);
  });

  it('fails the same way for missing objects', async () => {
    const objects = loadWorld();
    const memory = createMemoryReader(objects);
    for (const reader of [httpReader(), memory]) {
      await expect(reader.getDispute('dp_missing')).rejects.toMatchObject({ code: 'not_found' });
      await expect(reader.getCustomerBalanceTransaction('cus_other', 'cbtxn_1')).rejects.toMatchObject({
        code: 'not_found',
      });
    }
    expect(await memory.getBalanceTransaction(null)).toBeNull();
  });

  it('reads event snapshots, with explicit objects winning', async () => {
    const ch = fx.charge({
      id: 'ch_e',
      amount: 100,
      customer: 'cus_1',
      created: T0,
      paymentIntent: null,
      balanceTransaction: null,
    });
    const memory = createMemoryReader([
      fx.event({
        type: 'charge.refunded',
        created: T0 + 50,
        account: 'acct_x',
        object: { ...ch, amount_refunded: 100 },
      }),
      fx.event({ type: 'charge.succeeded', created: T0, account: 'acct_x', object: ch }),
    ]);
    expect((await memory.getCharge('ch_e')).amount_refunded).toBe(100);
    const explicit = createMemoryReader([
      { ...ch, amount: 1 },
      fx.event({ type: 'charge.succeeded', created: T0, object: ch }),
    ]);
    expect((await explicit.getCharge('ch_e')).amount).toBe(1);
  });
});
