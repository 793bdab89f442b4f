/**
 * A deterministic sample business for the demo and for simulation tests: about 300 customers over
 * 18 months of a SaaS selling monthly and annual plans (and a bundle), in `2026-10-28.endive`
 * shapes, with the ordered Stripe events a Connect webhook endpoint would have received.
 *
 * Everything comes from one seeded PRNG, so a seed reproduces the business exactly (`SEED=…` is
 * printed by `main`). It covers: mid-month starts, upgrades and downgrades with proration lines
 * (invoice items billed on the next invoice), a bundle product, setup fees, a coupon
 * (`discount_amounts`), exclusive tax (`taxes`, `total_taxes`), EUR and JPY customers whose balance
 * transactions carry `exchange_rate`, refunds, credit notes (refunded, and credited to the
 * customer balance then applied to the next invoice), a lost and a won dispute, a written-off
 * invoice, multi-site customers with more than 10 lines per invoice, and weekly payouts of the net
 * (after fees) balance.
 *
 * Run: `node bin/run-ts.js backend/sandbox/stripe/business.ts [seed] [out.jsonl]` (or `npx tsx …`).
 */
import { writeFileSync } from 'node:fs';
import { Decimal, currencyExponent } from '../../../shared/money.ts';
import type { StripeObject } from '../../stripe/reader.ts';
import type { TenantSettingsInput } from '../../../shared/settings.ts';
import * as fx from './fixtures.ts';

// ---------------------------------------------------------------------------------------------
// Shape of the business. Every number here is a choice for a readable demo, not a law.
// ---------------------------------------------------------------------------------------------

/** Default first day: 2025-05-01 00:00 UTC, so 18 months end on 2026-11-01. */
export const DEFAULT_START = 1_746_057_600;
const DAY = 86_400;
const HOUR = 3_600;

/** Guard on the size a caller may ask for: the demo loads everything into memory. */
const CUSTOMERS_MAX = 5_000;
const MONTHS_MAX = 60;

/** Share of customers billed in EUR and JPY (the rest in USD), in percent. */
const EUR_PERCENT = 12;
const JPY_PERCENT = 6;
/** Share of USD customers charged 8.25 % exclusive sales tax; EUR customers pay 20 % VAT. */
const US_TAXED_PERCENT = 35;
const US_TAX_BPS = 825;
const EU_VAT_BPS = 2_000;
/** Coupon: 25 % off the first three invoices, for this share of customers. */
const COUPON_PERCENT = 15;
const COUPON_OFF_PERCENT = 25;
const COUPON_INVOICES = 3;
/** Monthly chances, in per-mille, of a plan change and of churning. */
const UPGRADE_PER_MILLE = 25;
const DOWNGRADE_PER_MILLE = 12;
const CHURN_PER_MILLE = 20;
/** Share of annual customers who do not renew. */
const ANNUAL_CHURN_PERCENT = 20;
/** Per-mille of invoices whose first payment attempt fails (paid 3 days later). */
const PAYMENT_FAILURE_PER_MILLE = 25;
/** Per-mille of paid invoices refunded (half of them fully) and of ones credited to the balance. */
const REFUND_PER_MILLE = 20;
const BALANCE_CREDIT_PER_MILLE = 10;
/** Stripe's US card pricing: 2.9 % + 30 cents, on the settled USD amount. */
const FEE_BPS = 290;
const FEE_FIXED_MINOR = 30;
/** Dispute fee, withdrawn with the disputed amount and not returned when the dispute is won. */
const DISPUTE_FEE_MINOR = 1_500;
/** Sites on a multi-site customer: one invoice line each, more than Stripe embeds (10). */
const MULTI_SITE_LINES = 12;
const MULTI_SITE_CUSTOMERS = 2;

type Currency = 'usd' | 'eur' | 'jpy';
type PlanKey = 'starter_monthly' | 'pro_monthly' | 'starter_annual' | 'pro_annual' | 'bundle_monthly';

