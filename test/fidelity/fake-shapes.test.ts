// Stripe's own example objects as the yardstick for the Stripe fake: every object the fake serves
// (the sample business, and a platform's destination charges, application fees, fee refunds,
// transfers and reversals) has every field Stripe's example of its resource has, with the same JSON
// type or null, nested hashes included. The fields the fake serves beyond Stripe's examples are
// listed below (API-version additions), and a fake that drops a field fails the comparison.
import type Stripe from 'stripe';
import type { Fact } from '../../shared/engine/facts.ts';
import { collectFacts } from '../../backend/stripe/mapping.ts';
import { generateBusiness } from '../../backend/sandbox/stripe/business.ts';
import * as fx from '../../backend/sandbox/stripe/fixtures.ts';
import { COLLECTIONS } from '../../backend/sandbox/stripe/routes.ts';
import { PLATFORM_ACCOUNT, startStripeFake, type StripeFake } from '../../backend/sandbox/stripe/server.ts';
import { createMemoryReader, EMBEDDED_SUBLISTS } from '../../backend/sandbox/stripe/store.ts';
import {
  REFERENCE_PATH,
  driftFrom,
  driftOfObject,
  fieldsBeyondExample,
  loadExamples,
  referencePath,
  type Drift,
  type JsonObject,
} from './compare.ts';

const KEY = 'sk_test_fidelity_000000';
/** Where the meter summaries crawled start: the sample business's first day, 2025-05-01. */
const SUMMARY_START = 1_746_057_600;
const T0 = 1_760_000_000;
const present = referencePath() !== null;
if (!present) console.warn(`SKIPPED: Stripe's example objects are absent (expected at ${REFERENCE_PATH})`);

/**
 * Fields the fake serves that Stripe's examples (generated two months before API version
 * 2026-10-28.endive) do not have: each is in the stripe@23.1.0 types for endive.
 * - invoice.amount_paid_off_stripe: paid outside Stripe (endive's changelog adds it).
 * - dispute.intended_submission_method, dispute.network_reason_code: endive additions.
 * - charge.transfer: the transfer a destination charge made (an includable field the example omits).
 * - event.account, event.context: Connect events name the connected account.
 * - price.tiers: a tiered price's tiers (includable: Stripe serves them with `expand[]=tiers`).
 */
const BEYOND_EXAMPLES = [
  'charge.transfer',
  'dispute.intended_submission_method',
  'dispute.network_reason_code',
  'event.account',
  'event.context',
  'invoice.amount_paid_off_stripe',
  'price.tiers',
];

/** Resources the fake must serve at least once here, so no comparison is vacuous. */
const SERVED_TYPES = [
  'application_fee',
  'balance_transaction',
  'billing.credit_balance_transaction',
  'billing.credit_grant',
  'billing.meter',
  'billing.meter_event_summary',
  'charge',
  'credit_note',
  'credit_note_line_item',
  'customer',
  'customer_balance_transaction',
  'dispute',
  'event',
  'fee_refund',
  'invoice',
  'invoice_payment',
  'invoiceitem',
  'line_item',
  'payment_intent',
  'payout',
  'price',
  'product',
  'refund',
  'transfer',
  'transfer_reversal',
];

let fake: StripeFake;
let account: string;

async function get(path: string, acct: string): Promise<JsonObject> {
  const res = await fetch(`${fake.url}${path}`, {
    headers: { Authorization: `Bearer ${KEY}`, 'Stripe-Account': acct },
  });
  const body = (await res.json()) as JsonObject;
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Every item of a list endpoint, page by page through `starting_after`. */
async function listAll(path: string, acct: string): Promise<JsonObject[]> {
  const out: JsonObject[] = [];
  let after: string | null = null;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(`${path}${sep}limit=100${after ? `&starting_after=${after}` : ''}`, acct);
    const data = page.data as JsonObject[];
    out.push(...data);
    if (page.has_more !== true || data.length === 0) return out;
    after = data[data.length - 1]!.id as string;
  }
}

