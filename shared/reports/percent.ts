/**
 * Percentages for display, exactly: a ratio string ("0.973156") times 100 in decimal arithmetic,
 * rounded once by the named rule to two places ("97.32 %"). Never a float, so a ratio of any
 * length reads the same in the CLI's tables and the Stripe App.
 */
import { Decimal } from 'decimal.js';

/** Places a displayed percentage keeps. */
export const PERCENT_DISPLAY_DECIMALS = 2;
/** The rounding of a displayed percentage: half to even, as the ratios themselves are rounded. */
export const PERCENT_DISPLAY_ROUNDING = Decimal.ROUND_HALF_EVEN;

/** "97.31 %" from "0.9731"; "–" when there is no ratio (a zero base); anything unreadable unchanged. */
export function displayPercent(ratio: string | null): string {
  if (ratio === null) return '–';
  if (!/^-?\d+(\.\d+)?$/.test(ratio)) return ratio;
  const pct = new Decimal(ratio).times(100).toDecimalPlaces(PERCENT_DISPLAY_DECIMALS, PERCENT_DISPLAY_ROUNDING);
  return `${pct.toFixed(PERCENT_DISPLAY_DECIMALS)} %`;
}
