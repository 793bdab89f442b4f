/**
 * The recognition engine: pure function from (tenant settings, facts, through-date) to journal
 * entry drafts, schedules and exceptions (policy sections 2–5). No IO, no clock, no randomness:
 * the same facts in any order and any multiplicity give the same entries with the same keys.
 *
 * Facts are grouped by aggregate (an invoice, a charge without invoice, a payout, a pending
 * invoice item); each aggregate is booked on its own and the results are concatenated in
 * aggregate-key order, so running per aggregate gives the same journal as one run.
 */
import type { AccountRole } from '../accounts.ts';
import { AccrueError } from '../errors.ts';
import type { EntryDraft, EntryKind, LineDraft, LocalDate } from '../journal.ts';
import { allocate, decimalWeights, Decimal } from '../money.ts';
import { periodCalendar, type Period, type PeriodCalendar } from '../periods.ts';
import type { AmortizationMethod, BundleComponent, ProductRule, TenantSettings } from '../settings.ts';
import { addDays } from '../time.ts';
import { allocateSigned, convertMinor } from './allocation.ts';
import {
  aggregateKeyOf,
  factKey,
  type ChargeFact,
  type CreditNoteFact,
  type DisputeFundsFact,
  type Fact,
  type InvoiceFinalizedFact,
  type InvoiceItemFact,
  type InvoiceLineFact,
  type PaymentFact,
  type PayoutFact,
  type RefundFact,
} from './facts.ts';
import { addMonthsInstant, baseSegment, dateAt, releasedAt, releasesByPeriod, resegment, type CalendarContext, type Segment, type Timing } from './schedule.ts';

export { aggregateKeyOf, factKey, parseFact, serializeFact } from './facts.ts';
export type { Fact, FactType } from './facts.ts';

/** One period's release of one obligation, for display (schedules, waterfall previews). */
export interface ScheduleLine {
  aggregate: string;
  invoice: string | null;
  invoiceLine: string | null;
  obligation: string;
  product: string | null;
  /** Period the amount is earned in, and the period it is posted in (differs under catch-up). */
  period: string;
  postingPeriod: string;
  postingDate: LocalDate;
  /** Functional-currency minor units (signed like the obligation). */
  amount: bigint;
  currency: string;
  /** True when the posting period ended on or before `through` (a recognition entry exists). */
  released: boolean;
}

/** A fact the engine could not book, with a plain reason. */
export interface EngineException {
  aggregate: string;
  objectId: string;
  factKey: string | null;
  reason: string;
}

export interface EngineResult {
  entries: EntryDraft[];
  schedules: ScheduleLine[];
  exceptions: EngineException[];
}

export interface EngineInput {
  settings: TenantSettings;
  facts: Fact[];
  through: LocalDate;
}

/** Kinds in the order entries of the same date are listed (a booking before its payment …). */
const KIND_ORDER: EntryKind[] = [
  'invoice_finalized', 'customer_balance', 'unbilled_accrual', 'payment', 'fee', 'uncollectible_paid', 'refund', 'refund_failed',
  'credit_note', 'credit_note_voided', 'dispute', 'dispute_won', 'void', 'uncollectible', 'payout', 'payout_failed', 'recognition',
  'fx', 'manual', 'reversal',
];

const KIND_RANK = new Map<EntryKind, number>(KIND_ORDER.map((k, i) => [k, i]));

