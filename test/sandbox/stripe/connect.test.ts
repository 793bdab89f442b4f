// The Stripe fake's Connect resources through the real `stripe` client: application fees with their
// refunds, transfers with their reversals, and destination charges — list and retrieve, cursor
// pagination, the embedded first page of refunds and reversals, expand, filters, and Stripe's
// error envelope for a missing object or a child of another parent.
import Stripe from 'stripe';
import { createStripeClient } from '../../../backend/stripe/client.ts';
import * as fx from '../../../backend/sandbox/stripe/fixtures.ts';
import { startStripeFake, type StripeFake } from '../../../backend/sandbox/stripe/server.ts';

const KEY = 'sk_test_connect_fake_0001';
const PLATFORM = 'acct_1Platform00000000';
const SHOP = 'acct_1ConnectedShop000';
const T0 = 1_760_000_000;

let fake: StripeFake;
let stripe: Stripe;
const opts = { stripeAccount: PLATFORM };

beforeEach(async () => {
  fx.resetIds();
  fake = await startStripeFake({ apiKey: KEY });
  stripe = createStripeClient({ secretKey: KEY, apiBase: fake.url });
});
afterEach(async () => {
  await fake.close();
});

function putSet(spec: Partial<Parameters<typeof fx.destinationChargeSet>[0]> = {}): fx.DestinationChargeSet {
  const set = fx.destinationChargeSet({
    amount: 5000,
    applicationFeeAmount: 1000,
    destination: SHOP,
    customer: 'cus_1',
    created: T0,
    ...spec,
  });
  for (const o of set.all) fake.put(PLATFORM, o);
  return set;
}

describe('destination charges', () => {
  it('carry transfer_data, application_fee_amount, on_behalf_of, and expand to their fee and transfer', async () => {
    const set = putSet({ onBehalfOf: true });
    const charge = await stripe.charges.retrieve(set.charge.id, { expand: ['application_fee', 'transfer'] }, opts);
    expect(charge.transfer_data).toEqual({ amount: null, destination: SHOP });
    expect(charge.application_fee_amount).toBe(1000);
    expect(charge.on_behalf_of).toBe(SHOP);
    expect((charge.application_fee as Stripe.ApplicationFee).id).toBe(set.applicationFee.id);
    expect((charge.transfer as Stripe.Transfer).source_transaction).toBe(charge.id);
  });

  it('lets a charge without a transfer take expand[]=transfer, as Stripe does', async () => {
    const plain = fx.charge({
      amount: 100,
      customer: 'cus_1',
      created: T0,
      paymentIntent: null,
      balanceTransaction: null,
    });
    fake.put(PLATFORM, plain);
    const charge = await stripe.charges.retrieve(plain.id, { expand: ['transfer'] }, opts);
    expect(charge.transfer).toBeUndefined();
  });
});

