/**
 * Cancellation credit notes, `termination_credits = unsatisfied_first` (docs/accounting.md §3,
 * "Cancellation credit notes"). Stripe's method, the default, spreads a credit note over what a
 * line had recognized and still deferred (the proportional rule, cancellations.ts). With
 * `unsatisfied_first`, a credit note issued with or after the cancellation of the subscription
 * whose line it credits takes what was still deferred at the cancellation instant first; only
 * what exceeds it is contra revenue (and anything beyond the whole obligation other loss).
 * Nothing is recognized for the line after the cancellation: what is left deferred (a rounding
 * residue, normally at most one minor unit) is released at the cancellation instant.
 */
import { Decimal } from '../money.ts';
import { localDateOf } from '../time.ts';
import type { EngineContext } from './context.ts';
import type { Obligation, ObligationTrack, TakenShare } from './obligations.ts';
import { releasedAt, type CalendarContext } from './schedule.ts';

/** The cut of one obligation by the unsatisfied-first rule, or null when the default rule applies. */
export function unsatisfiedFirstCut(
  context: EngineContext,
  event: { kind: string; cancellationAt?: number | undefined },
  obligation: Obligation,
  functionalPart: bigint,
  invoiceCurrencyPart: bigint,
): { functional: TakenShare; invoiceCurrency: TakenShare } | null {
  if (event.kind !== 'credit_note' || event.cancellationAt === undefined) return null;
  if (context.settings.termination_credits !== 'unsatisfied_first') return null;
  const at = event.cancellationAt;
  if (!fits(obligation.functional, at, functionalPart) || !fits(obligation.invoiceCurrency, at, invoiceCurrencyPart))
    return null;
  const functional = takeDeferredFirst(obligation.functional, at, functionalPart, context.schedule);
  const invoiceCurrency =
    obligation.invoiceCurrency === obligation.functional
      ? functional
      : takeDeferredFirst(obligation.invoiceCurrency, at, invoiceCurrencyPart, context.schedule);
  return { functional, invoiceCurrency };
}

/** The rule is for a positive credit on an obligation that still carries positive amounts; anything else stays proportional. */
function fits(track: ObligationTrack, at: number, amount: bigint): boolean {
  const released = releasedAt(track.segments, at);
  return (
    amount > 0n && released - track.takenRecognized >= 0n && track.amountMinor - track.takenDeferred - released >= 0n
  );
}

function takeDeferredFirst(track: ObligationTrack, at: number, amount: bigint, calendar: CalendarContext): TakenShare {
  const released = releasedAt(track.segments, at);
  const netRecognized = released - track.takenRecognized;
  const netDeferred = track.amountMinor - track.takenDeferred - released;
  const deferred = amount < netDeferred ? amount : netDeferred;
  const rest = amount - deferred;
  const recognized = rest < netRecognized ? rest : netRecognized;
  track.takenRecognized += recognized;
  track.takenDeferred += deferred;
  // Nothing is earned after the cancellation: what is still deferred is released at that instant.
  const left = netDeferred - deferred;
  const period = calendar.calendar.periodOf(localDateOf(at, calendar.tz));
  const slots = left === 0n ? [] : [{ period, a: at, b: at, amountMinor: left, weight: new Decimal(1) }];
  track.segments.push({ from: at, releasedBefore: released, slots });
  return { recognized, deferred, excess: rest - recognized };
}
