/**
 * Money: integer minor units (bigint) tagged with an ISO 4217 currency.
 *
 * Nothing in Accrue holds money as a JavaScript number. Ratios (time shares, SSP shares, FX
 * rates) are `Decimal`s, and every conversion back to minor units names its rounding rule.
 *
 * Money is a type: a branded bigint of minor units with its currency. The naming convention,
 * units last:
 * - a TypeScript name holding minor units ends in `Minor` (`amountMinor`, `feeMinor`) and is
 *   typed `Minor` (made by `minor(...)`, summed by `sumMinor`, negated by `negateMinor`);
 * - a SQL column or JSON field holding minor units ends in `_minor` (`amount_minor`);
 * - a currency is typed `Currency`, made only by `normalizeCurrency` / `currency(...)` (which
 *   validate) or `asCurrency` (for values already validated, e.g. read back from our database).
 *
 * Where the type is enforced: the journal (`LineDraft`, `LedgerLine`: every posted or read-back
 * amount is `Minor`, every currency `Currency`). Engine intermediates are plain bigints named
 * `...Minor`; they become `Minor` where they enter a journal line. Outside systems' wire shapes
 * (Stripe's `amount`, QuickBooks' upper-case `CurrencyRef`, the sandbox fakes that imitate them)
 * keep the outside names and types; the mapping at the edge converts them. A JSON report writes
 * money as major-unit strings, so there `amountMinor` is written as `amount`.
 */
import { Decimal } from 'decimal.js';
import { AccrueError } from './errors.ts';

declare const currencyBrand: unique symbol;
/** A lower-case ISO 4217 code, as Stripe writes it (`usd`, `jpy`); made by `normalizeCurrency`. */
export type Currency = string & { readonly [currencyBrand]: true };

declare const minorBrand: unique symbol;
/** An amount in integer minor units of some currency (cents for USD, yen for JPY). */
export type Minor = bigint & { readonly [minorBrand]: true };

/** An amount of minor units with its currency. */
export interface Money {
  amountMinor: Minor;
  currency: Currency;
}

/** Tags a bigint as minor units. No runtime cost; asserts nothing beyond being a bigint. */
export function minor(value: bigint): Minor {
  return value as Minor;
}

/** Sums minor-unit amounts (0 for none). */
export function sumMinor(values: readonly Minor[]): Minor {
  let total = 0n;
  for (const v of values) total += v;
  return total as Minor;
}

/** The negation of a minor-unit amount. */
export function negateMinor(value: Minor): Minor {
  return -value as Minor;
}

/** Currencies whose minor unit is not 1/100 (ISO 4217). Everything else has two decimals. */
const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'isk',
  'jpy',
  'kmf',
  'krw',
  'pyg',
  'rwf',
  'ugx',
  'uyi',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
const THREE_DECIMAL = new Set(['bhd', 'iqd', 'jod', 'kwd', 'lyd', 'omr', 'tnd']);
const FOUR_DECIMAL = new Set(['clf', 'uyw']);

/** Exponents by the code as given (a code that fails `normalizeCurrency` is never stored, so it throws every time). */
const exponents = new Map<string, number>();

/** Number of decimals of a currency's minor unit (0 for JPY, 3 for KWD, 2 for most). */
export function currencyExponent(currency: Currency): number {
  let exponent = exponents.get(currency);
  if (exponent === undefined) {
    const c = normalizeCurrency(currency);
    exponent = ZERO_DECIMAL.has(c) ? 0 : THREE_DECIMAL.has(c) ? 3 : FOUR_DECIMAL.has(c) ? 4 : 2;
    if (exponents.size < 1_000) exponents.set(currency, exponent);
  }
  return exponent;
}

/** Lower-cases and checks a currency code; throws `invalid_input` for anything not 3 letters. */
export function normalizeCurrency(currency: string): Currency {
  const c = currency.toLowerCase();
  if (!/^[a-z]{3}$/.test(c)) throw new AccrueError('invalid_input', `"${currency}" is not an ISO 4217 currency code`);
  return c as Currency;
}

/** ISO 4217 codes the runtime knows (from its ICU data), lower-case. */
let knownCurrencies: Set<string> | null = null;

/** True for a code ISO 4217 lists (any case): `isKnownCurrency('EUR')`; false for `xyz` or `eu`. */
export function isKnownCurrency(code: string): boolean {
  knownCurrencies ??= new Set([
    ...Intl.supportedValuesOf('currency').map((c) => c.toLowerCase()),
    // Funds codes the runtime may not list but whose minor units are named above.
    ...ZERO_DECIMAL,
    ...THREE_DECIMAL,
    ...FOUR_DECIMAL,
  ]);
  return /^[A-Za-z]{3}$/.test(code) && knownCurrencies.has(code.toLowerCase());
}

