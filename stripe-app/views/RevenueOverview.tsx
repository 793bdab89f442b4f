/**
 * Revenue overview (viewport `stripe.dashboard.home.overview`): revenue recognized per month
 * (bar chart), deferred revenue at each month end (line chart), the deferred revenue
 * roll-forward and the waterfall as tables, for the last few periods; and the revenue bridge,
 * which shows how the income statement's revenue, the waterfall total and the roll-forward's
 * "recognized" tie, item by item.
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
import { REPORT_PERIODS_DEFAULT, type RollforwardResponse, type WaterfallResponse } from '../../shared/api/app.ts';
import { RevenueBridgeSection } from '../components/RevenueBridgeSection.tsx';
import { calendarMonth, chartValue, money } from '../components/format.ts';
import { Empty, ErrorBanner, Loading } from '../components/States.tsx';
import { TableHeader } from '../components/TableHeader.tsx';
import { useAppClient } from '../hooks/useAppClient.ts';
import { useLoad } from '../hooks/useLoad.ts';

/** Choices of history length; 24 is the API's cap. */
const PERIOD_CHOICES = [3, 6, 12, 24] as const;

const RevenueOverview = (context: ExtensionContextValue) => {
  const { client } = useAppClient(context);
  const [periods, setPeriods] = useState<number>(REPORT_PERIODS_DEFAULT);
  const { state, reload } = useLoad(async () => {
    const [waterfall, rollforward] = await Promise.all([client.getWaterfall(periods), client.getRollforward(periods)]);
    return { waterfall, rollforward };
  }, [client, periods]);

  let body;
  if (state.status === 'loading') body = <Loading label="Loading revenue…" />;
  else if (state.status === 'error')
    body = <ErrorBanner title="Could not load revenue reports" error={state.error} onRetry={reload} />;
  else if (state.data.rollforward.rows.length === 0 && state.data.waterfall.rows.length === 0)
    body = <Empty message="No revenue recorded yet. Reports fill in as invoices are finalized." />;
  else body = <RevenueReports waterfall={state.data.waterfall} rollforward={state.data.rollforward} />;

  return (
    <ContextView title="Revenue" description="Recognized and deferred revenue from your Stripe invoices">
      <Box css={{ stack: 'y', gap: 'medium' }}>
        <Select
          name="periods"
          label="Show"
          value={String(periods)}
          onChange={(e) => setPeriods(Number(e.target.value))}
        >
          {PERIOD_CHOICES.map((n) => (
            <option key={n} value={String(n)}>
              Last {n} months
            </option>
          ))}
        </Select>
        {body}
        <RevenueBridgeSection client={client} periods={periods} />
      </Box>
    </ContextView>
  );
};

interface Reports {
  waterfall: WaterfallResponse;
  rollforward: RollforwardResponse;
}

/** The two charts, then the roll-forward and the waterfall as tables. */
function RevenueReports({ waterfall, rollforward }: Reports) {
  const currency = rollforward.currency;
  const recognizedSeries = waterfall.periods.map((p, i) => ({
    period: calendarMonth(p),
    recognized: chartValue(waterfall.totals_minor[i] ?? '0', waterfall.currency),
  }));
  const deferredSeries = rollforward.rows.map((r) => ({
    period: calendarMonth(r.period),
    deferred: chartValue(r.closing_minor, currency),
  }));
  return (
    <Box css={{ stack: 'y', gap: 'medium' }}>
      <Box css={{ font: 'subheading' }}>Revenue recognized</Box>
      <BarChart data={recognizedSeries} x="period" y="recognized" />
      <Box css={{ font: 'subheading' }}>Deferred revenue at month end</Box>
      <LineChart data={deferredSeries} x="period" y="deferred" />
      <Divider />
      <Box css={{ font: 'subheading' }}>Deferred revenue roll-forward ({currency.toUpperCase()})</Box>
      <RollforwardTable rollforward={rollforward} />
      <Box css={{ font: 'subheading' }}>Waterfall: booked (rows) by recognized (columns)</Box>
      <WaterfallTable waterfall={waterfall} />
    </Box>
  );
}

const ROLLFORWARD_COLUMNS = [
  'Period',
  'Opening',
  'Billed',
  'Recognized',
  'Refunds, credits, disputes',
  'FX',
  'Closing',
];

function RollforwardTable({ rollforward }: Pick<Reports, 'rollforward'>) {
  const currency = rollforward.currency;
  return (
    <Table>
      <TableHeader titles={ROLLFORWARD_COLUMNS} />
      <TableBody>
        {rollforward.rows.map((r) => (
          <TableRow key={r.period}>
            <TableCell>{calendarMonth(r.period)}</TableCell>
            <TableCell align="right">{money(r.opening_minor, currency)}</TableCell>
            <TableCell align="right">{money(r.billings_minor, currency)}</TableCell>
            <TableCell align="right">{money(r.recognized_minor, currency)}</TableCell>
            <TableCell align="right">{money(r.contra_minor, currency)}</TableCell>
            <TableCell align="right">{money(r.fx_minor, currency)}</TableCell>
            <TableCell align="right">{money(r.closing_minor, currency)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function WaterfallTable({ waterfall }: Pick<Reports, 'waterfall'>) {
  return (
    <Table>
      <TableHeader titles={['Booked', 'Amount', ...waterfall.periods.map(calendarMonth), 'Still deferred']} />
      <TableBody>
        {waterfall.rows.map((r) => (
          <TableRow key={r.booked_period}>
            <TableCell>{calendarMonth(r.booked_period)}</TableCell>
            <TableCell align="right">{money(r.booked_minor, waterfall.currency)}</TableCell>
            {r.recognized_minor.map((v, i) => (
              <TableCell key={i} align="right">
                {v === '0' ? '' : money(v, waterfall.currency)}
              </TableCell>
            ))}
            <TableCell align="right">{money(r.remaining_minor, waterfall.currency)}</TableCell>
          </TableRow>
        ))}
        <TableRow>
          <TableCell>Total</TableCell>
          <TableCell> </TableCell>
          {waterfall.totals_minor.map((v, i) => (
            <TableCell key={i} align="right">
              {money(v, waterfall.currency)}
            </TableCell>
          ))}
          <TableCell> </TableCell>
        </TableRow>
      </TableBody>
    </Table>
  );
}

export default RevenueOverview;
