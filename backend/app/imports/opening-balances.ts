/**
 * A cutover: a tenant's books start at a date, from opening balances imported as CSV (docs/
 * accounting.md, "Cutover and opening balances"): deferred revenue per customer, invoice and line
 * with its remaining service period; open receivables per invoice; customer credit balances.
 * Each row posts one entry of kind `manual` dated the day before the cutover, against the
 * `Opening Balances` account, under a key made of the row's identity (`opening:deferred:<invoice>:
 * <line>`…), so a repeated import is a no-op and a changed row is a conflict. The whole file is
 * checked first; nothing is posted unless every row passes. The answer ties the file's totals
 * out against the ledger's balances at the cutover.
 */
import { AccrueError } from '../../../shared/errors.ts';
import type { LocalDate } from '../../../shared/journal.ts';
import { minor, negateMinor, type Currency } from '../../../shared/money.ts';
import { addDays } from '../../../shared/time.ts';
import type { Db, Tx } from '../../db/database.ts';
import { bodyHash, postNewEntries } from '../../ledger/ledger.ts';
import { calendarOf } from '../../ledger/periods.ts';
import { changeSettingsIn, type Tenant } from '../../ledger/tenants.ts';
import { amountCell, closedThrough, currencyCell, dateCell, idCell, textCell } from './checks.ts';
import { importError, ImportProblems, readCsv, type CsvRow } from './csv.ts';
import { checkKnown, knownStripe } from './known-customers.ts';
import { postedHashes } from './manual-journal.ts';
import {
  OPENING_KEY_PREFIX,
  OPENING_ROLE,
  OPENING_TYPES,
  tieOut,
  type OpeningRow,
  type OpeningType,
  type TieOutRow,
} from './tie-out.ts';

export const OPENING_BALANCE_COLUMNS = {
  required: ['type', 'customer', 'currency', 'amount'],
  optional: ['invoice', 'invoice_line', 'remaining_start', 'remaining_end', 'revenue_account', 'product', 'memo'],
} as const;

/** The account every opening entry balances against (role `external_asset`; see docs/accounting.md). */
export const OPENING_OFFSET_ACCOUNT = 'Opening Balances';
const WHAT = 'opening balances import refused';
const CUSTOMER_ID = /^cus_[A-Za-z0-9]+$/;
const INVOICE_ID = /^in_[A-Za-z0-9]+$/;

export interface OpeningBalancesInput {
  csv: string;
  /** The first day of the books: a period's first day. Balances are as at the end of the day before. */
  cutover: LocalDate;
  author: string;
}

export interface OpeningBalancesResult {
  cutover: LocalDate;
  rows: number;
  posted: number;
  alreadyPosted: number;
  tieOut: TieOutRow[];
  /** True when every type's imported total equals the ledger's balance at the cutover. */
  tiedOut: boolean;
}

function typeCell(row: CsvRow, problems: ImportProblems): OpeningType | undefined {
  const v = (row.cells.type ?? '').toLowerCase();
  if ((OPENING_TYPES as readonly string[]).includes(v)) return v as OpeningType;
  problems.add(row.line, `type "${v}" is not one of ${OPENING_TYPES.join(', ')}`);
  return undefined;
}

function patternCell(row: CsvRow, col: string, re: RegExp, what: string, problems: ImportProblems) {
  const v = idCell(row, col, problems);
  if (v === undefined) return undefined;
  if (re.test(v)) return v;
  problems.add(row.line, `${col} "${v}" is not ${what}`);
  return undefined;
}

/** The remaining service period of a deferred row: from the cutover (or later) to its last day. */
function remainingPeriod(row: CsvRow, cutover: LocalDate, problems: ImportProblems) {
  const start = dateCell(row, 'remaining_start', problems, true) ?? cutover;
  const end = dateCell(row, 'remaining_end', problems);
  if (!end) return undefined;
  if (start < cutover) {
    problems.add(
      row.line,
      `remaining_start ${start} is before the cutover ${cutover}; what was earned before it is not deferred`,
    );
    return undefined;
  }
  if (end < start) {
    problems.add(row.line, `the remaining period is negative: remaining_end ${end} is before its start ${start}`);
    return undefined;
  }
  return { start, end };
}

