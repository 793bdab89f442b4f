/**
 * Releases imported opening deferred revenue like any schedule: each opening deferred line is
 * spread over its remaining service period with the tenant's amortization method and calendar,
 * and every ended period through `through` posts a recognition entry (Dr Deferred Revenue, Cr the
 * line's revenue account) under `rec:opening:<invoice>:<line>:<period>`, so releasing twice
 * posts nothing new. The remaining period and revenue account are read back from the deferred
 * line's memo, which the import writes as `releases <start> to <end>[ to <account>]`.
 */
import type { EntryDraft, LineDraft, LocalDate } from '../../../shared/journal.ts';
import { allocate, asCurrency, minor } from '../../../shared/money.ts';
import { baseSegment, releasesByPeriod, type PeriodAmount } from '../../../shared/engine/schedule.ts';
import { addDays, startOfDay } from '../../../shared/time.ts';
import type { Db } from '../../db/database.ts';
import { postNewEntries } from '../../ledger/ledger.ts';
import { calendarOf } from '../../ledger/periods.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { OPENING_KEY_PREFIX } from './tie-out.ts';

/** Opening recognition keys: `rec:opening:<invoice>:<line>:<period>`. */
const RELEASE_KEY_PREFIX = 'rec:opening:';
const SCHEDULE_MEMO = /^releases (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})(?: to (.+))?$/;

/** What the ledger already holds for one opening line: reductions after the cutover, released periods. */
interface LineHistory {
  /** Debits to the line's deferred revenue by Stripe activity after the cutover (refunds, credit notes…), in date order. */
  reductions: { date: LocalDate; amountMinor: bigint }[];
  /** Opening recognition already posted, by period key. */
  released: Map<string, bigint>;
}

/**
 * The amount each period releases, from the imported schedule less what later Stripe activity took
 * out of the line's deferral: a reduction dated in a period comes off that period and the later
 * ones, in proportion to what each still had to release (largest remainder). Periods already
 * released keep what they posted; what is left is spread over the others the same way, so the
 * line releases exactly its imported amount less its reductions, never more.
 */
export function openingReleases(
  schedule: readonly PeriodAmount[],
  history: LineHistory,
): { period: PeriodAmount['period']; amountMinor: bigint }[] {
  const byPeriod = new Map<string, PeriodAmount>();
  for (const r of schedule) {
    const cur = byPeriod.get(r.period.key);
    byPeriod.set(r.period.key, { period: r.period, amountMinor: (cur?.amountMinor ?? 0n) + r.amountMinor });
  }
  const periods = [...byPeriod.values()];
  const amounts = periods.map((p) => p.amountMinor);
  const spread = (from: number, total: bigint) => {
    const rest = amounts.slice(from);
    const weights = rest.some((w) => w > 0n) ? rest : rest.map((_, i) => (i === rest.length - 1 ? 1n : 0n));
    if (!rest.length) return;
    allocate(total < 0n ? 0n : total, weights).forEach((a, i) => (amounts[from + i] = a));
  };
  for (const red of history.reductions) {
    const from = periods.findIndex((p) => p.period.end > red.date);
    if (from < 0) continue;
    spread(from, amounts.slice(from).reduce((a, b) => a + b, 0n) - red.amountMinor);
  }
  // Periods already released keep their amounts; the rest share what is left.
  const firstOpen = periods.findIndex((p) => !history.released.has(p.period.key));
  if (firstOpen > 0 && periods.slice(0, firstOpen).some((p, i) => history.released.get(p.period.key) !== amounts[i])) {
    const left = amounts.reduce((a, b) => a + b, 0n);
    periods.slice(0, firstOpen).forEach((p, i) => (amounts[i] = history.released.get(p.period.key)!));
    spread(firstOpen, left - amounts.slice(0, firstOpen).reduce((a, b) => a + b, 0n));
  }
  return periods.map((p, i) => ({ period: p.period, amountMinor: amounts[i]! }));
}

