/**
 * SaaS metrics (viewport `stripe.dashboard.subscription.list`): MRR at each month end (line
 * chart), the MRR movements per month (bar chart, one colour per movement), and a table with
 * MRR, ARR, customers, ARPA and retention, each metric with its definition. Amounts are in the
 * functional currency, computed from the books under Stripe's MRR rules.
 */
import { useState } from 'react';
import {
  BarChart,
  Box,
  ContextView,
  Divider,
  LineChart,
  Select,
  Table,
  TableBody,
  TableCell,
  TableRow,
} from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { METRICS_MONTHS_DEFAULT, type MetricsResponse } from '../../shared/api/cockpit.ts';
import { calendarMonth, chartValue, count, money, percent } from '../components/format.ts';
import { Empty, ErrorBanner, Loading } from '../components/States.tsx';
import { TableHeader } from '../components/TableHeader.tsx';
import { useAppClient } from '../hooks/useAppClient.ts';
import { useLoad } from '../hooks/useLoad.ts';

/** Choices of history length; 24 is the API's cap. */
const MONTH_CHOICES = [3, 6, 12, 24] as const;

/** Movement names as the chart legend shows them, each a distinct series. */
const MOVEMENTS = [
  ['new_minor', 'New', 1],
  ['expansion_minor', 'Expansion', 1],
  ['reactivation_minor', 'Reactivation', 1],
  ['contraction_minor', 'Contraction', -1],
  ['churn_minor', 'Churn', -1],
] as const;

const DEFINITION_LABELS: [string, string][] = [
  ['mrr', 'MRR'],
  ['arr', 'ARR'],
  ['new', 'New'],
  ['expansion', 'Expansion'],
  ['contraction', 'Contraction'],
  ['churn', 'Churn'],
  ['reactivation', 'Reactivation'],
  ['customers', 'Customers'],
  ['arpa', 'ARPA'],
  ['net_revenue_retention', 'Net revenue retention'],
  ['gross_revenue_retention', 'Gross revenue retention'],
];

const SaasMetrics = (context: ExtensionContextValue) => {
  const { client } = useAppClient(context);
  const [months, setMonths] = useState<number>(METRICS_MONTHS_DEFAULT);
  const { state, reload } = useLoad(() => client.getMetrics(months), [client, months]);

  let body;
  if (state.status === 'loading') body = <Loading label="Loading metrics…" />;
  else if (state.status === 'error')
    body = <ErrorBanner title="Could not load the metrics" error={state.error} onRetry={reload} />;
  else if (state.data.months.every((m) => m.closing_minor === '0' && m.opening_minor === '0'))
    body = <Empty message="No recurring revenue yet. MRR appears once subscription invoices are booked." />;
  else body = <MetricsBody metrics={state.data} />;

  return (
    <ContextView title="SaaS metrics" description="MRR, movements and retention from your books">
      <Box css={{ stack: 'y', gap: 'medium' }}>
        <Select name="months" label="Show" value={String(months)} onChange={(e) => setMonths(Number(e.target.value))}>
          {MONTH_CHOICES.map((n) => (
            <option key={n} value={String(n)}>
              Last {n} months
            </option>
          ))}
        </Select>
        {body}
      </Box>
    </ContextView>
  );
};

function MetricsBody({ metrics }: { metrics: MetricsResponse }) {
  const currency = metrics.currency;
  const mrrSeries = metrics.months.map((m) => ({
    month: calendarMonth(m.month),
    mrr: chartValue(m.closing_minor, currency),
  }));
  const movementSeries = metrics.months.flatMap((m) =>
    MOVEMENTS.map(([field, movement, sign]) => ({
      month: calendarMonth(m.month),
      movement,
      amount: sign * chartValue(m[field], currency),
    })),
  );
  const last = metrics.months[metrics.months.length - 1]!;
  return (
    <Box css={{ stack: 'y', gap: 'medium' }}>
      <Box css={{ font: 'subheading' }}>
        MRR {money(last.closing_minor, currency)} · ARR {money(last.arr_minor, currency)} · {count(last.customers)}{' '}
        customers
      </Box>
      <LineChart data={mrrSeries} x="month" y="mrr" />
      <Box css={{ font: 'subheading' }}>MRR movements</Box>
      <BarChart data={movementSeries} x="month" y="amount" color="movement" legend />
      <Divider />
      <MetricsTable metrics={metrics} />
      {metrics.skipped_count > 0 ? (
        <Box css={{ color: 'secondary' }}>
          {count(metrics.skipped_count)} invoice{metrics.skipped_count === 1 ? '' : 's'} left out of MRR:{' '}
          {metrics.skipped.map((s) => `${s.invoice} (${s.reason})`).join('; ')}
        </Box>
      ) : null}
      <Box css={{ font: 'subheading' }}>What the numbers mean</Box>
      <Table>
        <TableBody>
          {DEFINITION_LABELS.filter(([key]) => metrics.definitions[key]).map(([key, label]) => (
            <TableRow key={key}>
              <TableCell>{label}</TableCell>
              <TableCell>{metrics.definitions[key]}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

const COLUMNS = [
  'Month',
  'Opening MRR',
  'New',
  'Expansion',
  'Reactivation',
  'Contraction',
  'Churn',
  'Closing MRR',
  'ARR',
  'Customers',
  'ARPA',
  'Net retention',
  'Gross retention',
];

/** A decrease shown with its sign: "8000" → "-8000". */
function decrease(amount_minor: string): string {
  return (-BigInt(amount_minor)).toString();
}

function MetricsTable({ metrics }: { metrics: MetricsResponse }) {
  const c = metrics.currency;
  return (
    <Table>
      <TableHeader titles={COLUMNS} />
      <TableBody>
        {metrics.months.map((m) => (
          <TableRow key={m.month}>
            <TableCell>{calendarMonth(m.month)}</TableCell>
            <TableCell align="right">{money(m.opening_minor, c)}</TableCell>
            <TableCell align="right">{money(m.new_minor, c)}</TableCell>
            <TableCell align="right">{money(m.expansion_minor, c)}</TableCell>
            <TableCell align="right">{money(m.reactivation_minor, c)}</TableCell>
            <TableCell align="right">{money(decrease(m.contraction_minor), c)}</TableCell>
            <TableCell align="right">{money(decrease(m.churn_minor), c)}</TableCell>
            <TableCell align="right">{money(m.closing_minor, c)}</TableCell>
            <TableCell align="right">{money(m.arr_minor, c)}</TableCell>
            <TableCell align="right">{count(m.customers)}</TableCell>
            <TableCell align="right">{money(m.arpa_minor, c)}</TableCell>
            <TableCell align="right">{percent(m.net_revenue_retention)}</TableCell>
            <TableCell align="right">{percent(m.gross_revenue_retention)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export default SaasMetrics;