/** The deferred line's memo: its remaining period and revenue account, as the release reads it back. */
function scheduleMemo(period: { start: LocalDate; end: LocalDate }, revenueAccount: string | undefined): string {
  return `releases ${period.start} to ${period.end}${revenueAccount ? ` to ${revenueAccount}` : ''}`;
}

function rowKey(type: OpeningType, customer: string, invoice?: string, line?: string): string {
  if (type === 'deferred_revenue') return `${OPENING_KEY_PREFIX}deferred:${invoice}:${line}`;
  if (type === 'receivable') return `${OPENING_KEY_PREFIX}receivable:${invoice}`;
  return `${OPENING_KEY_PREFIX}customer_balance:${customer}`;
}

function parseRow(row: CsvRow, tenant: Tenant, cutover: LocalDate, problems: ImportProblems): OpeningRow | undefined {
  const type = typeCell(row, problems);
  const customer = patternCell(row, 'customer', CUSTOMER_ID, 'a Stripe customer id (cus_…)', problems);
  const c = currencyCell(row, 'currency', tenant, problems);
  const amount = c ? amountCell(row, 'amount', c, problems) : undefined;
  if (amount === 0n) problems.add(row.line, 'amount is zero; leave the row out');
  const memo = textCell(row, 'memo', problems);
  const revenueAccount = textCell(row, 'revenue_account', problems);
  const product = idCell(row, 'product', problems, true);
  const needsInvoice = type === 'deferred_revenue' || type === 'receivable';
  const invoice = needsInvoice
    ? patternCell(row, 'invoice', INVOICE_ID, 'a Stripe invoice id (in_…)', problems)
    : idCell(row, 'invoice', problems, true);
  const invoiceLine = type === 'deferred_revenue' ? idCell(row, 'invoice_line', problems) : undefined;
  const period = type === 'deferred_revenue' ? remainingPeriod(row, cutover, problems) : undefined;
  if (type && type !== 'deferred_revenue')
    for (const col of ['remaining_start', 'remaining_end', 'revenue_account'])
      if (row.cells[col]) problems.add(row.line, `${col} is only for deferred_revenue rows`);
  if (!type || !customer || !c || !amount || memo === undefined || revenueAccount === undefined) return undefined;
  if (needsInvoice && !invoice) return undefined;
  if (type === 'deferred_revenue' && (!invoiceLine || !period)) return undefined;
  const key = rowKey(type, customer, invoice, invoiceLine);
  const { role, sign } = OPENING_ROLE[type];
  const opened = minor(sign * amount);
  const postingDate = addDays(cutover, -1);
  const schedule = period
    ? `; releases ${period.start} to ${period.end} to ${revenueAccount || 'the line\u2019s revenue account'}`
    : '';
  const dims = { customer, invoice, invoiceLine, product, currency: c as Currency, bookedOn: postingDate };
  return {
    line: row.line,
    type,
    key,
    amountMinor: amount,
    draft: {
      key,
      kind: 'manual',
      postingDate,
      memo: `Opening balance at the cutover ${cutover}: ${type.replace('_', ' ')}${schedule}${memo ? ` (${memo})` : ''}`,
      sources: [invoice, invoiceLine, customer].filter((s): s is string => !!s),
      lines: [
        { role, amountMinor: opened, ...dims, memo: period ? scheduleMemo(period, revenueAccount) : undefined },
        { role: 'external_asset', account: OPENING_OFFSET_ACCOUNT, amountMinor: negateMinor(opened), ...dims },
      ],
    },
  };
}

/** Checks what only the books can say: the cutover opens a period, nothing Stripe booked precedes it. */
async function checkBooks(tx: Tx, tenant: Tenant, cutover: LocalDate, problems: ImportProblems) {
  const period = calendarOf(tenant.settings).periodOf(cutover);
  if (period.start !== cutover)
    problems.add(0, `the cutover ${cutover} is not the first day of a period (${period.key} starts ${period.start})`);
  const closed = await closedThrough(tx, tenant);
  if (closed && cutover < closed.end)
    problems.add(0, `the books are closed through ${closed.key}; the cutover must come after that`);
  const earlier = await tx
    .selectFrom('journal_entries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', tenant.id)
    .where('posting_date', '<', cutover)
    .where('idempotency_key', 'not like', `${OPENING_KEY_PREFIX}%`)
    .where('kind', '!=', 'manual')
    .executeTakeFirstOrThrow();
  if (Number(earlier.n) > 0)
    problems.add(
      0,
      `the ledger already holds ${earlier.n} entries booked from Stripe before the cutover ${cutover}; opening balances would count that history twice`,
    );
}

