/**
 * Which of a product's effective-dated rules applies, and how a new rule joins the ones stored.
 * Pure functions over the settings' `product_rules`.
 */
import type { ProductRule, TenantSettings } from '../../../shared/settings.ts';

/** The rules stored for a product (one rule, or several with effective dates). */
export function rulesOf(settings: TenantSettings, productId: string): ProductRule[] {
  // Own keys only: a product id such as `constructor` must not find Object.prototype's.
  const raw = Object.hasOwn(settings.product_rules, productId) ? settings.product_rules[productId] : undefined;
  return raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
}

/**
 * The rule shown for a product: the one in force on `today` (latest effective date; a rule for
 * every price before a price-specific one), else the earliest that takes effect later, else null.
 */
export function ruleInForce(rules: readonly ProductRule[], today: string): ProductRule | null {
  const inForce = rules.filter((r) => (r.effective_from ?? '') <= today);
  if (inForce.length > 0) {
    return [...inForce].sort((a, b) => {
      const byDate = (b.effective_from ?? '').localeCompare(a.effective_from ?? '');
      if (byDate !== 0) return byDate;
      return (a.price === undefined ? 0 : 1) - (b.price === undefined ? 0 : 1);
    })[0]!;
  }
  const later = [...rules].sort((a, b) => (a.effective_from ?? '').localeCompare(b.effective_from ?? ''));
  return later[0] ?? null;
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
