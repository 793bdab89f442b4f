/**
 * Performance obligations (docs/accounting.md §2) and what cancel-type events take from them
 * (docs/accounting.md §3, "the proportional rule"). An obligation is tracked in the functional
 * currency and, for a foreign invoice, in the invoice currency too; each track has its own
 * release curve (schedule.ts), so both currencies release the same shape without converting
 * period by period.
 */
import type { AccountRole } from '../accounts.ts';
import { allocateSigned } from './allocation.ts';
import type { EngineContext } from './context.ts';
import type { InvoiceLineFact } from './facts.ts';
import { baseSegment, releasedAt, resegment, type CalendarContext, type Segment, type Timing } from './schedule.ts';

/** One currency's view of an obligation: its amount, release curve and what cancel events took from it. */
export interface ObligationTrack {
  amountMinor: bigint;
  segments: Segment[];
  /** Taken by cancel events out of what had been recognized (it went to a contra account). */
  takenRecognized: bigint;
  /** Taken by cancel events out of what was still deferred. */
  takenDeferred: bigint;
}

export interface Obligation {
  id: string;
  invoiceLine: string | null;
  product: string | null;
  /** Where the booked amount waits, and where it goes when earned. */
  deferredRole: AccountRole;
  incomeRole: AccountRole;
  account: string | undefined;
  /** Role a cancel event's recognized share goes to, when it is not the event's contra (discount obligations). */
  contraOverride: AccountRole | undefined;
  /** `excluded` obligations have no schedule: their amount sits in the excluded account. */
  scheduled: boolean;
  functional: ObligationTrack;
  /** The same object as `functional` when the invoice is in the functional currency. */
  invoiceCurrency: ObligationTrack;
}

/**
 * What one cancel-type event took from one track: the share of what was recognized (to the
 * contra account), the share of what was still deferred, and anything beyond what the
 * obligation still carried (to other_loss).
 */
export interface TakenShare {
  recognized: bigint;
  deferred: bigint;
  excess: bigint;
}

/** One obligation's part of a cancel-type event, in both currencies (kept so a reversal can restore it). */
export interface ObligationCut {
  obligation: Obligation;
  functional: TakenShare;
  invoiceCurrency: TakenShare;
}

/** Overrides of an ordinary obligation's defaults (excluded lines, discounts, component accounts). */
export type ObligationOptions = Partial<
  Pick<Obligation, 'deferredRole' | 'incomeRole' | 'scheduled' | 'account' | 'contraOverride'>
>;

function newTrack(amount: bigint, timing: Timing, context: EngineContext): ObligationTrack {
  return {
    amountMinor: amount,
    segments: [baseSegment(amount, timing, context.schedule)],
    takenRecognized: 0n,
    takenDeferred: 0n,
  };
}

/** An obligation of `line` (deferred revenue earned as revenue, unless `options` say otherwise). */
export function makeObligation(
  context: EngineContext,
  id: string,
  line: InvoiceLineFact,
  amounts: { functional: bigint; invoiceCurrency: bigint; foreign: boolean },
  timing: Timing,
  options: ObligationOptions,
): Obligation {
  const functional = newTrack(amounts.functional, timing, context);
  // The defaults, each replaced by an option given (even as undefined), written out rather than spread.
  return {
    id,
    invoiceLine: line.id,
    product: line.product,
    deferredRole: 'deferredRole' in options ? options.deferredRole! : 'deferred_revenue',
    incomeRole: 'incomeRole' in options ? options.incomeRole! : 'revenue',
    account: options.account,
    contraOverride: options.contraOverride,
    scheduled: 'scheduled' in options ? options.scheduled! : true,
    functional,
    // In the functional currency the invoice-currency track is the same track.
    invoiceCurrency: amounts.foreign ? newTrack(amounts.invoiceCurrency, timing, context) : functional,
  };
}

/**
 * Takes `amount` out of a track at instant `at`, in proportion to what was recognized and what
 * is still deferred at `at` (or by an explicit share, for reversals). Anything beyond what the
 * obligation still carries is returned as `excess`. The rest of the schedule re-spreads.
 */
export function takeFromTrack(
  track: ObligationTrack,
  at: number,
  amount: bigint,
  calendar: CalendarContext,
  explicit?: { recognized: bigint; deferred: bigint },
): TakenShare {
  const released = releasedAt(track.segments, at);
  const netRecognized = released - track.takenRecognized;
  const netDeferred = track.amountMinor - track.takenDeferred - released;
  const share = explicit ? { ...explicit, excess: 0n } : proportionalShare(amount, netRecognized, netDeferred);
  track.takenRecognized += share.recognized;
  track.takenDeferred += share.deferred;
  track.segments.push(resegment(track.segments, at, released, netDeferred - share.deferred, calendar));
  return share;
}

/** `amount` shared over what is recognized and what is deferred, capped at what the obligation still carries. */
function proportionalShare(amount: bigint, netRecognized: bigint, netDeferred: bigint): TakenShare {
  const carried = netRecognized + netDeferred;
  let take = amount;
  let excess = 0n;
  if (carried === 0n) {
    excess = amount;
    take = 0n;
  } else if (amount > 0n === carried > 0n && abs(amount) > abs(carried)) {
    excess = amount - carried;
    take = carried;
  }
  const [recognized, deferred] = splitRecognizedDeferred(take, netRecognized, netDeferred);
  return { recognized, deferred, excess };
}

function splitRecognizedDeferred(take: bigint, netRecognized: bigint, netDeferred: bigint): [bigint, bigint] {
  if (take === 0n) return [0n, 0n];
  if (netRecognized === 0n) return [0n, take];
  if (netDeferred === 0n) return [take, 0n];
  if (netRecognized > 0n === netDeferred > 0n) {
    return allocateSigned(take, [netRecognized, netDeferred]) as [bigint, bigint];
  }
  // Recognized and deferred of opposite signs (after earlier cuts): take it all from deferred.
  return [0n, take];
}

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}
