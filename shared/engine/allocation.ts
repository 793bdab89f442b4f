/**
 * Allocation and currency conversion helpers for the engine: splitting a signed amount over
 * signed weights (the shared `allocate` takes non-negative weights only), and converting minor
 * units between currencies with a named rounding.
 */
import { allocate, currencyExponent, Decimal, roundHalfUpToMinor } from '../money.ts';
import { AccrueError } from '../errors.ts';

/**
 * Splits `total` over `weights` that may be negative, so the parts sum to `total` exactly.
 * Each part starts as the exact share truncated toward zero; the units left over go, one each,
 * to the largest remainders (ties: larger |weight|, then earlier). With non-negative weights
 * this is exactly the shared largest-remainder `allocate`. Weights summing to zero are refused.
 */
export function allocateSigned(total: bigint, weights: readonly bigint[]): bigint[] {
  if (weights.length === 0) throw new AccrueError('internal', 'allocateSigned: no weights');
  if (weights.every((w) => w >= 0n)) return allocate(total, weights);
  let sum = 0n;
  for (const w of weights) sum += w;
  if (sum === 0n) throw new AccrueError('internal', 'allocateSigned: weights sum to zero');
  // t·w/S is unchanged by negating both w and S, so work with a positive sum.
  const ws = sum < 0n ? weights.map((w) => -w) : [...weights];
  const s = sum < 0n ? -sum : sum;
  const parts = ws.map((w) => (total * w) / s);
  let left = total;
  for (const p of parts) left -= p;
  // rem_i / s is how far the exact share lies above (>0) or below (<0) its truncated part.
  const abs = (v: bigint): bigint => (v < 0n ? -v : v);
  const step = left > 0n ? 1n : -1n;
  const order = ws
    .map((w, i) => ({ i, w: abs(w), rem: (total * w) % s }))
    .filter((o) => (step > 0n ? o.rem > 0n : o.rem < 0n))
    .sort((a, b) => (a.rem !== b.rem ? (abs(b.rem) > abs(a.rem) ? 1 : -1) : a.w !== b.w ? (b.w > a.w ? 1 : -1) : a.i - b.i));
  for (const o of order) {
    if (left === 0n) break;
    parts[o.i] = parts[o.i]! + step;
    left -= step;
  }
  if (left !== 0n) throw new AccrueError('internal', 'allocateSigned: remainder left over');
  return parts;
}

/**
 * Converts minor units of `from` into minor units of `to` at `rate` (units of `to` per unit of
 * `from`), rounding half away from zero — the one FX rounding rule of the books.
 */
export function convertMinor(amount: bigint, from: string, to: string, rate: Decimal | string): bigint {
  if (from === to) return amount;
  const r = new Decimal(rate);
  const shift = currencyExponent(to) - currencyExponent(from);
  return roundHalfUpToMinor(new Decimal(amount.toString()).mul(r).mul(new Decimal(10).pow(shift)));
}
