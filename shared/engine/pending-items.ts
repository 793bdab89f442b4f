/**
 * Pending invoice items (docs/accounting.md §3, "Prorations and other items billed later"): an
 * invoice item created before the invoice that bills it is earned over its own period in its
 * own aggregate (Dr unbilled receivable / Cr revenue). The invoice that bills it then credits
 * the unbilled receivable for what was accrued before the invoice's period and defers the rest,
 * which the invoice moves from deferred revenue to unbilled receivable as the item keeps earning.
 */
import { minor } from '../money.ts';
import type { LineDraft } from '../journal.ts';
import type { Period } from '../periods.ts';
import { emit, type AggregateBook } from './aggregate-book.ts';
import { configuredRate, rateOrException } from './fx.ts';
import { translateRunning } from './pending-items-foreign.ts';
import { dateOf, isReleased, lastDay, type EngineContext } from './context.ts';
import { factKey, type InvoiceItemFact, type InvoiceLineFact } from './facts.ts';
import type { InvoiceState, LineBooking, LineDimensions } from './invoice-state.ts';
import { pendingSubject, resolveRule } from './rules.ts';
import { baseSegment, releasesByPeriod, type PeriodAmount, type Timing } from './schedule.ts';

/** What a pending item's schedule depends on: the same fields on the item and on the line that bills it. */
type PendingItem = Pick<
  InvoiceLineFact & InvoiceItemFact,
  'amountMinor' | 'product' | 'price' | 'periodStart' | 'periodEnd'
>;

/** The schedule a pending invoice item is accrued on, by posting period (catch-up folds early periods in). */
export function pendingSchedule(context: EngineContext, item: PendingItem, createdAt: number): PeriodAmount[] {
  const { amountMinor: amount, periodStart: start, periodEnd: end } = item;
  const rule = resolveRule(context.settings, pendingSubject(item), dateOf(context, createdAt));
  const timing: Timing =
    end > start ? { kind: 'ratable', start, end, method: rule.method } : { kind: 'point', at: createdAt };
  const segment = baseSegment(amount, timing, context.schedule);
  const booking = context.calendar.periodOf(dateOf(context, createdAt));
  const catchUp = context.settings.catch_up;
  return releasesByPeriod([segment]).map((release) => ({
    period: catchUp && release.period.start < booking.start ? booking : release.period,
    amountMinor: release.amountMinor,
  }));
}

/** A pending invoice item's own aggregate: earned over its own period before it is billed. */
export function bookInvoiceItem(book: AggregateBook, item: InvoiceItemFact): void {
  const context = book.context;
  const currency = context.functionalCurrency;
  const foreign = item.currency !== currency;
  // A foreign item accrues at its creation date's rate (pending-items-foreign.ts).
  const choice = foreign ? configuredRate(context.settings, item.currency, currency, dateOf(context, item.at)) : null;
  const fact = {
    objectId: item.invoiceItem,
    factKey: factKey(item),
    from: item.currency,
    date: dateOf(context, item.at),
  };
  const rate = foreign ? rateOrException(book, choice, fact) : null;
  if (foreign && !rate) return;
  const rule = resolveRule(context.settings, pendingSubject(item), dateOf(context, item.at));
  const byPeriod = new Map<string, PeriodAmount>();
  for (const release of pendingSchedule(context, item, item.at)) {
    const merged = byPeriod.get(release.period.key);
    if (merged) merged.amountMinor += release.amountMinor;
    else byPeriod.set(release.period.key, { ...release });
  }
  const periods = [...byPeriod.values()];
  const amounts = periods.map((p) => p.amountMinor);
  const functional = rate ? translateRunning(amounts, item.currency, currency, rate) : amounts;
  periods.forEach(({ period, amountMinor: inItemCurrency }, k) => {
    const amount = functional[k]!;
    const released = isReleased(context, period);
    book.schedules.push({
      aggregate: book.key,
      invoice: null,
      invoiceLine: item.invoiceItem,
      obligation: item.invoiceItem,
      product: item.product,
      period: period.key,
      postingPeriod: period.key,
      postingDate: lastDay(period),
      amountMinor: amount,
      currency,
      released,
    });
    if (!released) return;
    const dimensions = {
      customer: item.customer ?? undefined,
      invoiceLine: item.invoiceItem,
      product: item.product ?? undefined,
      bookedOn: dateOf(context, item.at),
    };
    const original = (sign: bigint): LineDraft['original'] =>
      rate ? { currency: item.currency, amountMinor: minor(sign * inItemCurrency), rate: rate.toString() } : undefined;
    emit(book, {
      key: `ubl:${item.invoiceItem}:${period.key}`,
      kind: 'unbilled_accrual',
      postingDate: lastDay(period),
      memo: `Unbilled ${item.proration ? 'proration' : 'item'} ${item.invoiceItem} earned in ${period.key}`,
      sources: [item.invoiceItem],
      lines: [
        { role: 'unbilled_receivable', amountMinor: minor(amount), currency, original: original(1n), ...dimensions },
        {
          role: 'revenue',
          account: rule.account,
          amountMinor: minor(-amount),
          currency,
          original: original(-1n),
          ...dimensions,
        },
      ],
    });
  });
}

/**
 * Finalization lines of an invoice line that bills a pending item: what was accrued before the
 * invoice's period leaves the unbilled receivable, the rest is deferred, and the line's discount
 * (gross − net) goes to discounts.
 */
export function bookPendingLine(booking: LineBooking): void {
  const { book, invoice, booked, dimensions } = booking;
  const context = book.context;
  const line = booked.line;
  const currency = context.functionalCurrency;
  const gross = line.amountMinor;
  const schedule = pendingSchedule(context, line, line.pendingItemCreatedAt!);
  booked.pendingSchedule = schedule;
  let accrued = 0n;
  for (const release of schedule)
    if (release.period.start < invoice.bookingPeriod.start) accrued += release.amountMinor;
  const memo = 'pending item not yet earned';
  booking.lines.push({ role: 'unbilled_receivable', amountMinor: minor(-accrued), currency, ...dimensions });
  booking.lines.push({
    role: 'deferred_revenue',
    amountMinor: minor(-(gross - accrued)),
    currency,
    ...dimensions,
    memo,
  });
  booking.lines.push({ role: 'discounts', amountMinor: minor(gross - booked.netFunctional), currency, ...dimensions });
}

/**
 * Recognition lines of a pending item's line: period by period from the invoice's period on,
 * what the item's own aggregate earns is moved from deferred revenue to unbilled receivable.
 */
export function addPendingReclassification(
  context: EngineContext,
  invoice: InvoiceState,
  schedule: PeriodAmount[],
  dimensions: LineDimensions,
  linesOf: (period: Period) => LineDraft[],
): void {
  const currency = context.functionalCurrency;
  for (const release of schedule) {
    if (release.period.start < invoice.bookingPeriod.start) continue;
    const lines = linesOf(release.period);
    const memo = 'earned by pending item';
    lines.push({ role: 'deferred_revenue', amountMinor: minor(release.amountMinor), currency, ...dimensions, memo });
    lines.push({ role: 'unbilled_receivable', amountMinor: minor(-release.amountMinor), currency, ...dimensions });
  }
}
