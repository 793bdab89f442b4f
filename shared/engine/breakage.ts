/**
 * Redemption and breakage of a prepaid liability (docs/accounting.md §3, "Billing credits" and
 * "Stored value"): a paid credit grant, or the stored value a customer's balance holds. Lots are
 * funded, redeemed oldest first, and what is left becomes breakage once redemption is remote — at
 * a lot's expiry, at a void, or after `breakage_after_months` without activity. With a
 * `breakage_rate` r, breakage is recognized in proportion to redemptions instead: after each
 * redemption the cumulative breakage is cumulative redemptions × r ÷ (1 − r), truncated toward
 * zero, never more than the liability left. A redemption that reaches credit already taken as
 * breakage takes it back from breakage (a change of estimate).
 *
 * Pure: the same events give the same movements. Amounts are minor units of one currency.
 */
import { Decimal, truncateToMinor } from '../money.ts';
import { EngineRefusal } from './failures.ts';

export interface PoolLot {
  id: string;
  amount: bigint;
  at: number;
  expiresAt: number | null;
  /** False for a credit the liability does not cover (another source of a customer balance): redeemed, never broken. */
  tracked: boolean;
}

export type PoolEvent =
  | { kind: 'fund'; lot: PoolLot }
  | { kind: 'redeem'; id: string; amount: bigint; at: number }
  | { kind: 'end'; id: string; at: number };

export type PoolMovement =
  | {
      kind: 'redeem';
      id: string;
      at: number;
      /** Taken off the liability. */
      fromLiability: bigint;
      /** Taken back from breakage already recognized (change of estimate). */
      fromBreakage: bigint;
      /** Redeemed from credits the liability does not cover. */
      untracked: bigint;
      /** Redeemed beyond every credit there was (negative: given back). */
      excess: bigint;
    }
  | { kind: 'breakage'; id: string; at: number; amount: bigint; reason: 'expiry' | 'void' | 'inactivity' | 'rate' };

export interface BreakagePolicy {
  /** Months without activity after which what is left is breakage; null: never by inactivity. */
  afterMonths: number | null;
  /** Expected breakage share of sales (proportional method); null: the remote method. */
  rate: Decimal | null;
  /** Adds months to an instant in the reporting zone. */
  addMonths: (at: number, months: number) => number;
  /** Whether an instant's date is on or before the date the books run through. */
  released: (at: number) => boolean;
}

interface LotState {
  lot: PoolLot;
  /** Not yet redeemed (what the customer can still use). */
  left: bigint;
  /** Still in the liability (left less breakage taken from it). */
  liability: bigint;
}

const EVENT_RANK = { fund: 0, redeem: 1, end: 2 } as const;

/** Walks the events in time order and returns the movements of the liability. */
export function walkPool(events: readonly PoolEvent[], policy: BreakagePolicy): PoolMovement[] {
  const sorted = [...events].sort(
    (a, b) => instantOf(a) - instantOf(b) || EVENT_RANK[a.kind] - EVENT_RANK[b.kind] || (idOf(a) < idOf(b) ? -1 : 1),
  );
  const lots: LotState[] = [];
  const out: PoolMovement[] = [];
  const totals = { redeemed: 0n, broken: 0n };
  let lastActivity: number | null = null;
  const breakAll = (at: number, id: string, reason: 'expiry' | 'void' | 'inactivity', only?: LotState) => {
    let amount = 0n;
    for (const state of only ? [only] : lots) {
      amount += state.liability;
      state.liability = 0n;
      if (reason !== 'inactivity') state.left = 0n;
    }
    totals.broken += amount;
    if (amount !== 0n) out.push({ kind: 'breakage', id, at, amount, reason });
  };
  const checkInactivity = (now: number | null) => {
    if (policy.afterMonths === null || lastActivity === null) return;
    const remote = policy.addMonths(lastActivity, policy.afterMonths);
    if (now === null ? !policy.released(remote) : remote > now) return;
    if (lots.some((s) => s.liability !== 0n)) breakAll(remote, `inactive:${remote}`, 'inactivity');
  };
  for (const event of sorted) {
    checkInactivity(instantOf(event));
    expireLots(lots, instantOf(event), policy, breakAll);
    if (event.kind === 'fund') {
      lots.push({ lot: event.lot, left: event.lot.amount, liability: event.lot.tracked ? event.lot.amount : 0n });
    } else if (event.kind === 'end') {
      breakAll(event.at, event.id, 'void');
    } else {
      out.push(redeem(lots, event, totals));
      proportionalBreakage(lots, event, policy, totals, out);
    }
    lastActivity = instantOf(event);
  }
  checkInactivity(null);
  expireLots(lots, null, policy, breakAll);
  return out;
}

