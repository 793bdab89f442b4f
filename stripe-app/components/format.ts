/**
 * Display formatting for every view, in one place so the App reads the same everywhere: money with
 * its currency and thousands separators, straight from integer minor units (the whole part is a
 * bigint given to Intl.NumberFormat, the fraction its own digits — never a float); dates as
 * "Jan 3, 2021", months as "Jan 2021", instants as "Jan 3, 2021, 14:05 UTC"; counts grouped;
 * percentages exact. Also the rule summaries merchants read. No view formats money itself.
 */
import { currencyExponent, formatMinor, type Currency } from '../../shared/money.ts';
import { displayPercent } from '../../shared/reports/percent.ts';
import type { ProductRule } from '../../shared/settings.ts';

/** Digit grouping of whole numbers ("1,234,567"); given bigints, so exact at any size. */
const GROUPED = new Intl.NumberFormat('en-US', { useGrouping: true, maximumFractionDigits: 0 });

/** "1,234,567.89" from "123456789" minor units of USD; "12,000" for 12000 JPY; the sign in front. */
export function amount(amount_minor: string, currency: Currency): string {
  const value = BigInt(amount_minor);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const exponent = currencyExponent(currency);
  const unit = 10n ** BigInt(exponent);
  const fraction = exponent === 0 ? '' : `.${(abs % unit).toString().padStart(exponent, '0')}`;
  return `${negative ? '-' : ''}${GROUPED.format(abs / unit)}${fraction}`;
}

/** "1,234.56 USD" from "123456" minor units: an amount with its currency. */
export function money(amount_minor: string, currency: Currency): string {
  return `${amount(amount_minor, currency)} ${currency.toUpperCase()}`;
}

/** "1,234" from 1234: a count of things (lines, items, customers). */
export function count(n: number): string {
  return GROUPED.format(n);
}

/** "1234.56" from "123456" minor units of USD: the plain decimal an amount field is edited as. */
export function amountInput(amount_minor: string, currency: Currency): string {
  return formatMinor(BigInt(amount_minor), currency);
}

/**
 * Chart value in major units. Charts only take numbers; this is for drawing bars, never for
 * arithmetic: it parses the exact decimal string that formatMinor produced.
 */
export function chartValue(amount_minor: string, currency: Currency): number {
  return Number(formatMinor(BigInt(amount_minor), currency));
}

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Mar 31, 2026" from "2026-03-31" (the Dashboard's date style); anything else unchanged. */
export function calendarDate(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const name = m ? MONTH_NAMES[Number(m[2]) - 1] : undefined;
  return m && name ? `${name} ${Number(m[3])}, ${m[1]}` : date;
}

/** "Mar 2026" from "2026-03"; anything else unchanged. */
export function calendarMonth(month: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  const name = m ? MONTH_NAMES[Number(m[2]) - 1] : undefined;
  return m && name ? `${name} ${m[1]}` : month;
}

/** "97.31 %" from the ratio string "0.9731", exactly; "–" when there is no ratio. */
export function percent(ratio: string | null): string {
  return displayPercent(ratio);
}

/** "Nov 21, 2026, 14:05 UTC" from an ISO instant (the date as calendarDate writes it); "Never" for null. */
export function instant(iso: string | null): string {
  if (!iso) return 'Never';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const utc = d.toISOString();
  return `${calendarDate(utc.slice(0, 10))}, ${utc.slice(11, 16)} UTC`;
}

const RULE_LABELS: Record<ProductRule['rule'], string> = {
  ratable: 'Spread over the service period',
  point_in_time: 'All at once',
  custom_term: 'Spread over a fixed term',
  bundle: 'Bundle split by standalone selling price',
  exclude: 'Not revenue (excluded)',
  prepaid_credits: 'Prepaid billing credits (a liability until used)',
  stored_value: 'Stored value (a liability until redeemed)',
};

/** One line a bookkeeper understands: "Spread over a fixed term (12 months)". */
export function describeRule(rule: ProductRule | null): string {
  if (!rule) return 'Default: spread over the service period';
  const base = RULE_LABELS[rule.rule];
  if (rule.rule === 'custom_term' && rule.term_months) return `${base} (${rule.term_months} months)`;
  if (rule.rule === 'point_in_time' && rule.trigger) return `${base}, at ${rule.trigger}`;
  if (rule.rule === 'bundle' && rule.components) return `${base} (${rule.components.length} components)`;
  return base;
}

export const RULE_OPTIONS = Object.entries(RULE_LABELS) as [ProductRule['rule'], string][];
