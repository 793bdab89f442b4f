/**
 * The real reader's reads that bring related objects in the same request: a charge or a refund
 * with its balance transaction, a payment intent with its latest charge and that charge's balance
 * transaction, a customer for its metadata. Each expanded object is remembered (`AccountReads`) as
 * if read on its own, and its parent names it by id again, the shape every caller expects. Split
 * from `reader.ts` only to keep each function readable.
 */
import type Stripe from 'stripe';
import { AccrueError } from '../../shared/errors.ts';
import { idOf, metadataOfCustomer, type AccountReads, type StripeReader } from './reader.ts';

export function expandedReads(
  stripe: Stripe,
  reads: AccountReads,
  requestOptions: { stripeAccount: string },
): Pick<StripeReader, 'getCharge' | 'latestChargeOf' | 'getRefund' | 'customerMetadata'> {
  const cached = reads.cached.bind(reads);
  const call = reads.call.bind(reads);
  return {
    getCharge: (id) =>
      cached(`charge:${id}`, async () => {
        const charge = await call('charge', id, () =>
          stripe.charges.retrieve(id, { expand: ['balance_transaction'] }, requestOptions),
        );
        return withBalanceTransaction(cached, charge);
      }),
    latestChargeOf: (id) =>
      cached(`payment_intent:${id}`, async () => {
        const intent = await call('payment_intent', id, () =>
          stripe.paymentIntents.retrieve(id, { expand: ['latest_charge.balance_transaction'] }, requestOptions),
        );
        const charge = intent.latest_charge;
        if (charge && typeof charge !== 'string')
          void cached(`charge:${charge.id}`, async () => withBalanceTransaction(cached, charge));
        return idOf(charge);
      }),
    getRefund: (id) =>
      cached(`refund:${id}`, async () =>
        withBalanceTransaction(
          cached,
          await call('refund', id, () =>
            stripe.refunds.retrieve(id, { expand: ['balance_transaction'] }, requestOptions),
          ),
        ),
      ),
    // A customer Stripe does not know has no metadata: remembered, not asked again.
    customerMetadata: (id) =>
      cached(`customer_metadata:${id}`, () =>
        call('customer', id, () => stripe.customers.retrieve(id, {}, requestOptions)).then(metadataOfCustomer, (e) => {
          if (e instanceof AccrueError && e.code === 'not_found') return null;
          throw e;
        }),
      ),
  };
}

/**
 * A charge or refund read with its balance transaction expanded: the transaction is remembered
 * under its own key (as `getBalanceTransaction` would have read it) and the object names it by id
 * again, the shape every caller expects.
 */
function withBalanceTransaction<T extends { balance_transaction: string | Stripe.BalanceTransaction | null }>(
  cached: AccountReads['cached'],
  object: T,
): T {
  const bt = object.balance_transaction;
  if (!bt || typeof bt === 'string') return object;
  void cached(`balance_transaction:${bt.id}`, async () => bt);
  return { ...object, balance_transaction: bt.id };
}
