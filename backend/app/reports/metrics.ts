/**
 * SaaS metrics from the books: the recurring items of the tenant's invoice facts (Stripe's MRR
 * inclusion rules, `shared/reports/metrics-facts.ts`), converted at each invoice's booking rate
 * from the ledger, then MRR, movements, customers, ARPA and retention per month (and day).
 * `metricsReport` serves the CLI (`formatReport`), `getMetrics` the App API.
 */
import type { MetricsQuery, MetricsResponse } from '../../../shared/api/cockpit.ts';
import { METRICS_SKIPPED_MAX } from '../../../shared/api/cockpit.ts';
import {
  bookingRatesFromLedger,
  METRIC_DEFINITIONS,
  recurringItemsFromFacts,
  saasMetrics,
  type MetricsReport,
  type MrrMovements,
  type SkippedInvoice,
} from '../../../shared/reports/index.ts';
import { addMonthsToMonthStart } from '../../../shared/time.ts';
import type { Db } from '../../db/database.ts';
import { loadLedgerLines } from '../../ledger/ledger.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import { minor, tenantOf, todayOf } from '../app-api/support.ts';
import type { AppCaller, AppDeps } from '../app-api/types.ts';
import { tenantFacts } from './tenant-facts.ts';

export interface MetricsOptions {
  /** First and last month, YYYY-MM. */
  fromMonth: string;
  throughMonth: string;
  /** Include the daily series. */
  days?: boolean | undefined;
}

/** The metrics report of a tenant, with the invoices left out of MRR and why. */
export async function metricsReport(
  db: Db,
  tenant: Tenant,
  options: MetricsOptions,
): Promise<{ report: MetricsReport; skipped: SkippedInvoice[] }> {
  const facts = await tenantFacts(db, tenant, ['invoice_finalized', 'invoice_voided', 'invoice_uncollectible']);
  const rates = bookingRatesFromLedger(await loadLedgerLines(db, tenant.id, { entryKeyPrefix: 'inv:' }));
  const currency = tenant.settings.functional_currency;
  const { items, skipped } = recurringItemsFromFacts(facts, {
    functionalCurrency: currency,
    timeZone: tenant.settings.reporting_time_zone,
    rateOf: (invoice) => rates.get(invoice),
  });
  const report = saasMetrics(items, { currency, ...options });
  return { report, skipped };
}

function movements(m: MrrMovements) {
  return {
    new_minor: minor(m.new),
    expansion_minor: minor(m.expansion),
    contraction_minor: minor(m.contraction),
    churn_minor: minor(m.churn),
    reactivation_minor: minor(m.reactivation),
  };
}

/** The App's metrics: the last `months` months, ending with the current one. */
export async function getMetrics(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  caller: AppCaller,
  query: MetricsQuery,
): Promise<MetricsResponse> {
  const tenant = await tenantOf(deps.db, caller);
  const thisMonth = todayOf(deps.clock, tenant).slice(0, 7);
  const fromMonth = addMonthsToMonthStart(`${thisMonth}-01`, 1 - query.months).slice(0, 7);
  const { report, skipped } = await metricsReport(deps.db, tenant, {
    fromMonth,
    throughMonth: thisMonth,
    days: query.granularity === 'day',
  });
  return {
    currency: report.currency,
    months: report.months.map((m) => ({
      month: m.month,
      opening_minor: minor(m.opening),
      ...movements(m),
      closing_minor: minor(m.closing),
      arr_minor: minor(m.arr),
      customers: m.customers,
      arpa_minor: minor(m.arpa),
      net_revenue_retention: m.netRevenueRetention,
      gross_revenue_retention: m.grossRevenueRetention,
    })),
    ...(report.days
      ? {
          days: report.days.map((d) => ({
            date: d.date,
            mrr_minor: minor(d.mrr),
            customers: d.customers,
            ...movements(d),
          })),
        }
      : {}),
    definitions: { ...METRIC_DEFINITIONS },
    skipped: skipped.slice(0, METRICS_SKIPPED_MAX),
    skipped_count: skipped.length,
  };
}
