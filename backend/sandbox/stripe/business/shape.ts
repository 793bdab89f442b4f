/**
 * The shape of the sample business: its plans and prices, its mix of currencies, taxes and
 * coupons, and how often customers change plan, churn, fail to pay, get refunds or dispute. Every
 * number here is a choice for a readable demo, not a law.
 */
import type { StripeObject } from '../../../stripe/reader.ts';

export const DAY = 86_400;
export const HOUR = 3_600;

/** Share of customers billed in EUR and JPY (the rest in USD), in percent. */
export const EUR_PERCENT = 12;
export const JPY_PERCENT = 6;
/** Share of USD customers charged 8.25 % exclusive sales tax; EUR customers pay 20 % VAT. */
export const US_TAXED_PERCENT = 35;
export const US_TAX_BPS = 825;
export const EU_VAT_BPS = 2_000;
/** Coupon: 25 % off the first three invoices, for this share of customers. */
export const COUPON_PERCENT = 15;
export const COUPON_OFF_PERCENT = 25;
export const COUPON_INVOICES = 3;
/** Monthly chances, in per-mille, of a plan change and of churning. */
export const UPGRADE_PER_MILLE = 25;
export const DOWNGRADE_PER_MILLE = 12;
export const CHURN_PER_MILLE = 20;
/** Share of annual customers who do not renew. */
export const ANNUAL_CHURN_PERCENT = 20;
/** Per-mille of invoices whose first payment attempt fails (paid 3 days later). */
export const PAYMENT_FAILURE_PER_MILLE = 25;
/** Per-mille of paid invoices refunded (half of them fully) and of ones credited to the balance. */
export const REFUND_PER_MILLE = 20;
export const BALANCE_CREDIT_PER_MILLE = 10;
/** Stripe's card pricing: 2.9 % plus a fixed fee in the settlement currency (30 cents, 25 euro cents). */
export const FEE_BPS = 290;
export const FEE_FIXED_MINOR: Record<SettlementCurrency, number> = { usd: 30, eur: 25 };
/** Dispute fee, withdrawn with the disputed amount and not returned when the dispute is won. */
export const DISPUTE_FEE_MINOR = 1_500;
/** Sites on a multi-site customer: one invoice line each, more than Stripe embeds (10). */
export const MULTI_SITE_LINES = 12;
export const MULTI_SITE_CUSTOMERS = 2;

export type Currency = 'usd' | 'eur' | 'jpy';
/**
 * The account's Stripe balances. It has a EUR bank account, so EUR charges settle in a EUR balance
 * paid out in EUR (no conversion at the charge, an exchange difference at the payout in the
 * books); JPY charges are converted to USD at the charge, with Stripe's `exchange_rate`.
 */
export type SettlementCurrency = 'usd' | 'eur';
export const SETTLEMENT_CURRENCY: Record<Currency, SettlementCurrency> = { usd: 'usd', eur: 'eur', jpy: 'usd' };
export type PlanKey = 'starter_monthly' | 'pro_monthly' | 'starter_annual' | 'pro_annual' | 'bundle_monthly';

/** Unit prices in each currency's minor units (JPY has none). */
export const PRICES: Record<PlanKey | 'setup_fee', Record<Currency, number>> = {
  starter_monthly: { usd: 2_900, eur: 2_700, jpy: 4_500 },
  pro_monthly: { usd: 9_900, eur: 9_200, jpy: 15_000 },
  starter_annual: { usd: 29_000, eur: 27_000, jpy: 45_000 },
  pro_annual: { usd: 99_000, eur: 92_000, jpy: 150_000 },
  bundle_monthly: { usd: 14_900, eur: 13_900, jpy: 22_000 },
  setup_fee: { usd: 5_000, eur: 4_600, jpy: 7_500 },
};
export const PLAN_PRODUCT: Record<PlanKey | 'setup_fee', string> = {
  starter_monthly: 'prod_Starter',
  starter_annual: 'prod_Starter',
  pro_monthly: 'prod_Pro',
  pro_annual: 'prod_Pro',
  bundle_monthly: 'prod_ProSupportBundle',
  setup_fee: 'prod_SetupFee',
};
export const ANNUAL: ReadonlySet<PlanKey> = new Set(['starter_annual', 'pro_annual']);

/** Mid-rates to USD per major unit at the start; they drift a little every day. */
export const FX_START: Record<Exclude<Currency, 'usd'>, string> = { eur: '1.0800', jpy: '0.006700' };

export const priceId = (plan: PlanKey | 'setup_fee', cur: Currency): string => `price_${plan}_${cur}`;

/** A customer as the simulation tracks it between invoices. */
export interface CustomerState {
  id: string;
  currency: Currency;
  taxBps: number;
  taxRate: string | null;
  plan: PlanKey;
  sites: number;
  subscription: string;
  couponLeft: number;
  setupFee: boolean;
  balance: number; // Stripe's sign: negative is credit the customer holds
  pendingItems: StripeObject[]; // proration invoice items waiting for the next invoice
  writeOff: boolean;
}

/** Adds `months` calendar months to a UTC timestamp, keeping day and time (clamped to month end). */
export function addMonths(t: number, months: number): number {
  const d = new Date(t * 1000);
  const day = d.getUTCDate();
  const target = new Date(
    Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return Math.floor(target.getTime() / 1000);
}
