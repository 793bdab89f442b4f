/**
 * Reconciliation between Accrue's ledger and what QuickBooks holds of our postings
 * (`docs/accounting.md §6b`, `docs/quickbooks.md §8`). Pure comparisons: per period, currency and
 * QuickBooks account, the ledger total against the total of the QuickBooks entries we posted
 * (read back from QuickBooks or CDC), with both numbers on every difference; and detection of
 * entries an accountant edited (SyncToken moved or lines changed) or deleted (CDC tombstone, or
 * 610 on read). Reading is done by the caller through the adapter; `readBackEntries` is the one
 * async helper here.
 */
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import type { LocalDate } from '../../shared/journal.ts';
import { normalizeCurrency, type Currency } from '../../shared/money.ts';
import { isQboApiError, type CdcResult, type QboJournalEntry } from './adapter.ts';
import { DOC_NUMBER_PREFIX, linesHashOfQbo, mappingKey, qboAmountToMinor, type MappedAccount } from './posting.ts';
import type { SyncRecord } from './sync-store.ts';

/**
 * CDC's next `changedSince` starts this long before QuickBooks' answer time, because entries
 * committed during the answer can carry an earlier LastUpdatedTime; re-seeing a few is harmless.
 */
export const CDC_SAFETY_MARGIN_MS = 5 * 60 * 1000;
/** Reads per readBackEntries call; more belongs in a CDC sweep (one call for up to 1000 objects). */
export const READ_BACK_ENTRIES_MAX = 1000;

export interface TotalsDifference {
  period: string;
  currency: string;
  accountId: string;
  /** Debit-positive minor units in our ledger. */
  ledger_minor: bigint;
  /** Debit-positive minor units in the QuickBooks entries we posted. */
  qbo_minor: bigint;
  /** ledger − QuickBooks. */
  difference_minor: bigint;
}

export interface CompareTotalsInput {
  ledgerLines: readonly LedgerLine[];
  accounts: ReadonlyMap<string, MappedAccount>;
  /** The live QuickBooks entries that Accrue posted (deleted ones simply absent). */
  qboEntries: readonly QboJournalEntry[];
  /** The tenant's period calendar: date → period key. */
  periodOf: (date: LocalDate) => string;
  homeCurrency: string;
}

export interface CompareTotalsResult {
  differences: TotalsDifference[];
  /** Number of (period, currency, account) cells compared. */
  cells: number;
  /** Ledger lines whose account has no QuickBooks mapping (counted, not compared). */
  unmappedLines: number;
}

/** True for DocNumbers Accrue writes, so only our entries are compared. */
export function isAccrueDocNumber(docNumber: string | undefined): boolean {
  return docNumber !== undefined && docNumber.startsWith(DOC_NUMBER_PREFIX);
}

/** Compares ledger and QuickBooks totals per period, currency and account. */
export function compareTotals(input: CompareTotalsInput): CompareTotalsResult {
  const cells = new Map<
    string,
    { period: string; currency: Currency; accountId: string; ledger: bigint; qbo: bigint }
  >();
  const cell = (period: string, currency: Currency, accountId: string) => {
    const k = `${period}\u0000${currency}\u0000${accountId}`;
    let c = cells.get(k);
    if (!c) cells.set(k, (c = { period, currency, accountId, ledger: 0n, qbo: 0n }));
    return c;
  };
  let unmappedLines = 0;
  for (const l of input.ledgerLines) {
    const mapped = input.accounts.get(mappingKey(l.role, l.account));
    if (!mapped) {
      unmappedLines++;
      continue;
    }
    cell(l.period, l.currency, mapped.id).ledger += l.amountMinor;
  }
  for (const je of input.qboEntries) {
    const currency = normalizeCurrency(je.CurrencyRef?.value ?? input.homeCurrency);
    const period = input.periodOf(je.TxnDate ?? '');
    for (const line of je.Line) {
      if (line.DetailType !== 'JournalEntryLineDetail') continue;
      const d = line.JournalEntryLineDetail;
      const amount = qboAmountToMinor(line.Amount, currency);
      cell(period, currency, d.AccountRef.value).qbo += d.PostingType === 'Debit' ? amount : -amount;
    }
  }
  const differences: TotalsDifference[] = [];
  for (const c of cells.values()) {
    if (c.ledger !== c.qbo) {
      differences.push({
        period: c.period,
        currency: c.currency,
        accountId: c.accountId,
        ledger_minor: c.ledger,
        qbo_minor: c.qbo,
        difference_minor: c.ledger - c.qbo,
      });
    }
  }
  differences.sort((a, b) =>
    a.period !== b.period
      ? a.period < b.period
        ? -1
        : 1
      : a.accountId < b.accountId
        ? -1
        : a.accountId > b.accountId
          ? 1
          : 0,
  );
  return { differences, cells: cells.size, unmappedLines };
}

