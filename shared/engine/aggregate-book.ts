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
  const lines: LineDraft[] = [];
  const firstCurrency = entry.lines[0]?.currency;
  let sum = 0n;
  let mixed = false;
  for (const line of entry.lines) {
    if (line.amountMinor === 0n) continue;
    lines.push(line);
    if (line.currency !== firstCurrency) mixed = true;
    sum += line.amountMinor;
  }
  if (lines.length === 0) return;
  if (mixed) {
    const sums = new Map<string, bigint>();
    for (const line of lines) sums.set(line.currency, (sums.get(line.currency) ?? 0n) + line.amountMinor);
    for (const [currency, total] of sums) if (total !== 0n) throw unbalanced(entry.key, currency, total);
  } else if (sum !== 0n) {
    throw unbalanced(entry.key, firstCurrency, sum);
  }
  entry.lines = lines;
  book.entries.push(entry);
}

function unbalanced(key: string, currency: string | undefined, total: bigint): AccrueError {
  return new AccrueError('unbalanced_entry', `entry ${key} does not balance in ${currency} (${total})`, { key });
}
