/**
 * The product rule editor's use cases. Rules live in the tenant's versioned settings, so every
 * write names the version it was made on (`conflict` when stale) and leaves a history row.
 */
import type {
  ProductRuleDeleteRequest,
  ProductRuleResponse,
  ProductRuleUpdateRequest,
} from '../../../shared/api/app.ts';
import { AccrueError } from '../../../shared/errors.ts';
import { tenantOf, todayOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { saveVersion } from '../settings/save.ts';
import { productRuleShown } from '../../../shared/engine/rules.ts';
import { rulesOf, withRule } from './rule-dates.ts';
import { productSummary } from './stripe-products.ts';

type RuleDeps = Pick<AppDeps, 'db' | 'stripe' | 'clock'>;

/** The rule in force today for the product (a product Stripe no longer has is shown by its id). */
export async function getProductRule(
  deps: RuleDeps,
  caller: AppCaller,
  productId: string,
): Promise<ProductRuleResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const rule = productRuleShown(tenant.settings, productId, todayOf(deps.clock, tenant));
  const product = await productSummary(deps, tenant, productId, rule, { allowMissing: true });
  return { product, rule, version: tenant.settingsVersion };
}

/** Stores a rule for a product that exists for this merchant in Stripe (`not_found` otherwise). */
export async function putProductRule(
  deps: RuleDeps,
  caller: AppCaller,
  productId: string,
  req: ProductRuleUpdateRequest,
): Promise<ProductRuleResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const product = await productSummary(deps, tenant, productId, req.rule, { allowMissing: false });
  const rules = {
    ...tenant.settings.product_rules,
    [productId]: withRule(rulesOf(tenant.settings, productId), req.rule),
  };
  const next = await saveVersion(deps.db, caller, tenant, { ...tenant.settings, product_rules: rules }, req.version);
  return { product, rule: req.rule, version: next.settingsVersion };
}

/** Removes every rule of the product (`not_found` when it has none). */
export async function deleteProductRule(
  deps: RuleDeps,
  caller: AppCaller,
  productId: string,
  req: ProductRuleDeleteRequest,
): Promise<ProductRuleResponse> {
  const tenant = await tenantOf(deps.db, caller);
  if (!Object.hasOwn(tenant.settings.product_rules, productId))
    throw new AccrueError('not_found', `Product ${productId} has no rule.`);
  const { [productId]: _removed, ...rest } = tenant.settings.product_rules;
  const next = await saveVersion(deps.db, caller, tenant, { ...tenant.settings, product_rules: rest }, req.version);
  const product = await productSummary(deps, next, productId, null, { allowMissing: true });
  return { product, rule: null, version: next.settingsVersion };
}
