/**
 * The tie-out of a cutover: for each kind of opening balance, the file's total beside what the
 * ledger holds — the opening entries' lines and the account role's whole balance at the cutover.
 * The three agree when the import is complete and nothing else was booked before the cutover.
 */
import { sql } from 'kysely';
import type { AccountRole } from '../../../shared/accounts.ts';
import type { EntryDraft, LocalDate } from '../../../shared/journal.ts';
import type { Tx } from '../../db/database.ts';
import type { Tenant } from '../../ledger/tenants.ts';

export const OPENING_TYPES = ['deferred_revenue', 'receivable', 'customer_balance'] as const;
export type OpeningType = (typeof OPENING_TYPES)[number];
/** The role each row type opens, and on which side: deferred revenue and balances are credits. */
export const OPENING_ROLE: Record<OpeningType, { role: AccountRole; sign: 1n | -1n }> = {
  deferred_revenue: { role: 'deferred_revenue', sign: -1n },
  receivable: { role: 'receivable', sign: 1n },
  customer_balance: { role: 'customer_balance', sign: -1n },
};
export const OPENING_KEY_PREFIX = 'opening:';

/** One checked row of an opening balances file and the entry it posts. */
export interface OpeningRow {
  line: number;
  type: OpeningType;
  key: string;
  amountMinor: bigint;
  draft: EntryDraft;
}

export interface TieOutRow {
  type: OpeningType;
  role: AccountRole;
  /** Rows of this type in the file. */
  rows: number;
  /** The file's total, minor units, as a positive amount. */
  importedMinor: string;
  /** The opening entries' lines of this role, as a positive amount on the role's opening side. */
  openingEntriesMinor: string;
  /** The role's whole ledger balance before the cutover, same sign convention. */
  ledgerBalanceMinor: string;
  agree: boolean;
}

export async function tieOut(
  tx: Tx,
  tenant: Tenant,
  cutover: LocalDate,
  rows: readonly OpeningRow[],
): Promise<TieOutRow[]> {
  const sums = await tx
    .selectFrom('journal_lines as l')
    .innerJoin('journal_entries as e', 'e.id', 'l.entry_id')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .select([
      'a.role',
      sql<string>`coalesce(sum(l.amount_minor) filter (where e.idempotency_key like ${`${OPENING_KEY_PREFIX}%`}), 0)::text`.as(
        'opening',
      ),
      sql<string>`sum(l.amount_minor)::text`.as('balance'),
    ])
    .where('l.tenant_id', '=', tenant.id)
    .where('e.tenant_id', '=', tenant.id)
    .where('e.posting_date', '<', cutover)
    .where(
      'a.role',
      'in',
      OPENING_TYPES.map((t) => OPENING_ROLE[t].role),
    )
    .groupBy('a.role')
    .execute();
  return OPENING_TYPES.map((type) => {
    const { role, sign } = OPENING_ROLE[type];
    const mine = rows.filter((r) => r.type === type);
    const imported = mine.reduce((s, r) => s + r.amountMinor, 0n);
    const row = sums.find((s) => s.role === role);
    const opening = sign * BigInt(row?.opening ?? '0');
    const balance = sign * BigInt(row?.balance ?? '0');
    return {
      type,
      role,
      rows: mine.length,
      importedMinor: imported.toString(),
      openingEntriesMinor: opening.toString(),
      ledgerBalanceMinor: balance.toString(),
      agree: imported === opening && opening === balance,
    };
  });
}