export type EntryDriftKind = 'edited' | 'deleted';

export interface EntryDrift {
  kind: EntryDriftKind;
  requestId: string;
  docNumber: string;
  qboId: string;
  period: string;
  /** What we recorded at posting time. */
  recorded: { syncToken: string | undefined; linesHash: string | undefined };
  /** What QuickBooks holds now (edits only). */
  current?: { syncToken: string | undefined; linesHash: string } | undefined;
  /** True when the amounts/accounts changed, not just a memo or date. */
  linesChanged: boolean;
}

/** What QuickBooks says now about an entry: the entry, or that it was deleted. */
export type CurrentEntry = QboJournalEntry | 'deleted';

/**
 * Compares posted sync records with QuickBooks' current state. Entries absent from `current`
 * were not seen (no news); pass CDC results or read-backs for the entries to check.
 */
export function detectDrift(records: readonly SyncRecord[], current: ReadonlyMap<string, CurrentEntry>): EntryDrift[] {
  const out: EntryDrift[] = [];
  for (const r of records) {
    if (r.state !== 'posted' || !r.qboId) continue;
    const now = current.get(r.qboId);
    if (now === undefined) continue;
    const recorded = { syncToken: r.syncToken, linesHash: r.postedLinesHash ?? r.linesHash };
    const base = { requestId: r.requestId, docNumber: r.docNumber, qboId: r.qboId, period: r.period, recorded };
    if (now === 'deleted') {
      out.push({ ...base, kind: 'deleted', linesChanged: true });
      continue;
    }
    const hash = linesHashOfQbo(now, r.currency);
    const linesChanged = hash !== recorded.linesHash;
    if (linesChanged || now.SyncToken !== r.syncToken) {
      out.push({ ...base, kind: 'edited', current: { syncToken: now.SyncToken, linesHash: hash }, linesChanged });
    }
  }
  return out;
}

/** QuickBooks' current journal entries from a CDC answer: full objects, and tombstones as 'deleted'. */
export function currentFromCdc(cdc: CdcResult): Map<string, CurrentEntry> {
  const out = new Map<string, CurrentEntry>();
  for (const obj of cdc.changes['JournalEntry'] ?? []) {
    out.set(String(obj.Id), obj.status === 'Deleted' ? 'deleted' : (obj as QboJournalEntry));
  }
  return out;
}

/** Reads entries back one by one; a 610 / not-found answer means the entry was deleted. */
export async function readBackEntries(
  api: { getJournalEntry(id: string): Promise<QboJournalEntry> },
  ids: readonly string[],
): Promise<Map<string, CurrentEntry>> {
  if (ids.length > READ_BACK_ENTRIES_MAX)
    throw new Error(`readBackEntries: ${ids.length} ids; use CDC beyond ${READ_BACK_ENTRIES_MAX}`);
  const out = new Map<string, CurrentEntry>();
  for (const id of ids) {
    try {
      out.set(id, await api.getJournalEntry(id));
    } catch (e) {
      if (isQboApiError(e) && e.error.kind === 'not_found') out.set(id, 'deleted');
      else throw e;
    }
  }
  return out;
}

/** The `changedSince` for the next CDC sweep: QuickBooks' answer time minus the safety margin, in UTC `Z` form. */
export function nextChangedSince(cdcTime: string | undefined, fallback_ms: number): string {
  const t = cdcTime ? Date.parse(cdcTime) : Number.NaN;
  const base = Number.isNaN(t) ? fallback_ms : t;
  return new Date(base - CDC_SAFETY_MARGIN_MS).toISOString();
}
