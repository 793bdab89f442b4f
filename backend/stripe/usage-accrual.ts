/**
 * Unbilled usage at period ends (docs/accounting.md, "Unbilled usage accrual"): for each customer
 * known to be on a metered price (from its invoices' `usage_billed` facts), the usage its meter
 * recorded since the last invoice that billed it, up to the period end, valued at that price.
 * Reads go through the Stripe reader (price with tiers, meter, meter event summaries); the result
 * is facts for the engine and exceptions for what cannot be accrued (an unknown meter or price,
 * a negative quantity), each naming the object. An object refused this way is left out whole: no
 * fact, so nothing is half-booked; the invoice that bills the usage books it anyway.
 */
import { Decimal } from 'decimal.js';
import type Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';
import type { UsageAccrualFact, UsageBilledFact } from '../../shared/engine/facts.ts';
import { billsInArrears } from '../../shared/engine/usage.ts';
import { normalizeCurrency } from '../../shared/money.ts';
import { isTransientFailure } from '../errors.ts';
import { idOf, type StripeReader } from './reader.ts';
import { isMeteredPrice } from './usage-facts.ts';

/** A period end: its key (for messages) and the instant it ends (exclusive). */
export interface PeriodEnd {
  key: string;
  at: number;
}

export interface UsageAccrualOutcome {
  facts: UsageAccrualFact[];
  exceptions: { objectId: string; reason: string }[];
}

/** Where the unbilled window starts at `end`: after the last window billed in arrears, else the first seen. */
export function unbilledFrom(billed: readonly UsageBilledFact[], end: number): number | null {
  let from: number | null = null;
  for (const f of billed) {
    if (f.at >= end) continue;
    const start = billsInArrears(f) ? f.periodEnd : f.periodStart;
    if (from === null || start > from) from = start;
  }
  return from;
}

/** Stripe wants minute-aligned summary windows: the window starts at the minute its first second is in. */
export function minuteFloor(at: number): number {
  return at - (((at % 60) + 60) % 60);
}

function notFound(e: unknown): boolean {
  return e instanceof AccrueError && e.code === 'not_found';
}

/** The accrual facts at each period end, for every (customer, metered price) the billed facts name. */
export async function unbilledUsageFacts(
  reader: StripeReader,
  billed: readonly UsageBilledFact[],
  ends: readonly PeriodEnd[],
): Promise<UsageAccrualOutcome> {
  const out: UsageAccrualOutcome = { facts: [], exceptions: [] };
  if (!reader.getPrice || !reader.getMeter || !reader.meterEventSummaries) return out;
  const pairs = new Map<string, UsageBilledFact[]>();
  for (const f of billed) {
    const key = `${f.customer}\u0000${f.price}`;
    pairs.set(key, [...(pairs.get(key) ?? []), f]);
  }
  for (const key of [...pairs.keys()].sort()) {
    const facts = pairs.get(key)!;
    for (const end of ends) {
      const from = unbilledFrom(facts, end.at);
      if (from === null || from >= end.at) continue;
      try {
        const fact = await accrualAt(reader, facts[0]!, from, end, out);
        if (fact) out.facts.push(fact);
      } catch (e) {
        // Worth retrying (Stripe down, rate-limited): the release fails and runs again. Anything
        // else (a permission Stripe refuses, a malformed answer) must not hold every release back.
        if (isTransientFailure(e)) throw e;
        const { customer, price } = facts[0]!;
        const reason = `usage of ${customer} on ${price} not accrued at the end of ${end.key}: ${e instanceof Error ? e.message : String(e)}`;
        out.exceptions.push({ objectId: `${price}:${customer}`, reason });
      }
    }
  }
  return out;
}