/** Everything an account's objects are served as: each collection, each document's lines, each parent's children. */
async function crawl(acct: string): Promise<JsonObject[]> {
  const served: JsonObject[] = [];
  for (const segment of Object.keys(COLLECTIONS)) {
    const items = await listAll(`/v1/${segment}`, acct);
    served.push(...items);
    for (const item of items) {
      const id = item.id as string;
      if (segment === 'invoices' || segment === 'credit_notes')
        served.push(...(await listAll(`/v1/${segment}/${id}/lines`, acct)));
      if (segment === 'customers') {
        served.push(...(await listAll(`/v1/customers/${id}/balance_transactions`, acct)));
        served.push(...(await listAll(`/v1/billing/credit_balance_transactions?customer=${id}`, acct)));
      }
      const sublist = EMBEDDED_SUBLISTS[item.object as string];
      if (sublist) served.push(...(await listAll(`/v1/${segment}/${id}/${sublist.field}`, acct)));
    }
  }
  served.push(...(await listAll('/v1/billing/credit_grants', acct)));
  // Billing meters, and each meter's event summaries for the metered customers over 400 days, by day.
  const meters = await listAll('/v1/billing/meters', acct);
  served.push(...meters);
  const customers = served
    .filter((o) => o.object === 'customer' && String(o.name).startsWith('Metered'))
    .map((o) => o.id as string);
  for (const meter of meters)
    for (const customer of customers) {
      const window = `customer=${customer}&start_time=${SUMMARY_START}&end_time=${SUMMARY_START + 400 * 86_400}&value_grouping_window=day`;
      const summaries = await listAll(`/v1/billing/meters/${meter.id as string}/event_summaries?${window}`, acct);
      served.push(...summaries.filter((s) => s.aggregated_value !== 0));
    }
  return served;
}

function summarize(drifts: Drift[]): string[] {
  const seen = new Map<string, number>();
  for (const d of drifts) {
    const key = `${d.path.replace(/\[\d+\]/g, '[]')}: ${d.problem} (${d.detail})`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].map(([k, n]) => `${k} ×${n}`).sort();
}