/** Builds a `Currency` from a literal code, validating it: `currency('usd')`. */
export function currency(code: string): Currency {
  return normalizeCurrency(code);
}

/**
 * Brands a string as `Currency` without checking it: only for values already validated, e.g. read
 * back from our own database (which stores nothing `normalizeCurrency` did not pass).
 */
export function asCurrency(code: string): Currency {
  return code as Currency;
}

/** Formats minor units as a major-unit string with the currency's own decimals: 12345n usd → "123.45". */
export function formatMinor(amount: bigint, currency: Currency): string {
  const exp = currencyExponent(currency);
  const neg = amount < 0n;
  const abs = neg ? -amount : amount;
  if (exp === 0) return `${neg ? '-' : ''}${abs}`;
  const s = abs.toString().padStart(exp + 1, '0');
  return `${neg ? '-' : ''}${s.slice(0, -exp)}.${s.slice(-exp)}`;
}

/**
 * Parses a major-unit decimal string into minor units. Input finer than the currency allows is
 * refused (`invalid_input`), never rounded: "1.005" USD is an error, not 1.00 or 1.01.
 */
export function parseMajor(text: string, currency: Currency): bigint {
  if (!/^-?\d+(\.\d+)?$/.test(text.trim())) throw new AccrueError('invalid_input', `"${text}" is not a decimal amount`);
  const d = new Decimal(text.trim()).mul(new Decimal(10).pow(currencyExponent(currency)));
  if (!d.isInteger())
    throw new AccrueError('invalid_input', `"${text}" has more decimals than ${currency.toUpperCase()} allows`);
  return BigInt(d.toFixed(0));
}

/** Converts a Decimal to minor units, truncating toward zero (the policy's cumulative rule). */
export function truncateToMinor(value: Decimal): bigint {
  return BigInt(value.toDecimalPlaces(0, Decimal.ROUND_DOWN).toFixed(0));
}

/** Converts a Decimal to minor units, rounding half away from zero (used for FX conversion). */
export function roundHalfUpToMinor(value: Decimal): bigint {
  return BigInt(value.toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
}

/** Integer division of bigints truncating toward zero (JavaScript's bigint `/` already does). */
export function divTrunc(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new AccrueError('internal', 'division by zero');
  return numerator / denominator;
}

/**
 * Splits `total` minor units over `weights` by the largest-remainder method, so the parts sum
 * to `total` exactly. Each part starts as the truncated exact share; the units left over go one
 * each to the largest remainders; ties go to the larger weight, then to the earlier position.
 * A negative total is split as its absolute value and negated. Weights must be ≥ 0, not all 0.
 */
export function allocate(total: bigint, weights: readonly bigint[]): bigint[] {
  if (weights.length === 0) throw new AccrueError('internal', 'allocate: no weights');
  let sum = 0n;
  for (const w of weights) {
    if (w < 0n) throw new AccrueError('internal', 'allocate: negative weight');
    sum += w;
  }
  if (sum === 0n) throw new AccrueError('internal', 'allocate: weights sum to zero');
  const neg = total < 0n;
  const t = neg ? -total : total;
  const parts = weights.map((w) => (t * w) / sum);
  let left = t;
  for (const p of parts) left -= p;
  // Nothing left to hand out (one weight, or shares that divide exactly): no ranking needed.
  if (left === 0n) return neg ? parts.map((p) => -p) : parts;
  const order = weights
    .map((w, i) => ({ i, w, rem: (t * w) % sum }))
    .sort((a, b) => (a.rem !== b.rem ? (b.rem > a.rem ? 1 : -1) : a.w !== b.w ? (b.w > a.w ? 1 : -1) : a.i - b.i));
  for (const o of order) {
    if (left === 0n) break;
    parts[o.i]! += 1n;
    left -= 1n;
  }
  return neg ? parts.map((p) => -p) : parts;
}

/** Converts Decimal weights (e.g. SSPs "130.00") to integer weights on a common scale. */
export function decimalWeights(values: readonly (string | Decimal)[]): bigint[] {
  const ds = values.map((v) => new Decimal(v));
  const places = Math.max(0, ...ds.map((d) => d.decimalPlaces()));
  const scale = new Decimal(10).pow(places);
  return ds.map((d) => BigInt(d.mul(scale).toFixed(0)));
}

export { Decimal };
