/**
 * Checks the imports share: cells that must be a date, an amount, an account role; where the
 * books are closed; which accounts exist. Each check adds a problem naming the row's line and
 * returns undefined instead of throwing, so one pass lists every problem in the file.
 */
import { isAccountRole, ROLE_INFO, type AccountRole } from '../../../shared/accounts.ts';
import type { LocalDate } from '../../../shared/journal.ts';
import { currencyExponent, normalizeCurrency, parseMajor, type Currency } from '../../../shared/money.ts';
import { parseDate } from '../../../shared/time.ts';
import type { Tx } from '../../db/database.ts';
import { checkPostingDate } from '../../ledger/periods.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import type { CsvRow, ImportProblems } from './csv.ts';

/** Free text kept on an entry (a reason, a memo): long enough for a sentence, not a document. */
export const IMPORT_TEXT_MAX = 500;
/** A reason shorter than this says nothing ("x", "ok"). */
export const REASON_MIN = 3;
/** Keys and Stripe-like ids in an import file. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;

export function dateCell(row: CsvRow, col: string, problems: ImportProblems, optional = false): LocalDate | undefined {
  const v = row.cells[col] ?? '';
  if (!v) {
    if (!optional) problems.add(row.line, `${col} is empty`);
    return undefined;
  }
  try {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new Error('format');
    parseDate(v);
    checkPostingDate(v);
    return v;
  } catch {
    problems.add(row.line, `${col} "${v}" is not a date YYYY-MM-DD between 1990 and 2100`);
    return undefined;
  }
}

export function idCell(row: CsvRow, col: string, problems: ImportProblems, optional = false): string | undefined {
  const v = row.cells[col] ?? '';
  if (!v) {
    if (!optional) problems.add(row.line, `${col} is empty`);
    return undefined;
  }
  if (!ID_PATTERN.test(v)) {
    problems.add(row.line, `${col} "${v.slice(0, 60)}" may hold only letters, digits and . _ : / - (at most 200)`);
    return undefined;
  }
  return v;
}

export function textCell(row: CsvRow, col: string, problems: ImportProblems, minLength = 0): string | undefined {
  const v = row.cells[col] ?? '';
  if (v.length < minLength) {
    problems.add(row.line, v ? `${col} "${v}" is too short to say anything` : `${col} is empty`);
    return undefined;
  }
  if (v.length > IMPORT_TEXT_MAX) {
    problems.add(row.line, `${col} is ${v.length} characters (at most ${IMPORT_TEXT_MAX})`);
    return undefined;
  }
  return v;
}

export function roleCell(row: CsvRow, col: string, problems: ImportProblems): AccountRole | undefined {
  const v = (row.cells[col] ?? '').toLowerCase();
  if (!isAccountRole(v)) {
    problems.add(row.line, `${col} "${v}" is not an account role (one of ${Object.keys(ROLE_INFO).join(', ')})`);
    return undefined;
  }
  return v;
}

/** The row's currency, which must be the tenant's functional currency. */
export function currencyCell(row: CsvRow, col: string, tenant: Tenant, problems: ImportProblems): Currency | undefined {
  const v = row.cells[col] ?? '';
  const functional = tenant.settings.functional_currency;
  try {
    const c = normalizeCurrency(v);
    if (c === functional) return c;
  } catch {
    // reported below
  }
  problems.add(
    row.line,
    `currency "${v}" is not the books' functional currency ${functional.toUpperCase()} (imports are in the functional currency)`,
  );
  return undefined;
}

/**
 * A non-negative amount in major units ("1234.50") as minor units; empty is `undefined` without
 * a problem when `optional`. More decimals than the currency has is a problem, never rounded.
 */
export function amountCell(
  row: CsvRow,
  col: string,
  c: Currency,
  problems: ImportProblems,
  optional = false,
): bigint | undefined {
  const v = (row.cells[col] ?? '').replace(/,/g, '');
  if (!v) {
    if (!optional) problems.add(row.line, `${col} is empty`);
    return undefined;
  }
  if (!/^\d+(\.\d+)?$/.test(v)) {
    problems.add(row.line, `${col} "${v}" is not a non-negative amount like 1234.50`);
    return undefined;
  }
  try {
    return parseMajor(v, c);
  } catch {
    problems.add(row.line, `${col} "${v}" has more than ${currencyExponent(c)} decimals`);
    return undefined;
  }
}

/**
 * The day the books are closed through (the end of the latest closed period, exclusive), or null.
 * The row is share-locked until the transaction ends, so a reopen cannot slip under the check.
 */
export async function closedThrough(tx: Tx, tenant: Tenant): Promise<{ key: string; end: LocalDate } | null> {
  const row = await tx
    .selectFrom('periods')
    .select(['key', 'end_date'])
    .where('tenant_id', '=', tenant.id)
    .where('status', '=', 'closed')
    .orderBy('start_date', 'desc')
    .limit(1)
    .forShare()
    .executeTakeFirst();
  return row ? { key: row.key, end: row.end_date } : null;
}

/** The account name a line of `role` posts to when the file names none (the tenant's mapping). */
export function defaultAccountName(tenant: Tenant, role: AccountRole): string {
  const names = tenant.settings.account_names as Partial<Record<AccountRole, string>>;
  return names[role] ?? ROLE_INFO[role].defaultName;
}

/** Which of the (role, name) pairs exist as accounts of the tenant, as `role\u0000name`. */
export async function existingAccounts(
  tx: Tx,
  tenant: Tenant,
  wanted: readonly { role: AccountRole; name: string }[],
): Promise<Set<string>> {
  if (!wanted.length) return new Set();
  const rows = await tx
    .selectFrom('accounts')
    .select(['role', 'name'])
    .where('tenant_id', '=', tenant.id)
    .where('name', 'in', [...new Set(wanted.map((w) => w.name))])
    .execute();
  return new Set(rows.map((r) => `${r.role}\u0000${r.name}`));
}