/** Unit prices in each currency's minor units (JPY has none). */
const PRICES: Record<PlanKey | 'setup_fee', Record<Currency, number>> = {
  starter_monthly: { usd: 2_900, eur: 2_700, jpy: 4_500 },
  pro_monthly: { usd: 9_900, eur: 9_200, jpy: 15_000 },
  starter_annual: { usd: 29_000, eur: 27_000, jpy: 45_000 },
  pro_annual: { usd: 99_000, eur: 92_000, jpy: 150_000 },
  bundle_monthly: { usd: 14_900, eur: 13_900, jpy: 22_000 },
  setup_fee: { usd: 5_000, eur: 4_600, jpy: 7_500 },
};
const PLAN_PRODUCT: Record<PlanKey | 'setup_fee', string> = {
  starter_monthly: 'prod_Starter',
  starter_annual: 'prod_Starter',
  pro_monthly: 'prod_Pro',
  pro_annual: 'prod_Pro',
  bundle_monthly: 'prod_ProSupportBundle',
  setup_fee: 'prod_SetupFee',
};
const ANNUAL: ReadonlySet<PlanKey> = new Set(['starter_annual', 'pro_annual']);

/** Mid-rates to USD per major unit at the start; they drift a little every day. */
const FX_START: Record<Exclude<Currency, 'usd'>, string> = { eur: '1.0800', jpy: '0.006700' };

// ---------------------------------------------------------------------------------------------
// Seeded randomness.
// ---------------------------------------------------------------------------------------------

