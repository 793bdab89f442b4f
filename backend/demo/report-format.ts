/**
 * How the demo report writes money and picks colours: amounts with thousands separators (the
 * digits `formatMinor` gives, grouped — never through a float), with the currency code where
 * the amount stands alone, and one distinct colour per series of a chart however many there are.
 */
import { formatMinor, type Currency } from '../../shared/money.ts';

/** Escapes text for HTML and SVG content and attribute values (account names can hold `<` and `&`). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** "1,234,567.89" from 123456789 cents; "12,000" from 12000 yen; the sign stays in front. */
export function moneyText(amount: bigint, currency: Currency): string {
  const plain = formatMinor(amount, currency);
  const negative = plain.startsWith('-');
  const [whole = '', fraction] = (negative ? plain.slice(1) : plain).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction !== undefined ? `.${fraction}` : ''}`;
}

/** "1,234.56 USD": an amount that stands alone, with its currency. */
export function moneyWithCode(amount: bigint, currency: Currency): string {
  return `${moneyText(amount, currency)} ${currency.toUpperCase()}`;
}

/** A table cell holding an amount (right-aligned, tabular digits, grouped). */
export function amountCell(amount: bigint, currency: Currency, attrs = ''): string {
  return `<td class="num"${attrs}>${escapeHtml(moneyText(amount, currency))}</td>`;
}

/**
 * The first colours of a chart's series: Okabe–Ito, readable with the common colour-vision
 * deficiencies (its yellow left out: too pale on white).
 */
const BASE_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000'] as const;

/** Hue step beyond the base colours: the golden angle, so neighbouring series never look alike. */
const GOLDEN_ANGLE_DEG = 137.508;

/**
 * The colour of series `i`: the base colours first, then hues a golden angle apart in three
 * lightness bands. Every index gets a different colour, so a legend never repeats one.
 */
export function seriesColour(i: number): string {
  const base = BASE_COLOURS[i];
  if (base) return base;
  const k = i - BASE_COLOURS.length;
  const hue = ((k * GOLDEN_ANGLE_DEG) % 360).toFixed(1);
  const lightness = [38, 52, 28][k % 3];
  return `hsl(${hue}, 62%, ${lightness}%)`;
}

/** "97.31 %" from the ratio string "0.9731" (digits moved, never a float); "–" without a ratio. */
export function percentText(ratio: string | null): string {
  if (ratio === null) return '–';
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(ratio);
  if (!m) return ratio;
  const frac = (m[3] ?? '').padEnd(4, '0');
  const whole = `${m[2]}${frac.slice(0, 2)}`.replace(/^0+(?=\d)/, '');
  return `${m[1]}${whole}.${frac.slice(2, 4)} %`;
}
