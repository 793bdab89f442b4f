/**
 * Facts: the normalized, Stripe-SDK-independent things that happened, which the recognition
 * engine books. One Stripe fact (an invoice finalized, a charge captured, a refund created …)
 * may arrive through several webhook events; the mapping turns each of them into the same
 * fact, and `factKey` gives it one identity so the engine books it once.
 *
 * Amounts are bigint minor units in memory (fields ending `Minor`); instants are Unix seconds.
 * `serializeFact` / `parseFact` turn a fact into plain JSON (bigints as `{"$bigint":"…"}`).
 */
import type { Currency } from '../money.ts';

/** A Stripe balance transaction, reduced to what the books need. */
export interface BalanceTxnFact {
  id: string;
  /** Signed amount in the settlement currency (negative for money leaving the balance). */
  amountMinor: bigint;
  /** Stripe's fee on this transaction (positive = charged to the merchant). */
  feeMinor: bigint;
  currency: Currency;
  /** Stripe's conversion rate from the payment currency to `currency`, when they differ. */
  exchangeRate: string | null;
  created: number;
  /**
   * The part of `feeMinor` a Connect platform withheld as its application fee (`fee_details` of
   * type `application_fee`); the rest of the fee is Stripe's. Absent on facts stored before it existed.
   */
  applicationFeeMinor?: bigint | undefined;
}

/**
 * What a charge says about where its money went besides the merchant's balance, so a
 * same-currency gap between a receivable and its cash can be matched to a cause
 * (docs/accounting.md §3, "Cash that does not match").
 */
export interface ChargeSettlementFact {
  /** `amount_captured` when less than the amount charged (a partial capture); else null. */
  capturedMinor: bigint | null;
  /** `application_fee_amount`: what the platform keeps of this charge. */
  applicationFeeMinor: bigint;
  /** What goes to a connected account (`transfer_data`: its amount, else the charge less the application fee). */
  transferMinor: bigint;
  /** The connected account it goes to (`transfer_data.destination`), or null. */
  transferDestination: string | null;
  /**
   * What Stripe transfers to the connected account before taking any application fee back
   * (`transfer_data.amount`, else the whole captured amount); absent on facts stored before it existed.
   */
  transferGrossMinor?: bigint | undefined;
  /** The transfer a destination charge made (`charge.transfer`), or null. */
  transfer?: string | null | undefined;
  /** The connected account the charge was made on behalf of (`on_behalf_of`), or null. */
  onBehalfOf?: string | null | undefined;
}

/** One invoice line item: one performance obligation by default. */
export interface InvoiceLineFact {
  id: string;
  /** Line amount as Stripe reports it (before discounts; includes tax when tax is inclusive). */
  amountMinor: bigint;
  /** Sum of the line's `discount_amounts`. */
  discountMinor: bigint;
  /** Sum of the line's pretax credits that are not discounts (billing credits) from promotional grants. */
  creditMinor: bigint;
  /**
   * Sum of the line's billing credits from *paid* grants: consideration for the line, like a
   * payment, so not taken off its revenue (credit-grants.ts books them). Absent on older facts.
   */
  paidCreditMinor?: bigint | undefined;
  /** Tax included in `amountMinor` (tax_behavior inclusive). */
  inclusiveTaxMinor: bigint;
  /** Tax added on top of the line (tax_behavior exclusive); informational, the invoice carries the total. */
  exclusiveTaxMinor: bigint;
  periodStart: number;
  periodEnd: number;
  product: string | null;
  price: string | null;
  proration: boolean;
  /** The invoice item this line came from, when it came from one. */
  invoiceItem: string | null;
  /**
   * Creation instant of the line's invoice item when it existed before the invoice (a pending
   * item, accrued as unbilled revenue by its own aggregate); null otherwise.
   */
  pendingItemCreatedAt: number | null;
  description: string | null;
  /** The line's metadata, when it has any (rules may match on it). */
  metadata?: Record<string, string>;
}

/**
 * An invoice's shipping (`shipping_cost`, else `amount_shipping`): its own obligation, earned at
 * booking. Present only when the invoice charges shipping.
 */
export interface ShippingFact {
  /** Shipping excluding tax (`amount_total − amount_tax`). */
  amountMinor: bigint;
  /** Tax on shipping as Stripe reports it (`shipping_cost.amount_tax`). */
  taxMinor: bigint;
  /** The shipping rate, when Stripe names one. */
  shippingRate: string | null;
}

/** The id of an invoice's shipping line: credit notes name it like any invoice line. */
export function shippingLineId(invoice: string): string {
  return `${invoice}:shipping`;
}

