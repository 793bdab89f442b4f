/**
 * Manual journal entries from a CSV of adjustments (docs/accounting.md, "Manual journal
 * entries"). Rows with the same `entry_key` form one entry; every entry must balance, carry a
 * reason, and fall in an open period. The whole file is checked first and every problem is
 * named by its line; nothing is posted unless every row passes. Entries post through the ledger
 * as kind `manual` with the key `manual:<entry_key>`, so a second import of the same file is a
 * no-op and a changed entry under a used key is a conflict.
 */
import { AccrueError } from '../../../shared/errors.ts';
import type { AccountRole } from '../../../shared/accounts.ts';
import type { EntryDraft, LineDraft, LocalDate } from '../../../shared/journal.ts';
import { formatMinor, minor, type Currency } from '../../../shared/money.ts';
import type { Db, Tx } from '../../db/database.ts';
import { bodyHash, newPostCache, postNewEntries } from '../../ledger/ledger.ts';
import { calendarOf } from '../../ledger/periods.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import {
  amountCell,
  closedThrough,
  currencyCell,
  dateCell,
  defaultAccountName,
  existingAccounts,
  idCell,
  REASON_MIN,
  roleCell,
  textCell,
} from './checks.ts';
import { importError, ImportProblems, readCsv, type CsvRow } from './csv.ts';

export const MANUAL_JOURNAL_COLUMNS = {
  required: ['entry_key', 'date', 'account_role', 'currency', 'debit', 'credit', 'reason'],
  optional: ['account', 'memo', 'customer', 'invoice', 'product'],
} as const;

/** The ledger key of a manual entry: its file key under the `manual:` prefix. */
export const MANUAL_KEY_PREFIX = 'manual:';
const WHAT = 'manual journal import refused';
/** Keys looked up per statement. */
const KEY_LOOKUP_CHUNK = 1_000;

export interface ManualJournalInput {
  /** The CSV text (header + rows). */
  csv: string;
  /** Who imports it (a person, or an admin key's name), recorded on every entry. */
  author: string;
}

export interface ManualJournalResult {
  entries: number;
  lines: number;
  /** Entries written now. */
  posted: number;
  /** Entries that were already in the ledger with the same body (a repeated import). */
  alreadyPosted: number;
  /** Ledger keys of the file's entries, in file order. */
  keys: string[];
}

interface ParsedLine {
  line: number;
  key: string;
  date: LocalDate;
  reason: string;
  draft: LineDraft;
  explicitAccount: boolean;
}

interface ParsedEntry {
  key: string;
  date: LocalDate;
  reason: string;
  lines: ParsedLine[];
}

function parseRow(row: CsvRow, tenant: Tenant, problems: ImportProblems): ParsedLine | undefined {
  const key = idCell(row, 'entry_key', problems);
  const date = dateCell(row, 'date', problems);
  const role = roleCell(row, 'account_role', problems);
  const c = currencyCell(row, 'currency', tenant, problems);
  const reason = textCell(row, 'reason', problems, REASON_MIN);
  const memo = textCell(row, 'memo', problems);
  const customer = idCell(row, 'customer', problems, true);
  const invoice = idCell(row, 'invoice', problems, true);
  const product = idCell(row, 'product', problems, true);
  const account = textCell(row, 'account', problems);
  let amount: bigint | undefined;
  if (c) {
    const debit = amountCell(row, 'debit', c, problems, true);
    const credit = amountCell(row, 'credit', c, problems, true);
    const given = [debit, credit].filter((a) => a !== undefined && a !== 0n);
    if (given.length !== 1) problems.add(row.line, 'give an amount in exactly one of debit and credit');
    else amount = debit !== undefined && debit !== 0n ? debit : -credit!;
  }
  if (!key || !date || !role || !c || reason === undefined || amount === undefined || account === undefined)
    return undefined;
  return {
    line: row.line,
    key,
    date,
    reason,
    explicitAccount: account !== '',
    draft: {
      role,
      account: account || undefined,
      amountMinor: minor(amount),
      currency: c,
      memo: memo || undefined,
      customer,
      invoice,
      product,
    },
  };
}

