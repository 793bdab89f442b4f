/**
 * The customers: each signs up on a random day with a currency, a plan, maybe tax, a coupon and a
 * setup fee, then is billed period after period until it churns or the simulation ends, with
 * refunds, balance credits and mid-period plan changes along the way. The first two customers are
 * multi-site (more invoice lines than Stripe embeds); one customer's invoices are written off.
 */
import type { StripeObject } from '../../../stripe/reader.ts';
import * as fx from '../fixtures.ts';
import { bill, changePlan } from './billing.ts';
import { creditToBalance, refundInvoice } from './payments.ts';
import type { Simulation } from './simulation.ts';
import {
  addMonths,
  ANNUAL,
  ANNUAL_CHURN_PERCENT,
  BALANCE_CREDIT_PER_MILLE,
  CHURN_PER_MILLE,
  COUPON_INVOICES,
  COUPON_PERCENT,
  DAY,
  DOWNGRADE_PER_MILLE,
  EU_VAT_BPS,
  EUR_PERCENT,
  HOUR,
  JPY_PERCENT,
  MULTI_SITE_CUSTOMERS,
  MULTI_SITE_LINES,
  REFUND_PER_MILLE,
  UPGRADE_PER_MILLE,
  US_TAX_BPS,
  US_TAXED_PERCENT,
  type Currency,
  type CustomerState,
  type PlanKey,
} from './shape.ts';

/** A paid charge, a candidate for a dispute later. */
export interface PaidCharge {
  charge: StripeObject;
  c: CustomerState;
  at: number;
}

/** Draws the i-th customer and records its Stripe customer; returns its state and signup time. */
function signUp(sim: Simulation, i: number, writeOffIndex: number): { c: CustomerState; signup: number } {
  const { rng } = sim;
  const signup = sim.start + rng.int(0, sim.end - sim.start - 20 * DAY);
  const roll = rng.int(1, 100);
  const currency: Currency = roll <= JPY_PERCENT ? 'jpy' : roll <= JPY_PERCENT + EUR_PERCENT ? 'eur' : 'usd';
  const planRoll = rng.int(1, 100);
  const plan: PlanKey =
    planRoll <= 45
      ? 'starter_monthly'
      : planRoll <= 70
        ? 'pro_monthly'
        : planRoll <= 80
          ? 'starter_annual'
          : planRoll <= 90
            ? 'pro_annual'
            : 'bundle_monthly';
  const taxRate =
    currency === 'eur'
      ? 'txr_EU_VAT_20'
      : currency === 'usd' && rng.int(1, 100) <= US_TAXED_PERCENT
        ? 'txr_US_TX_825'
        : null;
  const multiSite = i < MULTI_SITE_CUSTOMERS;
  const cus = sim.keep(
    fx.customer({
      id: sim.id('cus'),
      created: signup,
      currency: multiSite ? 'usd' : currency,
      name: `Sample Customer ${i + 1}`,
    }),
  );
  sim.count(`customers_${multiSite ? 'usd' : currency}`);
  const c: CustomerState = {
    id: cus.id,
    currency: multiSite ? 'usd' : currency,
    taxBps: taxRate === 'txr_EU_VAT_20' ? EU_VAT_BPS : US_TAX_BPS,
    taxRate: multiSite ? null : taxRate,
    plan: multiSite ? 'pro_monthly' : plan,
    sites: multiSite ? MULTI_SITE_LINES : 1,
    subscription: sim.id('sub'),
    couponLeft: rng.int(1, 100) <= COUPON_PERCENT ? COUPON_INVOICES : 0,
    setupFee: (plan === 'pro_monthly' || plan === 'bundle_monthly' || plan === 'pro_annual') && rng.chance(300),
    balance: 0,
    pendingItems: [],
    writeOff: i === writeOffIndex,
  };
  if (c.plan === 'bundle_monthly') sim.count('bundle_customers');
  return { c, signup };
}

/** After a paid invoice: sometimes a refund (maybe with a credit note), else sometimes a balance credit. */
function afterPayment(sim: Simulation, c: CustomerState, inv: StripeObject, charge: StripeObject): void {
  const { rng } = sim;
  const untaxed = !c.taxRate && (inv.total_discount_amounts as unknown[]).length === 0;
  const refundAt = (charge.created as number) + rng.int(1, 10) * DAY;
  const creditAt = (charge.created as number) + rng.int(1, 5) * DAY;
  if (rng.chance(REFUND_PER_MILLE)) {
    const withNote = untaxed && rng.chance(500);
    if (refundAt < sim.end) refundInvoice(sim, inv, charge, c, refundAt, withNote);
  } else if (untaxed && rng.chance(BALANCE_CREDIT_PER_MILLE) && creditAt < sim.end) {
    creditToBalance(sim, inv, c, creditAt);
  }
}

/** Plan changes happen mid-period, for single-site monthly plans. */
function maybeChangePlan(sim: Simulation, c: CustomerState, periodStart: number, periodEnd: number): void {
  const { rng } = sim;
  const at = periodStart + rng.int(3, 25) * DAY + rng.int(0, 23) * HOUR;
  if (at >= periodEnd || at >= sim.end) return;
  if (c.plan === 'starter_monthly' && rng.chance(UPGRADE_PER_MILLE))
    changePlan(sim, c, 'pro_monthly', at, periodStart, periodEnd);
  else if (c.plan === 'pro_monthly' && rng.chance(DOWNGRADE_PER_MILLE))
    changePlan(sim, c, 'starter_monthly', at, periodStart, periodEnd);
}

/** Bills a customer period after period until it churns, is written off, or the simulation ends. */
function subscribe(sim: Simulation, c: CustomerState, signup: number, paidCharges: PaidCharge[]): void {
  let periodStart = signup;
  let first = true;
  while (periodStart < sim.end) {
    const interval = ANNUAL.has(c.plan) ? 12 : 1;
    const periodEnd = addMonths(periodStart, interval);
    const { inv, charge } = bill(sim, c, periodStart, periodEnd, first ? 'subscription_create' : 'subscription_cycle');
    first = false;
    if (c.writeOff) break; // the written-off customer's subscription is canceled
    if (charge) {
      paidCharges.push({ charge, c, at: charge.created as number });
      afterPayment(sim, c, inv, charge);
    }
    if (interval === 1 && c.sites === 1) maybeChangePlan(sim, c, periodStart, periodEnd);
    const churn = interval === 12 ? sim.rng.int(1, 100) <= ANNUAL_CHURN_PERCENT : sim.rng.chance(CHURN_PER_MILLE);
    if (churn && c.pendingItems.length === 0) {
      sim.count('churned');
      break;
    }
    periodStart = periodEnd;
  }
}

/** Simulates every customer in turn; returns their paid charges, oldest customer first. */
export function simulateCustomers(sim: Simulation, customersWanted: number): PaidCharge[] {
  const paidCharges: PaidCharge[] = [];
  const writeOffIndex = Math.min(customersWanted - 1, Math.max(0, Math.floor(customersWanted / 3)));
  for (let i = 0; i < customersWanted; i++) {
    const { c, signup } = signUp(sim, i, writeOffIndex);
    subscribe(sim, c, signup, paidCharges);
  }
  return paidCharges;
}