export interface InvoiceFinalizedFact {
  type: 'invoice_finalized';
  invoice: string;
  customer: string | null;
  /** The customer's metadata when Stripe gave the customer expanded with it (rules may match on it). */
  customerMetadata?: Record<string, string>;
  currency: Currency;
  /** `status_transitions.finalized_at`. */
  at: number;
  totalMinor: bigint;
  /** Sum of `total_taxes[].amount` (what Stripe reports; never recomputed). */
  taxMinor: bigint;
  /** Customer balance before and after finalization (negative = credit the customer holds). */
  startingBalanceMinor: bigint;
  endingBalanceMinor: bigint;
  lines: InvoiceLineFact[];
  /** Absent when the invoice charges no shipping. */
  shipping?: ShippingFact;
}

export interface PaymentFact {
  type: 'payment';
  invoice: string;
  /** The paying object: charge id, or `oob:<invoice>` for payments made outside Stripe. */
  payment: string;
  method: 'stripe' | 'out_of_band';
  amountMinor: bigint;
  currency: Currency;
  at: number;
  balanceTransaction: BalanceTxnFact | null;
  /** Connect and capture details of the paying charge (absent on facts stored before it existed). */
  settlement?: ChargeSettlementFact | undefined;
}

/** A charge that belongs to no invoice (a one-time payment): booked and recognized at once. */
export interface ChargeFact {
  type: 'charge';
  charge: string;
  customer: string | null;
  amountMinor: bigint;
  currency: Currency;
  at: number;
  balanceTransaction: BalanceTxnFact | null;
  description: string | null;
  settlement?: ChargeSettlementFact | undefined;
}

export interface RefundFact {
  type: 'refund';
  refund: string;
  charge: string;
  /** The invoice the refunded charge paid, or null for a charge without invoice. */
  invoice: string | null;
  amountMinor: bigint;
  currency: Currency;
  at: number;
  balanceTransaction: BalanceTxnFact | null;
}

export interface RefundFailedFact {
  type: 'refund_failed';
  refund: string;
  charge: string;
  invoice: string | null;
  at: number;
}

export interface CreditNoteLineFact {
  /** The invoice line credited, or null for a custom line (spread over the invoice lines). */
  invoiceLine: string | null;
  /** Amount credited for the line, net of its discounts, excluding tax. */
  amountMinor: bigint;
}

export interface CreditNoteFact {
  type: 'credit_note';
  creditNote: string;
  invoice: string;
  currency: Currency;
  at: number;
  /** Credit note total, tax included. */
  totalMinor: bigint;
  taxMinor: bigint;
  lines: CreditNoteLineFact[];
  /** Part that reduced what the customer still owed. */
  prePaymentMinor: bigint;
  /** Parts of the post-payment amount: refunded, credited to the customer balance, settled out of band. */
  refundMinor: bigint;
  customerBalanceMinor: bigint;
  outOfBandMinor: bigint;
  /** Refund ids created by this credit note (their cash movement settles the credit). */
  refunds: string[];
  /**
   * When the subscription of the lines it credits was cancelled, if it was cancelled on or before
   * the note (setting `termination_credits`); absent otherwise and on older facts.
   */
  cancellationAt?: number | undefined;
}

export interface CreditNoteVoidedFact {
  type: 'credit_note_voided';
  creditNote: string;
  invoice: string;
  at: number;
}

export interface DisputeFundsFact {
  type: 'dispute_funds_withdrawn' | 'dispute_funds_reinstated';
  dispute: string;
  charge: string;
  invoice: string | null;
  /** Disputed amount in the payment currency (positive). */
  amountMinor: bigint;
  currency: Currency;
  at: number;
  /** The principal balance transaction: the one that moved the disputed funds (or the first one). */
  balanceTransaction: BalanceTxnFact | null;
  /**
   * Every balance transaction of the dispute in this direction (withdrawn: net negative;
   * reinstated: net positive): the disputed funds, and a dispute fee or fee refund Stripe sent as
   * its own balance transaction. Absent on facts stored before it existed (then only `balanceTransaction`).
   */
  parts?: DisputeBalancePart[] | undefined;
}

/** One balance transaction of a dispute: the disputed funds (with any fee inside), or a fee on its own. */
export interface DisputeBalancePart {
  kind: 'funds' | 'fee';
  balanceTransaction: BalanceTxnFact;
}

export interface InvoiceStatusFact {
  type: 'invoice_voided' | 'invoice_uncollectible';
  invoice: string;
  at: number;
}

export interface PayoutFact {
  type: 'payout_paid' | 'payout_failed';
  payout: string;
  /** Positive amount paid out, in `currency`. */
  amountMinor: bigint;
  currency: Currency;
  at: number;
  /**
   * The balance transactions the payout paid out (Stripe lists them for automatic payouts), for
   * the exchange difference of a payout from a foreign balance. Absent when unknown.
   */
  balanceTransactions?: BalanceTxnFact[] | undefined;
}

