/**
 * A billing credit grant and everything applied from it (docs/accounting.md §3, "Billing
 * credits"). A *paid* grant is a contract liability (`prepaid_credits`): credits applied to an
 * invoice are consideration for it, like a payment (Dr prepaid credits / Cr receivable, the
 * invoice's own lines recognize as usual); what is left when the grant expires, is voided or
 * becomes remote is breakage (breakage.ts). A *promotional* grant books nothing here: its credits
 * reduce the invoice's revenue like a discount (invoice.ts). Either way the grant's applications
 * are checked against its amount: credits applied beyond it, or a grant voided twice, are refused
 * and the grant books nothing.
 */
import type { LineDraft } from '../journal.ts';
import { Decimal, formatMinor, minor, type Currency } from '../money.ts';
import { addException, emit, type AggregateBook } from './aggregate-book.ts';
import { convertMinor } from './allocation.ts';
import { escheatSplit, overRedeemed, walkPool, type BreakagePolicy, type PoolEvent } from './breakage.ts';
import { dateOf, type EngineContext } from './context.ts';
import {
  factKey,
  type CreditAppliedFact,
  type CreditGrantFact,
  type CreditGrantVoidedFact,
  type Fact,
} from './facts.ts';
import { EngineRefusal } from './failures.ts';
import type { InvoiceState } from './invoice-state.ts';
import { addMonthsInstant } from './schedule.ts';

/** The breakage policy of a tenant (shared by paid grants and stored value). */
export function breakagePolicy(context: EngineContext): BreakagePolicy {
  const settings = context.settings;
  return {
    afterMonths: settings.breakage_after_months,
    rate: settings.breakage_rate === null ? null : new Decimal(settings.breakage_rate),
    addMonths: (at, months) => addMonthsInstant(at, months, context.timeZone),
    released: (at) => dateOf(context, at) <= context.through,
  };
}

export function bookCreditGrant(book: AggregateBook, grant: CreditGrantFact, facts: Fact[]): void {
  const context = book.context;
  const voids = facts.filter((f): f is CreditGrantVoidedFact => f.type === 'credit_grant_voided');
  if (voids.length > 1)
    throw new EngineRefusal(`credit grant ${grant.grant} is voided twice (${voids.map((v) => v.at).join(' and ')})`);
  const applications = facts.filter((f): f is CreditAppliedFact => f.type === 'credit_applied');
  if (grant.amountMinor < 0n) throw new EngineRefusal(`credit grant ${grant.grant} has a negative amount`);
  for (const a of applications) {
    if (a.currency !== grant.currency)
      throw new EngineRefusal(
        `credits applied by ${a.transaction} are in ${a.currency}, not the grant's ${grant.currency}`,
      );
  }
  const events: PoolEvent[] = [
    {
      kind: 'fund',
      lot: { id: grant.grant, amount: grant.amountMinor, at: grant.at, expiresAt: grant.expiresAt, tracked: true },
    },
    ...applications.map((a) => ({ kind: 'redeem' as const, id: a.transaction, amount: a.amountMinor, at: a.at })),
    ...voids.map((v) => ({ kind: 'end' as const, id: `${grant.grant}:voided`, at: v.at })),
  ];
  const promotional = grant.category === 'promotional';
  // Promotional credits are a price reduction: only their balance is checked, nothing breaks.
  const policy = breakagePolicy(context);
  const movements = walkPool(events, promotional ? { ...policy, afterMonths: null, rate: null } : policy);
  for (const m of movements) {
    if (m.kind === 'redeem' && m.excess > 0n) throw overRedeemed(`credit grant ${grant.grant}, ${m.id}`, m.excess);
  }
  if (promotional) return;
  if (grant.currency !== context.functionalCurrency) {
    const reason =
      `paid credit grant ${grant.grant} is in ${grant.currency.toUpperCase()}, not the functional currency; ` +
      'its applications and breakage are not booked';
    addException(book, grant.grant, factKey(grant), reason);
    return;
  }
  const byTransaction = new Map(applications.map((a) => [a.transaction, a]));
  for (const m of movements) {
    if (m.kind === 'redeem') bookApplication(book, grant, byTransaction.get(m.id)!, m.fromLiability, m.fromBreakage);
    else bookGrantBreakage(book, grant, m.id, m.at, m.amount, m.reason);
  }
}

