/**
 * Product rules (docs/accounting.md §2, §5): which rule applies to a line, and the timing of
 * the obligation it makes — spread over a service period, over a custom term, or at one
 * instant (the booking, the payment, or a fulfillment).
 */
import type { LocalDate } from '../journal.ts';
import type { AmortizationMethod, BundleComponent, ProductRule, Rule, TenantSettings } from '../settings.ts';
import type { EngineContext } from './context.ts';
import type { Fact, InvoiceFinalizedFact, InvoiceLineFact } from './facts.ts';
import { addMonthsInstant, type Timing } from './schedule.ts';

export type Trigger = 'booking' | 'payment' | 'fulfillment';
/** The rule of one obligation (a bundle's component has its own). */
export type ObligationRule = 'ratable' | 'point_in_time' | 'custom_term';

export interface ResolvedRule {
  rule: ProductRule['rule'];
  trigger: Trigger;
  termMonths: number | undefined;
  method: AmortizationMethod;
  account: string | undefined;
  components: BundleComponent[];
  /** The id of the rule that matched (a product rule's is `product.<product>[.<price>][.from-<date>]`); null when none did. */
  ruleId: string | null;
}

/** What a rule's conditions look at: one line (or pending item) of one customer's invoice. */
export interface RuleSubject {
  product: string | null;
  price: string | null;
  customer?: string | null | undefined;
  customerMetadata?: Readonly<Record<string, string>> | undefined;
  lineMetadata?: Readonly<Record<string, string>> | undefined;
  currency?: string | undefined;
  /** The line's amount before discounts, in minor units of its currency. */
  amountMinor?: bigint | undefined;
}

/**
 * Every rule in evaluation order: the rule list by position, then each product rule read as a
 * rule with one product condition (and a price condition when it names a price). Product rules
 * keep their old precedence: price-specific before general, later `effective_from` first (a
 * dated rule applies from its date, so the later one shadows the earlier from then on).
 */
export function orderedRules(settings: TenantSettings): Rule[] {
  const listed = [...settings.rules].sort((a, b) => a.position - b.position);
  const fromProducts: Rule[] = [];
  for (const product of Object.keys(settings.product_rules).sort()) {
    const raw = settings.product_rules[product]!;
    const rules = (Array.isArray(raw) ? raw : [raw]).slice().sort((a, b) => {
      const specific = (b.price !== undefined ? 1 : 0) - (a.price !== undefined ? 1 : 0);
      if (specific !== 0) return specific;
      return (b.effective_from ?? '').localeCompare(a.effective_from ?? '');
    });
    for (const r of rules) fromProducts.push(productRuleAsRule(product, r));
  }
  const after = listed.reduce((max, r) => Math.max(max, r.position), 0);
  return [...listed, ...fromProducts.map((r, k) => ({ ...r, position: after + k + 1 }))];
}

/** A product rule in the rule list's shape: one product condition (and one price condition). */
export function productRuleAsRule(product: string, r: ProductRule): Rule {
  const { price, effective_from, ...treatment } = r;
  return {
    id: `product.${product}${price !== undefined ? `.${price}` : ''}${effective_from ? `.from-${effective_from}` : ''}`,
    position: 0,
    conditions: { products: [product], ...(price !== undefined ? { prices: [price] } : {}) },
    treatment,
    ...(effective_from ? { effective_from } : {}),
  };
}

/** A line of a finalized invoice as the rules see it. */
export function lineSubject(invoice: InvoiceFinalizedFact, line: InvoiceLineFact): RuleSubject {
  return {
    product: line.product,
    price: line.price,
    customer: invoice.customer,
    customerMetadata: invoice.customerMetadata,
    lineMetadata: line.metadata,
    currency: invoice.currency,
    amountMinor: line.amountMinor,
  };
}

/**
 * A pending invoice item as the rules see it: by product and price only, because its accrual (its
 * own aggregate) and the invoice line that bills it must resolve to the same rule.
 */
