/**
 * The merchant's products as Stripe knows them, read with the platform key on behalf of the
 * caller's account (`{stripeAccount}`), summarized for the App with the rule shown beside each.
 */
import type Stripe from 'stripe';
import type { ProductSummary } from '../../../shared/api/app.ts';
import { AccrueError, isAccrueError } from '../../../shared/errors.ts';
import { normalizeCurrency } from '../../../shared/money.ts';
import type { ProductRule } from '../../../shared/settings.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import type { AppDeps } from '../app-api/types.ts';

/**
 * Products whose default price we fetch one by one when the list did not expand it: at most one
 * page's worth per request, so a listing never turns into an unbounded fan-out of Stripe calls.
 */
export const PRICE_LOOKUPS_MAX = 100;

type StripeDeps = Pick<AppDeps, 'stripe'>;
type ProductList = Stripe.ApiList<Stripe.Product>;

/** Price lookups left for one request (shared by every product of a page). */
export interface PriceLookups {
  left: number;
}

/**
 * Maps a Stripe SDK failure to our error family, so the App gets a stable code, not SDK internals:
 * `not_found` (404 or `resource_missing`), `rate_limited` (429), `not_configured` (401/403: the
 * app is not installed on the account), else `upstream_unavailable`.
 */
export function stripeFailure(error: unknown, what: string): AccrueError {
  if (isAccrueError(error)) return error;
  const err = error as { statusCode?: number; code?: string; message?: string };
  if (err?.statusCode === 404 || err?.code === 'resource_missing')
    return new AccrueError('not_found', `${what} was not found in Stripe`);
  if (err?.statusCode === 429)
    return new AccrueError('rate_limited', 'Stripe is rate limiting requests; try again in a moment.');
  if (err?.statusCode === 401 || err?.statusCode === 403) {
    return new AccrueError('not_configured', 'Accrue cannot read this Stripe account (is the app installed?).');
  }
  return new AccrueError('upstream_unavailable', `Stripe did not answer while reading ${what}.`);
}

/** A product for the App, its default price looked up when the read did not expand it (within `lookups`). */
export async function summarize(
  deps: StripeDeps,
  tenant: Tenant,
  product: Stripe.Product,
  rule: ProductRule | null,
  lookups: PriceLookups,
): Promise<ProductSummary> {
  let price: Stripe.Price | null = null;
  if (product.default_price && typeof product.default_price === 'object') price = product.default_price;
  else if (typeof product.default_price === 'string' && deps.stripe && lookups.left-- > 0) {
    try {
      price = await deps.stripe.prices.retrieve(product.default_price, {}, { stripeAccount: tenant.accountId });
    } catch (error) {
      throw stripeFailure(error, `price ${product.default_price}`);
    }
  }
  const defaultPrice = price
    ? {
        id: price.id,
        currency: normalizeCurrency(price.currency),
        unit_amount_minor: price.unit_amount === null ? null : String(price.unit_amount),
      }
    : null;
  return { id: product.id, name: product.name, active: product.active, default_price: defaultPrice, rule };
}

/**
 * The product as Stripe knows it for this merchant. With `allowMissing`, a product Stripe no
 * longer has (deleted, or Stripe not configured here) is shown by its id, so a rule left behind
 * can still be read and removed; writing a new rule requires the product to exist.
 */
export async function productSummary(
  deps: StripeDeps,
  tenant: Tenant,
  productId: string,
  rule: ProductRule | null,
  opts: { allowMissing: boolean },
): Promise<ProductSummary> {
  const stub: ProductSummary = { id: productId, name: productId, active: false, default_price: null, rule };
  if (!deps.stripe) {
    if (opts.allowMissing) return stub;
    throw new AccrueError('not_configured', 'STRIPE_SECRET_KEY is not configured, so the product cannot be checked.');
  }
  let product: Stripe.Product;
  try {
    product = await deps.stripe.products.retrieve(
      productId,
      { expand: ['default_price'] },
      { stripeAccount: tenant.accountId },
    );
  } catch (error) {
    const err = stripeFailure(error, `product ${productId}`);
    if (opts.allowMissing && err.code === 'not_found') return stub;
    throw err;
  }
  return summarize(deps, tenant, product, rule, { left: PRICE_LOOKUPS_MAX });
}

/** One page of the merchant's products, default prices expanded. */
export async function productPage(
  deps: StripeDeps,
  tenant: Tenant,
  page: { limit: number; starting_after?: string | undefined },
): Promise<ProductList> {
  if (!deps.stripe)
    throw new AccrueError('not_configured', 'STRIPE_SECRET_KEY is not configured, so products cannot be listed.');
  try {
    return await deps.stripe.products.list(
      {
        limit: page.limit,
        ...(page.starting_after ? { starting_after: page.starting_after } : {}),
        expand: ['data.default_price'],
      },
      { stripeAccount: tenant.accountId },
    );
  } catch (error) {
    throw stripeFailure(error, 'products');
  }
}
