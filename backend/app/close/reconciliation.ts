/**
 * Reconciliation in the Stripe App: for one period, the ledger against what QuickBooks holds,
 * account by account (debit positive, in each currency), and the entries behind one account's
 * cell with the QuickBooks journal entry each was posted in. The totals need QuickBooks: when it
 * is not connected the answer is `not_configured` (503), never an empty "everything agrees".
 * The drill-down reads the ledger and the sync records only.
 */
import type {
  ReconciliationEntriesQuery,
  ReconciliationEntriesResponse,
  ReconciliationQuery,
  ReconciliationResponse,
} from '../../../shared/api/close.ts';
import { RECONCILIATION_ENTRIES_MAX } from '../../../shared/api/close.ts';
import { AccrueError } from '../../../shared/errors.ts';
import { compareText } from '../../../shared/reports/index.ts';
import { normalizeCurrency, type Currency } from '../../../shared/money.ts';
import { loadLedgerLines } from '../../ledger/ledger.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { isAccrueDocNumber } from '../../qbo/reconcile.ts';
import { mappingKey, qboAmountToMinor } from '../../qbo/posting.ts';
import { minor, tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { mappedAccounts } from '../qbo-sync.ts';
import { withQbo } from '../quickbooks/session.ts';

/** `not_configured` unless the tenant's QuickBooks company is connected. */
async function requireConnected(deps: Pick<AppDeps, 'db' | 'qbo'>, tenant: Tenant): Promise<void> {
  const conn = await deps.db
    .selectFrom('qbo_connections')
    .select('status')
    .where('tenant_id', '=', tenant.id)
    .executeTakeFirst();
  if (!deps.qbo || conn?.status !== 'active')
    throw new AccrueError(
      'not_configured',
      'QuickBooks is not connected, so there is nothing to reconcile against. Connect it in Settings first.',
    );
}

interface Cell {
  accountId: string;
  currency: Currency;
  ledger: bigint;
  qbo: bigint;
}

/** The ledger against QuickBooks for one period, every (account, currency) cell either side has. */
export async function getReconciliation(
  deps: Pick<AppDeps, 'db' | 'qbo'>,
  caller: AppCaller,
  query: ReconciliationQuery,
): Promise<ReconciliationResponse> {
  const tenant = await tenantOf(deps.db, caller);
  await requireConnected(deps, tenant);
  const accounts = await mappedAccounts(deps.db, tenant.id);
  const nameOf = new Map([...accounts.values()].map((a) => [a.id, a.name]));
  const lines = await loadLedgerLines(deps.db, tenant.id, { fromPeriod: query.period, throughPeriod: query.period });
  const records = await deps.db
    .selectFrom('qbo_sync')
    .select(['doc_number'])
    .where('tenant_id', '=', tenant.id)
    .where('state', '=', 'posted')
    .where('period', '=', query.period)
    .execute();
  const live = records.length
    ? await withQbo(deps, tenant, (s) =>
        s.call((api) => api.findJournalEntriesByDocNumber(records.map((r) => r.doc_number))),
      )
    : [];
  const cells = new Map<string, Cell>();
  const cell = (accountId: string, currency: Currency): Cell => {
    const k = `${accountId}\u0000${currency}`;
    let c = cells.get(k);
    if (!c) cells.set(k, (c = { accountId, currency, ledger: 0n, qbo: 0n }));
    return c;
  };
  let unmapped = 0;
  for (const l of lines) {
    const mapped = accounts.get(mappingKey(l.role, l.account));
    if (mapped) cell(mapped.id, l.currency).ledger += l.amountMinor;
    else unmapped++;
  }
  const home = tenant.settings.functional_currency.toUpperCase();
  for (const je of live.filter((j) => isAccrueDocNumber(j.DocNumber))) {
    const currency = normalizeCurrency(je.CurrencyRef?.value ?? home);
    for (const line of je.Line) {
      if (line.DetailType !== 'JournalEntryLineDetail') continue;
      const d = line.JournalEntryLineDetail;
      const amount = qboAmountToMinor(line.Amount, currency);
      cell(d.AccountRef.value, currency).qbo += d.PostingType === 'Debit' ? amount : -amount;
    }
  }
  const rows = [...cells.values()]
    .map((c) => ({
      account_id: c.accountId,
      account: nameOf.get(c.accountId) ?? c.accountId,
      currency: c.currency,
      ledger_minor: minor(c.ledger),
      qbo_minor: minor(c.qbo),
      difference_minor: minor(c.ledger - c.qbo),
    }))
    .sort((a, b) => compareText(a.account, b.account) || compareText(a.currency, b.currency));
  return { period: query.period, agree: rows.every((r) => r.difference_minor === '0'), rows, unmapped_lines: unmapped };
}

/** The ledger entries of one period on one QuickBooks account, each with where it was posted. */
export async function getReconciliationEntries(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  query: ReconciliationEntriesQuery,
): Promise<ReconciliationEntriesResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const accounts = await mappedAccounts(deps.db, tenant.id);
  const lines = (
    await loadLedgerLines(deps.db, tenant.id, { fromPeriod: query.period, throughPeriod: query.period })
  ).filter((l) => accounts.get(mappingKey(l.role, l.account))?.id === query.account_id);
  const byEntry = new Map<string, { line: (typeof lines)[number]; amount: bigint }>();
  for (const l of lines) {
    const k = `${l.entryId}\u0000${l.currency}`;
    const e = byEntry.get(k);
    if (e) e.amount += l.amountMinor;
    else byEntry.set(k, { line: l, amount: l.amountMinor });
  }
  const ids = [...new Set(lines.map((l) => l.entryId))];
  const syncs = ids.length
    ? await deps.db
        .selectFrom('qbo_sync')
        .select(['doc_number', 'state', 'source_entry_ids'])
        .where('tenant_id', '=', tenant.id)
        .where('period', '=', query.period)
        .execute()
    : [];
  const syncOf = new Map<string, { doc: string; state: 'pending' | 'posted' | 'failed' }>();
  for (const s of syncs)
    for (const id of s.source_entry_ids)
      syncOf.set(id, { doc: s.doc_number, state: s.state as 'pending' | 'posted' | 'failed' });
  const entries = [...byEntry.values()]
    .sort((a, b) => compareText(a.line.postingDate, b.line.postingDate) || compareText(a.line.entryId, b.line.entryId))
    .map(({ line, amount }) => ({
      entry_id: line.entryId,
      posting_date: line.postingDate,
      kind: line.kind,
      memo: line.memo,
      currency: line.currency,
      amount_minor: minor(amount),
      doc_number: syncOf.get(line.entryId)?.doc ?? null,
      sync_state: syncOf.get(line.entryId)?.state ?? null,
    }));
  return {
    period: query.period,
    account_id: query.account_id,
    entries: entries.slice(0, RECONCILIATION_ENTRIES_MAX),
    total_entries: entries.length,
  };
}
