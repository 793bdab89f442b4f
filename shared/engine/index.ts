/**
 * The recognition engine: a pure function from (tenant settings, facts, through-date) to
 * journal entry drafts, schedules and exceptions (docs/accounting.md §2–§5). No IO, no clock,
 * no randomness: the same facts in any order and any multiplicity give the same entries with
 * the same keys.
 *
 * Facts are grouped by aggregate (an invoice, a charge without invoice, a payout, a pending
 * invoice item); each aggregate is booked on its own (aggregate.ts) and the results are
 * concatenated in aggregate-key order, so running per aggregate gives the same journal as one run.
 *
 * Where things are: context.ts (settings, calendar, dates), order.ts (the orders of event
 * types, invoice facts and entry kinds), rules.ts (product rules, timing), obligations.ts and
 * schedule.ts (obligations, release curves, cuts), invoice.ts / invoice-lines.ts /
 * invoice-events.ts (an invoice), recognition.ts, pending-items.ts, payments.ts (payments, fees,
 * payouts), charges.ts (charges without invoice), cancellations.ts (refunds, credit notes,
 * voids, write-offs, reversals), disputes.ts (disputes and their balance shapes), settlement.ts
 * (cash that does not match what it settles), fx.ts (rates, original amounts, cash), allocation.ts,
 * failures.ts (refusals versus bugs), aggregate-book.ts (what an aggregate produces).
 */
import type { LocalDate } from '../journal.ts';
import type { TenantSettings } from '../settings.ts';
import type { EngineResult } from './aggregate-book.ts';
import { runAggregate } from './aggregate.ts';
import { makeContext } from './context.ts';
import { aggregateKeyOf, factKey, type Fact } from './facts.ts';

export { aggregateKeyOf, factKey, parseFact, serializeFact } from './facts.ts';
export type { ApplicationFeeFact, ApplicationFeeRefundFact, Fact, FactType } from './facts.ts';
export type { EngineException, EngineResult, ScheduleLine } from './aggregate-book.ts';
export { EngineRefusal } from './failures.ts';
export { configuredRate, estimatedRate, type RateChoice } from './fx.ts';
export { resolveRule } from './rules.ts';

export interface EngineInput {
  settings: TenantSettings;
  facts: Fact[];
  through: LocalDate;
}

/** Runs the engine over every aggregate in the facts and concatenates the results in aggregate-key order. */
export function runEngine(input: EngineInput): EngineResult {
  const byKey = new Map<string, Fact>();
  for (const fact of input.facts) {
    const key = factKey(fact);
    const previous = byKey.get(key);
    // The same fact reported twice is the same fact; keep one deterministically.
    if (!previous || serializeForCompare(fact) < serializeForCompare(previous)) byKey.set(key, fact);
  }
  // Fact keys by aggregate; each aggregate sees its facts in key order, whatever the input order
  // (the default sort orders strings by UTF-16 code units, as `<` does).
  const groups = new Map<string, string[]>();
  for (const [key, fact] of byKey) {
    const aggregate = aggregateKeyOf(fact);
    const keys = groups.get(aggregate);
    if (keys) keys.push(key);
    else groups.set(aggregate, [key]);
  }
  const context = makeContext(input.settings, input.through);
  const out: EngineResult = { entries: [], schedules: [], exceptions: [] };
  for (const aggregate of [...groups.keys()].sort()) {
    const keys = groups.get(aggregate)!;
    if (keys.length > 1) keys.sort();
    const result = runAggregate(
      context,
      aggregate,
      keys.map((key) => byKey.get(key)!),
    );
    out.entries.push(...result.entries);
    out.schedules.push(...result.schedules);
    out.exceptions.push(...result.exceptions);
  }
  return out;
}

function serializeForCompare(fact: Fact): string {
  return JSON.stringify(fact, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}
