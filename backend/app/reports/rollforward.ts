/** The deferred revenue rollforward of the report window, in the functional currency. */
import type { ReportQuery, RollforwardResponse } from '../../../shared/api/app.ts';
import { rollforward } from '../../../shared/reports/index.ts';
import { loadLedgerLines } from '../../ledger/ledger.ts';
import { minor, tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { lastPeriods } from './periods.ts';

export async function getRollforward(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  caller: AppCaller,
  query: ReportQuery,
): Promise<RollforwardResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const currency = tenant.settings.functional_currency;
  const periods = lastPeriods(deps.clock, tenant, query.periods);
  const lines = await loadLedgerLines(deps.db, tenant.id, { throughPeriod: periods[periods.length - 1]!.key });
  const report = rollforward(lines, { periods });
  const zero = minor(0n);
  const rows = periods.map((period) => {
    const r = report.rows.find(
      (x) => x.role === 'deferred_revenue' && x.currency === currency && x.period === period.key,
    );
    if (!r) {
      return {
        period: period.key,
        opening_minor: zero,
        billings_minor: zero,
        recognized_minor: zero,
        contra_minor: zero,
        fx_minor: zero,
        closing_minor: zero,
      };
    }
    // The App shows one signed "FX and other" column so its row still adds up: reversals and
    // manual entries move deferred revenue too (shared/reports keeps them apart as `other`).
    return {
      period: period.key,
      opening_minor: minor(r.opening),
      billings_minor: minor(r.billings),
      recognized_minor: minor(r.recognized),
      contra_minor: minor(r.contra),
      fx_minor: minor(r.fx + r.other),
      closing_minor: minor(r.closing),
    };
  });
  return { currency, rows };
}
