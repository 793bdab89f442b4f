/**
 * The simulation's shared state: the one seeded generator, id allocation, every object (in its
 * latest state) and every event (with a snapshot of its object), the statistics, FX rates, and
 * the settled money that payouts sweep. Each step of the business (`catalogue.ts`,
 * `customers.ts`, `billing.ts`, `payments.ts`, `disputes.ts`, `payouts.ts`) acts through it.
 */
import { Decimal, asCurrency, currencyExponent } from '../../../../shared/money.ts';
import type { StripeObject } from '../../../stripe/reader.ts';
import * as fx from '../fixtures.ts';
import { seededRandom, type SeededRandom } from './random.ts';
import {
  DAY,
  FEE_BPS,
  FEE_FIXED_MINOR,
  FX_START,
  SETTLEMENT_CURRENCY,
  type Currency,
  type SettlementCurrency,
} from './shape.ts';

/** One day's mid-rates to USD (USD per one unit), as the sample business's rate provider publishes them. */
export interface DailyRate {
  date: string;
  eur: string;
  jpy: string;
}

/** An amount as it lands in a Stripe balance: its currency and amount, and Stripe's rate when it was converted. */
export interface Settlement {
  currency: SettlementCurrency;
  amount: number;
  exchangeRate: number | null;
}

/** Daily mid-rates to USD: a random walk of at most ±0.3 % a day, in Decimal. */
class FxRates {
  readonly #cache = new Map<string, Decimal>();
  readonly #days: number;
  readonly #paths: Record<'eur' | 'jpy', Decimal[]> = { eur: [], jpy: [] };

  constructor(
    rng: SeededRandom,
    private readonly start: number,
    end: number,
  ) {
    this.#days = Math.ceil((end - start) / DAY) + 400;
    for (const cur of ['eur', 'jpy'] as const) {
      let r = new Decimal(FX_START[cur]);
      for (let d = 0; d < this.#days; d++) {
        this.#paths[cur].push(r);
        r = r.mul(new Decimal(1).plus(new Decimal(rng.int(-30, 30)).div(10_000)));
      }
    }
  }

  /** The rate of the day `t` falls on, to 6 decimals. */
  at(cur: Currency, t: number): Decimal {
    if (cur === 'usd') return new Decimal(1);
    const day = Math.max(0, Math.floor((t - this.start) / DAY));
    const key = `${cur}:${day}`;
    let r = this.#cache.get(key);
    if (!r) {
      r = (this.#paths[cur][Math.min(day, this.#days - 1)] ?? new Decimal(FX_START[cur])).toDecimalPlaces(
        6,
        Decimal.ROUND_HALF_UP,
      );
      this.#cache.set(key, r);
    }
    return r;
  }
}

export class Simulation {
  readonly rng: SeededRandom;
  readonly objects = new Map<string, StripeObject>();
  readonly stats: Record<string, number> = {};
  /** Money movements that payouts sweep: balance transactions with their balance and availability. */
  readonly settled: { availableOn: number; net: number; currency: SettlementCurrency }[] = [];
  readonly #tag: string;
  readonly #counters = new Map<string, number>();
  readonly #events: { created: number; seq: number; event: StripeObject }[] = [];
  #eventSeq = 0;
  readonly #fx: FxRates;

  constructor(
    seed: number,
    readonly start: number,
    readonly end: number,
    readonly account: string,
  ) {
    this.rng = seededRandom(seed);
    this.#tag = (seed >>> 0).toString(36).padStart(7, '0').slice(-7);
    this.#fx = new FxRates(this.rng, start, end);
  }

  /** The next id with Stripe's prefix, unique to the seed (`in_1<tag>00000001`). */
  id(prefix: string): string {
    const n = (this.#counters.get(prefix) ?? 0) + 1;
    this.#counters.set(prefix, n);
    return `${prefix}_1${this.#tag}${String(n).padStart(8, '0')}`;
  }

  /** How many ids of a prefix were allocated so far. */
  allocated(prefix: string): number | undefined {
    return this.#counters.get(prefix);
  }

  /** Records an object (the same reference keeps changing until the end). */
  keep(o: StripeObject): StripeObject {
    this.objects.set(o.id, o);
    return o;
  }

  /** Records an event with a snapshot of `object` now, unless it falls after the end. */
  emit(type: string, created: number, object: StripeObject, previousAttributes?: Record<string, unknown>): void {
    if (created >= this.end) return;
    const event = fx.event({
      id: this.id('evt'),
      type,
      created,
      account: this.account,
      object,
      ...(previousAttributes ? { previousAttributes } : {}),
    });
    this.#events.push({ created, seq: this.#eventSeq++, event });
  }

  count(key: string, n = 1): void {
    this.stats[key] = (this.stats[key] ?? 0) + n;
  }

  rateAt(cur: Currency, t: number): Decimal {
    return this.#fx.at(cur, t);
  }

  /**
   * Where an amount in `cur` (minor units) charged or refunded at `t` lands: in the balance of its
   * own currency when the account settles it (EUR), else converted to USD at the day's rate.
   */
  settle(amount: number, cur: Currency, t: number): Settlement {
    const currency = SETTLEMENT_CURRENCY[cur];
    if (currency === cur) return { currency, amount, exchangeRate: null };
    const rate = this.rateAt(cur, t);
    return { currency, amount: this.toUsdMinor(amount, cur, rate), exchangeRate: rate.toNumber() };
  }

  /** The day's rates from the first simulated day to the last, for the demo's rate provider. */
  dailyRates(): DailyRate[] {
    const out: DailyRate[] = [];
    for (let t = this.start; t < this.end; t += DAY) {
      const date = new Date(t * 1000).toISOString().slice(0, 10);
      out.push({ date, eur: this.rateAt('eur', t).toFixed(6), jpy: this.rateAt('jpy', t).toFixed(6) });
    }
    return out;
  }

  /** Settled USD minor units for an amount in `cur` minor units, rounded half up like Stripe. */
  toUsdMinor(amount: number, cur: Currency, rate: Decimal): number {
    return new Decimal(amount)
      .div(new Decimal(10).pow(currencyExponent(asCurrency(cur))))
      .mul(rate)
      .mul(100)
      .toDecimalPlaces(0, Decimal.ROUND_HALF_UP)
      .toNumber();
  }

  /** Stripe's fee on a settled amount, in its settlement currency. */
  stripeFee(settled: number, currency: SettlementCurrency): number {
    return Math.floor((settled * FEE_BPS + 5_000) / 10_000) + FEE_FIXED_MINOR[currency];
  }

  /** Every event, oldest first (emission order breaks ties). */
  sortedEvents(): StripeObject[] {
    this.#events.sort((a, b) => a.created - b.created || a.seq - b.seq);
    return this.#events.map((e) => e.event);
  }
}