describe('application fees', () => {
  it('lists newest first with cursors, filters by charge, and embeds the refunds', async () => {
    const sets = [0, 1, 2].map((i) => putSet({ created: T0 + i * 60, feeRefundAmount: i === 2 ? 300 : undefined }));
    const ids = sets.map((s) => s.applicationFee.id).reverse();
    const p1 = await stripe.applicationFees.list({ limit: 2 }, opts);
    expect(p1.url).toBe('/v1/application_fees');
    expect(p1.data.map((f) => f.id)).toEqual(ids.slice(0, 2));
    expect(p1.has_more).toBe(true);
    const p2 = await stripe.applicationFees.list({ limit: 2, starting_after: p1.data[1]!.id }, opts);
    expect(p2.data.map((f) => f.id)).toEqual(ids.slice(2));
    expect(p2.has_more).toBe(false);

    const byCharge = await stripe.applicationFees.list({ charge: sets[0]!.applicationFee.charge as string }, opts);
    expect(byCharge.data.map((f) => f.id)).toEqual([sets[0]!.applicationFee.id]);

    const fee = p1.data[0]!;
    expect(fee.amount_refunded).toBe(300);
    expect(fee.refunds.data.map((r) => r.amount)).toEqual([300]);
    expect(fee.refunds.url).toBe(`/v1/application_fees/${fee.id}/refunds`);
  });

  it('lists and retrieves refunds under their fee, and not under another', async () => {
    const a = putSet({ feeRefundAmount: 200 });
    const b = putSet({ created: T0 + 60 });
    const refundId = (a.applicationFee.refunds as { data: { id: string }[] }).data[0]!.id;
    const list = await stripe.applicationFees.listRefunds(a.applicationFee.id, {}, opts);
    expect(list.data.map((r) => [r.object, r.id, r.fee])).toEqual([['fee_refund', refundId, a.applicationFee.id]]);
    const one = await stripe.applicationFees.retrieveRefund(a.applicationFee.id, refundId, {}, opts);
    expect(one.amount).toBe(200);
    const err = await stripe.applicationFees
      .retrieveRefund(b.applicationFee.id, refundId, {}, opts)
      .catch((e: unknown) => e as Stripe.errors.StripeError);
    expect(err).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it("answers a missing fee with Stripe's 404 envelope", async () => {
    const err = await stripe.applicationFees.retrieve('fee_missing', {}, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      message: "No such application_fee: 'fee_missing'",
    });
    const listErr = await stripe.applicationFees.listRefunds('fee_missing', {}, opts).catch((e: unknown) => e);
    expect(listErr).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });
});

describe('transfers', () => {
  it('lists by destination and transfer group, and embeds the first page of reversals', async () => {
    const a = putSet({ reversalAmount: 1500 });
    putSet({ created: T0 + 60, destination: 'acct_1OtherShop0000000' });
    const toShop = await stripe.transfers.list({ destination: SHOP }, opts);
    expect(toShop.data.map((t) => t.id)).toEqual([a.transfer.id]);
    const grouped = await stripe.transfers.list({ transfer_group: a.transfer.transfer_group as string }, opts);
    expect(grouped.data.map((t) => t.id)).toEqual([a.transfer.id]);
    const transfer = await stripe.transfers.retrieve(a.transfer.id, {}, opts);
    expect(transfer).toMatchObject({ amount: 5000, amount_reversed: 1500, reversed: false, destination: SHOP });
    expect(transfer.reversals.data.map((r) => r.amount)).toEqual([1500]);
  });

  it('pages reversals under their transfer, with has_more on the embedded list past 10', async () => {
    const set = putSet();
    const reversals = Array.from({ length: 12 }, (_, i) =>
      fx.transferReversal({ transfer: set.transfer.id, amount: 10, created: T0 + i * 60 }),
    );
    for (const r of reversals) fake.put(PLATFORM, r);
    const transfer = await stripe.transfers.retrieve(set.transfer.id, {}, opts);
    expect(transfer.reversals.data).toHaveLength(10);
    expect(transfer.reversals.has_more).toBe(true);
    const newestFirst = reversals.map((r) => r.id).reverse();
    const p1 = await stripe.transfers.listReversals(set.transfer.id, { limit: 5 }, opts);
    expect(p1.data.map((r) => r.id)).toEqual(newestFirst.slice(0, 5));
    const p2 = await stripe.transfers.listReversals(
      set.transfer.id,
      { limit: 100, starting_after: p1.data[4]!.id },
      opts,
    );
    expect(p2.data.map((r) => r.id)).toEqual(newestFirst.slice(5));
    const one = await stripe.transfers.retrieveReversal(set.transfer.id, reversals[0]!.id, {}, opts);
    expect(one.transfer).toBe(set.transfer.id);
  });

  it('refuses unknown list parameters and unknown cursors as Stripe does', async () => {
    putSet();
    const bogus = await stripe.transfers
      .list({ bogus: 'x' } as Stripe.TransferListParams, opts)
      .catch((e: unknown) => e);
    expect(bogus).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'bogus' });
    const cursor = await stripe.transfers.list({ starting_after: 'tr_missing' }, opts).catch((e: unknown) => e);
    expect(cursor).toMatchObject({ statusCode: 400, code: 'resource_missing' });
  });
});

describe("a charge's refunds", () => {
  it('are null unless expanded, then the first page of refunds, and page under the charge', async () => {
    const c = fx.charge({
      amount: 5000,
      customer: 'cus_1',
      created: T0,
      paymentIntent: null,
      balanceTransaction: null,
    });
    fake.put(PLATFORM, c);
    const refunds = Array.from({ length: 11 }, (_, i) =>
      fx.refund({ amount: 10, charge: c.id, paymentIntent: null, created: T0 + i * 60, balanceTransaction: null }),
    );
    for (const r of refunds) fake.put(PLATFORM, r);
    const newestFirst = refunds.map((r) => r.id).reverse();
    expect((await stripe.charges.retrieve(c.id, {}, opts)).refunds).toBeNull();
    const expanded = await stripe.charges.retrieve(c.id, { expand: ['refunds'] }, opts);
    expect(expanded.refunds!.data.map((r) => r.id)).toEqual(newestFirst.slice(0, 10));
    expect(expanded.refunds!.has_more).toBe(true);
    expect(expanded.refunds!.url).toBe(`/v1/charges/${c.id}/refunds`);
    const listed = await stripe.charges.list({ expand: ['data.refunds'] }, opts);
    expect(listed.data[0]!.refunds!.data).toHaveLength(10);
    const rest = await fetch(`${fake.url}/v1/charges/${c.id}/refunds?starting_after=${newestFirst[9]!}`, {
      headers: { Authorization: `Bearer ${KEY}`, 'Stripe-Account': PLATFORM },
    });
    expect(((await rest.json()) as { data: { id: string }[] }).data.map((r) => r.id)).toEqual(newestFirst.slice(10));
  });
});
