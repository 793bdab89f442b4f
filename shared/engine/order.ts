/**
 * The orders the books depend on, each defined once here and used everywhere else. They answer
 * three different questions about three different things, so they are three tables:
 *
 * - `EVENT_TYPE_ORDER` — Stripe *event types* stamped with the same `created` second, in the
 *   order the drain processes them (backend/app/process.ts). What one API request created first
 *   comes first: the invoice, then its payment, then a credit note, then the refund that credit
 *   note made, so the mapping already knows the credit note when it meets its refund and never
 *   books that refund as a bare one.
 * - `INVOICE_FACT_ORDER` — an invoice's *facts* at the same instant, in the order the engine books
 *   them (invoice.ts). Here the order changes amounts: each cancel-type event takes its share of
 *   what the obligations still carry at its instant (docs/accounting.md §3, the proportional
 *   rule), and a failed refund or voided credit note must follow what it reverses.
 * - `ENTRY_KIND_ORDER` — *entry kinds*, the order one aggregate's entries dated the same day are
 *   listed and posted in. Listing only: every amount is fixed before entries are sorted.
 *
 * All three follow the life of an invoice (booked, paid, cancelled, written down, paid out), but
 * they differ where their purposes do: on one day a refund entry is listed before a credit-note
 * entry and a void before a write-off, while at one instant a credit note is booked before a
 * refund and a write-off before a void. Those listing positions are what the posted journals
 * (and the golden journals) already hold; deriving one table from another would reorder them.
 */
import type { EntryKind } from '../journal.ts';
import type { FactType } from './facts.ts';

/** Stripe event types within one second: first matching pattern wins; unmatched types go last. */
export const EVENT_TYPE_ORDER: readonly RegExp[] = [
  /^account\.application\./,
  /^invoiceitem\./,
  /^invoice\.(finalized|updated)$/,
  /^(invoice\.(paid|payment_succeeded)|invoice_payment\.|charge\.succeeded|payment_intent\.succeeded)/,
  /^credit_note\./,
  /^(refund\.|charge\.refund)/,
  /^charge\.dispute\./,
  /^invoice\.(voided|marked_uncollectible)$/,
  /^payout\./,
  /^application_fee\./,
  /^transfer\./,
];

/** The rank of a Stripe event type within one second (lower is processed first). */
export function eventTypeRank(type: string): number {
  for (let rank = 0; rank < EVENT_TYPE_ORDER.length; rank++) if (EVENT_TYPE_ORDER[rank]!.test(type)) return rank;
  return EVENT_TYPE_ORDER.length;
}

/**
 * Facts booked against a finalized invoice, at one instant: a payment first, then a credit
 * note before the refund it may have made, each reversal after what it reverses, disputes, and
 * the write-downs of what is still open last.
 */
export const INVOICE_FACT_ORDER = [
  'payment',
  'transfer',
  'credit_note',
  'refund',
  'refund_failed',
  'transfer_reversal',
  'credit_note_voided',
  'dispute_funds_withdrawn',
  'dispute_funds_reinstated',
  'invoice_uncollectible',
  'invoice_voided',
] as const satisfies readonly FactType[];

export type InvoiceEventType = (typeof INVOICE_FACT_ORDER)[number];

const INVOICE_FACT_RANK = new Map<FactType, number>(INVOICE_FACT_ORDER.map((type, rank) => [type, rank]));

/** The booking rank of a fact on its invoice, or undefined for facts that are not invoice events. */
export function invoiceFactRank(type: FactType): number | undefined {
  return INVOICE_FACT_RANK.get(type);
}

/**
 * Entries of one date: the booking before its payment and fee, each cancel-type entry followed
 * by its own reversal, payouts after the day's cash, then the period-end entries (recognition,
 * revaluation), manual entries and reversals of posted entries last.
 */
export const ENTRY_KIND_ORDER = [
  'invoice_finalized',
  'customer_balance',
  'credits_applied',
  'unbilled_accrual',
  'payment',
  'fee',
  'connect_share',
  'transfer',
  'uncollectible_paid',
  'refund',
  'refund_failed',
  'transfer_reversal',
  'credit_note',
  'credit_note_voided',
  'dispute',
  'dispute_won',
  'void',
  'uncollectible',
  'payout',
  'payout_failed',
  'application_fee',
  'application_fee_refund',
  'breakage',
  'recognition',
  'fx',
  'manual',
  'reversal',
] as const satisfies readonly EntryKind[];

/** Fails to compile when an entry kind is added to the journal but not to the order above. */
const _everyKindOrdered: Exclude<EntryKind, (typeof ENTRY_KIND_ORDER)[number]> extends never ? true : never = true;

const ENTRY_KIND_RANK = new Map<EntryKind, number>(ENTRY_KIND_ORDER.map((kind, rank) => [kind, rank]));

/** The listing rank of an entry kind among entries of the same date. */
export function entryKindRank(kind: EntryKind): number {
  return ENTRY_KIND_RANK.get(kind)!;
}
