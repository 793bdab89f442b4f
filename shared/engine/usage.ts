/**
 * Unbilled usage (docs/accounting.md, "Usage billed in arrears"): one customer's usage on one
 * metered price in one billing window is its own aggregate. Each period end that finds usage not
 * yet invoiced accrues the increase of its value (Dr unbilled receivable / Cr revenue); the
 * invoice that bills the window trues the accrual up: what was accrued leaves the unbilled
 * receivable against revenue, while the invoice's own line recognizes the billed amount like any
 * line (catch-up), so the books keep the billed amount and the difference lands in the
 * finalization period. With catch-up off each period's accrual is reversed in its own period
 * (a closed one posts as a correction in the first open period), where the line's own share
 * replaces it.
 */
import { minor } from '../money.ts';
import type { LineDraft, LocalDate } from '../journal.ts';
import { emit, type AggregateBook } from './aggregate-book.ts';
import { dateOf, isReleased, lastDay } from './context.ts';
import type { Fact, UsageAccrualFact, UsageBilledFact } from './facts.ts';
import { EngineRefusal } from './failures.ts';
import { resolveRule } from './rules.ts';

/** A billed line that bills usage in arrears: its window ended by the time the invoice was finalized. */
export function billsInArrears(fact: UsageBilledFact): boolean {
  return fact.periodEnd <= fact.at;
}

interface Increment {
  accrual: UsageAccrualFact;
  amountMinor: bigint;
}

/** Books one usage aggregate: its accruals, then the true-up by the invoice that bills it. */
export function bookUsage(book: AggregateBook, facts: Fact[]): void {
  const context = book.context;
  const billed = facts
    .filter((f): f is UsageBilledFact => f.type === 'usage_billed' && billsInArrears(f))
    .sort((a, b) => a.at - b.at || (a.invoice < b.invoice ? -1 : 1))[0];
  const accruals = facts
    .filter((f): f is UsageAccrualFact => f.type === 'usage_accrual')
    .filter((f) => !billed || f.at <= billed.at)
    .sort((a, b) => a.at - b.at);
  const increments: Increment[] = [];
  let cumulative = 0n;
  for (const accrual of accruals) {
    refuseBadAccrual(accrual, context.functionalCurrency);
    increments.push({ accrual, amountMinor: accrual.amountMinor - cumulative });
    cumulative = accrual.amountMinor;
  }
  for (const { accrual, amountMinor } of increments) {
    const period = context.calendar.periodOf(dateOf(context, accrual.at - 1));
    if (!isReleased(context, period)) continue;
    emit(book, {
      key: `usage:${accrual.customer}:${accrual.price}:${accrual.periodStart}:${period.key}`,
      kind: 'unbilled_accrual',
      postingDate: lastDay(period),
      memo: `Unbilled usage of ${accrual.customer} on ${accrual.price} (meter ${accrual.meter}) at ${period.key} end`,
      sources: [accrual.meter, accrual.customer, accrual.price],
      lines: usageLines(book, accrual, amountMinor, lastDay(period)),
    });
  }
  if (!billed) return;
  if (context.settings.catch_up) {
    emit(book, {
      key: `usage:true-up:${billed.invoice}:${billed.invoiceLine}`,
      kind: 'unbilled_accrual',
      postingDate: dateOf(context, billed.at),
      memo: `Usage accrual reversed: invoice ${billed.invoice} bills it`,
      sources: [billed.invoice, billed.invoiceLine],
      lines: usageLines(
        book,
        { ...billed, currency: context.functionalCurrency },
        -cumulative,
        dateOf(context, billed.at),
      ),
    });
    return;
  }
  for (const { accrual, amountMinor } of increments) {
    const period = context.calendar.periodOf(dateOf(context, accrual.at - 1));
    if (!isReleased(context, period)) continue;
    emit(book, {
      key: `usage:true-up:${billed.invoice}:${billed.invoiceLine}:${period.key}`,
      kind: 'unbilled_accrual',
      postingDate: lastDay(period),
      memo: `Usage accrual of ${period.key} reversed: invoice ${billed.invoice} bills it`,
      sources: [billed.invoice, billed.invoiceLine],
      lines: usageLines(book, { ...billed, currency: context.functionalCurrency }, -amountMinor, lastDay(period)),
    });
  }
}

/** Dr unbilled receivable / Cr revenue for a positive amount; the mirror image for a negative one. */
function usageLines(
  book: AggregateBook,
  on: Pick<UsageAccrualFact, 'customer' | 'price' | 'product' | 'currency'>,
  amount: bigint,
  bookedOn: LocalDate,
): LineDraft[] {
  const context = book.context;
  const rule = resolveRule(
    context.settings,
    { product: on.product, price: on.price, customer: on.customer, currency: on.currency },
    bookedOn,
  );
  const dimensions = { customer: on.customer, product: on.product ?? undefined };
  return [
    { role: 'unbilled_receivable', amountMinor: minor(amount), currency: on.currency, ...dimensions },
    { role: 'revenue', account: rule.account, amountMinor: minor(-amount), currency: on.currency, ...dimensions },
  ];
}

/** Usage that cannot be booked as it stands: the whole aggregate becomes an exception row. */
function refuseBadAccrual(accrual: UsageAccrualFact, functional: string): void {
  const what = `usage accrual of ${accrual.customer} on ${accrual.price} (meter ${accrual.meter})`;
  if (accrual.quantity.trim().startsWith('-') || accrual.amountMinor < 0n)
    throw new EngineRefusal(`${what} has a negative quantity (${accrual.quantity}); usage is never negative`, {
      meter: accrual.meter,
    });
  if (accrual.currency !== functional)
    throw new EngineRefusal(`${what} is in ${accrual.currency}, not the functional ${functional}`, {
      meter: accrual.meter,
    });
}
