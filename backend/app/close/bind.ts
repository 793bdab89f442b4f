/** Binds the month-end close's use cases (periods, reconciliation, exception actions, backfill, exports) for `createAppService`. */
import type { AppDeps, AppService } from '../app-api/types.ts';
import { excludeException, mapExceptionAccount, reviewException } from '../exceptions/actions.ts';
import { getBackfillProgress } from './backfill.ts';
import { getExportText } from './exports.ts';
import { closeAppPeriod, listAppPeriods, reopenAppPeriod } from './periods.ts';
import { getReconciliation, getReconciliationEntries } from './reconciliation.ts';

type CloseMethod =
  | 'listPeriods'
  | 'closePeriod'
  | 'reopenPeriod'
  | 'getReconciliation'
  | 'getReconciliationEntries'
  | 'excludeException'
  | 'reviewException'
  | 'mapExceptionAccount'
  | 'getBackfillProgress'
  | 'getExportText';

export function closeUseCases(deps: AppDeps): Pick<AppService, CloseMethod> {
  return {
    listPeriods: (caller) => listAppPeriods(deps, caller),
    closePeriod: (caller, key) => closeAppPeriod(deps, caller, key),
    reopenPeriod: (caller, key, req) => reopenAppPeriod(deps, caller, key, req),
    getReconciliation: (caller, query) => getReconciliation(deps, caller, query),
    getReconciliationEntries: (caller, query) => getReconciliationEntries(deps, caller, query),
    excludeException: (caller, id, req) => excludeException(deps, caller, id, req),
    reviewException: (caller, id, req) => reviewException(deps, caller, id, req),
    mapExceptionAccount: (caller, id, req) => mapExceptionAccount(deps, caller, id, req),
    getBackfillProgress: (caller) => getBackfillProgress(deps, caller),
    getExportText: (caller, format, query) => getExportText(deps, caller, format, query),
  };
}