/** A tenant has one cutover: opening entries for another date refuse the whole file. */
async function checkOneCutover(tx: Tx, tenant: Tenant, cutover: LocalDate) {
  const stored = tenant.settings.cutover_date;
  if (stored && stored !== cutover)
    throw importError('conflict', WHAT, [
      { line: 0, problem: `the books already start at the cutover ${stored}; a tenant has one cutover` },
    ]);
  const other = await tx
    .selectFrom('journal_entries')
    .select(['posting_date'])
    .where('tenant_id', '=', tenant.id)
    .where('idempotency_key', 'like', `${OPENING_KEY_PREFIX}%`)
    .where('posting_date', '!=', addDays(cutover, -1))
    .limit(1)
    .executeTakeFirst();
  if (other)
    throw importError('conflict', WHAT, [
      {
        line: 0,
        problem: `opening balances were already imported for a cutover on ${addDays(other.posting_date, 1)}; a tenant has one cutover`,
      },
    ]);
}

/** Checks the file and posts one entry per row in one transaction (all or nothing), then ties out. */
export async function importOpeningBalances(
  db: Db,
  tenant: Tenant,
  input: OpeningBalancesInput,
): Promise<OpeningBalancesResult> {
  const author = input.author.trim();
  if (!author) throw new AccrueError('invalid_input', 'an opening balances import needs its author');
  const problems = new ImportProblems();
  const cutover = dateCell({ line: 0, cells: { cutover: input.cutover } }, 'cutover', problems);
  problems.throwIfAny(WHAT);
  const rows = readCsv(input.csv, OPENING_BALANCE_COLUMNS, WHAT);
  const parsed = rows.map((r) => parseRow(r, tenant, cutover!, problems)).filter((r): r is OpeningRow => !!r);
  const firstLine = new Map<string, number>();
  for (const r of parsed) {
    const seen = firstLine.get(r.key);
    if (seen) problems.add(r.line, `the same ${r.type.replace('_', ' ')} as line ${seen} (${r.key})`);
    else firstLine.set(r.key, r.line);
  }
  problems.throwIfAny(WHAT);
  return db.transaction().execute(async (tx) => {
    const posted = await postedHashes(
      tx,
      tenant,
      parsed.map((r) => r.key),
    );
    await checkOneCutover(tx, tenant, cutover!);
    const changed = parsed.filter((r) => posted.has(r.key) && posted.get(r.key) !== bodyHash(r.draft));
    if (changed.length)
      throw importError(
        'conflict',
        WHAT,
        changed.map((r) => ({
          line: r.line,
          problem: `${r.key} was already imported with another amount, period or detail; correct it with a manual journal entry`,
        })),
      );
    if (parsed.some((p) => !posted.has(p.key))) {
      await checkBooks(tx, tenant, cutover!, problems);
      const ids = parsed.map((p) => ({
        line: p.line,
        customer: p.draft.lines[0]!.customer!,
        invoice: p.draft.lines[0]!.invoice,
      }));
      checkKnown(ids, await knownStripe(tx, tenant), problems);
    }
    problems.throwIfAny(WHAT);
    const r = await postNewEntries(
      tx,
      tenant,
      parsed.map((p) => p.draft),
      { cause: `opening balances import by ${author}` },
    );
    if (r.conflicts.length)
      throw importError(
        'conflict',
        WHAT,
        r.conflicts.map((d) => ({ line: firstLine.get(d.key) ?? 0, problem: `${d.key} was imported meanwhile` })),
      );
    // The books start at the cutover: from now on nothing Stripe did before it is booked again.
    if (tenant.settings.cutover_date !== cutover)
      await changeSettingsIn(tx, tenant.id, { cutover_date: cutover! }, `opening balances import by ${author}`);
    const rowsTie = await tieOut(tx, tenant, cutover!, parsed);
    return {
      cutover: cutover!,
      rows: parsed.length,
      posted: r.created,
      alreadyPosted: parsed.length - r.created,
      tieOut: rowsTie,
      tiedOut: rowsTie.every((t) => t.agree),
    };
  });
}
