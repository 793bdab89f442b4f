/** The journal entries a drill-down lists, with their lines and QuickBooks ids. */
import { sql } from 'kysely';
import type { AccountRole } from '../../../shared/accounts.ts';
import { DETAIL_ENTRIES_MAX, type EntrySummary } from '../../../shared/api/app.ts';
import type { Db } from '../../db/database.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { minor } from '../app-api/support.ts';

/** Ids of the newest `DETAIL_ENTRIES_MAX` entries a line of which carries the id, or that name the invoice as a source. */
async function entryIdsFor(
  db: Db,
  tenantId: bigint,
  filter: { invoice?: string; customer?: string },
): Promise<bigint[]> {
  const byLine =
    filter.invoice !== undefined ? sql`l.invoice = ${filter.invoice}` : sql`l.customer = ${filter.customer}`;
  const bySource = filter.invoice !== undefined ? sql`or (${filter.invoice} = any(e.sources))` : sql``;
  const result = await sql<{ id: bigint }>`
    select e.id from journal_entries e
    where e.tenant_id = ${tenantId}
      and (exists (select 1 from journal_lines l where l.tenant_id = ${tenantId} and l.entry_id = e.id and ${byLine}) ${bySource})
    order by e.id desc limit ${DETAIL_ENTRIES_MAX}`.execute(db);
  return result.rows.map((r) => r.id);
}

/** The QuickBooks entry id that posted each of the entries, when one did. */
async function qboIdsOf(db: Db, tenantId: bigint, ids: readonly bigint[]): Promise<Map<string, string>> {
  const textIds = ids.map((i) => i.toString());
  const posted = await sql<{ qbo_id: string; entry_id: string }>`
    select q.qbo_id, x.entry_id from qbo_sync q, unnest(q.source_entry_ids) as x(entry_id)
    where q.tenant_id = ${tenantId} and q.state = 'posted' and q.qbo_id is not null and q.source_entry_ids && ${textIds}::text[]`.execute(
    db,
  );
  return new Map(posted.rows.map((r) => [r.entry_id, r.qbo_id]));
}

/**
 * Journal entries that touch an invoice or a customer (a line carries the id, or the entry names
 * the invoice as a source), newest `DETAIL_ENTRIES_MAX`, in posting order, with their QuickBooks id.
 */
export async function entriesFor(
  db: Db,
  tenant: Tenant,
  filter: { invoice?: string; customer?: string },
): Promise<EntrySummary[]> {
  const tenantId = tenant.id;
  const ids = await entryIdsFor(db, tenantId, filter);
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('journal_entries as e')
    .innerJoin('journal_lines as l', 'l.entry_id', 'e.id')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .select([
      'e.id',
      'e.kind',
      'e.posting_date',
      'e.period_key',
      'e.memo',
      'e.correction',
      'l.line_no',
      'l.currency',
      'l.amount_minor',
      'a.role',
      'a.name',
    ])
    .where('e.tenant_id', '=', tenantId)
    .where('l.tenant_id', '=', tenantId)
    .where('e.id', 'in', ids)
    .orderBy('e.posting_date')
    .orderBy('e.id')
    .orderBy('l.line_no')
    .execute();
  const qboByEntry = await qboIdsOf(db, tenantId, ids);
  const out = new Map<string, EntrySummary>();
  for (const r of rows) {
    const id = r.id.toString();
    let entry = out.get(id);
    if (!entry) {
      const qboId = qboByEntry.get(id) ?? null;
      entry = {
        id,
        kind: r.kind,
        posting_date: r.posting_date,
        period: r.period_key,
        memo: r.memo,
        correction: r.correction,
        qbo_id: qboId,
        currency: r.currency,
        lines: [],
      };
      out.set(id, entry);
    }
    entry.lines.push({ role: r.role as AccountRole, account: r.name, amount_minor: minor(BigInt(r.amount_minor)) });
  }
  return [...out.values()];
}