/** The recognition entries of every opening deferred line for periods ended on or before `through`. */
export async function openingReleaseDrafts(db: Db, tenant: Tenant, through: LocalDate): Promise<EntryDraft[]> {
  const tz = tenant.settings.reporting_time_zone;
  const ctx = { tz, calendar: calendarOf(tenant.settings) };
  const lines = await openingDeferredLines(db, tenant);
  const histories = await lineHistories(db, tenant);
  const drafts: EntryDraft[] = [];
  for (const l of lines) {
    const m = l.memo ? SCHEDULE_MEMO.exec(l.memo) : null;
    if (!m || !l.invoice || !l.invoice_line) continue;
    const [, start, end, account] = m;
    const segment = baseSegment(
      -BigInt(l.amount_minor),
      {
        kind: 'ratable',
        start: startOfDay(start!, tz),
        end: startOfDay(addDays(end!, 1), tz),
        method: tenant.settings.amortization,
      },
      ctx,
    );
    const history = histories.get(`${l.invoice}|${l.invoice_line}`) ?? { reductions: [], released: new Map() };
    for (const r of openingReleases(releasesByPeriod([segment]), history)) {
      if (r.period.end > addDays(through, 1) || r.amountMinor === 0n) continue;
      const dims = {
        currency: asCurrency(l.currency),
        customer: l.customer ?? undefined,
        invoice: l.invoice,
        invoiceLine: l.invoice_line,
        product: l.product ?? undefined,
        bookedOn: l.booked_on ?? undefined,
      };
      const out: LineDraft[] = [
        { role: 'deferred_revenue', amountMinor: minor(r.amountMinor), ...dims },
        { role: 'revenue', account, amountMinor: minor(-r.amountMinor), ...dims },
      ];
      drafts.push({
        key: `${RELEASE_KEY_PREFIX}${l.invoice}:${l.invoice_line}:${r.period.key}`,
        kind: 'recognition',
        postingDate: addDays(r.period.end, -1),
        memo: `Revenue recognized on ${l.invoice} (opening balance) for ${r.period.key}`,
        sources: [l.invoice, l.invoice_line],
        lines: out,
      });
    }
  }
  return drafts;
}

/**
 * Per opening line (`invoice|line`): the deferred revenue Stripe activity took out of it after the
 * cutover (any entry that is neither an opening entry nor an opening release), and the releases posted.
 */
async function lineHistories(db: Db, tenant: Tenant): Promise<Map<string, LineHistory>> {
  const rows = await db
    .selectFrom('journal_lines as l')
    .innerJoin('journal_entries as e', 'e.id', 'l.entry_id')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .select(['l.invoice', 'l.invoice_line', 'l.amount_minor', 'e.posting_date', 'e.idempotency_key'])
    .where('l.tenant_id', '=', tenant.id)
    .where('e.tenant_id', '=', tenant.id)
    .where('a.role', '=', 'deferred_revenue')
    .where('l.invoice', 'in', (eb) =>
      eb
        .selectFrom('journal_lines as o')
        .innerJoin('journal_entries as oe', 'oe.id', 'o.entry_id')
        .select('o.invoice')
        .where('o.tenant_id', '=', tenant.id)
        .where('oe.tenant_id', '=', tenant.id)
        .where('oe.idempotency_key', 'like', `${OPENING_KEY_PREFIX}deferred:%`),
    )
    .where('e.idempotency_key', 'not like', `${OPENING_KEY_PREFIX}%`)
    .orderBy('e.posting_date')
    .orderBy('e.id')
    .execute();
  const out = new Map<string, LineHistory>();
  for (const r of rows) {
    const k = `${r.invoice}|${r.invoice_line}`;
    let h = out.get(k);
    if (!h) out.set(k, (h = { reductions: [], released: new Map() }));
    const amount = BigInt(r.amount_minor);
    if (r.idempotency_key.startsWith(RELEASE_KEY_PREFIX)) {
      const period = r.idempotency_key.slice(r.idempotency_key.lastIndexOf(':') + 1);
      h.released.set(period, (h.released.get(period) ?? 0n) + amount);
    } else h.reductions.push({ date: r.posting_date, amountMinor: amount });
  }
  return out;
}

/** The deferred revenue lines of the opening entries, with their own (line) memo. */
async function openingDeferredLines(db: Db, tenant: Tenant) {
  return db
    .selectFrom('journal_lines as l')
    .innerJoin('journal_entries as e', 'e.id', 'l.entry_id')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .select([
      'l.memo',
      'l.amount_minor',
      'l.currency',
      'l.customer',
      'l.invoice',
      'l.invoice_line',
      'l.product',
      'l.booked_on',
    ])
    .where('l.tenant_id', '=', tenant.id)
    .where('e.tenant_id', '=', tenant.id)
    .where('e.idempotency_key', 'like', `${OPENING_KEY_PREFIX}deferred:%`)
    .where('a.role', '=', 'deferred_revenue')
    .orderBy('e.id')
    .execute();
}

/** Posts the opening schedules' recognition through `through`; returns how many entries were new. */
export async function releaseOpeningSchedules(db: Db, tenant: Tenant, through: LocalDate): Promise<number> {
  const drafts = await openingReleaseDrafts(db, tenant, through);
  if (!drafts.length) return 0;
  return db.transaction().execute(async (tx) => (await postNewEntries(tx, tenant, drafts)).created);
}
