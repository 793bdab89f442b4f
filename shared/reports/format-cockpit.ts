/**
 * Display tables and CSV of the finance cockpit's reports: SaaS metrics, remaining performance
 * obligations and the revenue bridge. `formatReport` (format.ts) dispatches here.
 *
 * CSV layouts (RFC 4180, money as major-unit strings, currency codes upper case):
 * - metrics: `granularity,period,currency,opening,new,expansion,contraction,churn,reactivation,closing,arr,customers,arpa,net_revenue_retention,gross_revenue_retention`
 *   (one `month` row per month, then one `day` row per day when the report has days);
 * - rpo: `as_of,currency,dimension,key,current,non_current,total` (dimension `total`, `month`,
 *   `customer` or `product`);
 * - revenue bridge: `currency,step,item,amount`.
 */
import { ROLE_INFO } from '../accounts.ts';
import { formatMinor, type Currency } from '../money.ts';
import { csvDocument, csvText } from './csv.ts';
import { displayPercent } from './percent.ts';
import type { DisplayTable } from './format.ts';
import { METRIC_DEFINITIONS, type MetricsReport } from './metrics.ts';
import type { RevenueBridgeReport } from './revenue-bridge.ts';
import type { RpoParty, RpoReport } from './rpo.ts';

const text = (header: string) => ({ header, align: 'left' as const });
const money = (header: string) => ({ header, align: 'right' as const });

export function metricsTables(r: MetricsReport): DisplayTable[] {
  const m = (v: bigint) => formatMinor(v, r.currency);
  const cur = r.currency.toUpperCase();
  const tables: DisplayTable[] = [
    {
      title: `SaaS metrics ${cur}, ${r.fromMonth} to ${r.throughMonth} (MRR at each month end)`,
      columns: [
        text('Month'),
        money('Opening MRR'),
        money('New'),
        money('Expansion'),
        money('Contraction'),
        money('Churn'),
        money('Reactivation'),
        money('Closing MRR'),
        money('ARR'),
        money('Customers'),
        money('ARPA'),
        money('NRR'),
        money('GRR'),
        text('Ties'),
      ],
      rows: r.months.map((x) => [
        x.month,
        m(x.opening),
        m(x.new),
        m(x.expansion),
        m(-x.contraction),
        m(-x.churn),
        m(x.reactivation),
        m(x.closing),
        m(x.arr),
        String(x.customers),
        m(x.arpa),
        displayPercent(x.netRevenueRetention),
        displayPercent(x.grossRevenueRetention),
        x.tiesOut ? 'yes' : 'NO',
      ]),
      keyColumns: 1,
    },
  ];
  if (r.days)
    tables.push({
      title: `MRR per day ${cur}`,
      columns: [
        text('Date'),
        money('MRR'),
        money('New'),
        money('Expansion'),
        money('Contraction'),
        money('Churn'),
      ].concat([money('Reactivation'), money('Customers')]),
      rows: r.days.map((d) => [
        d.date,
        m(d.mrr),
        m(d.new),
        m(d.expansion),
        m(-d.contraction),
        m(-d.churn),
        m(d.reactivation),
        String(d.customers),
      ]),
      keyColumns: 1,
    });
  return tables;
}

/** The definitions printed under the metrics table. */
export function metricsDefinitionLines(): string {
  return ['DEFINITIONS', ...Object.entries(METRIC_DEFINITIONS).map(([k, v]) => `  ${k}: ${v}`), ''].join('\n');
}

export function toMetricsCsv(r: MetricsReport): string {
  const m = (v: bigint) => formatMinor(v, r.currency);
  const cur = r.currency.toUpperCase();
  const rows: string[][] = r.months.map((x) => [
    'month',
    x.month,
    cur,
    m(x.opening),
    m(x.new),
    m(x.expansion),
    m(x.contraction),
    m(x.churn),
    m(x.reactivation),
    m(x.closing),
    m(x.arr),
    String(x.customers),
    m(x.arpa),
    x.netRevenueRetention ?? '',
    x.grossRevenueRetention ?? '',
  ]);
  let previous = r.months[0]?.opening ?? 0n;
  for (const d of r.days ?? []) {
    rows.push([
      'day',
      d.date,
      cur,
      m(previous),
      m(d.new),
      m(d.expansion),
      m(d.contraction),
      m(d.churn),
      m(d.reactivation),
      m(d.mrr),
      m(d.arr),
      String(d.customers),
      '',
      '',
      '',
    ]);
    previous = d.mrr;
  }
  return csvDocument(
    [
      'granularity',
      'period',
      'currency',
      'opening',
      'new',
      'expansion',
      'contraction',
      'churn',
      'reactivation',
      'closing',
      'arr',
      'customers',
      'arpa',
      'net_revenue_retention',
      'gross_revenue_retention',
    ],
    rows,
  );
}

