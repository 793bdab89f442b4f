/**
 * Period-end revaluation in the database (shared/engine/revaluation.ts holds the rule): after a
 * release moves the watermark, every period that ended since is revalued from the ledger's own
 * lines, each revaluation and its reversal posted once (an entry already posted for a period is
 * kept as it is: a later change reaches the books through the next period's revaluation). A
 * currency without a usable rate is an exception, never a half-booked entry.
 */
import type { LocalDate } from '../../shared/journal.ts';
import { periodsToRevalue, revaluationEntries, type RevaluedLine } from '../../shared/engine/revaluation.ts';
import type { Db } from '../db/database.ts';
import { recordException } from '../ledger/exception-queue.ts';
import { loadLedgerLines, postNewEntries } from '../ledger/ledger.ts';
import type { Tenant } from '../ledger/tenants.ts';
import { bookingSettings, lockTenantBooks } from './booking.ts';

/** Revalues the periods that ended after `after` and on or before `through`; returns the entries posted. */
export async function postRevaluations(db: Db, tenant: Tenant, after: LocalDate, through: LocalDate): Promise<number> {
  if (!tenant.settings.revalue_monetary_balances) return 0;
  return db.transaction().execute(async (tx) => {
    await lockTenantBooks(tx, tenant.id);
    const settings = await bookingSettings(tx, tenant);
    const ledger = await loadLedgerLines(tx, tenant.id);
    if (ledger.length === 0) return 0;
    let first = ledger[0]!.postingDate;
    const lines: RevaluedLine[] = ledger.map((l) => {
      if (l.postingDate < first) first = l.postingDate;
      return {
        entryKey: l.entryKey,
        postingDate: l.postingDate,
        role: l.role,
        amountMinor: l.amountMinor,
        original: l.original,
      };
    });
    const periods = periodsToRevalue(settings, after, through, first);
    const result = revaluationEntries(lines, settings, periods);
    for (const p of result.problems) {
      const objectId = p.severity === 'warning' ? `${p.objectId}#warning` : p.objectId;
      await recordException(tx, tenant.id, 'engine', objectId, p.reason, p.severity ? { severity: p.severity } : {});
    }
    const { created } = await postNewEntries(tx, tenant, result.entries, { cause: `revaluation:${through}` });
    return created;
  });
}