export function pendingSubject(item: { product: string | null; price: string | null }): RuleSubject {
  return { product: item.product, price: item.price };
}

/** True when every condition of the rule holds for the subject and the date is in its effective range. */
export function ruleMatches(rule: Rule, subject: RuleSubject, on: LocalDate): boolean {
  if (rule.effective_from !== undefined && on < rule.effective_from) return false;
  if (rule.effective_to !== undefined && on > rule.effective_to) return false;
  const c = rule.conditions;
  if (c.products && !(subject.product !== null && c.products.includes(subject.product))) return false;
  if (c.prices && !(subject.price !== null && c.prices.includes(subject.price))) return false;
  if (
    c.customers &&
    !(subject.customer !== null && subject.customer !== undefined && c.customers.includes(subject.customer))
  )
    return false;
  if (c.currencies && !(subject.currency !== undefined && (c.currencies as string[]).includes(subject.currency)))
    return false;
  if (c.customer_metadata && !metadataHolds(c.customer_metadata, subject.customerMetadata)) return false;
  if (c.line_metadata && !metadataHolds(c.line_metadata, subject.lineMetadata)) return false;
  if (c.amount_min_minor !== undefined || c.amount_max_minor !== undefined) {
    if (subject.amountMinor === undefined) return false;
    if (c.amount_min_minor !== undefined && subject.amountMinor < BigInt(c.amount_min_minor)) return false;
    if (c.amount_max_minor !== undefined && subject.amountMinor > BigInt(c.amount_max_minor)) return false;
  }
  return true;
}

function metadataHolds(wanted: Readonly<Record<string, string>>, have: Readonly<Record<string, string>> | undefined) {
  for (const [key, value] of Object.entries(wanted)) {
    if (!have || !Object.hasOwn(have, key) || have[key] !== value) return false;
  }
  return true;
}

/** The first rule, in evaluation order, whose conditions hold on the date; null when none does. */
export function matchRule(settings: TenantSettings, subject: RuleSubject, on: LocalDate): Rule | null {
  return firstMatch(orderedRules(settings), subject, on);
}

function firstMatch(rules: readonly Rule[], subject: RuleSubject, on: LocalDate): Rule | null {
  for (const rule of rules) if (ruleMatches(rule, subject, on)) return rule;
  return null;
}

/** `resolveRule` inside an engine run: the rules are put in evaluation order once per run, not per line. */
export function resolveRuleIn(context: EngineContext, subject: RuleSubject, bookedOn: LocalDate): ResolvedRule {
  const rules = (context.orderedRules ??= orderedRules(context.settings));
  return resolvedFrom(context.settings, firstMatch(rules, subject, bookedOn));
}

/**
 * THE resolver: the treatment of a line booked on a date, from the first matching rule. A split
 * becomes one obligation per part, the line's amount shared by the parts' percentages (largest
 * remainder, shared/money.ts `allocate`); no rule is ratable over the line's period.
 */
export function resolveRule(settings: TenantSettings, subject: RuleSubject, bookedOn: LocalDate): ResolvedRule {
  return resolvedFrom(settings, matchRule(settings, subject, bookedOn));
}

/** The treatment the matched rule gives (ratable over the line's period when none matched). */
function resolvedFrom(settings: TenantSettings, matched: Rule | null): ResolvedRule {
  if (matched?.split) {
    return {
      rule: 'bundle',
      trigger: 'booking',
      termMonths: undefined,
      method: settings.amortization,
      account: undefined,
      components: matched.split.map((part) => ({
        name: part.name,
        ssp: part.percent,
        rule: part.rule,
        ...(part.trigger ? { trigger: part.trigger } : {}),
        ...(part.term_months ? { term_months: part.term_months } : {}),
        ...(part.account ? { account: part.account } : {}),
      })),
      ruleId: matched.id,
    };
  }
  const t = matched?.treatment;
  return {
    rule: t?.rule ?? 'ratable',
    trigger: t?.trigger ?? 'booking',
    termMonths: t?.term_months,
    method: t?.amortization ?? settings.amortization,
    account: t?.account,
    components: t?.components ?? [],
    ruleId: matched?.id ?? null,
  };
}

