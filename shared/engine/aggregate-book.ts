/**
 * What booking one aggregate produces (entries, schedule lines, exceptions) and the two ways a
 * booking step adds to it: `emit` an entry, which must balance, or `addException` for a fact it
 * cannot book.
 */
import { AccrueError } from '../errors.ts';
import type { EntryDraft, LineDraft, LocalDate } from '../journal.ts';
import type { EngineContext } from './context.ts';
import type { Currency } from '../money.ts';

/** One period's release of one obligation, for display (schedules, waterfall previews). */
export interface ScheduleLine {
  aggregate: string;
  invoice: string | null;
  invoiceLine: string | null;
  obligation: string;
  product: string | null;
  /** Period the amount is earned in, and the period it is posted in (differs under catch-up). */
  period: string;
  postingPeriod: string;
  postingDate: LocalDate;
  /** Functional-currency minor units (signed like the obligation). */
  amountMinor: bigint;
  currency: Currency;
  /** True when the posting period ended on or before `through` (a recognition entry exists). */
  released: boolean;
}

/** A fact the engine could not book, with a plain reason; or, as a warning, one it booked on an estimate. */
export interface EngineException {
  aggregate: string;
  objectId: string;
  factKey: string | null;
  reason: string;
  /** `warning`: booked, but a person should look (an estimated exchange rate). Absent: not booked. */
  severity?: 'warning' | undefined;
}

export interface EngineResult {
  entries: EntryDraft[];
  schedules: ScheduleLine[];
  exceptions: EngineException[];
}

/** The books of one aggregate (an invoice, a charge without invoice, a payout, a pending item) being written. */
export interface AggregateBook extends EngineResult {
  context: EngineContext;
  /** The aggregate key (`aggregateKeyOf` of its facts). */
  key: string;
}

export function addException(book: AggregateBook, objectId: string, factKey: string | null, reason: string): void {
  book.exceptions.push({ aggregate: book.key, objectId, factKey, reason });
}

/** A fact that was booked, but on something a person should confirm (an estimated rate). */
export function addWarning(book: AggregateBook, objectId: string, factKey: string | null, reason: string): void {
  book.exceptions.push({ aggregate: book.key, objectId, factKey, reason, severity: 'warning' });
}

/**
 * Adds an entry without its zero lines (an entry left with no line is dropped). An entry that
 * does not balance per currency is a bug in the engine: `unbalanced_entry` stops the run.
 */
export function emit(book: AggregateBook, entry: EntryDraft): void {
  const given = entry.lines;
  const firstCurrency = given[0]?.currency;
  let zeros = 0;
  let mixed = false;
  // The one-currency sum in doubles while every amount and partial sum is a safe integer (then it
  // is exact); otherwise in bigint.
  let sum = 0;
  let exact = true;
  for (const line of given) {
    const amount = line.amountMinor;
    if (amount === 0n) {
      zeros++;
      continue;
    }
    if (line.currency !== firstCurrency) mixed = true;
    if (exact) {
      const value = Number(amount);
      sum += value;
      exact = Number.isSafeInteger(value) && Number.isSafeInteger(sum);
    }
  }
  if (zeros === given.length) return;
  const lines: LineDraft[] = zeros === 0 ? given.slice() : given.filter((line) => line.amountMinor !== 0n);
  if (mixed) {
    const sums = new Map<string, bigint>();
    for (const line of lines) sums.set(line.currency, (sums.get(line.currency) ?? 0n) + line.amountMinor);
    for (const [currency, total] of sums) if (total !== 0n) throw unbalanced(entry.key, currency, total);
  } else if (!exact) {
    let total = 0n;
    for (const line of lines) total += line.amountMinor;
    if (total !== 0n) throw unbalanced(entry.key, firstCurrency, total);
  } else if (sum !== 0) {
    throw unbalanced(entry.key, firstCurrency, BigInt(sum));
  }
  entry.lines = lines;
  book.entries.push(entry);
}

function unbalanced(key: string, currency: string | undefined, total: bigint): AccrueError {
  return new AccrueError('unbalanced_entry', `entry ${key} does not balance in ${currency} (${total})`, { key });
}
