/** The revenue waterfall: per booking period, what was recognized in each period of the window and what is still deferred. */
import type { ReportQuery, WaterfallResponse } from '../../../shared/api/app.ts';
import type { LedgerLine } from '../../../shared/ledger-rows.ts';
import { waterfall } from '../../../shared/reports/index.ts';
import { loadLedgerLines } from '../../ledger/ledger.ts';
import { minor, tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { lastPeriods } from './periods.ts';

/** Still deferred per booking period: the credit balance of the deferred revenue booked then. */
function deferredByBookedPeriod(lines: readonly LedgerLine[]): Map<string, bigint> {
  const remaining = new Map<string, bigint>();
  for (const line of lines) {
    if (line.role !== 'deferred_revenue' || !line.bookedPeriod) continue;
    remaining.set(line.bookedPeriod, (remaining.get(line.bookedPeriod) ?? 0n) - line.amountMinor);
  }
  return remaining;
}

export async function getWaterfall(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  caller: AppCaller,
  query: ReportQuery,
): Promise<WaterfallResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const currency = tenant.settings.functional_currency;
  const keys = lastPeriods(deps.clock, tenant, query.periods).map((p) => p.key);
  const lines = (await loadLedgerLines(deps.db, tenant.id, { throughPeriod: keys[keys.length - 1]! })).filter(
    (l) => l.currency === currency,
  );
  const grid = waterfall(lines).currencies.find((c) => c.currency === currency);
  const remaining = deferredByBookedPeriod(lines);
  const stillDeferred = [...remaining].filter(([, v]) => v !== 0n).map(([k]) => k);
  const booked = new Set<string>([...(grid?.rows.map((r) => r.bookedPeriod) ?? []), ...stillDeferred]);
  const rows: WaterfallResponse['rows'] = [];
  for (const bookedPeriod of [...booked].sort()) {
    const row = grid?.rows.find((r) => r.bookedPeriod === bookedPeriod);
    const inWindow = keys.map((k) => row?.cells[k]?.amountMinor ?? 0n);
    const left = remaining.get(bookedPeriod) ?? 0n;
    if (left === 0n && inWindow.every((v) => v === 0n)) continue;
    // Booked = everything recognized from it so far (also before the window) + what is still deferred.
    const bookedMinor = minor((row?.total ?? 0n) + left);
    rows.push({
      booked_period: bookedPeriod,
      booked_minor: bookedMinor,
      recognized_minor: inWindow.map(minor),
      remaining_minor: minor(left),
    });
  }
  const totals = keys.map((_, i) => rows.reduce((sum, r) => sum + BigInt(r.recognized_minor[i]!), 0n));
  return { currency, periods: keys, rows, totals_minor: totals.map(minor) };
}
