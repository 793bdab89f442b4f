/**
 * The revenue bridge of the report window, in the functional currency: the income statement's
 * revenue, the waterfall's and the roll-forward's "recognized", and the items between them.
 */
import type { ReportQuery } from '../../../shared/api/app.ts';
import type { RevenueBridgeResponse } from '../../../shared/api/cockpit.ts';
import { revenueBridge } from '../../../shared/reports/index.ts';
import { loadLedgerLines } from '../../ledger/ledger.ts';
import { minor, tenantOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { lastPeriods } from './periods.ts';

export async function getRevenueBridge(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  caller: AppCaller,
  query: ReportQuery,
): Promise<RevenueBridgeResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const currency = tenant.settings.functional_currency;
  const keys = lastPeriods(deps.clock, tenant, query.periods).map((p) => p.key);
  const fromPeriod = keys[0]!;
  const throughPeriod = keys[keys.length - 1]!;
  const lines = await loadLedgerLines(deps.db, tenant.id, { throughPeriod });
  const c = revenueBridge(lines, { fromPeriod, throughPeriod }).currencies.find((x) => x.currency === currency);
  return {
    currency,
    from_period: fromPeriod,
    through_period: throughPeriod,
    income_minor: minor(c?.income ?? 0n),
    other_income: (c?.otherIncome ?? []).map((i) => ({ role: i.role, amount_minor: minor(i.amountMinor) })),
    revenue_minor: minor(c?.revenue ?? 0n),
    outside_waterfall: (c?.outsideWaterfall ?? []).map((i) => ({ kind: i.kind, amount_minor: minor(i.amountMinor) })),
    waterfall_minor: minor(c?.waterfall ?? 0n),
    reversals_of_recognition_minor: minor(c?.reversalsOfRecognition ?? 0n),
    recognition_other_accounts: (c?.recognitionOtherAccounts ?? []).map((i) => ({
      role: i.role,
      amount_minor: minor(i.amountMinor),
    })),
    rollforward_recognized_minor: minor(c?.rollforwardRecognized ?? 0n),
    ties_out: c?.tiesOut ?? true,
  };
}