function instantOf(event: PoolEvent): number {
  return event.kind === 'fund' ? event.lot.at : event.at;
}

function idOf(event: PoolEvent): string {
  return event.kind === 'fund' ? event.lot.id : event.id;
}

/** Lots whose expiry has come (before `now`, or released by the run's date when `now` is null) break. */
function expireLots(
  lots: LotState[],
  now: number | null,
  policy: BreakagePolicy,
  breakAll: (at: number, id: string, reason: 'expiry', only: LotState) => void,
): void {
  for (const state of lots) {
    const expiry = state.lot.expiresAt;
    if (expiry === null || (state.left === 0n && state.liability === 0n)) continue;
    if (now === null ? !policy.released(expiry) : expiry > now) continue;
    breakAll(expiry, `${state.lot.id}:expired`, 'expiry', state);
    state.left = 0n;
  }
}

/** A redemption, oldest lot first; a negative one gives credit back to the newest lot it came from. */
function redeem(
  lots: LotState[],
  event: { id: string; amount: bigint; at: number },
  totals: { redeemed: bigint },
): PoolMovement {
  const movement = { kind: 'redeem' as const, id: event.id, at: event.at, fromLiability: 0n, fromBreakage: 0n };
  let untracked = 0n;
  if (event.amount < 0n) {
    const target = [...lots].reverse().find((s) => s.lot.tracked && s.left < s.lot.amount);
    if (!target) return { ...movement, untracked, excess: event.amount };
    const back = -event.amount;
    target.left += back;
    target.liability += back;
    totals.redeemed -= back;
    return { ...movement, fromLiability: event.amount, untracked, excess: 0n };
  }
  let rest = event.amount;
  for (const state of lots) {
    if (rest === 0n) break;
    const take = rest < state.left ? rest : state.left;
    if (take === 0n) continue;
    state.left -= take;
    rest -= take;
    if (!state.lot.tracked) {
      untracked += take;
      continue;
    }
    const fromLiability = take < state.liability ? take : state.liability;
    state.liability -= fromLiability;
    movement.fromLiability += fromLiability;
    movement.fromBreakage += take - fromLiability;
    totals.redeemed += take;
  }
  return { ...movement, untracked, excess: rest };
}

/** With a breakage rate: cumulative breakage follows cumulative redemptions, within the liability left. */
function proportionalBreakage(
  lots: LotState[],
  event: { id: string; at: number },
  policy: BreakagePolicy,
  totals: { redeemed: bigint; broken: bigint },
  out: PoolMovement[],
): void {
  const rate = policy.rate;
  if (rate === null || rate.isZero()) return;
  // Truncated toward zero: breakage never runs ahead of the exact proportion.
  const target = truncateToMinor(new Decimal(totals.redeemed.toString()).mul(rate).div(new Decimal(1).minus(rate)));
  let due = target - totals.broken;
  if (due <= 0n) return;
  let amount = 0n;
  for (const state of lots) {
    if (due === 0n) break;
    const take = due < state.liability ? due : state.liability;
    state.liability -= take;
    due -= take;
    amount += take;
  }
  totals.broken += amount;
  if (amount !== 0n) out.push({ kind: 'breakage', id: `${event.id}:rate`, at: event.at, amount, reason: 'rate' });
}

/** The escheat share of an amount of breakage, truncated toward zero; the rest is breakage revenue. */
export function escheatSplit(amount: bigint, share: Decimal): { escheat: bigint; income: bigint } {
  const escheat = truncateToMinor(new Decimal(amount.toString()).mul(share));
  return { escheat, income: amount - escheat };
}

/** A refusal for a redemption beyond what a paid liability ever held. */
export function overRedeemed(what: string, excess: bigint): EngineRefusal {
  return new EngineRefusal(`${what}: credits applied beyond the grant's balance by ${excess} (minor units)`);
}
