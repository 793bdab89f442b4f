/**
 * Releases imported opening deferred revenue like any schedule: each opening deferred line is
 * spread over its remaining service period with the tenant's amortization method and calendar,
 * and every ended period through `through` posts a recognition entry (Dr Deferred Revenue, Cr the
 * line's revenue account) under `rec:opening:<invoice>:<line>:<period>`, so releasing twice
 * posts nothing new. The remaining period and revenue account are read back from the deferred
 * line's memo, which the import writes as `releases <start> to <end>[ to <account>]`.
 */
import type { EntryDraft, LineDraft, LocalDate } from '../../../shared/journal.ts';
import { asCurrency, minor } from '../../../shared/money.ts';
import { baseSegment, releasesByPeriod } from '../../../shared/engine/schedule.ts';
import { addDays, startOfDay } from '../../../shared/time.ts';
import type { Db } from '../../db/database.ts';
import { postNewEntries } from '../../ledger/ledger.ts';
import { calendarOf } from '../../ledger/periods.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { OPENING_KEY_PREFIX } from './tie-out.ts';

const SCHEDULE_MEMO = /^releases (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})(?: to (.+))?$/;

/** The recognition entries of every opening deferred line for periods ended on or before `through`. */
export async function openingReleaseDrafts(db: Db, tenant: Tenant, through: LocalDate): Promise<EntryDraft[]> {
  const tz = tenant.settings.reporting_time_zone;
  const ctx = { tz, calendar: calendarOf(tenant.settings) };
  const lines = await openingDeferredLines(db, tenant);
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
    for (const r of releasesByPeriod([segment])) {
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
        key: `rec:opening:${l.invoice}:${l.invoice_line}:${r.period.key}`,
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
