/**
 * The facts of billing credits (grants, their voids, credits applied, the sale that paid for a
 * grant), of stored value (a customer's balance transactions) and of usage-based billing (metered
 * lines billed, period-end accruals). Part of the fact union in facts.ts, which re-exports them.
 */
import type { Currency } from '../money.ts';

/**
 * A billing credit grant (`billing.credit_grant`): paid credits are a contract liability,
 * promotional ones a price reduction where they are applied (credit-grants.ts).
 */
export interface CreditGrantFact {
  type: 'credit_grant';
  grant: string;
  customer: string | null;
  category: 'paid' | 'promotional';
  /** Monetary amount granted, positive. */
  amountMinor: bigint;
  currency: Currency;
  /** `effective_at`, else `created`. */
  at: number;
  expiresAt: number | null;
  /** The sale that paid for it (`metadata.invoice`), when named. */
  saleInvoice: string | null;
}

/** A grant voided (`voided_at`). Keyed by its instant, so two different voids of one grant are two facts (refused). */
export interface CreditGrantVoidedFact {
  type: 'credit_grant_voided';
  grant: string;
  at: number;
}

/**
 * Credits of a grant applied to an invoice line (a `billing.credit_balance_transaction` debit of
 * type `credits_applied`), or given back when that invoice was voided (a credit of type
 * `credits_application_invoice_voided`: negative amount). Booked with its grant.
 */
export interface CreditAppliedFact {
  type: 'credit_applied';
  transaction: string;
  grant: string;
  invoice: string;
  invoiceLine: string | null;
  customer: string | null;
  /** Positive when applied, negative when given back. */
  amountMinor: bigint;
  currency: Currency;
  at: number;
}

/** The grant a named sale paid for (`metadata.invoice`): booked with that invoice, whose lines fund it. */
export interface CreditGrantSaleFact {
  type: 'credit_grant_sale';
  grant: string;
  invoice: string;
  amountMinor: bigint;
  currency: Currency;
  /** The grant's instant. */
  at: number;
}

/**
 * A customer balance transaction as stored value sees it: a credit that stored value funded
 * (`metadata.stored_value`), any other credit to the balance, or the balance applied to an
 * invoice. All of one customer's are booked together (stored-value.ts).
 */
export interface CustomerBalanceFact {
  type: 'customer_balance_txn';
  transaction: string;
  customer: string;
  kind: 'stored_value_funded' | 'other_credit' | 'applied';
  /** Positive: the credit added, or the balance applied. */
  amountMinor: bigint;
  currency: Currency;
  at: number;
  invoice: string | null;
  /** For stored value: when it expires (`metadata.expires_at`), if it does. */
  expiresAt: number | null;
}

/** The aggregate of a customer's stored value. */
export function storedValueAggregate(customer: string): string {
  return `sv:${customer}`;
}

/**
 * A metered invoice line (its price has `recurring.usage_type = metered`): what the invoice that
 * bills a customer's usage says, so the usage accrued for the same window is trued up
 * (docs/accounting.md, "Usage billed in arrears"). `periodEnd <= at` marks a line billed in
 * arrears; a line whose window is still running (Stripe's zero first invoice) only tells the
 * accrual job that the customer is on the price from `periodStart`.
 */
export interface UsageBilledFact {
  type: 'usage_billed';
  invoice: string;
  invoiceLine: string;
  customer: string;
  price: string;
  product: string | null;
  periodStart: number;
  periodEnd: number;
  /** The invoice's finalization instant. */
  at: number;
  /** The invoice's currency; absent on facts stored before it was recorded (then the functional one). */
  currency?: Currency;
}

/**
 * Usage reported to a billing meter and not invoiced at a period end (`at`, the instant the
 * period ends): the meter's event summaries from `periodStart` (where the last invoice left off)
 * to `at`, valued at the price in force. Cumulative over the billing window, so the accrual of
 * a later period end books only the increase.
 */
export interface UsageAccrualFact {
  type: 'usage_accrual';
  customer: string;
  price: string;
  product: string | null;
  meter: string;
  periodStart: number;
  at: number;
  /** Summed `aggregated_value` of the meter's summaries (a decimal string). */
  quantity: string;
  amountMinor: bigint;
  currency: Currency;
}

/** The aggregate of one customer's usage on one price in one billing window. */
export function usageAggregateKey(customer: string, price: string, periodStart: number): string {
  return `usage:${customer}:${price}:${periodStart}`;
}
