/**
 * A change of the rule list, before and after it is saved (docs/accounting.md, "Rules").
 *
 * `previewRuleChange` runs the engine over every aggregate of the tenant twice — with the rules in
 * force and with the changed ones — up to the last day released, and reports the revenue that
 * moves per period and per invoice; nothing is written. `applyRuleChange` saves the list, records
 * the change, and re-books every aggregate whose entries differ: an entry of an open period gets
 * an adjustment dated in that period, an entry of a closed period gets its correction in the first
 * open period (placement by the ledger), every one with cause `rule-change:<id>`. An entry the
 * engine no longer makes at all is reversed the same way.
 *
 * `previewRuleChange(tx, tenant, change)` is also the hook for approvals: its per-period movements
 * say whether a change moves more than a threshold in any period.
 */
import { ROLE_INFO } from '../../../shared/accounts.ts';
import { runEngine } from '../../../shared/engine/index.ts';
import { AccrueError } from '../../../shared/errors.ts';
import type { EntryDraft, LocalDate } from '../../../shared/journal.ts';
import { minor, type Minor } from '../../../shared/money.ts';
import type { Rule, TenantSettings } from '../../../shared/settings.ts';
import type { Db, Tx } from '../../db/database.ts';
import { calendarOf, listPeriods } from '../../ledger/periods.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import {
  bookAggregates,
  bookingSettings,
  FactCache,
  loadFacts,
  lockTenantBooks,
  postDifference,
  type AfterPost,
} from '../booking.ts';
import { releasedThrough } from '../process.ts';
import { recordRuleChange, replaceRules, ruleRevision, rulesInForce, setEntriesPosted } from './rule-store.ts';

/** Aggregates read and run per step of a preview. */
const PREVIEW_CHUNK = 500;

export interface RuleChange {
  rules: readonly Rule[];
  reason?: string | undefined;
}

export interface PeriodMovement {
  period: string;
  closed: boolean;
  /** The period itself when open; else the first open period, where its correction posts. */
  postsIn: string;
  revenueMinor: Minor;
}

export interface InvoiceMovement {
  invoice: string;
  customer: string | null;
  periods: { period: string; revenueMinor: Minor }[];
  /** Sum of the absolute movements, to rank invoices. */
  sizeMinor: bigint;
}

export interface RuleChangePreview {
  through: LocalDate;
  periods: PeriodMovement[];
  invoices: InvoiceMovement[];
  /** Aggregates whose entries differ (not only in revenue): the ones a save re-books. */
  changedAggregates: string[];
  /** Entries made under the rules in force and no longer made under the change. */
  vanished: EntryDraft[];
}

/** Revenue of each period in a set of entries: credits to income less contra revenue. */
function revenueByPeriod(entries: readonly EntryDraft[], periodOf: (d: LocalDate) => string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const e of entries) {
    for (const l of e.lines) {
      const kind = ROLE_INFO[l.role].kind;
      if (kind !== 'income' && kind !== 'contra_income') continue;
      const period = periodOf(e.postingDate);
      out.set(period, (out.get(period) ?? 0n) - l.amountMinor);
    }
  }
  return out;
}

const bodyOf = (e: EntryDraft) => JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/** What one aggregate's entries do under each rule set. */
function compareAggregate(
  facts: Parameters<typeof runEngine>[0]['facts'],
  settings: { before: TenantSettings; after: TenantSettings },
  through: LocalDate,
  periodOf: (d: LocalDate) => string,
) {
  const before = runEngine({ settings: settings.before, facts, through }).entries;
  const after = runEngine({ settings: settings.after, facts, through }).entries;
  const afterKeys = new Map(after.map((e) => [e.key, bodyOf(e)]));
  const changed = before.length !== after.length || before.some((e) => afterKeys.get(e.key) !== bodyOf(e));
  const vanished = before.filter((e) => !afterKeys.has(e.key)).map((e) => ({ ...e, lines: [] }));
  const moves = revenueByPeriod(after, periodOf);
  for (const [period, amount] of revenueByPeriod(before, periodOf))
    moves.set(period, (moves.get(period) ?? 0n) - amount);
  for (const [period, amount] of moves) if (amount === 0n) moves.delete(period);
  const customer = [...before, ...after].flatMap((e) => e.lines).find((l) => l.customer)?.customer ?? null;
  return { changed, vanished, moves, customer };
}