/** Runs the engine over every aggregate in the facts and concatenates the results in aggregate-key order. */
export function runEngine(input: EngineInput): EngineResult {
  const byKey = new Map<string, Fact>();
  for (const f of input.facts) {
    const k = factKey(f);
    const prev = byKey.get(k);
    // The same fact reported twice is the same fact; keep one deterministically.
    if (!prev || serializeForCompare(f) < serializeForCompare(prev)) byKey.set(k, f);
  }
  const groups = new Map<string, Fact[]>();
  // Facts in key order, so every aggregate sees its facts in the same order whatever the input order.
  for (const [, f] of [...byKey.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const g = aggregateKeyOf(f);
    let arr = groups.get(g);
    if (!arr) groups.set(g, (arr = []));
    arr.push(f);
  }
  const ctx = makeContext(input.settings, input.through);
  const out: EngineResult = { entries: [], schedules: [], exceptions: [] };
  for (const g of [...groups.keys()].sort()) {
    const r = runAggregate(ctx, g, groups.get(g)!);
    out.entries.push(...r.entries);
    out.schedules.push(...r.schedules);
    out.exceptions.push(...r.exceptions);
  }
  return out;
}

function serializeForCompare(f: Fact): string {
  return JSON.stringify(f, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

// ---------------------------------------------------------------------------------------------
// Context

interface Ctx {
  settings: TenantSettings;
  through: LocalDate;
  tz: string;
  fc: string;
  calendar: PeriodCalendar;
  cal: CalendarContext;
}

function makeContext(settings: TenantSettings, through: LocalDate): Ctx {
  const pc = settings.period_calendar;
  const calendar = periodCalendar(pc.type === 'monthly' ? { type: 'monthly' } : { type: '4-4-5', fiscalYearStart: pc.fiscal_year_start });
  const tz = settings.reporting_time_zone;
  return { settings, through, tz, fc: settings.functional_currency, calendar, cal: { tz, calendar } };
}

function dateOf(ctx: Ctx, at: number): LocalDate {
  return dateAt(at, ctx.tz);
}

const lastDayCache = new Map<string, LocalDate>();
/** The last calendar day of a period (its end is exclusive). */
function lastDay(p: Period): LocalDate {
  let d = lastDayCache.get(p.end);
  if (d === undefined) {
    d = addDays(p.end, -1);
    lastDayCache.set(p.end, d);
  }
  return d;
}

function isReleased(ctx: Ctx, p: Period): boolean {
  return lastDay(p) <= ctx.through;
}

/** The estimated rate from the configured source: the latest rate on or before `date`. */
export function estimatedRate(settings: TenantSettings, from: string, to: string, date: LocalDate): Decimal | null {
  if (from === to) return new Decimal(1);
  let best: { date: string; rate: Decimal } | null = null;
  for (const r of settings.fx_rates) {
    if (r.date > date) continue;
    let rate: Decimal | null = null;
    if (r.from === from && r.to === to) rate = new Decimal(r.rate);
    else if (r.from === to && r.to === from && !new Decimal(r.rate).isZero()) rate = new Decimal(1).div(r.rate);
    if (rate && (!best || r.date > best.date || (r.date === best.date && r.from === from))) best = { date: r.date, rate };
  }
  return best ? best.rate : null;
}

// ---------------------------------------------------------------------------------------------
// Product rules

interface ResolvedRule {
  rule: ProductRule['rule'];
  trigger: 'booking' | 'payment' | 'fulfillment';
  termMonths: number | undefined;
  method: AmortizationMethod;
  account: string | undefined;
  components: BundleComponent[];
}

/** The rule for a product/price on a booking date: price-specific beats general, later `effective_from` beats earlier. */
export function resolveRule(settings: TenantSettings, product: string | null, price: string | null, bookedOn: LocalDate): ResolvedRule {
  const raw = product ? settings.product_rules[product] : undefined;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  let best: ProductRule | undefined;
  for (const r of list) {
    if (r.price !== undefined && r.price !== price) continue;
    if (r.effective_from !== undefined && r.effective_from > bookedOn) continue;
    if (!best) best = r;
    else {
      const bs = best.price !== undefined ? 1 : 0;
      const rs = r.price !== undefined ? 1 : 0;
      if (rs > bs || (rs === bs && (r.effective_from ?? '') > (best.effective_from ?? ''))) best = r;
    }
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

// ---------------------------------------------------------------------------------------------
// Obligations

/** One currency's view of an obligation: its amount, release curve and what events took from it. */
interface Track {
  amount: bigint;
  segments: Segment[];
  contra: bigint;
  deferredTaken: bigint;
}

interface Obligation {
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
  f: Track;
  c: Track;
}

interface Split {
  ob: Obligation;
  fr: bigint; fd: bigint; fx: bigint;
  cr: bigint; cd: bigint; cx: bigint;
}

function newTrack(amount: bigint, timing: Timing, ctx: Ctx): Track {
  return { amount, segments: [baseSegment(amount, timing, ctx.cal)], contra: 0n, deferredTaken: 0n };
}

/**
 * Takes `x` out of a track at instant t, in proportion to what was recognized and what is still
 * deferred at t (or by an explicit split, for reversals). Anything beyond what the obligation
 * still carries is returned as `excess` (other_loss). The rest of the schedule re-spreads.
 */
function takeFromTrack(tr: Track, t: number, x: bigint, cal: CalendarContext, explicit?: { r: bigint; d: bigint }): { r: bigint; d: bigint; excess: bigint } {
  const rel = releasedAt(tr.segments, t);
  const netRec = rel - tr.contra;
  const netDef = tr.amount - tr.deferredTaken - rel;
  let r: bigint, d: bigint, excess = 0n;
  if (explicit) {
    r = explicit.r;
    d = explicit.d;
  } else {
    const live = netRec + netDef;
    let take = x;
    if (live === 0n) {
      excess = x;
      take = 0n;
    } else if ((x > 0n) === (live > 0n) && (x < 0n ? -x : x) > (live < 0n ? -live : live)) {
      excess = x - live;
      take = live;
    }
    if (take === 0n) [r, d] = [0n, 0n];
    else if (netRec === 0n) [r, d] = [0n, take];
    else if (netDef === 0n) [r, d] = [take, 0n];
    else if ((netRec > 0n) === (netDef > 0n)) [r, d] = allocateSigned(take, [netRec, netDef]) as [bigint, bigint];
    else [r, d] = [0n, take];
  }
  tr.contra += r;
  tr.deferredTaken += d;
  tr.segments.push(resegment(tr.segments, t, rel, netDef - d, cal));
  return { r, d, excess };
}

// ---------------------------------------------------------------------------------------------
// Aggregate state

interface Agg {
  ctx: Ctx;
  key: string;
  entries: EntryDraft[];
  schedules: ScheduleLine[];
  exceptions: EngineException[];
}

function except(agg: Agg, objectId: string, fk: string | null, reason: string): void {
  agg.exceptions.push({ aggregate: agg.key, objectId, factKey: fk, reason });
}

function emit(agg: Agg, e: EntryDraft): void {
  const lines: LineDraft[] = [];
  const cur = e.lines[0]?.currency;
  let sum = 0n;
  let mixed = false;
  for (const l of e.lines) {
    if (l.amount === 0n) continue;
    lines.push(l);
    if (l.currency !== cur) mixed = true;
    sum += l.amount;
  }
  if (lines.length === 0) return;
  if (mixed) {
    const sums = new Map<string, bigint>();
    for (const l of lines) sums.set(l.currency, (sums.get(l.currency) ?? 0n) + l.amount);
    for (const [c, v] of sums) if (v !== 0n) throw new AccrueError('unbalanced_entry', `entry ${e.key} does not balance in ${c} (${v})`, { key: e.key });
  } else if (sum !== 0n) throw new AccrueError('unbalanced_entry', `entry ${e.key} does not balance in ${cur} (${sum})`, { key: e.key });
  e.lines = lines;
  agg.entries.push(e);
}

function runAggregate(ctx: Ctx, key: string, facts: Fact[]): { entries: EntryDraft[]; schedules: ScheduleLine[]; exceptions: EngineException[] } {
  const agg: Agg = { ctx, key, entries: [], schedules: [], exceptions: [] };
  try {
    const inv = facts.find((f): f is InvoiceFinalizedFact => f.type === 'invoice_finalized');
    const charge = facts.find((f): f is ChargeFact => f.type === 'charge');
    if (inv) bookInvoice(agg, inv, facts);
    else if (charge) bookCharge(agg, charge, facts);
    else {
      for (const f of facts) {
        if (f.type === 'payout_paid' || f.type === 'payout_failed') bookPayout(agg, f, facts);
        else if (f.type === 'invoice_item') bookInvoiceItem(agg, f);
        else except(agg, key, factKey(f), waitingReason(f));
      }
    }
  } catch (e) {
    // An unbalanced entry is a bug in the engine: stop. Anything else stops this aggregate only,
    // and the exception queue shows it with its reason; nothing partial is booked.
    if (e instanceof AccrueError && e.code === 'unbalanced_entry') throw e;
    agg.entries = [];
    agg.schedules = [];
    except(agg, key, null, `could not book: ${e instanceof Error ? e.message : String(e)}`);
  }
  agg.entries.sort((a, b) => (a.postingDate !== b.postingDate ? (a.postingDate < b.postingDate ? -1 : 1) : KIND_RANK.get(a.kind)! - KIND_RANK.get(b.kind)! || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  return agg;
}

function waitingReason(f: Fact): string {
  switch (f.type) {
    case 'refund':
    case 'refund_failed':
      return f.invoice ? `refund ${f.refund} belongs to invoice ${f.invoice}, which has not been finalized in the books yet` : `refund ${f.refund} belongs to charge ${f.charge}, which is not in the books yet`;
    case 'dispute_funds_withdrawn':
    case 'dispute_funds_reinstated':
      return `dispute ${f.dispute} concerns ${f.invoice ?? f.charge}, which is not in the books yet`;
    default:
      return `${f.type} for ${aggregateKeyOf(f)} arrived before the invoice was finalized; it is booked once the invoice is`;
  }
}

// ---------------------------------------------------------------------------------------------
// Invoices

interface LineBook {
  line: InvoiceLineFact;
  /** Net amount of the line excluding tax (invoice currency), and in functional currency. */
  netC: bigint;
  netF: bigint;
  obligations: Obligation[];
  /** Pending invoice item (unbilled) lines are recognized by the item's own aggregate. */
  pending: { scheduleF: { period: Period; amount: bigint }[]; scheduleC: { period: Period; amount: bigint }[] } | null;
}

interface InvoiceState {
  fact: InvoiceFinalizedFact;
  rate: Decimal;
  rateText: string;
  foreign: boolean;
  bookingPeriod: Period;
  lines: LineBook[];
  taxC: bigint;
  taxF: bigint;
  totalF: bigint;
  /** Receivable still open, both currencies. */
  openC: bigint;
  openF: bigint;
  writtenOff: { f: bigint; c: bigint; badDebtF: bigint; badDebtC: bigint } | null;
  splits: Map<string, { splits: Split[]; taxF: bigint; taxC: bigint; entryLines: LineDraft[] }>;
}

function orig(st: { foreign: boolean; fact: { currency: string }; rateText: string }, amountC: bigint): LineDraft['original'] {
  return st.foreign ? { currency: st.fact.currency, amount: amountC, rate: st.rateText } : undefined;
}

/** Point-in-time trigger instants that depend on other facts (payment, fulfillment). */
function triggerInstant(trigger: ResolvedRule['trigger'], inv: InvoiceFinalizedFact, line: InvoiceLineFact, facts: Fact[], paidAt: number | null): number | null {
  if (trigger === 'booking') return inv.at;
  if (trigger === 'payment') return paidAt;
  let best: number | null = null;
  for (const f of facts) {
    if (f.type !== 'fulfillment') continue;
    if (f.invoiceLine !== null && f.invoiceLine !== line.id) continue;
    if (f.product !== null && f.product !== line.product) continue;
    if (best === null || f.at < best) best = f.at;
  }
  return best;
}

function timingFor(ctx: Ctx, kind: 'ratable' | 'point_in_time' | 'custom_term', trigger: ResolvedRule['trigger'], termMonths: number | undefined, method: AmortizationMethod, inv: InvoiceFinalizedFact, line: InvoiceLineFact, facts: Fact[], paidAt: number | null): Timing {
  if (kind === 'point_in_time') return { kind: 'point', at: triggerInstant(trigger, inv, line, facts, paidAt) };
  if (kind === 'custom_term') {
    const start = line.periodStart;
    return { kind: 'ratable', start, end: addMonthsInstant(start, termMonths ?? 1, ctx.tz), method };
  }
  if (line.periodEnd <= line.periodStart) return { kind: 'point', at: inv.at };
  return { kind: 'ratable', start: line.periodStart, end: line.periodEnd, method };
}

function makeObligation(ctx: Ctx, id: string, line: InvoiceLineFact, amountF: bigint, amountC: bigint, timing: Timing, extra: Partial<Obligation>, foreign: boolean): Obligation {
  const f = newTrack(amountF, timing, ctx);
  return {
    id,
    invoiceLine: line.id,
    product: line.product,
    deferredRole: 'deferred_revenue',
    incomeRole: 'revenue',
    account: undefined,
    contraOverride: undefined,
    scheduled: true,
    f,
    // In the functional currency the original-currency track is the same track.
    c: foreign ? newTrack(amountC, timing, ctx) : f,
    ...extra,
  };
}

/** Net of a line excluding tax: amount − discounts − credits − inclusive tax. */
function lineNet(line: InvoiceLineFact): bigint {
  return line.amountMinor - line.discountMinor - line.creditMinor - line.inclusiveTaxMinor;
}

/** The schedule a pending invoice item was accrued on, by posting period (same rule as its own aggregate). */
function pendingSchedule(ctx: Ctx, amount: bigint, product: string | null, price: string | null, start: number, end: number, createdAt: number): { period: Period; amount: bigint }[] {
  const rule = resolveRule(ctx.settings, product, price, dateOf(ctx, createdAt));
  const timing: Timing = end > start ? { kind: 'ratable', start, end, method: rule.method } : { kind: 'point', at: createdAt };
  const seg = baseSegment(amount, timing, ctx.cal);
  const booking = ctx.calendar.periodOf(dateOf(ctx, createdAt));
  return releasesByPeriod([seg]).map((r) => ({ period: ctx.settings.catch_up && r.period.start < booking.start ? booking : r.period, amount: r.amount }));
}

function bookInvoice(agg: Agg, inv: InvoiceFinalizedFact, facts: Fact[]): void {
  const ctx = agg.ctx;
  const foreign = inv.currency !== ctx.fc;
  const bookedOn = dateOf(ctx, inv.at);
  const payments = facts.filter((f): f is PaymentFact => f.type === 'payment').sort((a, b) => a.at - b.at || (a.payment < b.payment ? -1 : 1));
  // Rate: the balance-transaction rate when paid at once (same day), else the configured estimate.
  let rate: Decimal | null = new Decimal(1);
  if (foreign) {
    const atOnce = payments.find((p) => p.balanceTransaction?.exchangeRate && dateOf(ctx, p.at) === bookedOn);
    rate = atOnce ? new Decimal(atOnce.balanceTransaction!.exchangeRate!) : estimatedRate(ctx.settings, inv.currency, ctx.fc, bookedOn);
    if (!rate) {
      except(agg, inv.invoice, factKey(inv), `no exchange rate ${inv.currency.toUpperCase()}→${ctx.fc.toUpperCase()} on or before ${bookedOn}; add one to the tenant's fx_rates`);
      return;
    }
  }
  const cbApplied = inv.endingBalanceMinor - inv.startingBalanceMinor;
  // What the customer had to pay: the total, less the balance applied and pre-payment credit notes.
  let due = inv.totalMinor - cbApplied;
  for (const f of facts) if (f.type === 'credit_note') due -= f.prePaymentMinor;
  let paidAt: number | null = due <= 0n ? inv.at : null;
  let cum = 0n;
  for (const p of payments) {
    cum += p.amountMinor;
    if (paidAt === null && cum >= due) paidAt = p.at;
  }

  // Components of the receivable in invoice currency: each line's net, then tax.
  const lineNets = inv.lines.map(lineNet);
  const taxC = inv.taxMinor;
  let sumC = taxC;
  for (const n of lineNets) sumC += n;
  if (sumC !== inv.totalMinor) {
    except(agg, inv.invoice, factKey(inv), `invoice total ${inv.totalMinor} differs from its lines and tax (${sumC}); booked on the lines (shipping or other invoice-level amounts are not supported)`);
  }
  const totalC = sumC;
  const totalF = convertMinor(totalC, inv.currency, ctx.fc, rate);
  const weights = [...lineNets, taxC];
  const partsF = weights.some((w) => w !== 0n) && weights.reduce((a, b) => a + b, 0n) !== 0n ? allocateSigned(totalF, weights) : weights.map(() => 0n);
  const st: InvoiceState = {
    fact: inv,
    rate,
    rateText: rate.toString(),
    foreign,
    bookingPeriod: ctx.calendar.periodOf(bookedOn),
    lines: [],
    taxC,
    taxF: partsF[partsF.length - 1]!,
    totalF,
    openC: totalC,
    openF: totalF,
    writtenOff: null,
    splits: new Map(),
  };

  const finLines: LineDraft[] = [{ role: 'receivable', amount: totalF, currency: ctx.fc, original: orig(st, totalC), customer: inv.customer ?? undefined, invoice: inv.invoice }];
  inv.lines.forEach((line, i) => {
    const netC = lineNets[i]!;
    const netF = partsF[i]!;
    const dims = { customer: inv.customer ?? undefined, invoice: inv.invoice, invoiceLine: line.id, product: line.product ?? undefined, bookedOn };
    const lb: LineBook = { line, netC, netF, obligations: [], pending: null };
    st.lines.push(lb);
    if (line.pendingItemCreatedAt !== null && !foreign) {
      // Pending item: its own aggregate accrued it; here we bill what was accrued and defer the rest.
      const gross = line.amountMinor;
      const sched = pendingSchedule(ctx, gross, line.product, line.price, line.periodStart, line.periodEnd, line.pendingItemCreatedAt);
      lb.pending = { scheduleF: sched, scheduleC: sched };
      let accrued = 0n;
      for (const s of sched) if (s.period.start < st.bookingPeriod.start) accrued += s.amount;
      finLines.push({ role: 'unbilled_receivable', amount: -accrued, currency: ctx.fc, ...dims });
      finLines.push({ role: 'deferred_revenue', amount: -(gross - accrued), currency: ctx.fc, ...dims, memo: 'pending item not yet earned' });
      finLines.push({ role: 'discounts', amount: gross - netF, currency: ctx.fc, ...dims });
      return;
    }
    if (line.pendingItemCreatedAt !== null && foreign) except(agg, line.id, factKey(inv), 'pending invoice items in a foreign currency are booked as ordinary lines (not accrued)');
    const rule = resolveRule(ctx.settings, line.product, line.price, bookedOn);
    if (rule.rule === 'exclude') {
      const ob = makeObligation(ctx, line.id, line, netF, netC, { kind: 'point', at: inv.at }, { deferredRole: 'excluded', incomeRole: 'excluded', scheduled: false }, foreign);
      lb.obligations.push(ob);
      finLines.push({ role: 'excluded', amount: -netF, currency: ctx.fc, original: orig(st, -netC), ...dims });
      return;
    }
    const contra = ctx.settings.discounts_as_contra && (line.discountMinor !== 0n || line.creditMinor !== 0n);
    const grossC = contra ? netC + line.discountMinor + line.creditMinor : netC;
    const discC = grossC - netC;
    const [grossF, discF] = contra && grossC !== 0n ? (allocateSigned(netF, [grossC, -discC]) as [bigint, bigint]) : [netF, 0n];
    const discFpos = -discF; // the discount as a positive amount in functional currency
    const pieces: { id: string; kind: 'ratable' | 'point_in_time' | 'custom_term'; trigger: ResolvedRule['trigger']; term: number | undefined; account: string | undefined; f: bigint; c: bigint }[] = [];
    if (rule.rule === 'bundle') {
      const w = decimalWeights(rule.components.map((c) => c.ssp));
      const partsBF = grossF >= 0n ? allocate(grossF, w) : allocate(-grossF, w).map((v) => -v);
      const partsBC = grossC >= 0n ? allocate(grossC, w) : allocate(-grossC, w).map((v) => -v);
      rule.components.forEach((c, k) =>
        pieces.push({ id: `${line.id}#${c.name}`, kind: c.rule, trigger: c.trigger ?? 'booking', term: c.term_months, account: c.account ?? c.name, f: partsBF[k]!, c: partsBC[k]! }),
      );
    } else {
      const kind = rule.rule === 'point_in_time' ? 'point_in_time' : rule.rule === 'custom_term' ? 'custom_term' : 'ratable';
      pieces.push({ id: line.id, kind, trigger: rule.trigger, term: rule.termMonths, account: rule.account, f: grossF, c: grossC });
    }
    // With discounts as contra, each piece's discount follows that piece's own schedule.
    const discW = pieces.map((p) => (p.c < 0n ? -p.c : p.c));
    const useDisc = contra && discC !== 0n && discW.some((w) => w !== 0n);
    const discPartsF = useDisc ? allocate(discFpos < 0n ? -discFpos : discFpos, discW).map((v) => (discFpos < 0n ? -v : v)) : [];
    const discPartsC = useDisc ? allocate(discC < 0n ? -discC : discC, discW).map((v) => (discC < 0n ? -v : v)) : [];
    pieces.forEach((p, k) => {
      const timing = timingFor(ctx, p.kind, p.trigger, p.term, rule.method, inv, line, facts, paidAt);
      const ob = makeObligation(ctx, p.id, line, p.f, p.c, timing, { account: p.account }, foreign);
      lb.obligations.push(ob);
      finLines.push({ role: 'deferred_revenue', amount: -p.f, currency: ctx.fc, original: orig(st, -p.c), ...dims, memo: p.account ? `for ${p.account}` : undefined });
      if (!useDisc) return;
      const dF = discPartsF[k]!;
      const dC = discPartsC[k]!;
      if (dF === 0n && dC === 0n) return;
      const dob = makeObligation(ctx, `${p.id}#discount`, line, -dF, -dC, timing, { deferredRole: 'deferred_discounts', incomeRole: 'discounts', contraOverride: 'discounts' }, foreign);
      lb.obligations.push(dob);
      finLines.push({ role: 'deferred_discounts', amount: dF, currency: ctx.fc, original: orig(st, dC), ...dims });
    });
  });
  finLines.push({ role: 'tax_liability', amount: -st.taxF, currency: ctx.fc, original: orig(st, -taxC), invoice: inv.invoice, customer: inv.customer ?? undefined });
  emit(agg, { key: `inv:${inv.invoice}:finalized`, kind: 'invoice_finalized', postingDate: bookedOn, memo: `Invoice ${inv.invoice} finalized`, sources: [inv.invoice], lines: finLines });

  // Customer balance applied (or credited, for a negative invoice) at finalization.
  if (cbApplied !== 0n) {
    const cbF = takeReceivable(st, cbApplied, ctx.fc);
    emit(agg, {
      key: `inv:${inv.invoice}:balance`,
      kind: 'customer_balance',
      postingDate: bookedOn,
      memo: `Customer balance applied to ${inv.invoice}`,
      sources: [inv.invoice],
      lines: [
        { role: 'customer_balance', amount: cbF, currency: ctx.fc, original: orig(st, cbApplied), customer: inv.customer ?? undefined, invoice: inv.invoice },
        { role: 'receivable', amount: -cbF, currency: ctx.fc, original: orig(st, -cbApplied), customer: inv.customer ?? undefined, invoice: inv.invoice },
      ],
    });
  }

  // Events in time order (ties: kind rank then id), each changing the obligations from its instant on.
  type Ev = { at: number; rank: number; id: string; fact: Fact };
  const evs: Ev[] = [];
  const rank: Partial<Record<Fact['type'], number>> = { payment: 1, credit_note: 2, refund: 3, refund_failed: 4, credit_note_voided: 5, dispute_funds_withdrawn: 6, dispute_funds_reinstated: 7, invoice_uncollectible: 8, invoice_voided: 9 };
  for (const f of facts) {
    const r = rank[f.type];
    if (r !== undefined) evs.push({ at: (f as { at: number }).at, rank: r, id: factKey(f), fact: f });
    else if (f.type !== 'invoice_finalized' && f.type !== 'fulfillment') except(agg, agg.key, factKey(f), `${f.type} cannot be booked on invoice ${inv.invoice}`);
  }
  evs.sort((a, b) => a.at - b.at || a.rank - b.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const cnRefunds = new Set<string>();
  for (const f of facts) if (f.type === 'credit_note') for (const r of f.refunds) cnRefunds.add(r);
  for (const ev of evs) {
    const f = ev.fact;
    if (f.type === 'payment') bookPayment(agg, st, f);
    else if (f.type === 'refund') {
      if (cnRefunds.has(f.refund)) bookCreditNoteRefund(agg, st, f);
      else bookCancel(agg, st, f.at, `ref:${f.refund}`, 'refund', 'refunds', f.refund, f.amountMinor, null, refundCredit(agg, st, f));
    } else if (f.type === 'refund_failed') bookReversal(agg, st, f.at, `ref:${f.refund}`, `ref:${f.refund}:failed`, 'refund_failed', f.refund);
    else if (f.type === 'credit_note') bookCreditNote(agg, st, f);
    else if (f.type === 'credit_note_voided') bookReversal(agg, st, f.at, `cn:${f.creditNote}`, `cn:${f.creditNote}:void`, 'credit_note_voided', f.creditNote);
    else if (f.type === 'dispute_funds_withdrawn') bookDisputeWithdrawn(agg, st, f);
    else if (f.type === 'dispute_funds_reinstated') bookDisputeReinstated(agg, f, st);
    else if (f.type === 'invoice_voided') bookWriteDown(agg, st, f.at, 'void', 'voids');
    else if (f.type === 'invoice_uncollectible') bookWriteDown(agg, st, f.at, 'uncollectible', 'bad_debt');
  }
  bookRecognition(agg, st);
}

/**
 * Takes `amountC` (invoice currency) off the open receivable and returns its functional amount:
 * the open receivable's functional share, truncated toward zero; the movement that clears it
 * takes exactly what is left, so the receivable of a settled invoice ends at zero.
 */
function takeReceivable(st: InvoiceState, amountC: bigint, fc: string): bigint {
  let f: bigint;
  if (!st.foreign) f = amountC;
  else if (amountC === st.openC) f = st.openF;
  else if (st.openC === 0n) f = convertMinor(amountC, st.fact.currency, fc, st.rate);
  else f = (st.openF * amountC) / st.openC;
  st.openC -= amountC;
  st.openF -= f;
  return f;
}

function cashOf(ctx: Ctx, st: { foreign: boolean; fact: { currency: string }; rate: Decimal }, amountC: bigint, bt: PaymentFact['balanceTransaction'], sign: 1n | -1n): bigint {
  if (bt && bt.currency === ctx.fc && bt.amountMinor !== 0n) return bt.amountMinor * sign;
  return convertMinor(amountC, st.fact.currency, ctx.fc, st.rate);
}

function bookFee(agg: Agg, bt: PaymentFact['balanceTransaction'], source: string, date: LocalDate, kindMemo: string): void {
  if (!bt || bt.feeMinor === 0n) return;
  const ctx = agg.ctx;
  if (bt.currency !== ctx.fc) {
    except(agg, bt.id, null, `fee on ${bt.id} is in ${bt.currency.toUpperCase()}, not the functional currency; not booked`);
    return;
  }
  emit(agg, {
    key: `fee:${bt.id}`,
    kind: 'fee',
    postingDate: date,
    memo: `Stripe ${kindMemo} fee on ${source}`,
    sources: [bt.id, source],
    lines: [
      { role: 'fees', amount: bt.feeMinor, currency: ctx.fc },
      { role: 'cash_clearing', amount: -bt.feeMinor, currency: ctx.fc },
    ],
  });
}

function bookPayment(agg: Agg, st: InvoiceState, p: PaymentFact): void {
  const ctx = agg.ctx;
  const date = dateOf(ctx, p.at);
  const inv = st.fact.invoice;
  const dims = { customer: st.fact.customer ?? undefined, invoice: inv };
  const debitRole: AccountRole = p.method === 'out_of_band' ? 'external_asset' : 'cash_clearing';
  const cash = p.method === 'out_of_band' ? convertMinor(p.amountMinor, st.fact.currency, ctx.fc, st.rate) : cashOf(ctx, st, p.amountMinor, p.balanceTransaction, 1n);
  const btRate = p.balanceTransaction?.exchangeRate ?? st.rateText;
  const o = st.foreign ? { currency: st.fact.currency, amount: p.amountMinor, rate: btRate } : undefined;
  if (st.writtenOff) {
    // Paid after being written off: the written-off share comes back through bad debt, the rest as a recovery.
    const w = st.writtenOff;
    const [bd, rec] = w.f !== 0n && w.badDebtF >= 0n && w.f - w.badDebtF >= 0n ? (allocate(cash, [w.badDebtF, w.f - w.badDebtF]) as [bigint, bigint]) : [0n, cash];
    emit(agg, {
      key: `pay:${inv}:${p.payment}`,
      kind: 'uncollectible_paid',
      postingDate: date,
      memo: `Payment of written-off invoice ${inv}`,
      sources: [p.payment, inv],
      lines: [
        { role: debitRole, amount: cash, currency: ctx.fc, original: o, ...dims },
        { role: 'bad_debt', amount: -bd, currency: ctx.fc, ...dims },
        { role: 'recoveries', amount: -rec, currency: ctx.fc, ...dims },
      ],
    });
  } else {
    const recv = takeReceivable(st, p.amountMinor, ctx.fc);
    emit(agg, {
      key: `pay:${inv}:${p.payment}`,
      kind: 'payment',
      postingDate: date,
      memo: `Payment ${p.payment} of invoice ${inv}`,
      sources: [p.payment, inv],
      lines: [
        { role: debitRole, amount: cash, currency: ctx.fc, original: o, ...dims },
        { role: 'receivable', amount: -recv, currency: ctx.fc, original: orig(st, -p.amountMinor), ...dims },
        { role: 'fx_gain_loss', amount: recv - cash, currency: ctx.fc, ...dims, memo: 'exchange difference on settlement' },
      ],
    });
  }
  if (p.method === 'stripe') bookFee(agg, p.balanceTransaction, p.payment, date, 'processing');
}

function refundCredit(agg: Agg, st: InvoiceState, f: RefundFact): (debitF: bigint) => LineDraft[] {
  const ctx = agg.ctx;
  return (debitF) => {
    const cash = cashOf(ctx, st, f.amountMinor, f.balanceTransaction, -1n);
    const o = st.foreign ? { currency: st.fact.currency, amount: -f.amountMinor, rate: f.balanceTransaction?.exchangeRate ?? st.rateText } : undefined;
    return [
      { role: 'cash_clearing', amount: -cash, currency: ctx.fc, original: o, invoice: st.fact.invoice, customer: st.fact.customer ?? undefined },
      { role: 'fx_gain_loss', amount: cash - debitF, currency: ctx.fc, invoice: st.fact.invoice, memo: 'exchange difference on refund' },
    ];
  };
}

/**
 * The proportional rule for cancel-type events: the event amount (tax included) is shared over
 * the invoice's lines and tax by their booked amounts (or by explicit per-line amounts), each
 * line's part over its obligations, and each obligation's part over what was recognized by the
 * instant (→ the contra account) and what is still deferred (→ deferred revenue). `credit`
 * receives the functional debit total and returns the lines for what actually moved.
 */
function bookCancel(
  agg: Agg,
  st: InvoiceState,
  at: number,
  key: string,
  kind: EntryKind,
  contraRole: AccountRole,
  source: string,
  amountC: bigint,
  explicit: { lines: bigint[]; taxC: bigint } | null,
  credit: (debitF: bigint) => LineDraft[],
): void {
  const ctx = agg.ctx;
  const date = dateOf(ctx, at);
  const inv = st.fact.invoice;
  let partsC: bigint[];
  if (explicit) partsC = [...explicit.lines, explicit.taxC];
  else {
    const w = [...st.lines.map((l) => l.netC), st.taxC];
    partsC = w.reduce((a, b) => a + b, 0n) === 0n ? w.map(() => 0n) : allocateSigned(amountC, w);
  }
  let eventC = 0n;
  for (const p of partsC) eventC += p;
  const eventF = st.foreign ? convertMinor(eventC, st.fact.currency, ctx.fc, st.rate) : eventC;
  const partsF = eventC === 0n ? partsC.map(() => 0n) : st.foreign ? allocateSigned(eventF, partsC.map((p) => (p === 0n ? 0n : p))) : partsC;
  const lines: LineDraft[] = [];
  const splits: Split[] = [];
  st.lines.forEach((lb, i) => {
    const pc = partsC[i]!;
    const pf = partsF[i]!;
    if (pc === 0n && pf === 0n) return;
    const dims = { customer: st.fact.customer ?? undefined, invoice: inv, invoiceLine: lb.line.id, product: lb.line.product ?? undefined };
    if (lb.pending || lb.obligations.length === 0) {
      lines.push({ role: contraRole, amount: pf, currency: ctx.fc, original: orig(st, pc), ...dims });
      return;
    }
    const wF = lb.obligations.map((o) => o.f.amount);
    const wC = lb.obligations.map((o) => o.c.amount);
    const obF = wF.reduce((a, b) => a + b, 0n) === 0n ? wF.map(() => 0n) : allocateSigned(pf, wF);
    const obC = wC.reduce((a, b) => a + b, 0n) === 0n ? wC.map(() => 0n) : allocateSigned(pc, wC);
    lb.obligations.forEach((ob, k) => {
      if (!ob.scheduled) {
        lines.push({ role: 'excluded', amount: obF[k]!, currency: ctx.fc, original: orig(st, obC[k]!), ...dims });
        return;
      }
      const a = takeFromTrack(ob.f, at, obF[k]!, ctx.cal);
      const b = ob.c === ob.f ? a : takeFromTrack(ob.c, at, obC[k]!, ctx.cal);
      splits.push({ ob, fr: a.r, fd: a.d, fx: a.excess, cr: b.r, cd: b.d, cx: b.excess });
      lines.push({ role: ob.contraOverride ?? contraRole, amount: a.r, currency: ctx.fc, original: orig(st, b.r), ...dims });
      lines.push({ role: ob.deferredRole, amount: a.d, currency: ctx.fc, original: orig(st, b.d), ...dims });
      lines.push({ role: 'other_loss', amount: a.excess, currency: ctx.fc, original: orig(st, b.excess), ...dims, memo: 'beyond what the obligation carried' });
    });
  });
  const taxC = partsC[partsC.length - 1]!;
  const taxF = partsF[partsF.length - 1]!;
  lines.push({ role: 'tax_liability', amount: taxF, currency: ctx.fc, original: orig(st, taxC), invoice: inv });
  const creditLines = credit(eventF);
  const all = [...lines, ...creditLines];
  st.splits.set(key, { splits, taxF, taxC, entryLines: all });
  emit(agg, { key, kind, postingDate: date, memo: `${kind.replace(/_/g, ' ')} ${source} on invoice ${inv}`, sources: [source, inv], lines: all });
}

/** A failed refund or a voided credit note: the original entry's lines negated, and the obligations restored. */
function bookReversal(agg: Agg, st: InvoiceState, at: number, originalKey: string, key: string, kind: EntryKind, source: string): void {
  const prev = st.splits.get(originalKey);
  if (!prev) {
    except(agg, source, null, `${kind.replace(/_/g, ' ')} ${source}: the original ${originalKey} is not in the books; nothing to reverse`);
    return;
  }
  for (const s of prev.splits) {
    takeFromTrack(s.ob.f, at, 0n, agg.ctx.cal, { r: -s.fr, d: -s.fd });
    if (s.ob.c !== s.ob.f) takeFromTrack(s.ob.c, at, 0n, agg.ctx.cal, { r: -s.cr, d: -s.cd });
  }
  for (const l of prev.entryLines) if (l.role === 'receivable') {
    st.openF -= l.amount;
    st.openC -= l.original?.amount ?? l.amount;
  }
  emit(agg, {
    key,
    kind,
    postingDate: dateOf(agg.ctx, at),
    memo: `Reverses ${originalKey}`,
    sources: [source, st.fact.invoice],
    lines: prev.entryLines.map((l) => ({ ...l, amount: -l.amount, original: l.original ? { ...l.original, amount: -l.original.amount } : undefined })),
  });
}

function bookCreditNote(agg: Agg, st: InvoiceState, cn: CreditNoteFact): void {
  const ctx = agg.ctx;
  // Per-line amounts: named lines go to their line; custom lines are spread over the lines by amount.
  const byLine = st.lines.map(() => 0n);
  let custom = 0n;
  for (const l of cn.lines) {
    const idx = l.invoiceLine ? st.lines.findIndex((lb) => lb.line.id === l.invoiceLine) : -1;
    if (idx >= 0) byLine[idx] = byLine[idx]! + l.amountMinor;
    else custom += l.amountMinor;
  }
  let explicit: { lines: bigint[]; taxC: bigint } | null = null;
  if (cn.lines.length > 0) {
    if (custom !== 0n) {
      const w = st.lines.map((l) => l.netC);
      const spread = w.reduce((a, b) => a + b, 0n) === 0n ? w.map(() => 0n) : allocateSigned(custom, w);
      spread.forEach((v, i) => (byLine[i] = byLine[i]! + v));
    }
    explicit = { lines: byLine, taxC: cn.taxMinor };
  }
  const dims = { customer: st.fact.customer ?? undefined, invoice: st.fact.invoice };
  bookCancel(agg, st, cn.at, `cn:${cn.creditNote}`, 'credit_note', 'credit_notes', cn.creditNote, cn.totalMinor, explicit, (debitF) => {
    // What moved: the receivable (before payment, and for the refunded part until the refund settles it),
    // the customer balance, or an account outside Stripe. Parts share the functional total by their amounts.
    const partsC = [cn.prePaymentMinor + cn.refundMinor, cn.customerBalanceMinor, cn.outOfBandMinor];
    const sum = partsC.reduce((a, b) => a + b, 0n);
    const w = sum === 0n ? [1n, 0n, 0n] : partsC;
    const [recvF, cbF, oobF] = allocateSigned(debitF, w) as [bigint, bigint, bigint];
    const recvC = sum === 0n ? cn.totalMinor : partsC[0]!;
    st.openC -= recvC;
    st.openF -= recvF;
    return [
      { role: 'receivable', amount: -recvF, currency: ctx.fc, original: orig(st, -recvC), ...dims },
      { role: 'customer_balance', amount: -cbF, currency: ctx.fc, original: orig(st, -partsC[1]!), ...dims },
      { role: 'external_asset', amount: -oobF, currency: ctx.fc, original: orig(st, -partsC[2]!), ...dims },
    ];
  });
}

/** A refund created by a credit note: the credit note already took the revenue side; the cash leaves against the receivable. */
function bookCreditNoteRefund(agg: Agg, st: InvoiceState, f: RefundFact): void {
  const ctx = agg.ctx;
  const cash = cashOf(ctx, st, f.amountMinor, f.balanceTransaction, -1n);
  const recv = -takeReceivable(st, -f.amountMinor, ctx.fc);
  const dims = { customer: st.fact.customer ?? undefined, invoice: st.fact.invoice };
  const lines: LineDraft[] = [
    { role: 'receivable', amount: recv, currency: ctx.fc, original: orig(st, f.amountMinor), ...dims },
    { role: 'cash_clearing', amount: -cash, currency: ctx.fc, original: orig(st, -f.amountMinor), ...dims },
    { role: 'fx_gain_loss', amount: cash - recv, currency: ctx.fc, ...dims },
  ];
  st.splits.set(`ref:${f.refund}`, { splits: [], taxF: 0n, taxC: 0n, entryLines: lines });
  emit(agg, { key: `ref:${f.refund}`, kind: 'refund', postingDate: dateOf(ctx, f.at), memo: `Refund ${f.refund} of a credit note on ${st.fact.invoice}`, sources: [f.refund, st.fact.invoice], lines });
}

function bookDisputeWithdrawn(agg: Agg, st: InvoiceState, f: DisputeFundsFact): void {
  const ctx = agg.ctx;
  const bt = f.balanceTransaction;
  bookCancel(agg, st, f.at, `dp:${f.dispute}:withdrawn`, 'dispute', 'disputes', f.dispute, f.amountMinor, null, (debitF) => {
    const cash = bt && bt.currency === ctx.fc ? -bt.amountMinor : debitF;
    return [
      { role: 'cash_clearing', amount: -cash, currency: ctx.fc, original: orig(st, -f.amountMinor), invoice: st.fact.invoice },
      { role: 'fx_gain_loss', amount: cash - debitF, currency: ctx.fc, invoice: st.fact.invoice },
    ];
  });
  bookFee(agg, bt, f.dispute, dateOf(ctx, f.at), 'dispute');
}

function bookDisputeReinstated(agg: Agg, f: DisputeFundsFact, st: InvoiceState | null): void {
  const ctx = agg.ctx;
  const bt = f.balanceTransaction;
  const rate = st ? st.rate : new Decimal(1);
  const cash = bt && bt.currency === ctx.fc ? bt.amountMinor : convertMinor(f.amountMinor, f.currency, ctx.fc, rate);
  const role: AccountRole = ctx.settings.recover_as_gains ? 'recoveries' : 'disputes';
  emit(agg, {
    key: `dp:${f.dispute}:reinstated`,
    kind: 'dispute_won',
    postingDate: dateOf(ctx, f.at),
    memo: `Dispute ${f.dispute} won: funds reinstated`,
    sources: [f.dispute, f.invoice ?? f.charge],
    lines: [
      { role: 'cash_clearing', amount: cash, currency: ctx.fc, invoice: f.invoice ?? undefined },
      { role, amount: -cash, currency: ctx.fc, invoice: f.invoice ?? undefined },
    ],
  });
  bookFee(agg, bt, f.dispute, dateOf(ctx, f.at), 'dispute');
}

/** Void and uncollectible: the open receivable is cancelled proportionally. */
function bookWriteDown(agg: Agg, st: InvoiceState, at: number, kind: 'void' | 'uncollectible', contraRole: AccountRole): void {
  const ctx = agg.ctx;
  const inv = st.fact.invoice;
  const openC = st.openC;
  const openF = st.openF;
  if (openC === 0n) return;
  const key = kind === 'void' ? `void:${inv}` : `unc:${inv}`;
  bookCancel(agg, st, at, key, kind, contraRole, inv, openC, null, (debitF) => {
    st.openC = 0n;
    st.openF = 0n;
    return [
      { role: 'receivable', amount: -openF, currency: ctx.fc, original: orig(st, -openC), invoice: inv, customer: st.fact.customer ?? undefined },
      { role: 'fx_gain_loss', amount: openF - debitF, currency: ctx.fc, invoice: inv },
    ];
  });
  if (kind === 'uncollectible') {
    const s = st.splits.get(key);
    let bdF = 0n;
    let bdC = 0n;
    for (const sp of s?.splits ?? []) {
      bdF += sp.fr;
      bdC += sp.cr;
    }
    st.writtenOff = { f: openF, c: openC, badDebtF: bdF, badDebtC: bdC };
  }
}

/** Recognition: one entry per invoice per posting period with one deferred/income pair per obligation. */
function bookRecognition(agg: Agg, st: InvoiceState): void {
  const ctx = agg.ctx;
  const inv = st.fact;
  const bookedOn = dateOf(ctx, inv.at);
  const byPeriod = new Map<string, { period: Period; lines: LineDraft[] }>();
  const post = (p: Period): Period => (ctx.settings.catch_up && p.start < st.bookingPeriod.start ? st.bookingPeriod : p);
  const bucket = (p: Period): LineDraft[] => {
    let b = byPeriod.get(p.key);
    if (!b) byPeriod.set(p.key, (b = { period: p, lines: [] }));
    return b.lines;
  };
  for (const lb of st.lines) {
    const dims = { customer: inv.customer ?? undefined, invoice: inv.invoice, invoiceLine: lb.line.id, product: lb.line.product ?? undefined, bookedOn };
    if (lb.pending) {
      // Reclassify, period by period, what the item's own aggregate earns after the invoice: deferred → unbilled.
      for (const s of lb.pending.scheduleF) {
        if (s.period.start < st.bookingPeriod.start) continue;
        const lines = bucket(s.period);
        lines.push({ role: 'deferred_revenue', amount: s.amount, currency: ctx.fc, ...dims, memo: 'earned by pending item' });
        lines.push({ role: 'unbilled_receivable', amount: -s.amount, currency: ctx.fc, ...dims });
      }
      continue;
    }
    for (const ob of lb.obligations) {
      if (!ob.scheduled) continue;
      const rel = releasesByPeriod(ob.f.segments);
      // The schedule for display: by the period the amount is earned in, with where it is posted.
      let prev: ScheduleLine | undefined;
      for (const r of rel) {
        if (prev && prev.period === r.period.key) {
          prev.amount += r.amount;
          continue;
        }
        const pp = post(r.period);
        prev = { aggregate: agg.key, invoice: inv.invoice, invoiceLine: lb.line.id, obligation: ob.id, product: lb.line.product, period: r.period.key, postingPeriod: pp.key, postingDate: lastDay(pp), amount: r.amount, currency: ctx.fc, released: isReleased(ctx, pp) };
        agg.schedules.push(prev);
      }
      const relF = mergeByPosting(rel, post);
      const relC = st.foreign ? mergeByPosting(releasesByPeriod(ob.c.segments), post) : null;
      for (const [k, { period, amount }] of relF) {
        if (!isReleased(ctx, period)) continue;
        const amountC = relC ? (relC.get(k)?.amount ?? 0n) : amount;
        const lines = bucket(period);
        // Written out rather than spread: this is the engine's hottest allocation.
        const dr: LineDraft = { role: ob.deferredRole, amount, currency: ctx.fc, customer: dims.customer, invoice: dims.invoice, invoiceLine: dims.invoiceLine, product: dims.product, bookedOn };
        const cr: LineDraft = { role: ob.incomeRole, amount: -amount, currency: ctx.fc, customer: dims.customer, invoice: dims.invoice, invoiceLine: dims.invoiceLine, product: dims.product, bookedOn };
        if (ob.account !== undefined) cr.account = ob.account;
        if (st.foreign) {
          dr.original = orig(st, amountC);
          cr.original = orig(st, -amountC);
        }
        lines.push(dr, cr);
      }
    }
  }
  for (const { period, lines } of byPeriod.values()) {
    if (!isReleased(ctx, period) || lines.length === 0) continue;
    emit(agg, { key: `rec:${inv.invoice}:${period.key}`, kind: 'recognition', postingDate: lastDay(period), memo: `Revenue recognized on ${inv.invoice} for ${period.key}`, sources: [inv.invoice], lines });
  }
}

/** Sums releases by posting period (catch-up folds early periods into the booking period). */
function mergeByPosting(rel: readonly { period: Period; amount: bigint }[], post: (p: Period) => Period): Map<string, { period: Period; amount: bigint }> {
  const m = new Map<string, { period: Period; amount: bigint }>();
  let last: { period: Period; amount: bigint } | undefined;
  for (const r of rel) {
    const p = post(r.period);
    // Releases come in time order, so most merges are with the previous one.
    if (last && last.period === p) {
      last.amount += r.amount;
      continue;
    }
    last = m.get(p.key);
    if (last) last.amount += r.amount;
    else m.set(p.key, (last = { period: p, amount: r.amount }));
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Charges without invoice, payouts, pending invoice items

/** A one-time charge with no invoice: booked at once to deferred revenue and recognized in its period. */
function bookCharge(agg: Agg, ch: ChargeFact, facts: Fact[]): void {
  const ctx = agg.ctx;
  const date = dateOf(ctx, ch.at);
  const foreign = ch.currency !== ctx.fc;
  const btRate = ch.balanceTransaction?.exchangeRate ?? null;
  const rate = !foreign ? new Decimal(1) : btRate ? new Decimal(btRate) : estimatedRate(ctx.settings, ch.currency, ctx.fc, date);
  if (!rate) {
    except(agg, ch.charge, factKey(ch), `no exchange rate ${ch.currency.toUpperCase()}→${ctx.fc.toUpperCase()} on or before ${date}`);
    return;
  }
  const amountF = ch.balanceTransaction && ch.balanceTransaction.currency === ctx.fc ? ch.balanceTransaction.amountMinor : convertMinor(ch.amountMinor, ch.currency, ctx.fc, rate);
  // Reuse the invoice machinery with one synthetic line that is a point in time at the charge.
  const line: InvoiceLineFact = {
    id: ch.charge, amountMinor: ch.amountMinor, discountMinor: 0n, creditMinor: 0n, inclusiveTaxMinor: 0n, exclusiveTaxMinor: 0n,
    periodStart: ch.at, periodEnd: ch.at, product: null, price: null, proration: false, invoiceItem: null, pendingItemCreatedAt: null, description: ch.description,
  };
  const inv: InvoiceFinalizedFact = { type: 'invoice_finalized', invoice: ch.charge, customer: ch.customer, currency: ch.currency, at: ch.at, totalMinor: ch.amountMinor, taxMinor: 0n, startingBalanceMinor: 0n, endingBalanceMinor: 0n, lines: [line] };
  const ob = makeObligation(ctx, ch.charge, line, amountF, ch.amountMinor, { kind: 'point', at: ch.at }, {}, foreign);
  const st: InvoiceState = {
    fact: inv, rate, rateText: rate.toString(), foreign, bookingPeriod: ctx.calendar.periodOf(date),
    lines: [{ line, netC: ch.amountMinor, netF: amountF, obligations: [ob], pending: null }],
    taxC: 0n, taxF: 0n, totalF: amountF, openC: 0n, openF: 0n, writtenOff: null, splits: new Map(),
  };
  const dims = { customer: ch.customer ?? undefined, invoiceLine: ch.charge, bookedOn: date };
  const o = foreign ? { currency: ch.currency, amount: ch.amountMinor, rate: rate.toString() } : undefined;
  emit(agg, {
    key: `ch:${ch.charge}`,
    kind: 'payment',
    postingDate: date,
    memo: `One-time payment ${ch.charge}${ch.description ? ` (${ch.description})` : ''}`,
    sources: [ch.charge],
    lines: [
      { role: 'cash_clearing', amount: amountF, currency: ctx.fc, original: o, ...dims },
      { role: 'deferred_revenue', amount: -amountF, currency: ctx.fc, original: o ? { ...o, amount: -o.amount } : undefined, ...dims },
    ],
  });
  bookFee(agg, ch.balanceTransaction, ch.charge, date, 'processing');
  const evs = facts.filter((f) => f.type === 'refund' || f.type === 'refund_failed' || f.type === 'dispute_funds_withdrawn' || f.type === 'dispute_funds_reinstated');
  evs.sort((a, b) => (a as { at: number }).at - (b as { at: number }).at || (factKey(a) < factKey(b) ? -1 : 1));
  for (const f of evs) {
    if (f.type === 'refund') bookCancel(agg, st, f.at, `ref:${f.refund}`, 'refund', 'refunds', f.refund, f.amountMinor, null, refundCredit(agg, st, f));
    else if (f.type === 'refund_failed') bookReversal(agg, st, f.at, `ref:${f.refund}`, `ref:${f.refund}:failed`, 'refund_failed', f.refund);
    else if (f.type === 'dispute_funds_withdrawn') bookDisputeWithdrawn(agg, st, f);
    else if (f.type === 'dispute_funds_reinstated') bookDisputeReinstated(agg, f, st);
  }
  bookRecognition(agg, st);
}

function bookPayout(agg: Agg, f: PayoutFact, facts: Fact[]): void {
  const ctx = agg.ctx;
  if (f.currency !== ctx.fc) {
    except(agg, f.payout, factKey(f), `payout ${f.payout} is in ${f.currency.toUpperCase()}, not the functional currency; not booked`);
    return;
  }
  if (f.type === 'payout_paid') {
    emit(agg, {
      key: `po:${f.payout}:paid`, kind: 'payout', postingDate: dateOf(ctx, f.at), memo: `Payout ${f.payout} paid`, sources: [f.payout],
      lines: [
        { role: 'bank', amount: f.amountMinor, currency: ctx.fc },
        { role: 'cash_clearing', amount: -f.amountMinor, currency: ctx.fc },
      ],
    });
  } else {
    // A failed payout reverses the paid entry; a payout that failed before it was ever paid moved nothing.
    if (!facts.some((x) => x.type === 'payout_paid')) return;
    emit(agg, {
      key: `po:${f.payout}:failed`, kind: 'payout_failed', postingDate: dateOf(ctx, f.at), memo: `Payout ${f.payout} failed; funds returned to the Stripe balance`, sources: [f.payout],
      lines: [
        { role: 'cash_clearing', amount: f.amountMinor, currency: ctx.fc },
        { role: 'bank', amount: -f.amountMinor, currency: ctx.fc },
      ],
    });
  }
}

/** A pending invoice item: earned over its own period before it is billed (Dr unbilled / Cr revenue). */
function bookInvoiceItem(agg: Agg, f: InvoiceItemFact): void {
  const ctx = agg.ctx;
  if (f.currency !== ctx.fc) {
    except(agg, f.invoiceItem, factKey(f), `invoice item ${f.invoiceItem} is in ${f.currency.toUpperCase()}; unbilled accrual is only supported in the functional currency`);
    return;
  }
  const rule = resolveRule(ctx.settings, f.product, f.price, dateOf(ctx, f.at));
  const sched = pendingSchedule(ctx, f.amountMinor, f.product, f.price, f.periodStart, f.periodEnd, f.at);
  const merged = new Map<string, { period: Period; amount: bigint }>();
  for (const s of sched) {
    const cur = merged.get(s.period.key);
    if (cur) cur.amount += s.amount;
    else merged.set(s.period.key, { ...s });
  }
  for (const { period, amount } of merged.values()) {
    const released = isReleased(ctx, period);
    agg.schedules.push({ aggregate: agg.key, invoice: null, invoiceLine: f.invoiceItem, obligation: f.invoiceItem, product: f.product, period: period.key, postingPeriod: period.key, postingDate: lastDay(period), amount, currency: ctx.fc, released });
    if (!released) continue;
    const dims = { customer: f.customer ?? undefined, invoiceLine: f.invoiceItem, product: f.product ?? undefined, bookedOn: dateOf(ctx, f.at) };
    emit(agg, {
      key: `ubl:${f.invoiceItem}:${period.key}`, kind: 'unbilled_accrual', postingDate: lastDay(period), memo: `Unbilled ${f.proration ? 'proration' : 'item'} ${f.invoiceItem} earned in ${period.key}`, sources: [f.invoiceItem],
      lines: [
        { role: 'unbilled_receivable', amount, currency: ctx.fc, ...dims },
        { role: 'revenue', account: rule.account, amount: -amount, currency: ctx.fc, ...dims },
      ],
    });
  }
}
