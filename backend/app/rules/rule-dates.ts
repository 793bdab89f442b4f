/**
 * How a new product rule joins the ones stored. Pure functions over the settings' `product_rules`.
 * Which rule applies is never decided here: the engine's resolver (shared/engine/rules.ts) does.
 */
import type { ProductRule, TenantSettings } from '../../../shared/settings.ts';

/** The rules stored for a product (one rule, or several with effective dates). */
export function rulesOf(settings: TenantSettings, productId: string): ProductRule[] {
  // Own keys only: a product id such as `constructor` must not find Object.prototype's.
  const raw = Object.hasOwn(settings.product_rules, productId) ? settings.product_rules[productId] : undefined;
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
}

/**
 * Stores a rule for a product. An effective-dated rule joins the rules already there (replacing
 * one with the same date and price scope), because a rule change applies from its date and the
 * bookings before it keep their rule; an undated rule replaces every rule of the product.
 */
export function withRule(existing: readonly ProductRule[], rule: ProductRule): ProductRule | ProductRule[] {
  if (rule.effective_from === undefined || existing.length === 0) return rule;
  const kept = existing.filter((r) => !(r.effective_from === rule.effective_from && r.price === rule.price));
  const all = [...kept, rule].sort((a, b) => (a.effective_from ?? '').localeCompare(b.effective_from ?? ''));
  return all.length === 1 ? all[0]! : all;
}
