/**
 * The real reader's reads beyond invoices, payments and credit notes: payouts' balance
 * transactions and Connect transfers, billing credits and stored value, and metered billing
 * (prices with tiers, meters, meter event summaries). Memoised per batch like the rest
 * (`AccountReads`); split from `reader.ts` only to keep each file readable.
 */
import type Stripe from 'stripe';
import {
  CUSTOMER_BALANCE_TRANSACTIONS_MAX,
  METER_SUMMARIES_MAX,
  STRIPE_PAGE_SIZE,
  type AccountReads,
  type StripeReader,
} from './reader.ts';

/** A payout's balance transactions (what it paid out) and a transfer with its reversals. */
export function payoutAndTransferReads(
  stripe: Stripe,
  reads: AccountReads,
  requestOptions: { stripeAccount: string },
): Pick<StripeReader, 'payoutBalanceTransactions' | 'getTransfer'> {
  const cached = reads.cached.bind(reads);
  const call = reads.call.bind(reads);
  return {
    payoutBalanceTransactions: (payout) =>
      cached(`payout_balance_transactions:${payout}`, () =>
        call('balance_transaction list', payout, async () => {
          const all: Stripe.BalanceTransaction[] = [];
          const params = { payout, limit: STRIPE_PAGE_SIZE };
          for await (const bt of stripe.balanceTransactions.list(params, requestOptions)) all.push(bt);
          return all;
        }),
      ),
    getTransfer: (id) =>
      cached(`transfer:${id}`, () => call('transfer', id, () => stripe.transfers.retrieve(id, {}, requestOptions))),
  };
}

/** Reads for billing credits and stored value: grants, credit balance transactions, a customer's balance, subscriptions. */
export function creditReads(
  stripe: Stripe,
  reads: AccountReads,
  requestOptions: { stripeAccount: string },
): Pick<
  StripeReader,
  | 'listCustomerBalanceTransactions'
  | 'getCreditGrant'
  | 'getSubscription'
  | 'getCreditBalanceTransaction'
  | 'listCreditBalanceTransactions'
> {
  const cached = reads.cached.bind(reads);
  const call = reads.call.bind(reads);
  return {
    listCustomerBalanceTransactions: (customer) =>
      cached(`customer_balance_transactions:${customer}`, () =>
        reads.listAll('customer_balance_transaction', CUSTOMER_BALANCE_TRANSACTIONS_MAX, (page) =>
          stripe.customers.listBalanceTransactions(customer, page, requestOptions),
        ),
      ),
    getCreditGrant: (id) =>
      cached(`credit_grant:${id}`, () =>
        call('billing.credit_grant', id, () => stripe.billing.creditGrants.retrieve(id, {}, requestOptions)),
      ),
    getSubscription: (id) =>
      cached(`subscription:${id}`, () =>
        call('subscription', id, () => stripe.subscriptions.retrieve(id, {}, requestOptions)),
      ),
    listCreditBalanceTransactions: (customer, grant) =>
      cached(`credit_balance_transactions:${customer}:${grant}`, () =>
        reads.listAll('billing.credit_balance_transaction', CUSTOMER_BALANCE_TRANSACTIONS_MAX, (page) =>
          stripe.billing.creditBalanceTransactions.list({ customer, credit_grant: grant, ...page }, requestOptions),
        ),
      ),
    getCreditBalanceTransaction: (id) =>
      cached(`credit_balance_transaction:${id}`, () =>
        call('billing.credit_balance_transaction', id, () =>
          stripe.billing.creditBalanceTransactions.retrieve(id, {}, requestOptions),
        ),
      ),
  };
}

/** The reads metered billing needs (prices with tiers, meters, meter event summaries), memoised like the rest. */
export function meterReads(
  stripe: Stripe,
  requestOptions: Stripe.RequestOptions,
  reads: AccountReads,
): Required<Pick<StripeReader, 'getPrice' | 'getMeter' | 'meterEventSummaries'>> {
  const cached = reads.cached.bind(reads);
  const call = reads.call.bind(reads);
  return {
    getPrice: (id) =>
      cached(`price:${id}`, () =>
        call('price', id, () => stripe.prices.retrieve(id, { expand: ['tiers'] }, requestOptions)),
      ),
    getMeter: (id) =>
      cached(`meter:${id}`, () =>
        call('billing.meter', id, () => stripe.billing.meters.retrieve(id, {}, requestOptions)),
      ),
    meterEventSummaries: (meter, customer, start, end) =>
      cached(`meter_summaries:${meter}:${customer}:${start}:${end}`, () =>
        reads.listAll('billing.meter_event_summary', METER_SUMMARIES_MAX, (page) =>
          stripe.billing.meters.listEventSummaries(
            meter,
            { customer, start_time: start, end_time: end, ...page },
            requestOptions,
          ),
        ),
      ),
  };
}
