/**
 * Product rules (docs/accounting.md §2, §5): which rule applies to a line, and the timing of
 * the obligation it makes — spread over a service period, over a custom term, or at one
 * instant (the booking, the payment, or a fulfillment).
 */
import type { LocalDate } from '../journal.ts';
import type { AmortizationMethod, BundleComponent, ProductRule, TenantSettings } from '../settings.ts';
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
}

/**
 * The rule for a product/price on a booking date: price-specific beats general, later
 * `effective_from` beats earlier; no rule is ratable over the line's period.
 */
export function resolveRule(
  settings: TenantSettings,
  product: string | null,
  price: string | null,
  bookedOn: LocalDate,
): ResolvedRule {
  const configured =
    product && Object.hasOwn(settings.product_rules, product) ? settings.product_rules[product] : undefined;
  const candidates = configured === undefined ? [] : Array.isArray(configured) ? configured : [configured];
  let best: ProductRule | undefined;
  for (const candidate of candidates) {
    if (candidate.price !== undefined && candidate.price !== price) continue;
    if (candidate.effective_from !== undefined && candidate.effective_from > bookedOn) continue;
    if (!best || beats(candidate, best)) best = candidate;
  }
  return {
    rule: best?.rule ?? 'ratable',
    trigger: best?.trigger ?? 'booking',
    termMonths: best?.term_months,
    method: best?.amortization ?? settings.amortization,
    account: best?.account,
    components: best?.components ?? [],
  };
}

/** A price-specific rule beats a general one; between equals, the later `effective_from` wins. */
function beats(candidate: ProductRule, best: ProductRule): boolean {
  const candidateSpecific = candidate.price !== undefined ? 1 : 0;
  const bestSpecific = best.price !== undefined ? 1 : 0;
  if (candidateSpecific !== bestSpecific) return candidateSpecific > bestSpecific;
  return (candidate.effective_from ?? '') > (best.effective_from ?? '');
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