/** A small 32-bit xorshift generator: deterministic across platforms and fast enough here. */
export function seededRandom(seed: number): { next(): number; int(lo: number, hi: number): number; chance(perMille: number): boolean } {
  let state = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
  return {
    next,
    /** Integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (perMille) => next() * 1000 < perMille,
  };
}

// ---------------------------------------------------------------------------------------------
// Output.
// ---------------------------------------------------------------------------------------------

export interface SampleBusiness {
  seed: number;
  account: string;
  /** First and last (exclusive) second of the simulated time. */
  start: number;
  end: number;
  /** Every object in its final state. */
  objects: StripeObject[];
  /** Every event, oldest first, each with `account` and a snapshot of its object at that time. */
  events: StripeObject[];
  /** `objects` then `events`: what `StripeFake.load` and `createMemoryReader` take. */
  replay: StripeObject[];
  /** Product rules that make the bundle and the setup fee meaningful to the engine. */
  suggestedSettings: TenantSettingsInput;
  /** Counts of the interesting cases, for tests and the demo's banner. */
  stats: Record<string, number>;
}

export interface BusinessOptions {
  seed?: number;
  customers?: number;
  months?: number;
  start?: number;
  account?: string;
}

// ---------------------------------------------------------------------------------------------
// The simulation.
// ---------------------------------------------------------------------------------------------

interface CustomerState {
  id: string;
  currency: Currency;
  taxBps: number;
  taxRate: string | null;
  plan: PlanKey;
  sites: number;
  subscription: string;
  couponLeft: number;
  setupFee: boolean;
  balance: number; // Stripe's sign: negative is credit the customer holds
  pendingItems: StripeObject[]; // proration invoice items waiting for the next invoice
  writeOff: boolean;
}

/** Adds `months` calendar months to a UTC timestamp, keeping day and time (clamped to month end). */
function addMonths(t: number, months: number): number {
  const d = new Date(t * 1000);
  const day = d.getUTCDate();
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return Math.floor(target.getTime() / 1000);
}

/**
 * Generates the business. Pure and deterministic for a given seed and options; the same call twice
 * gives byte-identical JSON.
 */
export function generateBusiness(options: BusinessOptions = {}): SampleBusiness {
  const seed = options.seed ?? 20_251_121;
  const customersWanted = options.customers ?? 300;
  const months = options.months ?? 18;
  if (customersWanted < 1 || customersWanted > CUSTOMERS_MAX) throw new Error(`customers must be 1..${CUSTOMERS_MAX}`);
  if (months < 1 || months > MONTHS_MAX) throw new Error(`months must be 1..${MONTHS_MAX}`);
  const start = options.start ?? DEFAULT_START;
  const end = addMonths(start, months);
  const account = options.account ?? 'acct_1SampleBusiness00';
  const rng = seededRandom(seed);

  const tag = (seed >>> 0).toString(36).padStart(7, '0').slice(-7);
  const counters = new Map<string, number>();
  const id = (prefix: string): string => {
    const n = (counters.get(prefix) ?? 0) + 1;
    counters.set(prefix, n);
    return `${prefix}_1${tag}${String(n).padStart(8, '0')}`;
  };

  const objects = new Map<string, StripeObject>();
  const keep = (o: StripeObject): StripeObject => {
    objects.set(o.id, o);
    return o;
  };
  const events: { created: number; seq: number; event: StripeObject }[] = [];
  let eventSeq = 0;
  const emit = (type: string, created: number, object: StripeObject, previousAttributes?: Record<string, unknown>): void => {
    if (created >= end) return;
    const event = fx.event({ id: id('evt'), type, created, account, object, ...(previousAttributes ? { previousAttributes } : {}) });
    events.push({ created, seq: eventSeq++, event });
  };
  const stats: Record<string, number> = {};
  const count = (key: string, n = 1): void => {
    stats[key] = (stats[key] ?? 0) + n;
  };

  // FX: a daily random walk of at most ±0.3 % a day, in Decimal.
  const fxCache = new Map<string, Decimal>();
  const fxDays = Math.ceil((end - start) / DAY) + 400;
  const fxPaths: Record<'eur' | 'jpy', Decimal[]> = { eur: [], jpy: [] };
  for (const cur of ['eur', 'jpy'] as const) {
    let r = new Decimal(FX_START[cur]);
    for (let d = 0; d < fxDays; d++) {
      fxPaths[cur].push(r);
      r = r.mul(new Decimal(1).plus(new Decimal(rng.int(-30, 30)).div(10_000)));
    }
  }
  const rateAt = (cur: Currency, t: number): Decimal => {
    if (cur === 'usd') return new Decimal(1);
    const day = Math.max(0, Math.floor((t - start) / DAY));
    const key = `${cur}:${day}`;
    let r = fxCache.get(key);
    if (!r) {
      r = (fxPaths[cur][Math.min(day, fxDays - 1)] ?? new Decimal(FX_START[cur])).toDecimalPlaces(6, Decimal.ROUND_HALF_UP);
      fxCache.set(key, r);
    }
    return r;
  };
  /** Settled USD minor units for an amount in `cur` minor units, rounded half up like Stripe. */
  const toUsdMinor = (amount: number, cur: Currency, rate: Decimal): number =>
    new Decimal(amount)
      .div(new Decimal(10).pow(currencyExponent(cur)))
      .mul(rate)
      .mul(100)
      .toDecimalPlaces(0, Decimal.ROUND_HALF_UP)
      .toNumber();
  const stripeFee = (usd: number): number => Math.floor((usd * FEE_BPS + 5_000) / 10_000) + FEE_FIXED_MINOR;

  // Catalogue.
  const catalogueAt = start - 30 * DAY;
  keep(fx.product({ id: 'prod_Starter', name: 'Starter', created: catalogueAt }));
  keep(fx.product({ id: 'prod_Pro', name: 'Pro', created: catalogueAt }));
  keep(fx.product({ id: 'prod_ProSupportBundle', name: 'Pro + Premium Support (bundle)', created: catalogueAt }, { metadata: { bundle: 'pro_license,premium_support' } }));
  keep(fx.product({ id: 'prod_SetupFee', name: 'Onboarding & setup', created: catalogueAt }));
  const priceId = (plan: PlanKey | 'setup_fee', cur: Currency): string => `price_${plan}_${cur}`;
  for (const plan of Object.keys(PRICES) as (PlanKey | 'setup_fee')[]) {
    for (const cur of ['usd', 'eur', 'jpy'] as const) {
      const interval = plan === 'setup_fee' ? null : ANNUAL.has(plan) ? 'year' : 'month';
      keep(fx.price({ id: priceId(plan, cur), product: PLAN_PRODUCT[plan], unitAmount: PRICES[plan][cur], currency: cur, created: catalogueAt, interval }));
    }
  }

  // Money movements that payouts sweep: USD balance transactions with their availability.
  const settled: { availableOn: number; net: number }[] = [];

  /** Charges an amount for an invoice: payment intent, charge, balance transaction, invoice payment. */
  function pay(inv: StripeObject, c: CustomerState, amount: number, at: number): StripeObject {
    const rate = rateAt(c.currency, at);
    const usd = toUsdMinor(amount, c.currency, rate);
    const fee = stripeFee(usd);
    const chId = id('ch');
    const piId = id('pi');
    const bt = keep(
      fx.balanceTransaction({
        id: id('txn'),
        amount: usd,
        fee,
        currency: 'usd',
        created: at,
        type: 'charge',
        source: chId,
        exchangeRate: c.currency === 'usd' ? null : rate.toNumber(),
      }),
    );
    settled.push({ availableOn: at + 2 * DAY, net: usd - fee });
    const ch = keep(fx.charge({ id: chId, amount, currency: c.currency, customer: c.id, created: at, paymentIntent: piId, balanceTransaction: bt.id }));
    const pi = keep(fx.paymentIntent({ id: piId, amount, currency: c.currency, customer: c.id, created: at, latestCharge: chId }));
    const ip = keep(fx.invoicePayment({ id: id('inpay'), invoice: inv.id, amount, currency: c.currency, created: at, paymentIntent: piId }));
    emit('payment_intent.succeeded', at, pi);
    emit('charge.succeeded', at, ch);
    emit('invoice_payment.paid', at, ip);
    count(`charges_${c.currency}`);
    return ch;
  }

  /** Refunds part or all of a paid invoice's charge, maybe with a credit note. */
  function refundInvoice(inv: StripeObject, ch: StripeObject, c: CustomerState, at: number, withCreditNote: boolean): void {
    const full = rng.chance(500);
    const chargeAmount = ch.amount as number;
    const amount = full ? chargeAmount : Math.floor(chargeAmount / 2);
    if (amount <= 0) return;
    const rate = rateAt(c.currency, at);
    const usd = toUsdMinor(amount, c.currency, rate);
    const reId = id('re');
    const bt = keep(fx.balanceTransaction({ id: id('txn'), amount: -usd, currency: 'usd', created: at, type: 'refund', source: reId, exchangeRate: c.currency === 'usd' ? null : rate.toNumber() }));
    settled.push({ availableOn: at, net: -usd });
    const re = keep(fx.refund({ id: reId, amount, currency: c.currency, charge: ch.id, paymentIntent: ch.payment_intent as string, created: at, balanceTransaction: bt.id }));
    ch.amount_refunded = (ch.amount_refunded as number) + amount;
    ch.refunded = (ch.amount_refunded as number) >= chargeAmount;
    emit('charge.refunded', at, ch);
    emit('refund.created', at, re);
    count(full ? 'refunds_full' : 'refunds_partial');
    if (!withCreditNote) return;
    // A credit note for the refund, against the invoice's first line (untaxed invoices only).
    const firstLine = (inv.lines as { data: StripeObject[] }).data[0];
    const cn = keep(
      fx.creditNote({
        id: id('cn'),
        invoice: inv.id,
        customer: c.id,
        currency: c.currency,
        created: at,
        lines: [{ id: id('cnli'), amount, ...(firstLine ? { invoiceLineItem: firstLine.id } : {}), description: 'Refund' }],
        type: 'post_payment',
        refunds: [{ refund: reId, amount_refunded: amount }],
      }),
    );
    inv.post_payment_credit_notes_amount = (inv.post_payment_credit_notes_amount as number) + amount;
    emit('credit_note.created', at, cn);
    count('credit_notes_refund');
  }

  /** Credits part of a paid invoice to the customer's balance (applied to their next invoice). */
  function creditToBalance(inv: StripeObject, c: CustomerState, at: number): void {
    const amount = Math.floor((inv.subtotal as number) / 5);
    if (amount <= 0) return;
    const cbtId = id('cbtxn');
    const cnId = id('cn');
    c.balance -= amount;
    keep(fx.customerBalanceTransaction({ id: cbtId, customer: c.id, amount: -amount, currency: c.currency, created: at, type: 'credit_note', creditNote: cnId, endingBalance: c.balance }));
    const firstLine = (inv.lines as { data: StripeObject[] }).data[0];
    const cn = keep(
      fx.creditNote({
        id: cnId,
        invoice: inv.id,
        customer: c.id,
        currency: c.currency,
        created: at,
        lines: [{ id: id('cnli'), amount, ...(firstLine ? { invoiceLineItem: firstLine.id } : {}), description: 'Service credit' }],
        type: 'post_payment',
        customerBalanceTransaction: cbtId,
      }),
    );
    inv.post_payment_credit_notes_amount = (inv.post_payment_credit_notes_amount as number) + amount;
    emit('credit_note.created', at, cn);
    count('credit_notes_balance');
  }

  /** Finalizes (and usually collects) one invoice for a customer's period. */
  function bill(c: CustomerState, periodStart: number, periodEnd: number, reason: 'subscription_create' | 'subscription_cycle'): { inv: StripeObject; charge: StripeObject | null } {
    const invId = id('in');
    const cur = c.currency;
    const unit = PRICES[c.plan][cur];
    const coupon = c.couponLeft > 0;
    const lineSpecs: fx.LineSpec[] = [];
    const discountOf = (amount: number): fx.LineSpec['discountAmounts'] =>
      coupon && amount > 0 ? [{ amount: Math.trunc((amount * COUPON_OFF_PERCENT) / 100), discount: `di_${c.id.slice(4)}` }] : [];
    const taxOf = (amount: number, discount: number): fx.LineSpec['taxes'] =>
      c.taxRate ? [{ amount: Math.floor(((amount - discount) * c.taxBps + 5_000) / 10_000), tax_rate: c.taxRate, taxable_amount: amount - discount }] : [];
    const withMoney = (spec: Omit<fx.LineSpec, 'discountAmounts' | 'taxes'>, discountable: boolean): fx.LineSpec => {
      const discounts = discountable ? (discountOf(spec.amount) ?? []) : [];
      const off = discounts.reduce((s, d) => s + d.amount, 0);
      return { ...spec, discountAmounts: discounts, taxes: spec.amount > 0 ? taxOf(spec.amount, off) : [] };
    };
    for (let site = 0; site < c.sites; site++) {
      lineSpecs.push(
        withMoney(
          {
            id: id('il'),
            amount: unit,
            currency: cur,
            description: c.sites > 1 ? `Site ${site + 1} × ${c.plan}` : `1 × ${c.plan}`,
            price: priceId(c.plan, cur),
            product: PLAN_PRODUCT[c.plan],
            period: { start: periodStart, end: periodEnd },
            subscription: c.subscription,
          },
          true,
        ),
      );
    }
    // Prorations waiting since a plan change: credits are negative and carry no tax or discount here.
    for (const item of c.pendingItems) {
      const period = item.period as { start: number; end: number };
      const details = item.pricing as { price_details: { price: string; product: string } };
      lineSpecs.push(
        withMoney(
          {
            id: id('il'),
            amount: item.amount as number,
            currency: cur,
            description: item.description as string,
            price: details.price_details.price,
            product: details.price_details.product,
            period,
            subscription: c.subscription,
            proration: true,
            invoiceItem: item.id,
            parentType: 'subscription_item_details',
          },
          false,
        ),
      );
      item.invoice = invId;
    }
    const proratedItems = c.pendingItems.length;
    c.pendingItems = [];
    if (reason === 'subscription_create' && c.setupFee) {
      const itemId = id('ii');
      const setup = keep(
        fx.invoiceItem({ id: itemId, amount: PRICES.setup_fee[cur], currency: cur, customer: c.id, invoice: invId, date: periodStart, period: { start: periodStart, end: periodStart }, price: priceId('setup_fee', cur), product: PLAN_PRODUCT.setup_fee }, { description: 'Onboarding & setup' }),
      );
      emit('invoiceitem.created', periodStart, setup);
      lineSpecs.push(
        withMoney(
          { id: id('il'), amount: PRICES.setup_fee[cur], currency: cur, description: 'Onboarding & setup', price: priceId('setup_fee', cur), product: PLAN_PRODUCT.setup_fee, period: { start: periodStart, end: periodStart }, invoiceItem: itemId, subscription: null },
          false,
        ),
      );
      count('setup_fees');
    }
    if (coupon) {
      c.couponLeft -= 1;
      count('discounted_invoices');
    }
    if (proratedItems) count('invoices_with_prorations');
    if (c.sites > MULTI_SITE_LINES - 1) count('invoices_over_10_lines');
    if (c.taxRate) count('taxed_invoices');

    const created = periodStart;
    const inv = keep(
      fx.invoice({ id: invId, customer: c.id, currency: cur, created, lines: lineSpecs, status: 'open', subscription: c.subscription, billingReason: reason, number: `${c.id.slice(-6).toUpperCase()}-${String(counters.get('in')).padStart(4, '0')}` }),
    );
    if (coupon) {
      inv.discounts = [`di_${c.id.slice(4)}`];
      inv.total_discount_amounts = [{ amount: lineSpecs.reduce((s, l) => s + (l.discountAmounts ?? []).reduce((a, d) => a + d.amount, 0), 0), discount: `di_${c.id.slice(4)}` }];
    }
    if (c.taxRate) {
      const taxTotal = lineSpecs.reduce((s, l) => s + (l.taxes ?? []).reduce((a, t) => a + t.amount, 0), 0);
      (inv.total_taxes as { tax_rate_details: { tax_rate: string } }[]).forEach((t) => (t.tax_rate_details.tax_rate = c.taxRate!));
      if (taxTotal === 0) inv.total_taxes = [];
    }
    // A credit balance pays for (part of) the invoice first.
    const total = inv.total as number;
    const applied = c.balance < 0 ? Math.min(-c.balance, Math.max(0, total)) : 0;
    inv.starting_balance = c.balance;
    if (applied > 0) {
      c.balance += applied;
      keep(fx.customerBalanceTransaction({ id: id('cbtxn'), customer: c.id, amount: applied, currency: cur, created, type: 'applied_to_invoice', invoice: invId, endingBalance: c.balance }));
      count('balance_applied');
    }
    inv.ending_balance = c.balance;
    const due = Math.max(0, total - applied);
    inv.amount_due = due;
    inv.amount_remaining = due;
    inv.amount_paid = 0;
    (inv.status_transitions as Record<string, unknown>).paid_at = null;
    emit('invoice.finalized', created, inv);

    const markPaid = (at: number): void => {
      inv.status = 'paid';
      inv.amount_paid = due;
      inv.amount_remaining = 0;
      inv.attempted = true;
      inv.attempt_count = (inv.attempt_count as number) + 1;
      (inv.status_transitions as Record<string, unknown>).paid_at = at;
    };
    if (due === 0) {
      markPaid(created);
      emit('invoice.paid', created, inv);
      return { inv, charge: null };
    }
    if (c.writeOff || (reason === 'subscription_cycle' && rng.chance(PAYMENT_FAILURE_PER_MILLE))) {
      inv.attempted = true;
      inv.attempt_count = 1;
      inv.next_payment_attempt = created + 3 * DAY;
      emit('invoice.payment_failed', created + HOUR, inv);
      count('payment_failures');
      if (c.writeOff) {
        const at = created + 30 * DAY;
        if (at >= end) return { inv, charge: null }; // still open when the simulation stops
        inv.status = 'uncollectible';
        inv.next_payment_attempt = null;
        (inv.status_transitions as Record<string, unknown>).marked_uncollectible_at = at;
        emit('invoice.marked_uncollectible', at, inv);
        count('written_off');
        return { inv, charge: null };
      }
      const at = created + 3 * DAY;
      if (at >= end) return { inv, charge: null };
      inv.next_payment_attempt = null;
      const ch = pay(inv, c, due, at);
      markPaid(at);
      emit('invoice.paid', at, inv);
      return { inv, charge: ch };
    }
    const at = created + HOUR;
    if (at >= end) return { inv, charge: null };
    const ch = pay(inv, c, due, at);
    markPaid(at);
    emit('invoice.paid', at, inv);
    return { inv, charge: ch };
  }

  /** Changes plan mid-period: a credit for the unused old plan, a charge for the new one. */
  function changePlan(c: CustomerState, to: PlanKey, at: number, periodStart: number, periodEnd: number): void {
    const length = periodEnd - periodStart;
    const remaining = periodEnd - at;
    const cur = c.currency;
    const credit = -Math.trunc((PRICES[c.plan][cur] * c.sites * remaining) / length);
    const debit = Math.trunc((PRICES[to][cur] * c.sites * remaining) / length);
    const period = { start: at, end: periodEnd };
    for (const [plan, amount, what] of [
      [c.plan, credit, 'Unused time on'],
      [to, debit, 'Remaining time on'],
    ] as const) {
      const item = keep(
        fx.invoiceItem(
          { id: id('ii'), amount, currency: cur, customer: c.id, invoice: null, date: at, period, price: priceId(plan, cur), product: PLAN_PRODUCT[plan] },
          {
            description: `${what} ${plan} after ${new Date(at * 1000).toISOString().slice(0, 10)}`,
            proration: true,
            parent: { type: 'subscription_details', subscription_details: { subscription: c.subscription, subscription_item: `si_${c.subscription.slice(4)}` } },
            pricing: { type: 'price_details', price_details: { price: priceId(plan, cur), product: PLAN_PRODUCT[plan] }, unit_amount_decimal: String(amount) },
          },
        ),
      );
      c.pendingItems.push(item);
      emit('invoiceitem.created', at, item);
    }
    count(PRICES[to][cur] > PRICES[c.plan][cur] ? 'upgrades' : 'downgrades');
    c.plan = to;
  }

  // Customers.
  const paidCharges: { charge: StripeObject; c: CustomerState; at: number }[] = [];
  const writeOffIndex = Math.min(customersWanted - 1, Math.max(0, Math.floor(customersWanted / 3)));
  for (let i = 0; i < customersWanted; i++) {
    const signup = start + rng.int(0, end - start - 20 * DAY);
    const roll = rng.int(1, 100);
    const currency: Currency = roll <= JPY_PERCENT ? 'jpy' : roll <= JPY_PERCENT + EUR_PERCENT ? 'eur' : 'usd';
    const planRoll = rng.int(1, 100);
    const plan: PlanKey =
      planRoll <= 45 ? 'starter_monthly' : planRoll <= 70 ? 'pro_monthly' : planRoll <= 80 ? 'starter_annual' : planRoll <= 90 ? 'pro_annual' : 'bundle_monthly';
    const taxRate = currency === 'eur' ? 'txr_EU_VAT_20' : currency === 'usd' && rng.int(1, 100) <= US_TAXED_PERCENT ? 'txr_US_TX_825' : null;
    const multiSite = i < MULTI_SITE_CUSTOMERS;
    const cus = keep(fx.customer({ id: id('cus'), created: signup, currency: multiSite ? 'usd' : currency, name: `Sample Customer ${i + 1}` }));
    count(`customers_${multiSite ? 'usd' : currency}`);
    const c: CustomerState = {
      id: cus.id,
      currency: multiSite ? 'usd' : currency,
      taxBps: taxRate === 'txr_EU_VAT_20' ? EU_VAT_BPS : US_TAX_BPS,
      taxRate: multiSite ? null : taxRate,
      plan: multiSite ? 'pro_monthly' : plan,
      sites: multiSite ? MULTI_SITE_LINES : 1,
      subscription: id('sub'),
      couponLeft: rng.int(1, 100) <= COUPON_PERCENT ? COUPON_INVOICES : 0,
      setupFee: (plan === 'pro_monthly' || plan === 'bundle_monthly' || plan === 'pro_annual') && rng.chance(300),
      balance: 0,
      pendingItems: [],
      writeOff: i === writeOffIndex,
    };
    if (c.plan === 'bundle_monthly') count('bundle_customers');

    let periodStart = signup;
    let first = true;
    while (periodStart < end) {
      const interval = ANNUAL.has(c.plan) ? 12 : 1;
      const periodEnd = addMonths(periodStart, interval);
      const { inv, charge } = bill(c, periodStart, periodEnd, first ? 'subscription_create' : 'subscription_cycle');
      first = false;
      if (c.writeOff) break; // the written-off customer's subscription is canceled
      if (charge) {
        paidCharges.push({ charge, c, at: charge.created as number });
        const untaxed = !c.taxRate && (inv.total_discount_amounts as unknown[]).length === 0;
        const refundAt = (charge.created as number) + rng.int(1, 10) * DAY;
        const creditAt = (charge.created as number) + rng.int(1, 5) * DAY;
        if (rng.chance(REFUND_PER_MILLE)) {
          const withNote = untaxed && rng.chance(500);
          if (refundAt < end) refundInvoice(inv, charge, c, refundAt, withNote);
        } else if (untaxed && rng.chance(BALANCE_CREDIT_PER_MILLE) && creditAt < end) {
          creditToBalance(inv, c, creditAt);
        }
      }
      // Plan changes happen mid-period for monthly plans.
      if (interval === 1 && c.sites === 1) {
        const at = periodStart + rng.int(3, 25) * DAY + rng.int(0, 23) * HOUR;
        if (at < periodEnd && at < end) {
          if (c.plan === 'starter_monthly' && rng.chance(UPGRADE_PER_MILLE)) changePlan(c, 'pro_monthly', at, periodStart, periodEnd);
          else if (c.plan === 'pro_monthly' && rng.chance(DOWNGRADE_PER_MILLE)) changePlan(c, 'starter_monthly', at, periodStart, periodEnd);
        }
      }
      const churn = interval === 12 ? rng.int(1, 100) <= ANNUAL_CHURN_PERCENT : rng.chance(CHURN_PER_MILLE);
      if (churn && c.pendingItems.length === 0) {
        count('churned');
        break;
      }
      periodStart = periodEnd;
    }
  }

  // Two disputes on USD charges that were neither refunded nor disputed: one lost, one won.
  const candidates = paidCharges.filter((p) => p.c.currency === 'usd' && (p.charge.amount_refunded as number) === 0 && p.at + 90 * DAY < end);
  for (const [k, outcome] of (['lost', 'won'] as const).entries()) {
    const pick = candidates[Math.floor(((k + 1) * candidates.length) / 3)];
    if (!pick) continue;
    const { charge: ch } = pick;
    const opened = pick.at + 20 * DAY;
    const usd = (objects.get(ch.balance_transaction as string)?.amount as number | undefined) ?? (ch.amount as number);
    const dpId = id('dp');
    const withdrawal = keep(fx.balanceTransaction({ id: id('txn'), amount: -usd, fee: DISPUTE_FEE_MINOR, currency: 'usd', created: opened, type: 'adjustment', source: dpId, reportingCategory: 'dispute' }));
    settled.push({ availableOn: opened, net: -usd - DISPUTE_FEE_MINOR });
    const dp = keep(fx.dispute({ id: dpId, amount: ch.amount as number, currency: ch.currency as string, charge: ch.id, paymentIntent: ch.payment_intent as string, created: opened, status: 'needs_response', balanceTransactions: [withdrawal] }));
    ch.disputed = true;
    emit('charge.dispute.created', opened, dp);
    emit('charge.dispute.funds_withdrawn', opened, dp);
    dp.status = 'under_review';
    emit('charge.dispute.updated', opened + 5 * DAY, dp, { status: 'needs_response' });
    const closed = opened + 60 * DAY;
    if (outcome === 'won') {
      const reinstated = keep(fx.balanceTransaction({ id: id('txn'), amount: usd, currency: 'usd', created: closed, type: 'adjustment', source: dpId, reportingCategory: 'dispute_reversal' }));
      settled.push({ availableOn: closed, net: usd });
      dp.balance_transactions = [withdrawal, reinstated];
      dp.status = 'won';
      emit('charge.dispute.funds_reinstated', closed, dp);
    } else {
      dp.status = 'lost';
    }
    emit('charge.dispute.closed', closed, dp, { status: 'under_review' });
    count(`disputes_${outcome}`);
  }

  // Weekly payouts (Mondays) of everything available and not yet paid out.
  settled.sort((a, b) => a.availableOn - b.availableOn);
  let cursor = 0;
  let pending = 0;
  const firstMonday = start + ((8 - new Date(start * 1000).getUTCDay()) % 7) * DAY;
  for (let t = firstMonday; t < end; t += 7 * DAY) {
    while (cursor < settled.length && settled[cursor]!.availableOn <= t) pending += settled[cursor++]!.net;
    if (pending <= 0) continue;
    const poId = id('po');
    const bt = keep(fx.balanceTransaction({ id: id('txn'), amount: -pending, currency: 'usd', created: t, type: 'payout', source: poId }));
    const po = keep(fx.payout({ id: poId, amount: pending, currency: 'usd', created: t, balanceTransaction: bt.id }, { status: 'in_transit', reconciliation_status: 'in_progress' }));
    emit('payout.created', t, po);
    if ((po.arrival_date as number) < end) {
      po.status = 'paid';
      po.reconciliation_status = 'completed';
      emit('payout.paid', po.arrival_date as number, po);
    }
    count('payouts');
    pending = 0;
  }

  events.sort((a, b) => a.created - b.created || a.seq - b.seq);
  const objectList = [...objects.values()];
  const eventList = events.map((e) => e.event);
  stats.objects = objectList.length;
  stats.events = eventList.length;
  return {
    seed,
    account,
    start,
    end,
    objects: objectList,
    events: eventList,
    replay: [...objectList, ...eventList],
    suggestedSettings: {
      functional_currency: 'usd',
      product_rules: {
        prod_ProSupportBundle: {
          rule: 'bundle',
          components: [
            { name: 'Pro licence', ssp: '99' },
            { name: 'Premium support', ssp: '60' },
          ],
        },
        prod_SetupFee: { rule: 'custom_term', term_months: 12 },
      },
    },
    stats,
  };
}

/** CLI: prints `SEED=…` and the stats, writes the replay as JSON lines. */
function main(argv: string[]): void {
  const seed = argv[0] ? Number(argv[0]) : Math.floor(Date.now() % 1_000_000_007);
  const out = argv[1] ?? `sample-business-${seed}.jsonl`;
  const business = generateBusiness({ seed });
  console.error(`SEED=${seed}`);
  console.error(JSON.stringify(business.stats));
  writeFileSync(out, business.replay.map((l) => JSON.stringify(l)).join('\n') + '\n');
  console.error(`wrote ${business.replay.length} replay lines to ${out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
