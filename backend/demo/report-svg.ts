/**
 * The drawing primitives of the demo report's inline SVG charts (report-html.ts and
 * report-sections.ts): a value axis in bigint minor units with "nice" steps, bands along the x
 * axis, period labels, bars that never vanish, and the opening of a labelled <svg>. Floats
 * appear only as pixel coordinates; no amount is ever read back from one.
 */
import type { Currency } from '../../shared/money.ts';
import { escapeHtml as esc, moneyText } from './report-format.ts';

/**
 * Periods drawn per chart. A 640-pixel plot keeps bars at least ~14 px wide up to 36 bands
 * (three years of months); beyond that the chart draws the latest 36 and says so, while the
 * tables keep every period.
 */
export const CHART_PERIODS_MAX = 36;

/**
 * Smallest drawn height of a non-zero bar, in pixels, so that a cell worth one cent next to one
 * worth a million is still visible (and clickable) instead of vanishing into a zero-height rect.
 */
export const BAR_HEIGHT_PX_MIN = 1.5;

/** Gridlines aimed for on the value axis; the step is rounded to 1, 2 or 5 × 10ⁿ minor units. */
const VALUE_TICKS_TARGET = 5;

/** Period labels are turned 45° when more than this many would sit side by side. */
export const UPRIGHT_LABELS_MAX = 10;

/**
 * Height of the room under the plot that upright labels leave unused; the viewBox is cut by it
 * so a short chart has no blank band between its axis and its legend.
 */
const UPRIGHT_LABELS_SPARE = 34;

/** Chart geometry in SVG user units (the SVG scales to its container). */
export const CHART = { width: 760, height: 340, left: 96, right: 24, top: 20, bottom: 64 } as const;

/** A fixed number with up to two decimals, for SVG coordinates only. */
export function px(value: number): string {
  return (Math.round(value * 100) / 100).toString();
}

/**
 * The value axis of a chart: from a multiple of `step` at or below min(0, values) to one at or
 * above max(0, values). All in bigint minor units; only the mapping to pixels is a float.
 */
export interface ValueScale {
  bottom: bigint;
  top: bigint;
  step: bigint;
}

export function niceStep(range: bigint): bigint {
  if (range <= 0n) return 1n;
  // Ceiling division so that VALUE_TICKS_TARGET steps always cover the range.
  const raw = (range + BigInt(VALUE_TICKS_TARGET) - 1n) / BigInt(VALUE_TICKS_TARGET);
  let magnitude = 1n;
  while (magnitude * 10n <= raw) magnitude *= 10n;
  for (const m of [1n, 2n, 5n]) if (m * magnitude >= raw) return m * magnitude;
  return 10n * magnitude;
}

export function valueScale(values: readonly bigint[]): ValueScale {
  let min = 0n;
  let max = 0n;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const step = niceStep(max - min);
  // Floor for the bottom (min ≤ 0, so truncating division rounds toward zero: subtract one step
  // when there is a remainder), ceiling for the top.
  const bottom = min % step === 0n ? min : (min / step - 1n) * step;
  const top = max % step === 0n ? max : (max / step + 1n) * step;
  return { bottom, top: top === bottom ? bottom + step : top, step };
}

/**
 * Vertical pixel position of a value. The ratio is taken as Number(bigint) / Number(bigint):
 * a float is acceptable here because it only places pixels; no amount is ever read back from it.
 */
export function yOf(scale: ValueScale, value: bigint): number {
  const plotHeight = CHART.height - CHART.top - CHART.bottom;
  return CHART.top + (plotHeight * Number(scale.top - value)) / Number(scale.top - scale.bottom);
}

/** Gridlines with money labels, and the zero line drawn stronger. */
export function valueAxis(scale: ValueScale, currency: Currency): string {
  const parts: string[] = [];
  for (let v = scale.bottom; v <= scale.top; v += scale.step) {
    const y = px(yOf(scale, v));
    parts.push(
      `<line class="${v === 0n ? 'zero' : 'grid'}" x1="${CHART.left}" x2="${CHART.width - CHART.right}" y1="${y}" y2="${y}"/>`,
      `<text class="tick" x="${CHART.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(moneyText(v, currency))}</text>`,
    );
  }
  return parts.join('');
}

/** Band layout along the x axis: left edge and width of band i of n. */
export function band(i: number, n: number): { x: number; width: number } {
  const plotWidth = CHART.width - CHART.left - CHART.right;
  const width = plotWidth / Math.max(n, 1);
  return { x: CHART.left + i * width, width };
}

/** Period labels under the bands, turned when they would overlap. */
export function periodAxis(keys: readonly string[]): string {
  const turned = keys.length > UPRIGHT_LABELS_MAX;
  return keys
    .map((k, i) => {
      const b = band(i, keys.length);
      const x = px(b.x + b.width / 2);
      const y = CHART.height - CHART.bottom + 16;
      return turned
        ? `<text class="tick" x="${x}" y="${y}" text-anchor="end" transform="rotate(-45 ${x} ${y})">${esc(k)}</text>`
        : `<text class="tick" x="${x}" y="${y}" text-anchor="middle">${esc(k)}</text>`;
    })
    .join('');
}

/** A rect between two values on the scale, never thinner than BAR_HEIGHT_PX_MIN. */
export function barBetween(
  scale: ValueScale,
  x: number,
  width: number,
  from: bigint,
  to: bigint,
): { x: string; y: string; width: string; height: string } {
  const y0 = yOf(scale, from);
  const y1 = yOf(scale, to);
  const height = Math.max(Math.abs(y1 - y0), BAR_HEIGHT_PX_MIN);
  // Grow a too-thin positive bar upwards from its base and a negative one downwards.
  const y = to >= from ? Math.max(y0, y1) - height : Math.min(y0, y1);
  return { x: px(x), y: px(y), width: px(width), height: px(height) };
}

/** The latest CHART_PERIODS_MAX keys, and how many earlier ones were left out of the chart. */
export function chartWindow(keys: readonly string[]): { keys: string[]; omitted: number } {
  const omitted = Math.max(0, keys.length - CHART_PERIODS_MAX);
  return { keys: keys.slice(omitted), omitted };
}

export function svgOpen(id: string, chart: string, label: string, title: string, desc: string, bands: number): string {
  const height = bands > UPRIGHT_LABELS_MAX ? CHART.height : CHART.height - UPRIGHT_LABELS_SPARE;
  return (
    `<svg class="chart" data-chart="${chart}" role="img" aria-label="${esc(label)}" aria-labelledby="${id}-title" aria-describedby="${id}-desc" ` +
    `viewBox="0 0 ${CHART.width} ${height}" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="${id}-title">${esc(title)}</title><desc id="${id}-desc">${esc(desc)}</desc>`
  );
}
