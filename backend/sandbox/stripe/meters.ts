/**
 * Billing meters in the Stripe fake: `GET /v1/billing/meters[/{id}]` and
 * `GET /v1/billing/meters/{id}/event_summaries`, computed from the meter events the fake holds
 * (objects `billing.meter_event`, each loaded with an `id`, as Stripe never serves them back).
 * A summary aggregates the meter's events of one customer over `[start_time, end_time)` (both
 * aligned to minutes, as Stripe requires), in one window or by `value_grouping_window` (`day`,
 * `hour`), newest window first like Stripe's lists, a page at a time (`limit`, `starting_after`,
 * `ending_before`). An unknown meter answers Stripe's `resource_missing` envelope.
 */
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import { AccrueError } from '../../../shared/errors.ts';
import type { StripeObject, StripeReader } from '../../stripe/reader.ts';
import { invalid, invalidInteger, noSuch, unknownParameter } from './errors.ts';
import { listCollection, retrieve } from './listing.ts';
import { parseLimit, type Params } from './params.ts';
import type { StripeObjectStore } from './store.ts';

const SUMMARY_PARAMS = new Set([
  'customer',
  'start_time',
  'end_time',
  'value_grouping_window',
  'limit',
  'starting_after',
  'ending_before',
  'expand',
]);
const WINDOW_SECONDS: Readonly<Record<string, number>> = { hour: 3_600, day: 86_400 };

/** Answers `/v1/billing/meters…`, or returns undefined when the path is not a meter route. */
export function meterRoute(
  store: StripeObjectStore,
  segments: readonly string[],
  params: Params,
  path: string,
  account: string,
): unknown {
  const [, billing, meters, id, sub, ...extra] = segments;
  if (billing !== 'billing' || meters !== 'meters' || extra.length > 0) return undefined;
  if (id === undefined) return listCollection(store, account, 'billing.meter', params, path);
  if (sub === undefined) return retrieve(store, account, 'billing.meter', id, params);
  if (sub === 'event_summaries') return summaryPage(store, account, id, params, path);
  return undefined;
}

function instant(params: Params, name: string): number {
  const text = params[name];
  if (text === undefined) throw invalid(`Missing required param: ${name}.`, 'parameter_missing', name);
  if (typeof text !== 'string' || !/^\d+$/.test(text)) throw invalidInteger(String(text), name);
  const value = Number(text);
  if (value % 60 !== 0)
    throw invalid(`${name} must be aligned with minute boundaries.`, 'parameter_invalid_integer', name);
  return value;
}

/** The meter's summaries for one customer and window, every one (the reader's view, no paging). */
export function meterSummaries(
  store: StripeObjectStore,
  account: string,
  meterId: string,
  customer: string,
  start: number,
  end: number,
  grouping?: string,
): StripeObject[] {
  const meter = store.get(account, 'billing.meter', meterId);
  if (!meter) throw noSuch('billing.meter', meterId, 'id', 404);
  const settings = meter as unknown as Stripe.Billing.Meter;
  const customerKey = settings.customer_mapping?.event_payload_key ?? 'stripe_customer_id';
  const valueKey = settings.value_settings?.event_payload_key ?? 'value';
  const formula = settings.default_aggregation?.formula ?? 'sum';
  const step = grouping ? WINDOW_SECONDS[grouping]! : end - start;
  const out: StripeObject[] = [];
  for (let from = start; from < end; from += step) {
    const to = Math.min(end, from + step);
    const events = store
      .peekList(account, 'billing.meter_event')
      .filter((e) => e.event_name === settings.event_name)
      .filter((e) => (e.payload as Record<string, unknown> | undefined)?.[customerKey] === customer)
      .filter((e) => Number(e.timestamp) >= from && Number(e.timestamp) < to)
      .sort((a, b) => Number(a.timestamp) - Number(b.timestamp));
    const values = events.map((e) => Number((e.payload as Record<string, unknown>)[valueKey] ?? 0));
    const value =
      formula === 'count'
        ? values.length
        : formula === 'last'
          ? (values.at(-1) ?? 0)
          : values.reduce((a, b) => a + b, 0);
    const digest = createHash('sha256').update(`${meterId}:${customer}:${from}:${to}`).digest('hex').slice(0, 24);
    out.push({
      id: `mtrusg_${digest}`,
      object: 'billing.meter_event_summary',
      aggregated_value: value,
      end_time: to,
      livemode: false,
      meter: meterId,
      start_time: from,
    });
  }
  return out.reverse();
}

function summaryPage(
  store: StripeObjectStore,
  account: string,
  meterId: string,
  params: Params,
  url: string,
): Record<string, unknown> {
  for (const key of Object.keys(params)) if (!SUMMARY_PARAMS.has(key)) throw unknownParameter(key);
  if (!store.get(account, 'billing.meter', meterId)) throw noSuch('billing.meter', meterId, 'id', 404);
  const customer = params.customer;
  if (typeof customer !== 'string' || customer === '')
    throw invalid('Missing required param: customer.', 'parameter_missing', 'customer');
  const start = instant(params, 'start_time');
  const end = instant(params, 'end_time');
  if (end <= start) throw invalid('end_time must be after start_time.', 'parameter_invalid_integer', 'end_time');
  const grouping = params.value_grouping_window;
  if (grouping !== undefined && (typeof grouping !== 'string' || !(grouping in WINDOW_SECONDS)))
    throw invalid('Invalid value_grouping_window', 'parameter_invalid_string', 'value_grouping_window');
  const all = meterSummaries(store, account, meterId, customer, start, end, grouping as string | undefined);
  const limit = parseLimit(params.limit);
  const position = (id: unknown, param: string): number => {
    const i = all.findIndex((s) => s.id === id);
    if (i < 0) throw noSuch('billing.meter_event_summary', String(id), param, 400);
    return i;
  };
  let rest = all;
  if (params.starting_after !== undefined && params.ending_before !== undefined)
    throw invalid(
      'You may only specify one of these parameters: ending_before, starting_after.',
      'parameters_exclusive',
      'ending_before',
    );
  if (params.starting_after !== undefined) rest = all.slice(position(params.starting_after, 'starting_after') + 1);
  if (params.ending_before !== undefined) {
    const before = all.slice(0, position(params.ending_before, 'ending_before'));
    rest = before.slice(Math.max(0, before.length - limit));
    return { object: 'list', data: rest, has_more: before.length > limit, url };
  }
  return { object: 'list', data: rest.slice(0, limit), has_more: rest.length > limit, url };
}

/** The store reader's meter reads: the same answers as the routes, `not_found` for an unknown meter or price. */
export function storeMeterReads(
  store: StripeObjectStore,
  account: string,
): Required<Pick<StripeReader, 'getPrice' | 'getMeter' | 'meterEventSummaries'>> {
  const missing = (type: string, id: string): AccrueError =>
    new AccrueError('not_found', `Stripe ${type} ${id} was not found in account ${account}`, {
      stripe_status: 404,
      stripe_code: 'resource_missing',
      account,
    });
  const must = (type: string, id: string): StripeObject => {
    const found = store.get(account, type, id);
    if (!found) throw missing(type, id);
    return found;
  };
  return {
    getPrice: async (id) => must('price', id) as unknown as Stripe.Price,
    getMeter: async (id) => must('billing.meter', id) as unknown as Stripe.Billing.Meter,
    meterEventSummaries: async (meter, customer, start, end) => {
      must('billing.meter', meter);
      return meterSummaries(
        store,
        account,
        meter,
        customer,
        start,
        end,
      ) as unknown as Stripe.Billing.MeterEventSummary[];
    },
  };
}
