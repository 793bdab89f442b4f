/**
 * Recognition (docs/accounting.md §3, "Recognition"): one entry per invoice per posting
 * period, dated on the period's last day once it is released, with one deferred/income pair
 * per obligation; and the schedule lines shown for every period, released or not.
 */
import { minor } from '../money.ts';
import type { AccountRole } from '../accounts.ts';
import type { LineDraft, LocalDate } from '../journal.ts';
import type { Period } from '../periods.ts';
import { emit, type AggregateBook } from './aggregate-book.ts';
import { dateOf, lastDay, type EngineContext } from './context.ts';
import { originalAmount } from './fx.ts';
import { lineDimensions, type BookedLine, type InvoiceState, type LineDimensions } from './invoice-state.ts';
import type { Obligation } from './obligations.ts';
import { addPendingReclassification } from './pending-items.ts';
import { addForeignPendingReclassification } from './pending-items-foreign.ts';
import { releasesByPeriod, type PeriodAmount } from './schedule.ts';
import { pendingSubject, resolveRuleIn } from './rules.ts';
import type { Currency } from '../money.ts';

/** The posting period of a release: under catch-up, periods before the booking period post in it. */
type Posting = (period: Period) => Period;

/** One posting period of an invoice's recognition: its entry's lines so far, its date, whether it is released. */
interface PostingBucket {
  period: Period;
  lines: LineDraft[];
  lastDay: LocalDate;
  released: boolean;
  /** The bucket created after this one. */
  following: PostingBucket | undefined;
}

export function bookRecognition(book: AggregateBook, invoice: InvoiceState): void {
  const context = book.context;
  const bookedOn = dateOf(context, invoice.fact.at);
  const byPeriod = new Map<string, PostingBucket>();
  const catchUp = context.settings.catch_up;
  const booking = invoice.bookingPeriod;
  const posting: Posting = (period) => (catchUp && period.start < booking.start ? booking : period);
  // Schedules walk their periods in time order, so the bucket asked for is most often the one
  // created after the bucket asked for before it: that chain is tried before the map.
  let recent: PostingBucket | undefined;
  let newest: PostingBucket | undefined;
  const bucketOf = (period: Period): PostingBucket => {
    const following = recent?.following;
    if (following?.period === period) return (recent = following);
    if (recent?.period === period) return recent;
    let bucket = byPeriod.get(period.key);
    if (!bucket) {
      const day = lastDay(period);
      bucket = { period, lines: [], lastDay: day, released: day <= context.through, following: undefined };
      byPeriod.set(period.key, bucket);
      if (newest) newest.following = bucket;
      newest = bucket;
    }
    return (recent = bucket);
  };
  const linesOf = (period: Period): LineDraft[] => bucketOf(period).lines;
  for (const booked of invoice.lines) {
    const dimensions = lineDimensions(invoice, booked.line, bookedOn);
    if (booked.pendingSchedule && booked.foreignPending) {
      const line = booked.line;
      const rule = resolveRuleIn(context, pendingSubject(line), dateOf(context, line.pendingItemCreatedAt!));
      const revenue = { account: rule.account, dimensions };
      addForeignPendingReclassification(
        context,
        invoice,
        booked.pendingSchedule,
        booked.foreignPending,
        revenue,
        linesOf,
      );
      continue;
    }
    if (booked.pendingSchedule) {
      addPendingReclassification(context, invoice, booked.pendingSchedule, dimensions, linesOf);
      continue;
    }
    for (const obligation of booked.obligations) {
      if (!obligation.scheduled) continue;
      const releases = releasesByPeriod(obligation.functional.segments);
      addScheduleLines(book, invoice, booked, obligation, releases, (period) => bucketOf(posting(period)));
      addReleaseLines(context, invoice, obligation, mergeByPosting(releases, posting), posting, dimensions, bucketOf);
    }
  }
  // Posting periods in the order they were first met; the entries are sorted by date, kind and key later.
  for (const { period, lines, lastDay: postingDate, released } of byPeriod.values()) {
    if (!released || lines.length === 0) continue;
    emit(book, {
      key: `rec:${invoice.fact.invoice}:${period.key}`,
      kind: 'recognition',
      postingDate,
      memo: `Revenue recognized on ${invoice.fact.invoice} for ${period.key}`,
      sources: [invoice.fact.invoice],
      lines,
    });
  }
}

