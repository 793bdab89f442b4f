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
 *
 * Usage priced in a foreign currency accrues like any foreign unbilled item: each period end's
 * increase is translated at that day's rate; the true-up takes each increase out of the unbilled
 * receivable at the rate it was accrued at and out of revenue at the invoice's rate (the invoice's
 * line books the billed amount at that rate), and the difference goes to `fx_gain_loss`. So the
 * accrued revenue keeps its accrual rates and the receivable is the invoice's.
 */
import { Decimal, minor, type Currency } from '../money.ts';
import type { LineDraft, LocalDate } from '../journal.ts';
import { emit, type AggregateBook } from './aggregate-book.ts';
import { convertMinor } from './allocation.ts';
import { dateOf, isReleased, lastDay } from './context.ts';
import { factKey, type Fact, type UsageAccrualFact, type UsageBilledFact } from './facts.ts';
import { configuredRate, rateOrException } from './fx.ts';
import { EngineRefusal } from './failures.ts';
import { resolveRule } from './rules.ts';

/** A billed line that bills usage in arrears: its window ended by the time the invoice was finalized. */
export function billsInArrears(fact: UsageBilledFact): boolean {
  return fact.periodEnd <= fact.at;
}

interface Increment {
  accrual: UsageAccrualFact;
  /** The increase, in the price's currency, and translated at its period end's rate. */
  amountMinor: bigint;
  functionalMinor: bigint;
  rate: Decimal;
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
    refuseBadAccrual(accrual, billed);
    const amountMinor = accrual.amountMinor - cumulative;
    const rate = rateOf(book, accrual, accrual.currency, dateOf(context, accrual.at - 1));
    if (!rate) return; // no rate: an exception, and nothing of the window is booked
    const functionalMinor = convertMinor(amountMinor, accrual.currency, context.functionalCurrency, rate);
    increments.push({ accrual, amountMinor, functionalMinor, rate });
    cumulative = accrual.amountMinor;
  }
  const billedCurrency = billed?.currency ?? context.functionalCurrency;
  const invoiceRate = billed ? rateOf(book, billed, billedCurrency, dateOf(context, billed.at)) : null;
  if (billed && !invoiceRate) return;
  for (const increment of increments) {
    const { accrual } = increment;
    const period = context.calendar.periodOf(dateOf(context, accrual.at - 1));
    if (!isReleased(context, period)) continue;
    emit(book, {
      key: `usage:${accrual.customer}:${accrual.price}:${accrual.periodStart}:${period.key}`,
      kind: 'unbilled_accrual',
      postingDate: lastDay(period),
      memo: `Unbilled usage of ${accrual.customer} on ${accrual.price} (meter ${accrual.meter}) at ${period.key} end`,
      sources: [accrual.meter, accrual.customer, accrual.price],
      lines: usageLines(book, accrual, increment, lastDay(period)),
    });
  }
  if (!billed || !invoiceRate) return;
  if (billedCurrency !== context.functionalCurrency && context.settings.catch_up) {
    emit(book, {
      key: `usage:true-up:${billed.invoice}:${billed.invoiceLine}`,
      kind: 'unbilled_accrual',
      postingDate: dateOf(context, billed.at),
      memo: `Usage accrual reversed: invoice ${billed.invoice} bills it`,
      sources: [billed.invoice, billed.invoiceLine],
      lines: foreignTrueUpLines(book, { ...billed, currency: billedCurrency }, increments, invoiceRate),
    });
    return;
  }
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
        { amountMinor: -cumulative, functionalMinor: -cumulative, rate: new Decimal(1) },
        dateOf(context, billed.at),
      ),
    });
    return;
  }
  // Catch-up off: each period's accrual is reversed in its own period at the rate it was accrued at.
  for (const { accrual, amountMinor, functionalMinor, rate } of increments) {
    const period = context.calendar.periodOf(dateOf(context, accrual.at - 1));
    if (!isReleased(context, period)) continue;
    const reversed = { amountMinor: -amountMinor, functionalMinor: -functionalMinor, rate };
    emit(book, {
      key: `usage:true-up:${billed.invoice}:${billed.invoiceLine}:${period.key}`,
      kind: 'unbilled_accrual',
      postingDate: lastDay(period),
      memo: `Usage accrual of ${period.key} reversed: invoice ${billed.invoice} bills it`,
      sources: [billed.invoice, billed.invoiceLine],
      lines: usageLines(book, { ...billed, currency: accrual.currency }, reversed, lastDay(period)),
    });
  }
}

type UsageOn = Pick<UsageAccrualFact, 'customer' | 'price' | 'product' | 'currency'>;

