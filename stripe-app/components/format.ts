/**
 * Display formatting for the views: money in major units with the currency's own decimals
 * (through shared/money.ts, never a float), instants, and the rule summaries merchants read.
 */
import { formatMinor, type Currency } from '../../shared/money.ts';
import type { ProductRule } from '../../shared/settings.ts';

/** "121.88 USD" from "12188" minor units. */
export function money(amount_minor: string, currency: Currency): string {
  return `${formatMinor(BigInt(amount_minor), currency)} ${currency.toUpperCase()}`;
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

/** "97.31 %" from the ratio string "0.9731"; "–" when there is no ratio. */
export function percent(ratio: string | null): string {
  if (ratio === null) return '–';
  const [whole, frac = ''] = ratio.split('.');
  const digits = `${whole}${frac.padEnd(4, '0')}`.replace(/^(-?)0+(?=\d{3})/, '$1');
  return `${digits.slice(0, -2)}.${digits.slice(-2)} %`;
}

/** "2026-11-21 14:05 UTC" from an ISO instant; "Never" for null. */
export function instant(iso: string | null): string {
  if (!iso) return 'Never';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
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