async function accrualAt(
  reader: StripeReader,
  on: UsageBilledFact,
  from: number,
  end: PeriodEnd,
  out: UsageAccrualOutcome,
): Promise<UsageAccrualFact | null> {
  const { customer, price: priceId } = on;
  const notAccrued = `usage of ${customer} not accrued at the end of ${end.key}`;
  const price = await reader.getPrice!(priceId).catch((e: unknown) => (notFound(e) ? null : Promise.reject(e)));
  // A price Stripe no longer has cannot be told metered or not: nothing to accrue, nothing to say.
  if (!price) return null;
  if (!isMeteredPrice(price)) return null; // a licensed line billed in arrears, or a free one
  const meter = idOf(price.recurring?.meter);
  if (!meter) return null; // a legacy metered price without a billing meter: nothing to read
  const known = await reader.getMeter!(meter).catch((e: unknown) => (notFound(e) ? null : Promise.reject(e)));
  if (!known) {
    const reason = `billing meter ${meter} (of price ${priceId}) is unknown to Stripe; ${notAccrued}`;
    out.exceptions.push({ objectId: meter, reason });
    return null;
  }
  const summaries = await reader.meterEventSummaries!(meter, customer, minuteFloor(from), end.at).catch((e: unknown) =>
    notFound(e) ? null : Promise.reject(e),
  );
  if (!summaries) {
    out.exceptions.push({ objectId: meter, reason: `billing meter ${meter} is unknown to Stripe; ${notAccrued}` });
    return null;
  }
  let quantity = new Decimal(0);
  for (const s of summaries) {
    const value = new Decimal(s.aggregated_value);
    if (!value.isFinite() || value.isNegative()) {
      const reason = `meter event summary ${s.id} of meter ${meter} for ${customer} reports ${s.aggregated_value}; usage is never negative, ${notAccrued}`;
      out.exceptions.push({ objectId: s.id, reason });
      return null;
    }
    quantity = quantity.plus(value);
  }
  if (quantity.isZero()) return null;
  // A foreign price accrues in its own currency; the engine translates it at the period end's rate.
  const currency = normalizeCurrency(price.currency);
  return {
    type: 'usage_accrual',
    customer,
    price: priceId,
    product: on.product,
    meter,
    periodStart: from,
    at: end.at,
    quantity: quantity.toString(),
    amountMinor: usageAmountMinor(price, quantity),
    currency,
  };
}

/**
 * What a quantity costs at a price, in minor units: `transform_quantity` first (divide, then round
 * up or down as the price says), then per unit, or tiered (`graduated`: each tier prices the
 * units inside it, plus its flat amount when it has any; `volume`: the tier the whole quantity
 * falls in prices every unit, plus its flat amount). Unit amounts may carry decimals; the total
 * is rounded once, half up to the minor unit (ROUND_HALF_UP), as an invoice line is.
 */
export function usageAmountMinor(price: Stripe.Price, rawQuantity: Decimal): bigint {
  let quantity = rawQuantity;
  const transform = price.transform_quantity;
  if (transform && transform.divide_by > 0) {
    const divided = quantity.div(transform.divide_by);
    quantity = transform.round === 'up' ? divided.ceil() : divided.floor();
  }
  const unit = (amount: number | null | undefined, decimal: unknown): Decimal =>
    decimal !== null && decimal !== undefined ? new Decimal(String(decimal)) : new Decimal(amount ?? 0);
  let total = new Decimal(0);
  if (price.billing_scheme !== 'tiered') {
    total = quantity.times(unit(price.unit_amount, price.unit_amount_decimal));
  } else {
    const tiers = price.tiers ?? [];
    if (price.tiers_mode === 'volume') {
      const tier = tiers.find((t) => t.up_to === null || quantity.lte(t.up_to)) ?? tiers.at(-1);
      if (tier)
        total = quantity
          .times(unit(tier.unit_amount, tier.unit_amount_decimal))
          .plus(unit(tier.flat_amount, tier.flat_amount_decimal));
    } else {
      let below = new Decimal(0);
      for (const tier of tiers) {
        if (quantity.lte(below)) break;
        const top = tier.up_to === null ? quantity : Decimal.min(quantity, tier.up_to);
        const units = top.minus(below);
        total = total
          .plus(units.times(unit(tier.unit_amount, tier.unit_amount_decimal)))
          .plus(unit(tier.flat_amount, tier.flat_amount_decimal));
        below = top;
      }
    }
  }
  return BigInt(total.toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
}