/** The schedule for display: by the period the amount is earned in, with where it is posted. */
function addScheduleLines(
  book: AggregateBook,
  invoice: InvoiceState,
  booked: BookedLine,
  obligation: Obligation,
  releases: readonly PeriodAmount[],
  postingOf: (period: Period) => PostingBucket,
): void {
  const context = book.context;
  let previous: AggregateBook['schedules'][number] | undefined;
  for (const release of releases) {
    if (previous && previous.period === release.period.key) {
      previous.amountMinor += release.amountMinor;
      continue;
    }
    const posted = postingOf(release.period);
    previous = {
      aggregate: book.key,
      invoice: invoice.fact.invoice,
      invoiceLine: booked.line.id,
      obligation: obligation.id,
      product: booked.line.product,
      period: release.period.key,
      postingPeriod: posted.period.key,
      postingDate: posted.lastDay,
      amountMinor: release.amountMinor,
      currency: context.functionalCurrency,
      released: posted.released,
    };
    book.schedules.push(previous);
  }
}

/** One deferred/income pair per released posting period of the obligation (`functional`: its releases by posting period). */
function addReleaseLines(
  context: EngineContext,
  invoice: InvoiceState,
  obligation: Obligation,
  functional: readonly PeriodAmount[],
  posting: Posting,
  dimensions: LineDimensions,
  bucketOf: (period: Period) => PostingBucket,
): void {
  const currency = context.functionalCurrency;
  const inInvoiceCurrency = invoice.foreign
    ? amountsByKey(mergeByPosting(releasesByPeriod(obligation.invoiceCurrency.segments), posting))
    : null;
  for (const { period, amountMinor: amount } of functional) {
    const bucket = bucketOf(period);
    if (!bucket.released) continue;
    const debit = releaseLine(obligation.deferredRole, amount, currency, dimensions);
    const credit = releaseLine(obligation.incomeRole, -amount, currency, dimensions);
    if (obligation.account !== undefined) credit.account = obligation.account;
    if (inInvoiceCurrency) {
      const amountInvoiceCurrency = inInvoiceCurrency.get(period.key) ?? 0n;
      debit.original = originalAmount(invoice, amountInvoiceCurrency);
      credit.original = originalAmount(invoice, -amountInvoiceCurrency);
    }
    bucket.lines.push(debit, credit);
  }
}

/** One side of a release pair. Written out rather than spread: this is the engine's hottest allocation. */
function releaseLine(role: AccountRole, amount: bigint, currency: Currency, dimensions: LineDimensions): LineDraft {
  return {
    role,
    amountMinor: minor(amount),
    currency,
    customer: dimensions.customer,
    invoice: dimensions.invoice,
    invoiceLine: dimensions.invoiceLine,
    product: dimensions.product,
    bookedOn: dimensions.bookedOn,
  };
}

/**
 * Sums releases by posting period (catch-up folds early periods into the booking period), in the
 * order each posting period first appears. Releases that already post to distinct periods in
 * time order (no catch-up fold: the common case) are their own sums and are returned as they are.
 */
function mergeByPosting(releases: readonly PeriodAmount[], posting: Posting): readonly PeriodAmount[] {
  let previous: Period | undefined;
  let distinct = true;
  for (const release of releases) {
    const period = release.period;
    if (posting(period) !== period || (previous !== undefined && period.start <= previous.start)) {
      distinct = false;
      break;
    }
    previous = period;
  }
  if (distinct) return releases;
  const merged = new Map<string, PeriodAmount>();
  let last: PeriodAmount | undefined;
  for (const release of releases) {
    const period = posting(release.period);
    // Releases come in time order, so most merges are with the previous one.
    if (last && last.period === period) {
      last.amountMinor += release.amountMinor;
      continue;
    }
    last = merged.get(period.key);
    if (last) last.amountMinor += release.amountMinor;
    else merged.set(period.key, (last = { period, amountMinor: release.amountMinor }));
  }
  return [...merged.values()];
}

function amountsByKey(amounts: readonly PeriodAmount[]): Map<string, bigint> {
  const byKey = new Map<string, bigint>();
  for (const { period, amountMinor } of amounts) byKey.set(period.key, amountMinor);
  return byKey;
}