/** Credits applied to an invoice: Dr prepaid credits (and breakage taken back) / Cr the invoice's receivable. */
function bookApplication(
  book: AggregateBook,
  grant: CreditGrantFact,
  applied: CreditAppliedFact,
  fromLiability: bigint,
  fromBreakage: bigint,
): void {
  const currency = book.context.functionalCurrency;
  const dimensions = { customer: applied.customer ?? grant.customer ?? undefined, invoice: applied.invoice };
  const back = escheatSplit(fromBreakage, new Decimal(book.context.settings.escheat_share));
  const given = applied.amountMinor < 0n;
  emit(book, {
    key: `cg:${grant.grant}:${applied.transaction}`,
    kind: 'credits_applied',
    postingDate: dateOf(book.context, applied.at),
    memo: given
      ? `Credits of grant ${grant.grant} given back by voided invoice ${applied.invoice}`
      : `Credits of grant ${grant.grant} applied to invoice ${applied.invoice}`,
    sources: [applied.transaction, grant.grant, applied.invoice],
    lines: [
      { role: 'prepaid_credits', amountMinor: minor(fromLiability), currency, ...dimensions },
      { role: 'breakage', amountMinor: minor(back.income), currency, ...dimensions, memo: 'breakage taken back' },
      { role: 'escheat_liability', amountMinor: minor(back.escheat), currency, ...dimensions },
      { role: 'receivable', amountMinor: minor(-applied.amountMinor), currency, ...dimensions },
    ],
  });
}

function bookGrantBreakage(
  book: AggregateBook,
  grant: CreditGrantFact,
  id: string,
  at: number,
  amount: bigint,
  reason: string,
): void {
  const currency = book.context.functionalCurrency;
  const what =
    reason === 'void' ? 'voided' : reason === 'expiry' ? 'expired' : reason === 'rate' ? 'redeemed' : 'inactive';
  emit(book, {
    key: `cg:${grant.grant}:breakage:${id.startsWith(`${grant.grant}:`) ? id.slice(grant.grant.length + 1) : id}`,
    kind: 'breakage',
    postingDate: dateOf(book.context, at),
    memo: `Breakage of paid credit grant ${grant.grant} (${what}): ${formatMinor(amount, currency)}`,
    sources: [grant.grant],
    lines: breakageLines(book, 'prepaid_credits', amount, {
      customer: grant.customer ?? undefined,
      bookedOn: dateOf(book.context, grant.at),
    }),
  });
}

/** Dr the liability / Cr breakage, with the escheat share to the escheat liability. */
export function breakageLines(
  book: AggregateBook,
  liability: 'prepaid_credits' | 'stored_value',
  amount: bigint,
  dimensions: { customer: string | undefined; bookedOn?: string | undefined },
): LineDraft[] {
  const currency = book.context.functionalCurrency;
  const split = escheatSplit(amount, new Decimal(book.context.settings.escheat_share));
  return [
    { role: liability, amountMinor: minor(amount), currency, ...dimensions },
    { role: 'breakage', amountMinor: minor(-split.income), currency, ...dimensions },
    { role: 'escheat_liability', amountMinor: minor(-split.escheat), currency, ...dimensions, memo: 'escheat share' },
  ];
}

/**
 * A voided invoice gives its paid credits back to their grants (Stripe's
 * `credits_application_invoice_voided`; the grant books that entry): what they settled of the
 * receivable is open again, so the void cancels the whole invoice, not only what was still owed.
 */
export function restorePaidCredits(invoice: InvoiceState, functionalCurrency: Currency): void {
  let credits = 0n;
  for (const line of invoice.fact.lines) credits += line.paidCreditMinor ?? 0n;
  if (credits === 0n) return;
  invoice.openInvoiceCurrency += credits;
  invoice.openFunctional += invoice.foreign
    ? convertMinor(credits, invoice.fact.currency, functionalCurrency, invoice.rate)
    : credits;
}
