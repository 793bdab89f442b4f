/**
 * A deterministic sample business for the demo and for simulation tests: about 300 customers over
 * 18 months of a SaaS selling monthly and annual plans (and a bundle), in `2026-10-28.endive`
 * shapes, with the ordered Stripe events a Connect webhook endpoint would have received.
 *
 * Everything comes from one seeded PRNG, so a seed reproduces the business exactly (`SEED=…` is
 * printed by `main`). It covers: mid-month starts, upgrades and downgrades with proration lines
 * (invoice items billed on the next invoice), a bundle product, setup fees, a coupon
 * (`discount_amounts`), exclusive tax (`taxes`, `total_taxes`), EUR customers settled in a EUR
 * Stripe balance, JPY customers whose balance transactions convert to USD with `exchange_rate`
 * (both from one daily rate path, `rates`, which the demo's rate provider serves), refunds, credit notes (refunded, and credited to the
 * customer balance then applied to the next invoice), a lost and a won dispute, a written-off
 * invoice, multi-site customers with more than 10 lines per invoice, and weekly payouts of the net
 * (after fees) balance of each Stripe balance, USD and EUR.
 *
 * Run: `node bin/run-ts.js backend/sandbox/stripe/business.ts [seed] [out.jsonl]` (or `npx tsx …`).
 */
import { writeFileSync } from 'node:fs';
import type { StripeObject } from '../../stripe/reader.ts';
import type { TenantSettingsInput } from '../../../shared/settings.ts';
import { createCatalogue } from './business/catalogue.ts';
import { addCreditsAndGiftCards, CREDIT_PRODUCT_RULES } from './business/credits.ts';
import { simulateCustomers } from './business/customers.ts';
import { openDisputes } from './business/disputes.ts';
import { simulateMeteredCustomers } from './business/metered.ts';
import { payOut } from './business/payouts.ts';
import { addMonths } from './business/shape.ts';
import { Simulation, type DailyRate } from './business/simulation.ts';

export { seededRandom } from './business/random.ts';

/** Default first day: 2025-05-01 00:00 UTC, so 18 months end on 2026-11-01. */
export const DEFAULT_START = 1_746_057_600;

/** Guard on the size a caller may ask for: the demo loads everything into memory. */
const CUSTOMERS_MAX = 5_000;
const MONTHS_MAX = 60;

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
  /** Product rules that make the bundle and the setup fee meaningful to the engine, and the daily rates as `fx_rates`. */
  suggestedSettings: TenantSettingsInput;
  /** Counts of the interesting cases, for tests and the demo's banner. */
  stats: Record<string, number>;
  /** The daily mid-rates to USD the business was settled at (USD per one EUR, per one JPY). */
  rates: DailyRate[];
}

export interface BusinessOptions {
  seed?: number;
  customers?: number;
  months?: number;
  start?: number;
  account?: string;
}

/** Product rules for the bundle (two components at their standalone prices) and the setup fee (a year). */
const SUGGESTED_SETTINGS: TenantSettingsInput = {
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
};

/**
 * Generates the business. Pure and deterministic for a given seed and options; the same call twice
 * gives byte-identical JSON. The steps run in a fixed order on one seeded generator: FX rates,
 * catalogue, customers (signup, billing, payments, refunds, plan changes, churn), disputes, metered
 * customers, credits and gift cards, then payouts.
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
  const sim = new Simulation(seed, start, end, account);

  createCatalogue(sim);
  const paidCharges = simulateCustomers(sim, customersWanted);
  openDisputes(sim, paidCharges);
  simulateMeteredCustomers(sim);
  addCreditsAndGiftCards(sim);
  // Last: payouts sweep every balance transaction the steps before settled.
  payOut(sim);

  const eventList = sim.sortedEvents();
  const rates = sim.dailyRates();
  const objectList = [...sim.objects.values()];
  const stats = sim.stats;
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
      ...withRules(structuredClone(SUGGESTED_SETTINGS), CREDIT_PRODUCT_RULES),
      fx_rates: rateTable(rates),
    },
    stats,
    rates,
  };
}

/**
 * The daily rates as a tenant's own rate table, so a replay of the business books its EUR balance
 * and the invoices not paid at once at the rates the business was settled at.
 */
function rateTable(rates: readonly DailyRate[]): NonNullable<TenantSettingsInput['fx_rates']> {
  return rates.flatMap((r) => [
    { date: r.date, from: 'eur', to: 'usd', rate: r.eur },
    { date: r.date, from: 'jpy', to: 'usd', rate: r.jpy },
  ]);
}

/** Settings with more product rules. */
function withRules(settings: TenantSettingsInput, rules: NonNullable<TenantSettingsInput['product_rules']>) {
  return { ...settings, product_rules: { ...settings.product_rules, ...rules } };
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
