/**
 * A posted journal line as reports and exports read it: one row per line, joined with its entry
 * and account. The backend loads these from PostgreSQL; reports and exports are pure functions
 * over arrays of them, so the same code serves the CLI, the admin API, the Stripe App and tests.
 */
import type { AccountRole } from './accounts.ts';
import type { EntryKind, LocalDate } from './journal.ts';
import type { Currency, Minor } from './money.ts';

export interface LedgerLine {
  entryId: string;
  entryKey: string;
  kind: EntryKind;
  /** Date the entry was posted under (for a correction: a date in the first open period). */
  postingDate: LocalDate;
  /** Period key (`YYYY-MM` for monthly calendars). */
  period: string;
  /** True when the entry belonged to a closed period and was moved to the first open one. */
  correction: boolean;
  /** The date the source fact belonged to, when it differs from postingDate (corrections). */
  originalDate?: LocalDate | undefined;
  memo: string;
  /** Stripe object ids the entry came from; the first is the primary source. */
  sources: string[];
  lineNo: number;
  role: AccountRole;
  account: string;
  /** Mapped QuickBooks account id, when mapped. */
  externalAccountId?: string | undefined;
  currency: Currency;
  /** Signed minor units: debit > 0, credit < 0. */
  amountMinor: Minor;
  original?: { currency: Currency; amountMinor: Minor; rate: string } | undefined;
  customer?: string | undefined;
  invoice?: string | undefined;
  invoiceLine?: string | undefined;
  product?: string | undefined;
  bookedOn?: LocalDate | undefined;
  /** Period key of bookedOn, for the waterfall rows. */
  bookedPeriod?: string | undefined;
  reversesEntryId?: string | undefined;
}