/** Groups lines into entries and checks what holds per entry: one date, one reason, balance. */
function groupEntries(lines: ParsedLine[], problems: ImportProblems): ParsedEntry[] {
  const byKey = new Map<string, ParsedEntry>();
  for (const l of lines) {
    const e = byKey.get(l.key);
    if (!e) {
      byKey.set(l.key, { key: l.key, date: l.date, reason: l.reason, lines: [l] });
      continue;
    }
    if (l.date !== e.date)
      problems.add(l.line, `entry ${l.key} is dated ${e.date} on line ${e.lines[0]!.line}; one entry has one date`);
    if (l.reason !== e.reason)
      problems.add(l.line, `entry ${l.key} gives another reason on line ${e.lines[0]!.line}; one entry has one reason`);
    e.lines.push(l);
  }
  for (const e of byKey.values()) {
    const at = `line${e.lines.length > 1 ? 's' : ''} ${e.lines.map((l) => l.line).join(', ')}`;
    if (e.lines.length < 2) problems.add(e.lines[0]!.line, `entry ${e.key} has one line; an entry needs two or more`);
    const sums = new Map<Currency, { dr: bigint; cr: bigint }>();
    for (const l of e.lines) {
      const s = sums.get(l.draft.currency) ?? { dr: 0n, cr: 0n };
      if (l.draft.amountMinor > 0n) s.dr += l.draft.amountMinor;
      else s.cr -= l.draft.amountMinor;
      sums.set(l.draft.currency, s);
    }
    for (const [c, s] of sums)
      if (s.dr !== s.cr)
        problems.add(
          e.lines[0]!.line,
          `entry ${e.key} (${at}) does not balance: debits ${formatMinor(s.dr, c)}, credits ${formatMinor(s.cr, c)} ${c.toUpperCase()}`,
        );
  }
  return [...byKey.values()];
}

/** Refuses entries dated in closed periods and lines naming accounts that do not exist. */
async function checkAgainstBooks(tx: Tx, tenant: Tenant, entries: ParsedEntry[], problems: ImportProblems) {
  const closed = await closedThrough(tx, tenant);
  const cal = calendarOf(tenant.settings);
  for (const e of entries)
    if (closed && e.date < closed.end)
      problems.add(
        e.lines[0]!.line,
        `entry ${e.key} is dated ${e.date}, in period ${cal.periodOf(e.date).key}, and the books are closed through ${closed.key}; date it in an open period`,
      );
  const named = entries.flatMap((e) => e.lines).filter((l) => l.explicitAccount);
  const have = await existingAccounts(
    tx,
    tenant,
    named.map((l) => ({ role: l.draft.role, name: l.draft.account! })),
  );
  for (const l of named) {
    const role: AccountRole = l.draft.role;
    const name = l.draft.account!;
    if (name !== defaultAccountName(tenant, role) && !have.has(`${role}\u0000${name}`))
      problems.add(l.line, `no account "${name}" with role ${role}; leave account empty for the role's account`);
  }
}

function conflictProblem(e: ParsedEntry) {
  return {
    line: e.lines[0]!.line,
    problem: `entry_key ${e.key} was already imported with other lines, date or reason; a new entry needs a new entry_key (to undo a posted entry, import its opposite)`,
  };
}

/** Body hashes of the keys already in the ledger. */
export async function postedHashes(tx: Tx, tenant: Tenant, keys: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < keys.length; i += KEY_LOOKUP_CHUNK) {
    const rows = await tx
      .selectFrom('journal_entries')
      .select(['idempotency_key', 'body_hash'])
      .where('tenant_id', '=', tenant.id)
      .where('idempotency_key', 'in', keys.slice(i, i + KEY_LOOKUP_CHUNK))
      .execute();
    for (const r of rows) out.set(r.idempotency_key, r.body_hash);
  }
  return out;
}

function draftOf(e: ParsedEntry): EntryDraft {
  return {
    key: `${MANUAL_KEY_PREFIX}${e.key}`,
    kind: 'manual',
    postingDate: e.date,
    memo: `Manual entry ${e.key}: ${e.reason}`,
    sources: [`${MANUAL_KEY_PREFIX}${e.key}`],
    lines: e.lines.map((l) => l.draft),
  };
}

