/**
 * Allocation and currency conversion helpers for the engine: splitting a signed amount over
 * signed weights (the shared `allocate` takes non-negative weights only), and converting minor
 * units between currencies with a named rounding.
 */
import { allocate, currencyExponent, Decimal, roundHalfUpToMinor, type Currency } from '../money.ts';
import { assertInvariant, EngineRefusal } from './failures.ts';

/**
 * Splits `total` over `weights` that may be negative, so the parts sum to `total` exactly.
 * Each part starts as the exact share truncated toward zero; the units left over go, one each,
 * to the largest remainders (ties: larger |weight|, then earlier). With non-negative weights
 * this is exactly the shared largest-remainder `allocate`. Weights summing to zero are refused
 * (an `EngineRefusal`: the data gives nothing to share by, e.g. a line discounted to zero with
 * discounts as contra); no weights at all is a caller's bug.
 */
export function allocateSigned(total: bigint, weights: readonly bigint[]): bigint[] {
  assertInvariant(weights.length > 0, 'allocateSigned: no weights');
  if (weights.every((w) => w >= 0n)) return allocate(total, weights);
  let sum = 0n;
  for (const w of weights) sum += w;
  if (sum === 0n) throw new EngineRefusal('allocateSigned: weights sum to zero');
  // t·w/S is unchanged by negating both w and S, so work with a positive sum.
  const ws = sum < 0n ? weights.map((w) => -w) : [...weights];
  const s = sum < 0n ? -sum : sum;
  const parts = ws.map((w) => (total * w) / s);
  let left = total;
  for (const p of parts) left -= p;
  // rem_i / s is how far the exact share lies above (>0) or below (<0) its truncated part.
  const step = left > 0n ? 1n : -1n;
  const order = ws
    .map((w, index): Candidate => ({ index, weight: abs(w), remainder: (total * w) % s }))
    .filter((o) => (step > 0n ? o.remainder > 0n : o.remainder < 0n))
    .sort(byRemainderThenWeight);
  for (const o of order) {
    if (left === 0n) break;
    parts[o.index] = parts[o.index]! + step;
    left -= step;
  }
  assertInvariant(left === 0n, 'allocateSigned: remainder left over');
  return parts;
}

/** A part that may receive one of the units left over: its position, |weight| and remainder. */
interface Candidate {
  index: number;
  weight: bigint;
  remainder: bigint;
}

/** Larger remainder first; ties: larger |weight|, then earlier position. */
function byRemainderThenWeight(a: Candidate, b: Candidate): number {
  if (a.remainder !== b.remainder) return abs(b.remainder) > abs(a.remainder) ? 1 : -1;
  if (a.weight !== b.weight) return b.weight > a.weight ? 1 : -1;
  return a.index - b.index;
}

function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}

/**
 * Converts minor units of `from` into minor units of `to` at `rate` (units of `to` per unit of
 * `from`), rounding half away from zero — the one FX rounding rule of the books.
 */
export function convertMinor(amount: bigint, from: Currency, to: Currency, rate: Decimal | string): bigint {
  if (from === to) return amount;
  const r = new Decimal(rate);
  const shift = currencyExponent(to) - currencyExponent(from);
  return roundHalfUpToMinor(new Decimal(amount.toString()).mul(r).mul(new Decimal(10).pow(shift)));
}

/** `allocateSigned`, or all zeros when the weights sum to zero (nothing to share by: nothing is shared). */
export function allocateSignedOrZeros(total: bigint, weights: readonly bigint[]): bigint[] {
  let sum = 0n;
  for (const w of weights) sum += w;
  return sum === 0n ? weights.map(() => 0n) : allocateSigned(total, weights);
}
