/**
 * Exports of the posted ledger: the journal CSV, the netted QuickBooks format, and hledger /
 * beancount journals. Pure text builders over `LedgerLine[]`; the HTTP layer and CLI serve them.
 */
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { toBeancountJournal } from './beancount.ts';
import { toHledgerJournal } from './hledger.ts';
import { journalCsvExport, type ExportFile } from './journal-csv.ts';
import { toQuickBooksCsv, type NettedOptions } from './quickbooks-format.ts';

export * from './account-names.ts';
export * from './beancount.ts';
export * from './hledger.ts';
export * from './journal-csv.ts';
export * from './quickbooks-format.ts';

export const EXPORT_FORMATS = ['csv', 'quickbooks', 'hledger', 'beancount'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Builds one export file of `lines` in `format`; `label` goes into the file name. */
export function exportLedger(
  lines: readonly LedgerLine[],
  format: ExportFormat,
  label = 'ledger',
  options: NettedOptions = {},
): ExportFile {
  const safe = label.replace(/[^A-Za-z0-9_-]+/g, '-');
  switch (format) {
    case 'csv':
      return journalCsvExport(lines, label);
    case 'quickbooks':
      return {
        filename: `accrue-quickbooks-${safe}.csv`,
        contentType: 'text/csv; charset=utf-8',
        body: toQuickBooksCsv(lines, options),
      };
    case 'hledger':
      return {
        filename: `accrue-${safe}.journal`,
        contentType: 'text/plain; charset=utf-8',
        body: toHledgerJournal(lines),
      };
    case 'beancount':
      return {
        filename: `accrue-${safe}.beancount`,
        contentType: 'text/plain; charset=utf-8',
        body: toBeancountJournal(lines),
      };
  }
}