/** Checks the file and posts its entries in one transaction: all of them, or none. */
export async function importManualJournal(
  db: Db,
  tenant: Tenant,
  input: ManualJournalInput,
): Promise<ManualJournalResult> {
  return (await checkOrImport(db, tenant, input, false)).result;
}

/**
 * Checks the file as an import would — rows, balance, periods, accounts, used keys — and posts
 * nothing: what an approval request is made of. `fresh` are the entries not yet in the ledger.
 */
export async function checkManualJournal(
  db: Db,
  tenant: Tenant,
  input: ManualJournalInput,
): Promise<{ result: ManualJournalResult; fresh: EntryDraft[] }> {
  return checkOrImport(db, tenant, input, true);
}

/** The most a set of entries moves in any one period: per period, the sum of its debits. */
export function largestPeriodMovement(tenant: Tenant, drafts: readonly EntryDraft[]): bigint {
  const cal = calendarOf(tenant.settings);
  const byPeriod = new Map<string, bigint>();
  for (const d of drafts) {
    const key = cal.periodOf(d.postingDate).key;
    for (const l of d.lines) if (l.amountMinor > 0n) byPeriod.set(key, (byPeriod.get(key) ?? 0n) + l.amountMinor);
  }
  return [...byPeriod.values()].reduce((m, v) => (v > m ? v : m), 0n);
}

async function checkOrImport(
  db: Db,
  tenant: Tenant,
  input: ManualJournalInput,
  checkOnly: boolean,
): Promise<{ result: ManualJournalResult; fresh: EntryDraft[] }> {
  const author = input.author.trim();
  if (!author) throw new AccrueError('invalid_input', 'a manual journal needs its author');
  const problems = new ImportProblems();
  const rows = readCsv(input.csv, MANUAL_JOURNAL_COLUMNS, WHAT);
  const lines = rows.map((r) => parseRow(r, tenant, problems)).filter((l): l is ParsedLine => l !== undefined);
  const entries = groupEntries(lines, problems);
  problems.throwIfAny(WHAT);
  const drafts = entries.map(draftOf);
  return db.transaction().execute(async (tx) => {
    const posted = await postedHashes(
      tx,
      tenant,
      drafts.map((d) => d.key),
    );
    const conflicts = entries.filter(
      (e, i) => posted.has(drafts[i]!.key) && posted.get(drafts[i]!.key) !== bodyHash(drafts[i]!),
    );
    if (conflicts.length) throw importError('conflict', WHAT, conflicts.map(conflictProblem));
    const fresh = entries.filter((_, i) => !posted.has(drafts[i]!.key));
    await checkAgainstBooks(tx, tenant, fresh, problems);
    problems.throwIfAny(WHAT);
    const freshDrafts = drafts.filter((_, i) => !posted.has(drafts[i]!.key));
    if (checkOnly) {
      const result = {
        entries: entries.length,
        lines: lines.length,
        posted: 0,
        alreadyPosted: entries.length - fresh.length,
      };
      return { result: { ...result, keys: drafts.map((d) => d.key) }, fresh: freshDrafts };
    }
    const cache = newPostCache();
    const r = await postNewEntries(tx, tenant, drafts, { cause: `manual import by ${author}`, cache });
    if (r.conflicts.length) {
      // Another import posted one of these keys meanwhile.
      const raced = new Set(r.conflicts.map((d) => d.key));
      throw importError(
        'conflict',
        WHAT,
        entries.filter((e) => raced.has(MANUAL_KEY_PREFIX + e.key)).map(conflictProblem),
      );
    }
    // A period closed between the check and the insert would have moved an entry: refuse that too.
    const moved = fresh.filter((e) => cache.places.get(e.date)?.originalDate);
    if (moved.length)
      throw importError(
        'conflict',
        WHAT,
        moved.map((e) => ({ line: e.lines[0]!.line, problem: `entry ${e.key}: its period was closed meanwhile` })),
      );
    const result = {
      entries: entries.length,
      lines: lines.length,
      posted: r.created,
      alreadyPosted: entries.length - r.created,
      keys: drafts.map((d) => d.key),
    };
    return { result, fresh: freshDrafts };
  });
}
