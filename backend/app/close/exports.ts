/**
 * The exports in the Stripe App. A Stripe App cannot download a file, so the App API returns the
 * export's text (journal CSV, the netted QuickBooks CSV, an hledger or beancount journal) for the
 * view to show and copy; one longer than EXPORT_TEXT_CHARS_MAX is cut at a line end and says so,
 * and `accrue export` writes the whole file.
 */
import type { ExportTextQuery, ExportTextResponse } from '../../../shared/api/close.ts';
import { EXPORT_TEXT_CHARS_MAX, EXPORT_TEXT_FORMATS } from '../../../shared/api/close.ts';
import { AccrueError } from '../../../shared/errors.ts';
import { exportLedger } from '../../exports/index.ts';
import { loadLedgerLines } from '../../ledger/ledger.ts';
import { tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';

export async function getExportText(
  deps: Pick<AppDeps, 'db'>,
  caller: AppCaller,
  format: string,
  query: ExportTextQuery,
): Promise<ExportTextResponse> {
  const f = EXPORT_TEXT_FORMATS.find((x) => x === format);
  if (!f) throw new AccrueError('not_found', `No export "${format}"; choose one of ${EXPORT_TEXT_FORMATS.join(', ')}.`);
  if (query.from && query.through && query.from > query.through)
    throw new AccrueError('invalid_input', `Invalid query: from (${query.from}) is after through (${query.through}).`);
  const tenant = await tenantOf(deps.db, caller);
  const lines = await loadLedgerLines(deps.db, tenant.id, {
    ...(query.from ? { fromPeriod: query.from } : {}),
    ...(query.through ? { throughPeriod: query.through } : {}),
  });
  const label = [tenant.accountId, query.from, query.through].filter(Boolean).join('_');
  const file = exportLedger(lines, f, label);
  const truncated = file.body.length > EXPORT_TEXT_CHARS_MAX;
  const content = truncated ? file.body.slice(0, file.body.lastIndexOf('\n', EXPORT_TEXT_CHARS_MAX) + 1) : file.body;
  return {
    format: f,
    filename: file.filename,
    content_type: file.contentType,
    content,
    truncated,
    lines: content.length === 0 ? 0 : content.split('\n').filter((l) => l.length > 0).length,
  };
}