describe.skipIf(!present)("the Stripe fake against Stripe's own example objects", () => {
  let servedBusiness: JsonObject[];
  let servedPlatform: JsonObject[];

  beforeAll(async () => {
    fx.resetIds();
    const business = generateBusiness({ seed: 20_251_121, customers: 40 });
    account = business.account;
    fake = await startStripeFake({ apiKey: KEY });
    fake.load(business.replay, account);
    const customer = fx.customer({ created: T0 });
    const kept = fx.destinationChargeSet({
      amount: 5000,
      applicationFeeAmount: 1000,
      destination: 'acct_1ConnectedShop000',
      customer: customer.id,
      created: T0,
      onBehalfOf: true,
      feeRefundAmount: 400,
      reversalAmount: 1500,
    });
    const plain = fx.destinationChargeSet({
      amount: 2500,
      applicationFeeAmount: 250,
      destination: 'acct_1OtherShop0000000',
      customer: customer.id,
      created: T0 + 60,
    });
    const events = [
      fx.event({ type: 'charge.succeeded', created: T0, object: kept.charge }),
      fx.event({ type: 'application_fee.created', created: T0, object: kept.applicationFee }),
      fx.event({ type: 'application_fee.refunded', created: T0 + 86_400, object: kept.applicationFee }),
      fx.event({ type: 'transfer.created', created: T0, object: kept.transfer }),
      fx.event({ type: 'transfer.reversed', created: T0 + 86_400, object: kept.transfer }),
    ];
    for (const o of [customer, ...kept.all, ...plain.all, ...events]) fake.put(PLATFORM_ACCOUNT, o);
    servedBusiness = await crawl(account);
    servedPlatform = await crawl(PLATFORM_ACCOUNT);
  }, 120_000);
  afterAll(async () => {
    await fake?.close();
  });

  it('serves every resource this test covers', () => {
    const types = new Set([...servedBusiness, ...servedPlatform].map((o) => o.object as string));
    expect([...types].filter((t) => SERVED_TYPES.includes(t)).sort()).toEqual(SERVED_TYPES);
    for (const t of SERVED_TYPES) expect(loadExamples()[t], `Stripe has an example of ${t}`).toBeDefined();
  });

  it("gives every served object every field of Stripe's example, with the same JSON type or null", () => {
    const drifts = [...servedBusiness, ...servedPlatform].flatMap((o) => driftOfObject(o));
    expect(summarize(drifts)).toEqual([]);
  });

  it("serves beyond Stripe's examples only the listed API-version additions", () => {
    const beyond = new Set([...servedBusiness, ...servedPlatform].flatMap((o) => fieldsBeyondExample(o)));
    expect([...beyond].sort()).toEqual(BEYOND_EXAMPLES);
  });

  it('serves destination charges, application fees and transfers with their Connect fields', () => {
    const charge = servedPlatform.find((o) => o.object === 'charge' && o.on_behalf_of !== null)!;
    expect(charge.transfer_data).toEqual({ amount: null, destination: 'acct_1ConnectedShop000' });
    expect(charge.application_fee_amount).toBe(1000);
    const fee = servedPlatform.find((o) => o.id === charge.application_fee)!;
    expect(fee.object).toBe('application_fee');
    expect(fee.amount_refunded).toBe(400);
    expect((fee.refunds as JsonObject).data).toEqual([expect.objectContaining({ object: 'fee_refund', amount: 400 })]);
    const transfer = servedPlatform.find((o) => o.id === charge.transfer)!;
    expect(transfer).toMatchObject({
      object: 'transfer',
      amount: 5000,
      amount_reversed: 1500,
      source_transaction: charge.id,
    });
    expect((transfer.reversals as JsonObject).url).toBe(`/v1/transfers/${transfer.id as string}/reversals`);
  });

  it("serves meter event summaries a page at a time, and Stripe's error envelope for an unknown meter", async () => {
    const customer = servedBusiness.find((o) => o.object === 'customer' && String(o.name).startsWith('Metered'))!;
    const window = `customer=${customer.id as string}&start_time=${SUMMARY_START}&end_time=${SUMMARY_START + 400 * 86_400}`;
    const first = await get(
      `/v1/billing/meters/mtr_api_calls/event_summaries?${window}&value_grouping_window=day&limit=3`,
      account,
    );
    expect(first).toMatchObject({ object: 'list', has_more: true });
    const data = first.data as JsonObject[];
    expect(data).toHaveLength(3);
    const next = await get(
      `/v1/billing/meters/mtr_api_calls/event_summaries?${window}&value_grouping_window=day&limit=3&starting_after=${data[2]!.id as string}`,
      account,
    );
    expect((next.data as JsonObject[])[0]!.start_time).toBe((data[2]!.start_time as number) - 86_400);
    const whole = await get(`/v1/billing/meters/mtr_api_calls/event_summaries?${window}`, account);
    const byDay = await listAll(
      `/v1/billing/meters/mtr_api_calls/event_summaries?${window}&value_grouping_window=day`,
      account,
    );
    expect((whole.data as JsonObject[])[0]!.aggregated_value).toBe(
      byDay.reduce((sum, s) => sum + (s.aggregated_value as number), 0),
    );
    const res = await fetch(`${fake.url}/v1/billing/meters/mtr_nope/event_summaries?${window}`, {
      headers: { Authorization: `Bearer ${KEY}`, 'Stripe-Account': account },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      error: {
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'id',
        message: "No such billing.meter: 'mtr_nope'",
      },
    });
    const unaligned = await fetch(
      `${fake.url}/v1/billing/meters/mtr_api_calls/event_summaries?customer=${customer.id as string}&start_time=${SUMMARY_START + 1}&end_time=${SUMMARY_START + 86_400}`,
      { headers: { Authorization: `Bearer ${KEY}`, 'Stripe-Account': account } },
    );
    expect(unaligned.status).toBe(400);
  });

  it('serves Connect objects the mapping books: transfer, reversal, application fee and fee refund, with typed balance transactions', async () => {
    const charge = servedPlatform.find((o) => o.object === 'charge' && o.on_behalf_of !== null)!;
    const transfer = servedPlatform.find((o) => o.id === charge.transfer)!;
    const fee = servedPlatform.find((o) => o.id === charge.application_fee)!;
    const reader = createMemoryReader(servedPlatform);
    const facts: Fact[] = [];
    for (const [type, object] of [
      ['transfer.reversed', transfer],
      ['application_fee.refunded', fee],
    ] as const) {
      const mapped = await collectFacts(
        { id: `evt_${type}`, object: 'event', type, created: T0, data: { object } } as unknown as Stripe.Event,
        reader,
      );
      expect(mapped.exceptions).toEqual([]);
      facts.push(...mapped.facts);
    }
    const byType = (t: Fact['type']) => facts.filter((f) => f.type === t);
    expect(byType('transfer')).toEqual([
      expect.objectContaining({ destination: 'acct_1ConnectedShop000', amountMinor: 5000n, charge: charge.id }),
    ]);
    expect(byType('transfer_reversal')).toEqual([
      expect.objectContaining({ amountMinor: 1500n, transfer: transfer.id }),
    ]);
    expect(byType('application_fee')).toEqual([
      expect.objectContaining({ amountMinor: 1000n, originatingCharge: charge.id, originatingAmountMinor: 5000n }),
    ]);
    expect(byType('application_fee_refund')).toEqual([expect.objectContaining({ amountMinor: 400n })]);
    const bts = new Map(servedPlatform.filter((o) => o.object === 'balance_transaction').map((o) => [o.id, o]));
    const typeOf = (id: unknown) => bts.get(id as string)?.type;
    expect(typeOf(transfer.balance_transaction)).toBe('transfer');
    expect(typeOf(((transfer.reversals as JsonObject).data as JsonObject[])[0]!.balance_transaction)).toBe(
      'transfer_refund',
    );
    expect(typeOf(fee.balance_transaction)).toBe('application_fee');
    expect(typeOf(((fee.refunds as JsonObject).data as JsonObject[])[0]!.balance_transaction)).toBe(
      'application_fee_refund',
    );
  });

  describe('a fake that drifts fails', () => {
    it("flags each field of Stripe's example removed from a served object, for every resource", () => {
      const examples = loadExamples();
      const byType = new Map<string, JsonObject>();
      for (const o of [...servedBusiness, ...servedPlatform])
        if (!byType.has(o.object as string)) byType.set(o.object as string, o);
      let checked = 0;
      for (const [type, served] of byType) {
        expect(driftOfObject(served)).toEqual([]);
        for (const field of Object.keys(examples[type] ?? {})) {
          const mutated = structuredClone(served);
          delete mutated[field];
          expect(driftFrom(mutated, examples[type]!, type, examples), `${type} without ${field}`).toContainEqual(
            expect.objectContaining({ path: `${type}.${field}`, problem: 'missing' }),
          );
          checked += 1;
        }
      }
      expect(checked).toBeGreaterThan(300);
    });

    it('flags a nested field removed, and a value of another JSON type', () => {
      const invoice = servedBusiness.find((o) => o.object === 'invoice')!;
      const mutated = structuredClone(invoice);
      delete ((mutated.lines as JsonObject).data as JsonObject[])[0]!.period;
      mutated.amount_due = String(mutated.amount_due);
      expect(driftOfObject(mutated).map((d) => `${d.path} ${d.problem}`)).toEqual([
        'invoice.amount_due type',
        'invoice.lines.data[0].period missing',
      ]);
    });

    it('fails on an object the fake serves without a field (through HTTP)', async () => {
      const fee = servedPlatform.find((o) => o.object === 'application_fee')!;
      const broken = structuredClone(fee);
      delete broken.fee_source;
      delete broken.refunds;
      fake.put('acct_1DriftedAccount00', broken as never);
      const served = await crawl('acct_1DriftedAccount00');
      expect(summarize(served.flatMap((o) => driftOfObject(o)))).toEqual([
        "application_fee.fee_source: missing (Stripe's example has fee_source (object)) ×1",
      ]);
    });
  });
});
