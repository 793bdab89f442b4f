/**
 * The rule list editor's pure parts: a rule as form fields (strings), back to a rule checked by
 * the shared schema (so the form refuses what the backend would, naming the field), moving a rule
 * up or down (positions renumbered 1..n in list order), and one-line descriptions.
 */
import { RuleSchema, type Rule } from '../../shared/settings.ts';

export type Treatment =
  'ratable' | 'point_in_time' | 'custom_term' | 'exclude' | 'prepaid_credits' | 'stored_value' | 'split';
export type PartRule = 'ratable' | 'point_in_time' | 'custom_term';

export interface SplitDraft {
  name: string;
  percent: string;
  rule: PartRule;
  termMonths: string;
  account: string;
}

export interface RuleDraft {
  id: string;
  name: string;
  products: string;
  prices: string;
  customers: string;
  currencies: string;
  customerMetadata: string;
  lineMetadata: string;
  amountMin: string;
  amountMax: string;
  treatment: Treatment;
  termMonths: string;
  account: string;
  split: SplitDraft[];
  effectiveFrom: string;
  effectiveTo: string;
}

const list = (values: readonly string[] | undefined) => (values ?? []).join(', ');
const pairs = (m: Readonly<Record<string, string>> | undefined) =>
  Object.entries(m ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

export function emptyDraft(id: string): RuleDraft {
  return {
    ...draftOf({ id, position: 1, conditions: {}, treatment: { rule: 'ratable' } }),
  };
}

export function draftOf(rule: Rule): RuleDraft {
  const c = rule.conditions;
  const t = rule.treatment;
  return {
    id: rule.id,
    name: rule.name ?? '',
    products: list(c.products),
    prices: list(c.prices),
    customers: list(c.customers),
    currencies: list(c.currencies),
    customerMetadata: pairs(c.customer_metadata),
    lineMetadata: pairs(c.line_metadata),
    amountMin: c.amount_min_minor?.toString() ?? '',
    amountMax: c.amount_max_minor?.toString() ?? '',
    treatment: rule.split ? 'split' : t?.rule === 'bundle' ? 'ratable' : (t?.rule ?? 'ratable'),
    termMonths: t?.term_months?.toString() ?? '',
    account: t?.account ?? '',
    split: (rule.split ?? []).map((p) => ({
      name: p.name,
      percent: p.percent,
      rule: p.rule,
      termMonths: p.term_months?.toString() ?? '',
      account: p.account ?? '',
    })),
    effectiveFrom: rule.effective_from ?? '',
    effectiveTo: rule.effective_to ?? '',
  };
}

const ids = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
function metadata(s: string): Record<string, string> | undefined {
  const entries = ids(s).map((pair) => {
    const at = pair.indexOf('=');
    return at < 0 ? [pair, ''] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
  });
  return entries.length ? Object.fromEntries(entries) : undefined;
}
const int = (s: string) => (s.trim() === '' ? undefined : /^-?\d+$/.test(s.trim()) ? Number(s.trim()) : Number.NaN);

/** The rule the form describes at `position`, or the first problem (field: message). */
export function ruleFromDraft(d: RuleDraft, position: number): { rule: Rule } | { error: string } {
  const conditions = Object.fromEntries(
    Object.entries({
      products: ids(d.products),
      prices: ids(d.prices),
      customers: ids(d.customers),
      currencies: ids(d.currencies).map((c) => c.toLowerCase()),
      customer_metadata: metadata(d.customerMetadata),
      line_metadata: metadata(d.lineMetadata),
      amount_min_minor: int(d.amountMin),
      amount_max_minor: int(d.amountMax),
    }).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  );
  const split = d.split.map((p) => ({
    name: p.name.trim(),
    percent: p.percent.trim(),
    rule: p.rule,
    ...(p.rule === 'custom_term' ? { term_months: int(p.termMonths) } : {}),
    ...(p.account.trim() ? { account: p.account.trim() } : {}),
  }));
  const treatment =
    d.treatment === 'split'
      ? undefined
      : {
          rule: d.treatment,
          ...(d.treatment === 'custom_term' ? { term_months: int(d.termMonths) } : {}),
          ...(d.account.trim() ? { account: d.account.trim() } : {}),
        };
  const r = RuleSchema.safeParse({
    id: d.id.trim(),
    ...(d.name.trim() ? { name: d.name.trim() } : {}),
    position,
    conditions,
    ...(treatment ? { treatment } : { split }),
    ...(d.effectiveFrom.trim() ? { effective_from: d.effectiveFrom.trim() } : {}),
    ...(d.effectiveTo.trim() ? { effective_to: d.effectiveTo.trim() } : {}),
  });
  if (r.success) return { rule: r.data };
  const issue = r.error.issues[0]!;
  return { error: `${issue.path.join('.') || 'rule'}: ${issue.message}` };
}

/** Moves the rule at `index` one place up (-1) or down (+1); positions become 1..n in list order. */
export function moveRule(rules: readonly Rule[], index: number, by: -1 | 1): Rule[] {
  const out = [...rules];
  const to = index + by;
  if (to < 0 || to >= out.length) return renumber(out);
  [out[index], out[to]] = [out[to]!, out[index]!];
  return renumber(out);
}

export function renumber(rules: readonly Rule[]): Rule[] {
  return rules.map((r, k) => ({ ...r, position: k + 1 }));
}

/** "product prod_a · currency usd · amount ≥ 1000" — every condition, or "every line". */
export function describeConditions(rule: Rule): string {
  const c = rule.conditions;
  const parts = [
    c.products && `product ${c.products.join(' or ')}`,
    c.prices && `price ${c.prices.join(' or ')}`,
    c.customers && `customer ${c.customers.join(' or ')}`,
    c.customer_metadata && `customer ${pairs(c.customer_metadata)}`,
    c.line_metadata && `line ${pairs(c.line_metadata)}`,
    c.currencies && `currency ${c.currencies.join(' or ')}`,
    c.amount_min_minor !== undefined && `amount ≥ ${c.amount_min_minor}`,
    c.amount_max_minor !== undefined && `amount ≤ ${c.amount_max_minor}`,
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'every line';
}

const TREATMENT_LABELS: Record<string, string> = {
  ratable: 'Ratable over the service period',
  point_in_time: 'Point in time',
  custom_term: 'Custom term',
  exclude: 'Excluded',
  bundle: 'Bundle',
};

export function describeTreatment(rule: Rule): string {
  if (rule.split) return `Split: ${rule.split.map((p) => `${p.percent}% ${p.name}`).join(', ')}`;
  const t = rule.treatment!;
  const base = TREATMENT_LABELS[t.rule] ?? t.rule;
  return t.rule === 'custom_term' ? `${base} (${t.term_months} months)` : base;
}
