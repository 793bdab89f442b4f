/**
 * A tenant's rate provider (docs/accounting.md §3, "Foreign currency"): daily reference rates
 * fetched over HTTP and parsed into rate rows. Two formats:
 *
 * - `json`: `{ "date": "2026-01-05", "base": "USD", "rates": { "EUR": 0.92, "JPY": 156.1 } }`,
 *   units of each currency per one unit of the base (the common shape of public reference-rate
 *   services);
 * - `csv`: a header `date,from,to,rate`, then one row per pair (units of `to` per unit of `from`).
 *
 * Nothing the provider says is trusted: a rate of zero, a negative or non-numeric rate, an unknown
 * currency code or a date other than the one asked for is dropped and named in `problems`; an
 * answer that is not the format at all is a `ProviderFault` (the caller records it and retries at
 * the next tick). A transport failure (refused, timeout, 5xx, 429) is retried here a few times with
 * back-off before it becomes a fault.
 */
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import type { LocalDate } from '../../shared/journal.ts';
import { isKnownCurrency, normalizeCurrency, type Currency } from '../../shared/money.ts';

export interface ProviderConfig {
  url: string;
  format: 'json' | 'csv';
  base?: Currency | undefined;
}

export interface ProviderRate {
  date: LocalDate;
  from: Currency;
  to: Currency;
  /** A positive decimal, as text. */
  rate: string;
}

export interface ProviderAnswer {
  rates: ProviderRate[];
  /** Rows dropped, each with why. */
  problems: string[];
}

/** The provider could not be used this time: down, too slow, or not speaking its format. */
export class ProviderFault extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'ProviderFault';
  }
}

/** Attempts per fetch and the first back-off; a request taking longer than the timeout is a failure. */
export const PROVIDER_ATTEMPTS_MAX = 3;
const BACKOFF_MS = 200;
const TIMEOUT_MS = 5_000;
/** An answer larger than this is not a day of reference rates. */
export const PROVIDER_BODY_BYTES_MAX = 1_000_000;

/** The URL for one day: `{date}` and `{base}` replaced (a URL without them is used as it is). */
export function providerUrl(config: ProviderConfig, date: LocalDate): string {
  return config.url
    .replaceAll('{date}', encodeURIComponent(date))
    .replaceAll('{base}', encodeURIComponent((config.base ?? 'usd').toUpperCase()));
}

/** Fetches and parses one day's rates, retrying transport failures. */
export async function fetchProviderRates(
  config: ProviderConfig,
  date: LocalDate,
  fetchImpl: typeof fetch = fetch,
): Promise<ProviderAnswer> {
  let last: ProviderFault | null = null;
  for (let attempt = 1; attempt <= PROVIDER_ATTEMPTS_MAX; attempt++) {
    try {
      const text = await fetchText(providerUrl(config, date), fetchImpl);
      return parseProviderAnswer(config, date, text);
    } catch (err) {
      last = err instanceof ProviderFault ? err : new ProviderFault(`rate provider failed: ${String(err)}`, true);
      if (!last.transient) throw last;
      if (attempt < PROVIDER_ATTEMPTS_MAX) await new Promise((r) => setTimeout(r, BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
  throw last!;
}

async function fetchText(url: string, fetchImpl: typeof fetch): Promise<string> {
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
  } catch (err) {
    throw new ProviderFault(`rate provider unreachable (${(err as Error).name}: ${(err as Error).message})`, true);
  }
  if (res.status >= 500 || res.status === 429) {
    throw new ProviderFault(`rate provider answered HTTP ${res.status}`, true);
  }
  if (!res.ok) throw new ProviderFault(`rate provider answered HTTP ${res.status}; check the provider URL`, false);
  const text = await res.text();
  if (text.length > PROVIDER_BODY_BYTES_MAX) throw new ProviderFault('rate provider answer is too large', false);
  return text;
}

const JsonAnswer = z.object({
  date: z.string().optional(),
  base: z.string().optional(),
  rates: z.record(z.string(), z.unknown()),
});

/** Parses a provider's answer for `date`; rows that are not usable are dropped into `problems`. */
export function parseProviderAnswer(config: ProviderConfig, date: LocalDate, text: string): ProviderAnswer {
  return config.format === 'json' ? parseJson(config, date, text) : parseCsv(date, text);
}

function parseJson(config: ProviderConfig, date: LocalDate, text: string): ProviderAnswer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ProviderFault('rate provider answer is not JSON', false);
  }
  const parsed = JsonAnswer.safeParse(body);
  if (!parsed.success) throw new ProviderFault('rate provider answer has no "rates" object', false);
  const answer = parsed.data;
  const problems: string[] = [];
  if (answer.date !== undefined && answer.date !== date) {
    throw new ProviderFault(`rate provider answered for ${answer.date}, not ${date}`, false);
  }
  const baseText = answer.base ?? config.base ?? 'usd';
  if (!isKnownCurrency(baseText)) throw new ProviderFault(`rate provider base "${baseText}" is not a currency`, false);
  const base = normalizeCurrency(baseText);
  const rates: ProviderRate[] = [];
  for (const [code, value] of Object.entries(answer.rates)) {
    const row = rateRow(date, base, code, value);
    if (typeof row === 'string') problems.push(row);
    else if (row.to !== base) rates.push(row);
  }
  return { rates, problems };
}

function parseCsv(date: LocalDate, text: string): ProviderAnswer {
  const rows = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (rows[0]?.replace(/\s/g, '').toLowerCase() !== 'date,from,to,rate') {
    throw new ProviderFault('rate provider CSV must start with the header date,from,to,rate', false);
  }
  const rates: ProviderRate[] = [];
  const problems: string[] = [];
  rows.slice(1).forEach((line, i) => {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== 4) return problems.push(`line ${i + 2}: expected 4 fields, found ${cells.length}`);
    const [rowDate, from, to, rate] = cells as [string, string, string, string];
    if (rowDate !== date) return problems.push(`line ${i + 2}: date ${rowDate} is not ${date}`);
    if (!isKnownCurrency(from)) return problems.push(`line ${i + 2}: "${from}" is not a currency`);
    const row = rateRow(date, normalizeCurrency(from), to, rate);
    if (typeof row === 'string') problems.push(`line ${i + 2}: ${row}`);
    else rates.push(row);
  });
  return { rates, problems };
}

/** One rate row, or why it is unusable. */
function rateRow(date: LocalDate, from: Currency, code: string, value: unknown): ProviderRate | string {
  if (!isKnownCurrency(code)) return `"${code}" is not a currency`;
  const text = typeof value === 'number' || typeof value === 'string' ? String(value).trim() : '';
  if (!/^\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text))
    return `${code.toUpperCase()}: rate ${JSON.stringify(value)} is not a number`;
  const rate = new Decimal(text);
  if (!rate.isFinite() || rate.lte(0)) return `${code.toUpperCase()}: rate ${text} is not greater than zero`;
  return { date, from, to: normalizeCurrency(code), rate: rate.toFixed() };
}
