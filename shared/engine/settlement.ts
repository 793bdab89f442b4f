/**
 * Cash that does not match what it settles (docs/accounting.md §3, "Cash that does not match").
 * When two currencies are involved, the gap between the booked amount and the cash is an exchange
 * difference. In one currency it never is: it is matched to a known cause (an application fee, a
 * transfer to a connected account, …), else booked to `unmatched_cash` and raised as an exception
 * that names the amount and the ids, so a person can look.
 */
import type { AccountRole } from '../accounts.ts';
import type { LineDraft } from '../journal.ts';
import { formatMinor, minor, type Currency } from '../money.ts';
import { addException, type AggregateBook } from './aggregate-book.ts';
import type { ChargeSettlementFact } from './facts.ts';

/** A known reason for a gap, as the debit it explains (positive: less cash than booked). */
export interface SettlementCause {
  role: AccountRole;
  amountMinor: bigint;
  memo: string;
}

/** Causes looked at together; a gap is matched by the first combination of them that adds up to it. */
export const SETTLEMENT_CAUSES_MAX = 4;

export interface SettlementGap {
  /** The debit that balances the entry: booked amount less cash (a credit when negative). */
  differenceMinor: bigint;
  /** True when the movement involves a currency other than the functional one. */
  foreign: boolean;
  /** Known causes, in order of preference. */
  causes: readonly SettlementCause[];
  /** What the cash settled, for the exception (e.g. "payment ch_1 of invoice in_1"). */
  what: string;
  /** The Stripe ids an exception names; the first is the object it is filed under. */
  ids: readonly string[];
  /** Memo of an exchange difference line. */
  fxMemo: string | undefined;
  dimensions: Pick<LineDraft, 'invoice' | 'customer'>;
}

/** The lines that account for a gap: exchange difference (two currencies), causes, or unmatched cash. */
export function settlementLines(book: AggregateBook, gap: SettlementGap): LineDraft[] {
  const currency = book.context.functionalCurrency;
  const difference = gap.differenceMinor;
  if (difference === 0n) return [];
  if (gap.foreign) {
    const memo = gap.fxMemo === undefined ? {} : { memo: gap.fxMemo };
    return [{ role: 'fx_gain_loss', amountMinor: minor(difference), currency, ...gap.dimensions, ...memo }];
  }
  const matched = matchCauses(gap.causes, difference);
  if (matched) {
    return matched.map((cause) => ({
      role: cause.role,
      amountMinor: minor(cause.amountMinor),
      currency,
      ...gap.dimensions,
      memo: cause.memo,
    }));
  }
  addException(book, gap.ids[0]!, null, unmatchedReason(gap, currency));
  return [
    {
      role: 'unmatched_cash',
      amountMinor: minor(difference),
      currency,
      ...gap.dimensions,
      memo: `cash does not match ${gap.what}`,
    },
  ];
}

function unmatchedReason(gap: SettlementGap, currency: Currency): string {
  const difference = gap.differenceMinor;
  const amount = `${formatMinor(difference < 0n ? -difference : difference, currency)} ${currency.toUpperCase()}`;
  const direction = difference > 0n ? 'less' : 'more';
  return (
    `${amount} ${direction} cash than ${gap.what} in the same currency, explained by no fee, application fee, ` +
    `transfer or partial capture (${gap.ids.join(', ')}); booked to unmatched_cash for review`
  );
}

/** The first combination of causes (fewest first, then in order) whose amounts add up to the difference. */
function matchCauses(causes: readonly SettlementCause[], difference: bigint): SettlementCause[] | null {
  const usable = causes.filter((cause) => cause.amountMinor !== 0n).slice(0, SETTLEMENT_CAUSES_MAX);
  const subsets: SettlementCause[][] = [];
  for (let mask = 1; mask < 1 << usable.length; mask++) {
    subsets.push(usable.filter((_, i) => (mask & (1 << i)) !== 0));
  }
  subsets.sort((a, b) => a.length - b.length);
  for (const subset of subsets) {
    let total = 0n;
    for (const cause of subset) total += cause.amountMinor;
    if (total === difference) return subset;
  }
  return null;
}

/**
 * The causes a charge's Connect details offer for cash short of what it paid: a transfer to a
 * connected account (we are the platform of a destination charge), else the application fee a
 * platform withheld from us (we are the connected account).
 */
export function chargeCauses(settlement: ChargeSettlementFact | undefined): SettlementCause[] {
  if (!settlement) return [];
  if (settlement.transferMinor > 0n) {
    const to = settlement.transferDestination ? ` to ${settlement.transferDestination}` : '';
    return [{ role: 'connect_transfers', amountMinor: settlement.transferMinor, memo: `transfer${to}` }];
  }
  if (settlement.applicationFeeMinor > 0n) {
    return [{ role: 'platform_fees', amountMinor: settlement.applicationFeeMinor, memo: 'application fee withheld' }];
  }
  return [];
}

/**
 * Checks a charge's Connect details against its amount: an application fee or transfer larger
 * than the charge is bad input, reported, and offers no cause.
 */
export function checkedSettlement(
  book: AggregateBook,
  charge: string,
  amountMinor: bigint,
  currency: Currency,
  settlement: ChargeSettlementFact | undefined,
): ChargeSettlementFact | undefined {
  if (!settlement) return undefined;
  const tooLarge = (what: string, value: bigint): boolean => {
    if (value <= amountMinor && value >= 0n) return false;
    const reason =
      `charge ${charge}: ${what} ${formatMinor(value, currency)} is not between 0 and the charge's ` +
      `${formatMinor(amountMinor, currency)}; not used to explain its cash`;
    addException(book, charge, null, reason);
    return true;
  };
  if (tooLarge('application fee', settlement.applicationFeeMinor)) return undefined;
  if (tooLarge('transfer', settlement.transferMinor)) return undefined;
  return settlement;
}