/** Where a closed period's correction posts: the period right after the latest closed one. */
async function periodStates(tx: Db | Tx, tenant: Tenant): Promise<{ closed: Set<string>; firstOpen: string | null }> {
  const periods = await listPeriods(tx, tenant.id);
  const closed = periods.filter((p) => p.status === 'closed').sort((a, b) => a.start.localeCompare(b.start));
  const last = closed.at(-1);
  return {
    closed: new Set(closed.map((p) => p.key)),
    firstOpen: last ? calendarOf(tenant.settings).periodOf(last.end).key : null,
  };
}

/** The effect of a change of the rule list on the books, without writing anything. */
export async function previewRuleChange(tx: Db | Tx, tenant: Tenant, change: RuleChange): Promise<RuleChangePreview> {
  const before = await bookingSettings(tx, tenant);
  const after = { ...before, rules: [...change.rules] };
  const through = await releasedThrough(tx, tenant.id);
  const calendar = calendarOf(tenant.settings);
  const periodOf = (d: LocalDate) => calendar.periodOf(d).key;
  const all = await tx
    .selectFrom('stripe_facts')
    .select('aggregate')
    .distinct()
    .where('tenant_id', '=', tenant.id)
    .orderBy('aggregate')
    .execute();
  const totals = new Map<string, bigint>();
  const invoices: InvoiceMovement[] = [];
  const changedAggregates: string[] = [];
  const vanished: EntryDraft[] = [];
  const cache = new FactCache();
  for (let i = 0; i < all.length; i += PREVIEW_CHUNK) {
    const chunk = all.slice(i, i + PREVIEW_CHUNK).map((r) => r.aggregate);
    for (const [aggregate, facts] of await loadFacts(tx, tenant.id, chunk, cache)) {
      const r = compareAggregate(facts, { before, after }, through, periodOf);
      if (!r.changed) continue;
      changedAggregates.push(aggregate);
      vanished.push(...r.vanished);
      if (r.moves.size === 0) continue;
      let size = 0n;
      const periods = [...r.moves].sort(([a], [b]) => a.localeCompare(b));
      for (const [period, amount] of periods) {
        totals.set(period, (totals.get(period) ?? 0n) + amount);
        size += amount < 0n ? -amount : amount;
      }
      const moved = periods.map(([period, amount]) => ({ period, revenueMinor: minor(amount) }));
      invoices.push({ invoice: aggregate, customer: r.customer, periods: moved, sizeMinor: size });
    }
  }
  const states = await periodStates(tx, tenant);
  const periods = [...totals]
    .filter(([, amount]) => amount !== 0n)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([period, amount]) => {
      const closed = states.closed.has(period);
      return { period, closed, postsIn: closed ? (states.firstOpen ?? period) : period, revenueMinor: minor(amount) };
    });
  invoices.sort((a, b) =>
    a.sizeMinor === b.sizeMinor ? a.invoice.localeCompare(b.invoice) : a.sizeMinor > b.sizeMinor ? -1 : 1,
  );
  return { through, periods, invoices, changedAggregates, vanished };
}

export interface AppliedRuleChange {
  changeId: bigint;
  revision: number;
  entriesPosted: number;
  preview: RuleChangePreview;
}

/**
 * Saves a change of the rule list made on `revision` (`conflict` when another change came first)
 * and re-applies it to every booking it changes, in one transaction under the books lock.
 */
export async function applyRuleChange(
  db: Db,
  tenant: Tenant,
  actor: string,
  change: RuleChange & { revision: number },
  afterPost?: AfterPost,
): Promise<AppliedRuleChange> {
  return db.transaction().execute(async (tx) => {
    await lockTenantBooks(tx, tenant.id);
    const revision = await ruleRevision(tx, tenant.id);
    if (revision !== change.revision)
      throw new AccrueError(
        'conflict',
        `The rules changed since revision ${change.revision} (now ${revision}); reload them and make the change again.`,
      );
    const preview = await previewRuleChange(tx, tenant, change);
    const before = await rulesInForce(tx, tenant);
    await replaceRules(tx, tenant.id, change.rules);
    const changeId = await recordRuleChange(tx, tenant.id, {
      actor,
      reason: change.reason ?? null,
      before,
      after: change.rules,
    });
    const cause = `rule-change:${changeId}`;
    const aggregates = new Set(preview.changedAggregates);
    let posted = await bookAggregates(tx, afterPost, tenant, aggregates, preview.through, cause);
    let retracted = 0;
    for (const draft of preview.vanished) if (await postDifference(tx, tenant, draft, cause)) retracted++;
    if (retracted && afterPost) await afterPost(tx, tenant);
    posted += retracted;
    await setEntriesPosted(tx, tenant.id, changeId, posted);
    return { changeId, revision: Number(changeId), entriesPosted: posted, preview };
  });
}
