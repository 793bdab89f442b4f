/**
 * The "debits and credits" listing: every posted entry of a period (or of all periods) with its
 * lines, in posting order. Each entry is checked to balance per currency on the way through, so
 * the listing an auditor reads can never hide a one-sided entry.
 */
import type { LedgerLine } from '../ledger-rows.ts';
import { compareLines, groupBy, sides, unbalancedEntries, type ReportProblem } from './common.ts';

/** A line as the listing shows it: the ledger line's own fields, with the amount split into sides. */
export interface JournalReportLine extends Pick<
  LedgerLine,
  'lineNo' | 'role' | 'account' | 'currency' | 'original' | 'invoice' | 'invoiceLine' | 'customer'
> {
  /** Positive minor units on the debit side, else 0. */
  debit: bigint;
  /** Positive minor units on the credit side, else 0. */
  credit: bigint;
}

/** An entry's header, taken from its lines (they all carry it), and its lines. */
export interface JournalReportEntry extends Pick<
  LedgerLine,
  | 'entryId'
  | 'entryKey'
  | 'kind'
  | 'postingDate'
  | 'period'
  | 'correction'
  | 'originalDate'
  | 'memo'
  | 'sources'
  | 'reversesEntryId'
> {
  lines: JournalReportLine[];
}

export interface JournalReport {
  type: 'journal';
  period: string | undefined;
  entries: JournalReportEntry[];
  problems: ReportProblem[];
}

/**
 * Lists the entries of `period` (all periods when omitted) with their lines, ordered by period,
 * posting date, entry key and line number. Entries that do not balance per currency, or whose
 * lines disagree on the entry header, are named in `problems`.
 */
export function journal(lines: readonly LedgerLine[], options: { period?: string | undefined } = {}): JournalReport {
  const period = options.period;
  const included = (period === undefined ? [...lines] : lines.filter((l) => l.period === period)).sort(compareLines);
  const problems: ReportProblem[] = [...unbalancedEntries(included)];
  const entries: JournalReportEntry[] = [];
  for (const [entryId, entryLines] of groupBy(included, (l) => l.entryId)) {
    const head = entryLines[0]!;
    if (
      entryLines.some(
        (l) =>
          l.entryKey !== head.entryKey ||
          l.postingDate !== head.postingDate ||
          l.kind !== head.kind ||
          l.period !== head.period,
      )
    ) {
      problems.push({
        code: 'mixed_entry_header',
        message: `lines of entry ${entryId} disagree on key, kind, date or period`,
        entryId,
        period: head.period,
      });
    }
    entries.push({
      entryId,
      entryKey: head.entryKey,
      kind: head.kind,
      postingDate: head.postingDate,
      period: head.period,
      correction: head.correction,
      originalDate: head.originalDate,
      memo: head.memo,
      sources: head.sources,
      reversesEntryId: head.reversesEntryId,
      lines: entryLines.map((l) => {
        const s = sides(l.amountMinor);
        return {
          lineNo: l.lineNo,
          role: l.role,
          account: l.account,
          currency: l.currency,
          debit: s.debit,
          credit: s.credit,
          original: l.original,
          invoice: l.invoice,
          invoiceLine: l.invoiceLine,
          customer: l.customer,
        };
      }),
    });
  }
  return { type: 'journal', period, entries, problems };
}