/**
 * The product rule a screen shows for a product on a date, by the same order the engine books
 * with: the first product rule in force for a line of the product at a price with no rule of its
 * own; else the first in force for any of its prices; else the earliest that takes effect later.
 */
export function productRuleShown(settings: TenantSettings, product: string, today: LocalDate): ProductRule | null {
  if (!Object.hasOwn(settings.product_rules, product)) return null;
  const productOnly = { ...settings, rules: [], product_rules: { [product]: settings.product_rules[product]! } };
  const ordered = orderedRules(productOnly);
  const general = ordered.find((r) => ruleMatches(r, { product, price: null }, today));
  const anyPrice =
    general ?? ordered.find((r) => ruleMatches(r, { product, price: r.conditions.prices?.[0] ?? null }, today));
  const chosen =
    anyPrice ?? [...ordered].sort((a, b) => (a.effective_from ?? '').localeCompare(b.effective_from ?? ''))[0];
  return chosen ? asProductRule(chosen) : null;
}

function asProductRule(rule: Rule): ProductRule {
  return {
    ...rule.treatment!,
    ...(rule.conditions.prices ? { price: rule.conditions.prices[0]! } : {}),
    ...(rule.effective_from ? { effective_from: rule.effective_from } : {}),
  } as ProductRule;
}

/** Point-in-time trigger instants, which may depend on other facts (payment, fulfillment); null until they happen. */
function triggerInstant(
  trigger: Trigger,
  invoice: InvoiceFinalizedFact,
  line: InvoiceLineFact,
  facts: Fact[],
  paidAt: number | null,
): number | null {
  if (trigger === 'booking') return invoice.at;
  if (trigger === 'payment') return paidAt;
  // The earliest fulfillment of this line (or of its product, or of the whole invoice).
  let earliest: number | null = null;
  for (const fact of facts) {
    if (fact.type !== 'fulfillment') continue;
    if (fact.invoiceLine !== null && fact.invoiceLine !== line.id) continue;
    if (fact.product !== null && fact.product !== line.product) continue;
    if (earliest === null || fact.at < earliest) earliest = fact.at;
  }
  return earliest;
}

/** What an obligation's timing depends on besides its line: the invoice, its facts and when it was paid. */
export interface TimingInputs {
  context: EngineContext;
  invoice: InvoiceFinalizedFact;
  facts: Fact[];
  paidAt: number | null;
}

/** An obligation's rule, trigger and term, as a line's rule or a bundle component gives them. */
export interface ObligationTerms {
  rule: ObligationRule;
  trigger: Trigger;
  termMonths: number | undefined;
  method: AmortizationMethod;
}

/**
 * When an obligation is earned: at an instant (point in time), over a custom term from the
 * line's start, or over the line's service period (a line without one is earned at booking).
 */
export function timingFor(inputs: TimingInputs, terms: ObligationTerms, line: InvoiceLineFact): Timing {
  const { context, invoice, facts, paidAt } = inputs;
  if (terms.rule === 'point_in_time') {
    return { kind: 'point', at: triggerInstant(terms.trigger, invoice, line, facts, paidAt) };
  }
  if (terms.rule === 'custom_term') {
    const start = line.periodStart;
    const end = addMonthsInstant(start, terms.termMonths ?? 1, context.timeZone);
    return { kind: 'ratable', start, end, method: terms.method };
  }
  if (line.periodEnd <= line.periodStart) return { kind: 'point', at: invoice.at };
  return { kind: 'ratable', start: line.periodStart, end: line.periodEnd, method: terms.method };
}
