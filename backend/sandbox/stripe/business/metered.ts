/**
 * Metered customers of the sample business: an API product billed in arrears on a billing meter
 * (`mtr_api_calls`, summing `api_call` events) at a graduated price (the first 10,000 calls at half
 * a cent, the rest at a quarter cent). Each customer gets Stripe's zero first invoice on signup,
 * then at each anniversary an invoice billing the month's calls (valued as the accrual values
 * them), paid an hour later. The meter events are kept as objects for the Stripe fake's event
 * summaries. Randomness comes from its own generator, so the rest of the business is unchanged.
 */
import { Decimal } from 'decimal.js';
import type Stripe from 'stripe';
import type { StripeObject } from '../../../stripe/reader.ts';
import { usageAmountMinor } from '../../../stripe/usage-accrual.ts';
import * as fx from '../fixtures.ts';
import { pay } from './payments.ts';
import { seededRandom } from './random.ts';
import { addMonths, DAY, HOUR, type CustomerState } from './shape.ts';
import type { Simulation } from './simulation.ts';

export const METERED_CUSTOMERS = 6;
export const METER_ID = 'mtr_api_calls';
export const METER_EVENT_NAME = 'api_call';
export const METERED_PRICE = 'price_api_calls_usd';
const METERED_PRODUCT = 'prod_ApiCalls';
/** Usage events per customer per billing month, and the calls each reports. */
const EVENTS_PER_MONTH = 6;
const CALLS_MIN = 200;
const CALLS_MAX = 4_000;

function catalogue(sim: Simulation): StripeObject {
  const at = sim.start - 30 * DAY;
  sim.keep(fx.product({ id: METERED_PRODUCT, name: 'API calls', created: at }));
  sim.keep({
    id: METER_ID,
    object: 'billing.meter',
    created: at,
    customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
    default_aggregation: { formula: 'sum' },
    display_name: 'API calls',
    event_name: METER_EVENT_NAME,
    event_time_window: null,
    livemode: false,
    status: 'active',
    status_transitions: { deactivated_at: null },
    updated: at,
    value_settings: { event_payload_key: 'value' },
  });
  const price = fx.price(
    { id: METERED_PRICE, product: METERED_PRODUCT, unitAmount: 0, created: at, interval: 'month' },
    {
      billing_scheme: 'tiered',
      recurring: {
        interval: 'month',
        interval_count: 1,
        meter: METER_ID,
        trial_period_days: null,
        usage_type: 'metered',
      },
      tiers_mode: 'graduated',
      tiers: [
        { flat_amount: null, flat_amount_decimal: null, unit_amount: null, unit_amount_decimal: '0.5', up_to: 10_000 },
        { flat_amount: null, flat_amount_decimal: null, unit_amount: null, unit_amount_decimal: '0.25', up_to: null },
      ],
      unit_amount: null,
      unit_amount_decimal: null,
    },
  );
  return sim.keep(price);
}

function customerState(sim: Simulation, i: number, signup: number): CustomerState {
  const cus = sim.keep(
    fx.customer({ id: sim.id('cus'), created: signup, currency: 'usd', name: `Metered Customer ${i + 1}` }),
  );
  return {
    id: cus.id,
    currency: 'usd',
    taxBps: 0,
    taxRate: null,
    plan: 'starter_monthly',
    sites: 1,
    subscription: sim.id('sub'),
    couponLeft: 0,
    setupFee: false,
    balance: 0,
    pendingItems: [],
    writeOff: false,
  };
}

/** One invoice of the metered line: finalized at `created`, paid an hour later (or at once when zero). */
function billUsage(
  sim: Simulation,
  c: CustomerState,
  amount: number,
  period: { start: number; end: number },
  created: number,
): void {
  const inv = sim.keep(
    fx.invoice({
      id: sim.id('in'),
      customer: c.id,
      currency: 'usd',
      created,
      status: 'open',
      subscription: c.subscription,
      billingReason: amount === 0 ? 'subscription_create' : 'subscription_cycle',
      lines: [
        {
          id: sim.id('il'),
          amount,
          currency: 'usd',
          description: 'API calls',
          price: METERED_PRICE,
          product: METERED_PRODUCT,
          period,
          subscription: c.subscription,
        },
      ],
    }),
  );
  inv.amount_due = amount;
  inv.amount_remaining = amount;
  inv.amount_paid = 0;
  (inv.status_transitions as Record<string, unknown>).paid_at = null;
  sim.emit('invoice.finalized', created, inv);
  const paidAt = amount === 0 ? created : created + HOUR;
  if (paidAt >= sim.end) return;
  if (amount > 0) pay(sim, inv, c, amount, paidAt);
  inv.status = 'paid';
  inv.amount_paid = amount;
  inv.amount_remaining = 0;
  (inv.status_transitions as Record<string, unknown>).paid_at = paidAt;
  sim.emit('invoice.paid', paidAt, inv);
  sim.count('metered_invoices');
}

/** Adds the metered customers, their meter events and their invoices to the simulation. */
export function simulateMeteredCustomers(sim: Simulation, count = METERED_CUSTOMERS): void {
  const rng = seededRandom(sim.start ^ 0x5eed_cafe);
  const price = catalogue(sim) as unknown as Stripe.Price;
  for (let i = 0; i < count; i++) {
    const signup = sim.start + rng.int(0, 60) * DAY + rng.int(0, 23) * HOUR;
    const c = customerState(sim, i, signup);
    sim.count('metered_customers');
    billUsage(sim, c, 0, { start: signup, end: addMonths(signup, 1) }, signup);
    for (let start = signup; start < sim.end; start = addMonths(start, 1)) {
      const end = addMonths(start, 1);
      let calls = 0;
      for (let k = 0; k < EVENTS_PER_MONTH; k++) {
        const at = start + rng.int(0, end - start - 1);
        if (at >= sim.end) continue;
        const value = rng.int(CALLS_MIN, CALLS_MAX);
        calls += value;
        const identifier = `mev_${c.id.slice(4)}_${start}_${k}`;
        sim.keep({
          id: identifier,
          object: 'billing.meter_event',
          created: at,
          event_name: METER_EVENT_NAME,
          identifier,
          livemode: false,
          payload: { stripe_customer_id: c.id, value: String(value) },
          timestamp: at,
        });
      }
      if (end >= sim.end) break;
      billUsage(sim, c, Number(usageAmountMinor(price, new Decimal(calls))), { start, end }, end);
    }
  }
}
