/** The products list of the rule editor: a page of the merchant's Stripe products, each with the rule in force. */
import type { ProductsQuery, ProductsResponse, ProductSummary } from '../../../shared/api/app.ts';
import { tenantOf, todayOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { productRuleShown } from '../../../shared/engine/rules.ts';
import { PRICE_LOOKUPS_MAX, productPage, summarize } from './stripe-products.ts';

export async function listProducts(
  deps: Pick<AppDeps, 'db' | 'stripe' | 'clock'>,
  caller: AppCaller,
  query: ProductsQuery,
): Promise<ProductsResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const page = await productPage(deps, tenant, query);
  const today = todayOf(deps.clock, tenant);
  const lookups = { left: PRICE_LOOKUPS_MAX };
  const products: ProductSummary[] = [];
  for (const product of page.data) {
    products.push(
      await summarize(deps, tenant, product, productRuleShown(tenant.settings, product.id, today), lookups),
    );
  }
  return { products, has_more: page.has_more };
}