/** An invoice item created before its invoice (prorations, usage): accrued as unbilled revenue. */
export interface InvoiceItemFact {
  type: 'invoice_item';
  invoiceItem: string;
  customer: string | null;
  amountMinor: bigint;
  currency: Currency;
  periodStart: number;
  periodEnd: number;
  product: string | null;
  price: string | null;
  proration: boolean;
  at: number;
}

/** A fulfillment signal for point-in-time obligations triggered by fulfillment. */
export interface FulfillmentFact {
  type: 'fulfillment';
  id: string;
  invoice: string;
  /** Restrict to one line, or to lines of one product; both null = the whole invoice. */
  invoiceLine: string | null;
  product: string | null;
  at: number;
}

/**
 * An application fee a Connect platform collected on a connected account's charge (the tenant is
 * the platform). Each of its refunds is a fact of its own (`application_fee_refund`), so an event
 * that lists more refunds than an earlier one adds to the fee rather than replacing it.
 */
export interface ApplicationFeeFact {
  type: 'application_fee';
  fee: string;
  /** The connected account's charge it was taken from, and that account. */
  charge: string | null;
  account: string | null;
  /** Positive amount collected, in `currency`. */
  amountMinor: bigint;
  currency: Currency;
  /** The platform's balance transaction for the fee: its settlement amount and rate. */
  balanceTransaction: BalanceTxnFact | null;
  at: number;
  /**
   * The platform's own destination charge the fee came from (`originating_transaction`), or
   * null for a fee on a charge made on the connected account (a direct charge).
   */
  originatingCharge?: string | null | undefined;
  /** The originating charge's amount, in `currency`: a fee larger than it is bad input. */
  originatingAmountMinor?: bigint | undefined;
}

/** A refund of an application fee, booked with the fee it belongs to. */
export interface ApplicationFeeRefundFact {
  type: 'application_fee_refund';
  refund: string;
  fee: string;
  /** Positive amount given back, in the fee's currency. */
  amountMinor: bigint;
  balanceTransaction: BalanceTxnFact | null;
  at: number;
}

// Billing credits, stored value and usage: their facts live in facts-billing.ts.
import type {
  CreditAppliedFact,
  CreditGrantFact,
  CreditGrantSaleFact,
  CreditGrantVoidedFact,
  CustomerBalanceFact,
  UsageAccrualFact,
  UsageBilledFact,
} from './facts-billing.ts';
import { storedValueAggregate, usageAggregateKey } from './facts-billing.ts';
export type {
  CreditAppliedFact,
  CreditGrantFact,
  CreditGrantSaleFact,
  CreditGrantVoidedFact,
  CustomerBalanceFact,
  UsageAccrualFact,
  UsageBilledFact,
} from './facts-billing.ts';
export { storedValueAggregate, usageAggregateKey } from './facts-billing.ts';

/**
 * A transfer from the platform's balance to a connected account: the one a destination charge
 * made, or a separate transfer. It belongs to the charge it names (`source_transaction`) — to
 * that charge's invoice when it paid one — and stands alone when it names none. Each of its
 * reversals is a fact of its own (`transfer_reversal`).
 */
export interface TransferFact {
  type: 'transfer';
  transfer: string;
  /** The connected account (`destination`), or null when Stripe names none. */
  destination: string | null;
  /** Positive amount sent, in `currency`. */
  amountMinor: bigint;
  currency: Currency;
  at: number;
  /** The platform's balance transaction (type `transfer`, negative). */
  balanceTransaction: BalanceTxnFact | null;
  /** The platform's charge it was funded from (`source_transaction`), and that charge's invoice. */
  charge: string | null;
  invoice: string | null;
}

/** A reversal of (part of) a transfer: money back from the connected account. */
export interface TransferReversalFact {
  type: 'transfer_reversal';
  reversal: string;
  transfer: string;
  /** The transfer's charge and invoice (where the transfer belongs). */
  charge: string | null;
  invoice: string | null;
  /** Positive amount returned, in `currency`. */
  amountMinor: bigint;
  currency: Currency;
  at: number;
  /** The platform's balance transaction (type `transfer_refund`, positive). */
  balanceTransaction: BalanceTxnFact | null;
  /** The refund of the charge that made it (`source_refund`: a refund with `reverse_transfer`), or null. */
  sourceRefund: string | null;
}

export type Fact =
  | InvoiceFinalizedFact
  | CreditGrantFact
  | CreditGrantVoidedFact
  | CreditAppliedFact
  | CreditGrantSaleFact
  | CustomerBalanceFact
  | PaymentFact
  | ChargeFact
  | RefundFact
  | RefundFailedFact
  | CreditNoteFact
  | CreditNoteVoidedFact
  | DisputeFundsFact
  | InvoiceStatusFact
  | PayoutFact
  | InvoiceItemFact
  | FulfillmentFact
  | ApplicationFeeFact
  | ApplicationFeeRefundFact
  | UsageBilledFact
  | UsageAccrualFact
  | TransferFact
  | TransferReversalFact;

