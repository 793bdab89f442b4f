/**
 * The journal CSV export: every posted line of the tenant, all periods, in the replay format of
 * `toJournalCsv` (shared/reports/replay-csv.ts), wrapped with the file name and content type
 * the HTTP layer and the CLI serve it under.
 */
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { toJournalCsv } from '../../shared/reports/replay-csv.ts';

export interface ExportFile {
  filename: string;
  contentType: string;
  body: string;
}

/** The whole journal as one CSV file; `label` (e.g. the tenant's account id) names the file. */
export function journalCsvExport(lines: readonly LedgerLine[], label = 'ledger'): ExportFile {
  const safe = label.replace(/[^A-Za-z0-9_-]+/g, '-');
  return { filename: `accrue-journal-${safe}.csv`, contentType: 'text/csv; charset=utf-8', body: toJournalCsv(lines) };
}
