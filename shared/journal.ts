/**
 * The shape of a journal entry before it is posted: what the pure engine produces and what the
 * ledger accepts. Amounts are signed minor units: a debit is positive, a credit negative, so an
 * entry balances when the lines of each currency sum to zero.
 */
import type { AccountRole } from './accounts.ts';
import type { Currency, Minor } from './money.ts';

/** A calendar date in the tenant's reporting time zone, `YYYY-MM-DD`. */
export type LocalDate = string;

export type EntryKind =
  | 'invoice_finalized'
  | 'recognition'
  | 'payment'
  | 'fee'
  | 'payout'
  | 'payout_failed'
  | 'unbilled_accrual'
  | 'refund'
  | 'refund_failed'
  | 'credit_note'
  | 'credit_note_voided'
  | 'dispute'
  | 'dispute_won'
  | 'void'
  | 'uncollectible'
  | 'uncollectible_paid'
  | 'customer_balance'
  | 'fx'
  | 'manual'
  | 'application_fee'
  | 'application_fee_refund'
  | 'credits_applied'
  | 'breakage'
  | 'transfer'
  | 'transfer_reversal'
  | 'connect_share'
  | 'reversal';

export interface LineDraft {
  role: AccountRole;
  /** Account name when it is not the role's default (product or bundle-component accounts). */
  account?: string | undefined;
  /** Signed minor units in the tenant's functional currency: debit > 0, credit < 0. */
  amountMinor: Minor;
  currency: Currency;
  /** Set when the transaction was in another currency. */
  original?: { currency: Currency; amountMinor: Minor; rate: string } | undefined;
  memo?: string | undefined;
  /** Dimensions for drill-down and the waterfall. */
  customer?: string | undefined;
  invoice?: string | undefined;
  invoiceLine?: string | undefined;
  product?: string | undefined;
  /** Booking date of the obligation this line belongs to (waterfall rows). */
  bookedOn?: LocalDate | undefined;
}

export interface EntryDraft {
  /** Deterministic idempotency key, unique per tenant. */
  key: string;
  kind: EntryKind;
  /** The date the entry belongs to; the ledger moves it to the first open period if closed. */
  postingDate: LocalDate;
  memo: string;
  /** Stripe object ids this entry is derived from (first is the primary source). */
  sources: string[];
  lines: LineDraft[];
}