export type FactType = Fact['type'];

/**
 * Stable identity of a fact: the same Stripe fact reported by several events gets the same key,
 * so duplicates collapse. The key names the Stripe object and what happened to it.
 */
export function factKey(fact: Fact): string {
  switch (fact.type) {
    case 'invoice_finalized':
      return `invoice_finalized:${fact.invoice}`;
    case 'payment':
      return `payment:${fact.invoice}:${fact.payment}`;
    case 'charge':
      return `charge:${fact.charge}`;
    case 'refund':
      return `refund:${fact.refund}`;
    case 'refund_failed':
      return `refund_failed:${fact.refund}`;
    case 'credit_note':
      return `credit_note:${fact.creditNote}`;
    case 'credit_note_voided':
      return `credit_note_voided:${fact.creditNote}`;
    case 'dispute_funds_withdrawn':
    case 'dispute_funds_reinstated':
      return `${fact.type}:${fact.dispute}`;
    case 'invoice_voided':
    case 'invoice_uncollectible':
      return `${fact.type}:${fact.invoice}`;
    case 'payout_paid':
    case 'payout_failed':
      return `${fact.type}:${fact.payout}`;
    case 'invoice_item':
      return `invoice_item:${fact.invoiceItem}`;
    case 'fulfillment':
      return `fulfillment:${fact.id}`;
    case 'application_fee':
      return `application_fee:${fact.fee}`;
    case 'application_fee_refund':
      return `application_fee_refund:${fact.refund}`;
    case 'credit_grant':
      return `credit_grant:${fact.grant}`;
    case 'credit_grant_voided':
      return `credit_grant_voided:${fact.grant}:${fact.at}`;
    case 'credit_applied':
      return `credit_applied:${fact.transaction}`;
    case 'credit_grant_sale':
      return `credit_grant_sale:${fact.grant}`;
    case 'customer_balance_txn':
      return `customer_balance_txn:${fact.transaction}`;
    case 'usage_billed':
      return `usage_billed:${fact.invoice}:${fact.invoiceLine}`;
    case 'usage_accrual':
      return `usage_accrual:${fact.customer}:${fact.price}:${fact.periodStart}:${fact.at}`;
    case 'transfer':
      return `transfer:${fact.transfer}`;
    case 'transfer_reversal':
      return `transfer_reversal:${fact.reversal}`;
  }
}

/**
 * The aggregate a fact belongs to: everything that must be booked together. All facts of one
 * invoice share the invoice id; a charge without invoice (and its refunds and disputes) share
 * the charge id; a payout and a pending invoice item stand alone.
 */
export function aggregateKeyOf(fact: Fact): string {
  switch (fact.type) {
    case 'invoice_finalized':
    case 'payment':
    case 'credit_note':
    case 'credit_note_voided':
    case 'invoice_voided':
    case 'invoice_uncollectible':
    case 'fulfillment':
      return fact.invoice;
    case 'charge':
      return fact.charge;
    case 'refund':
    case 'refund_failed':
    case 'dispute_funds_withdrawn':
    case 'dispute_funds_reinstated':
      return fact.invoice ?? fact.charge;
    case 'payout_paid':
    case 'payout_failed':
      return fact.payout;
    case 'invoice_item':
      return fact.invoiceItem;
    case 'application_fee':
    case 'application_fee_refund':
      return fact.fee;
    case 'credit_grant':
    case 'credit_grant_voided':
    case 'credit_applied':
      return fact.grant;
    case 'credit_grant_sale':
      return fact.invoice;
    case 'customer_balance_txn':
      return storedValueAggregate(fact.customer);
    case 'usage_billed':
    case 'usage_accrual':
      return usageAggregateKey(fact.customer, fact.price, fact.periodStart);
    case 'transfer':
      return fact.invoice ?? fact.charge ?? fact.transfer;
    case 'transfer_reversal':
      return fact.invoice ?? fact.charge ?? fact.transfer;
  }
}

/** Plain JSON text of a fact; bigints become `{"$bigint":"123"}` so nothing is lost. */
export function serializeFact(fact: Fact): string {
  return JSON.stringify(fact, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v));
}

/** Reads a fact written by `serializeFact` (or the same shape already parsed from JSON). */
export function parseFact(json: string | unknown): Fact {
  const text = typeof json === 'string' ? json : JSON.stringify(json);
  return JSON.parse(text, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === '$bigint' && typeof o.$bigint === 'string') return BigInt(o.$bigint);
    }
    return v;
  }) as Fact;
}