function partyRows(parties: readonly RpoParty[], currency: Currency): string[][] {
  const m = (v: bigint) => formatMinor(v, currency);
  return parties.map((p) => [p.id, m(p.currentMinor), m(p.nonCurrentMinor), m(p.totalMinor)]);
}

export function rpoTables(r: RpoReport): DisplayTable[] {
  const m = (v: bigint) => formatMinor(v, r.currency);
  const cur = r.currency.toUpperCase();
  const partyColumns = (name: string) => [text(name), money('Current'), money('Non-current'), money('Total')];
  return [
    {
      title: `Remaining performance obligations ${cur} at ${r.asOf} (current: recognized through ${r.currentThrough})`,
      columns: [text('Line'), money('Amount')],
      rows: [
        ['Current (next 12 months)', m(r.currentMinor)],
        ['Non-current', m(r.nonCurrentMinor)],
        ['TOTAL still to be earned', m(r.totalMinor)],
        ['Ledger deferred, net of discounts', m(r.ledgerDeferredMinor)],
        ['Ties to the ledger', r.tiesOut ? 'yes' : 'NO'],
      ],
      keyColumns: 1,
    },
    {
      title: `Forward schedule ${cur} by month`,
      columns: [text('Month'), money('Amount'), text('Current')],
      rows: r.months.map((x) => [x.month, m(x.amountMinor), x.current ? 'current' : 'non-current']),
      keyColumns: 1,
    },
    {
      title: `By customer ${cur}`,
      columns: partyColumns('Customer'),
      rows: partyRows(r.customers, r.currency),
      keyColumns: 1,
    },
    {
      title: `By product ${cur}`,
      columns: partyColumns('Product'),
      rows: partyRows(r.products, r.currency),
      keyColumns: 1,
    },
  ];
}

export function toRpoCsv(r: RpoReport): string {
  const m = (v: bigint) => formatMinor(v, r.currency);
  const base = [r.asOf, r.currency.toUpperCase()];
  const rows: string[][] = [[...base, 'total', '', m(r.currentMinor), m(r.nonCurrentMinor), m(r.totalMinor)]];
  for (const x of r.months)
    rows.push([
      ...base,
      'month',
      x.month,
      m(x.current ? x.amountMinor : 0n),
      m(x.current ? 0n : x.amountMinor),
      m(x.amountMinor),
    ]);
  for (const [dimension, list] of [
    ['customer', r.customers],
    ['product', r.products],
  ] as const)
    for (const p of list)
      rows.push([...base, dimension, csvText(p.id), m(p.currentMinor), m(p.nonCurrentMinor), m(p.totalMinor)]);
  return csvDocument(['as_of', 'currency', 'dimension', 'key', 'current', 'non_current', 'total'], rows);
}

/** The bridge as steps: each total, then the signed items that, added to it, give the next total. */
function bridgeSteps(c: RevenueBridgeReport['currencies'][number]): [string, string, bigint][] {
  return [
    ['income', 'Income (income statement)', c.income],
    ...c.otherIncome.map((i): [string, string, bigint] => [
      'other_income',
      `  ${ROLE_INFO[i.role].defaultName.toLowerCase()}`,
      -i.amountMinor,
    ]),
    ['revenue', 'Revenue (trial balance, summary)', c.revenue],
    ...c.outsideWaterfall.map((i): [string, string, bigint] => [
      'outside_waterfall',
      `  revenue of ${i.kind} entries`,
      -i.amountMinor,
    ]),
    ['waterfall', 'Revenue waterfall total', c.waterfall],
    ['reversals', '  reversals of recognition', -c.reversalsOfRecognition],
    ...c.recognitionOtherAccounts.map((i): [string, string, bigint] => [
      'recognition_other_account',
      `  recognition on ${i.role}`,
      -i.amountMinor,
    ]),
    ['rollforward_recognized', 'Roll-forward: recognized', c.rollforwardRecognized],
  ];
}

export function revenueBridgeTables(r: RevenueBridgeReport): DisplayTable[] {
  const range =
    r.fromPeriod || r.throughPeriod
      ? ` ${r.fromPeriod ?? 'start'} to ${r.throughPeriod ?? 'latest'}`
      : ' (all periods)';
  return r.currencies.map((c) => ({
    title: `Revenue bridge ${c.currency.toUpperCase()}${range}: each total plus the items under it gives the next`,
    columns: [text('Line'), money('Amount')],
    rows: [
      ...bridgeSteps(c).map(([, label, v]) => [label, formatMinor(v, c.currency)]),
      ['Ties', c.tiesOut ? 'yes' : 'NO'],
    ],
    keyColumns: 1,
  }));
}

export function toRevenueBridgeCsv(r: RevenueBridgeReport): string {
  const rows = r.currencies.flatMap((c) =>
    bridgeSteps(c).map(([step, label, v]) => [
      c.currency.toUpperCase(),
      step,
      csvText(label.trim()),
      formatMinor(v, c.currency),
    ]),
  );
  return csvDocument(['currency', 'step', 'item', 'amount'], rows);
}