/** The rate `currency` translates at on `date` (1 in the functional currency); null, with an exception, when there is none. */
function rateOf(book: AggregateBook, fact: Fact, currency: Currency, date: LocalDate): Decimal | null {
  const functional = book.context.functionalCurrency;
  if (currency === functional) return new Decimal(1);
  const choice = configuredRate(book.context.settings, currency, functional, date);
  const objectId = fact.type === 'usage_accrual' ? fact.meter : fact.type === 'usage_billed' ? fact.invoice : '';
  return rateOrException(book, choice, { objectId, factKey: factKey(fact), from: currency, date });
}

/** The revenue account and dimensions of usage on a price. */
function revenueOf(book: AggregateBook, on: UsageOn, bookedOn: LocalDate) {
  const rule = resolveRule(
    book.context.settings,
    { product: on.product, price: on.price, customer: on.customer, currency: on.currency },
    bookedOn,
  );
  return { account: rule.account, dimensions: { customer: on.customer, product: on.product ?? undefined } };
}

/**
 * Dr unbilled receivable / Cr revenue for a positive amount; the mirror image for a negative one.
 * In the functional currency, with the original amount and its rate when the price is foreign.
 */
function usageLines(
  book: AggregateBook,
  on: UsageOn,
  amount: Omit<Increment, 'accrual'>,
  bookedOn: LocalDate,
): LineDraft[] {
  const currency = book.context.functionalCurrency;
  const { account, dimensions } = revenueOf(book, on, bookedOn);
  const original = (sign: bigint) =>
    on.currency === currency
      ? {}
      : {
          original: {
            currency: on.currency,
            amountMinor: minor(sign * amount.amountMinor),
            rate: amount.rate.toString(),
          },
        };
  const functional = amount.functionalMinor;
  return [
    { role: 'unbilled_receivable', amountMinor: minor(functional), currency, ...original(1n), ...dimensions },
    { role: 'revenue', account, amountMinor: minor(-functional), currency, ...original(-1n), ...dimensions },
  ];
}

/**
 * The true-up of foreign usage: each accrued increase leaves the unbilled receivable at its own
 * rate, revenue gives back the whole accrued amount at the invoice's rate (the invoice's line books
 * the billed amount at that rate), and the difference is an exchange difference.
 */
function foreignTrueUpLines(
  book: AggregateBook,
  billed: UsageOn & { at: number },
  increments: readonly Increment[],
  invoiceRate: Decimal,
): LineDraft[] {
  const currency = book.context.functionalCurrency;
  const { account, dimensions } = revenueOf(book, billed, dateOf(book.context, billed.at));
  const accrued = increments.reduce((sum, i) => sum + i.amountMinor, 0n);
  const atInvoiceRate = convertMinor(accrued, billed.currency, currency, invoiceRate);
  const carrying = increments.reduce((sum, i) => sum + i.functionalMinor, 0n);
  const original = (amount: bigint, rate: Decimal) => ({
    original: { currency: billed.currency, amountMinor: minor(amount), rate: rate.toString() },
  });
  return [
    ...increments.map((i): LineDraft => ({
      role: 'unbilled_receivable',
      amountMinor: minor(-i.functionalMinor),
      currency,
      ...original(-i.amountMinor, i.rate),
      ...dimensions,
    })),
    {
      role: 'revenue',
      account,
      amountMinor: minor(atInvoiceRate),
      currency,
      ...original(accrued, invoiceRate),
      ...dimensions,
    },
    {
      role: 'fx_gain_loss',
      amountMinor: minor(carrying - atInvoiceRate),
      currency,
      ...dimensions,
      memo: 'usage accrued at period-end rates, billed at the invoice rate',
    },
  ];
}

/** Usage that cannot be booked as it stands: the whole aggregate becomes an exception row. */
function refuseBadAccrual(accrual: UsageAccrualFact, billed: UsageBilledFact | undefined): void {
  const what = `usage accrual of ${accrual.customer} on ${accrual.price} (meter ${accrual.meter})`;
  if (accrual.quantity.trim().startsWith('-') || accrual.amountMinor < 0n)
    throw new EngineRefusal(`${what} has a negative quantity (${accrual.quantity}); usage is never negative`, {
      meter: accrual.meter,
    });
  if (billed?.currency && billed.currency !== accrual.currency)
    throw new EngineRefusal(
      `${what} is in ${accrual.currency}, but invoice ${billed.invoice} bills it in ${billed.currency}`,
      {
        meter: accrual.meter,
      },
    );
}
