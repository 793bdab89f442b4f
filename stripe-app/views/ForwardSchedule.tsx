/**
 * Forward schedule (viewport `stripe.dashboard.invoice.list`): the revenue still to be earned on
 * what was billed — remaining performance obligations — at the last day released, by month
 * (bar chart, current and non-current in two colours), split current (next twelve months) and
 * non-current, with the tie to the deferred revenue balance and the largest customers and
 * products.
 */
import {
  BarChart,
  Badge,
  Box,
  ContextView,
  Divider,
  Table,
  TableBody,
  TableCell,
  TableRow,
} from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import type { RpoResponse } from '../../shared/api/cockpit.ts';
import { calendarDate, calendarMonth, chartValue, money } from '../components/format.ts';
import { Empty, ErrorBanner, Loading } from '../components/States.tsx';
import { TableHeader } from '../components/TableHeader.tsx';
import { useAppClient } from '../hooks/useAppClient.ts';
import { useLoad } from '../hooks/useLoad.ts';

const ForwardSchedule = (context: ExtensionContextValue) => {
  const { client } = useAppClient(context);
  const { state, reload } = useLoad(() => client.getRpo(), [client]);

  let body;
  if (state.status === 'loading') body = <Loading label="Loading the forward schedule…" />;
  else if (state.status === 'error')
    body = <ErrorBanner title="Could not load the forward schedule" error={state.error} onRetry={reload} />;
  else if (state.data.total_minor === '0' && state.data.months.length === 0)
    body = <Empty message="Nothing left to earn: every billed amount has been recognized." />;
  else body = <ScheduleBody rpo={state.data} />;

  return (
    <ContextView title="Still to be earned" description="Remaining performance obligations from your invoices">
      {body}
    </ContextView>
  );
};

function ScheduleBody({ rpo }: { rpo: RpoResponse }) {
  const c = rpo.currency;
  const series = rpo.months.map((m) => ({
    month: calendarMonth(m.month),
    amount: chartValue(m.amount_minor, c),
    part: m.current ? 'Current (next 12 months)' : 'Non-current',
  }));
  return (
    <Box css={{ stack: 'y', gap: 'medium' }}>
      <Box css={{ font: 'subheading' }}>As of {calendarDate(rpo.as_of)}</Box>
      <Table>
        <TableBody>
          <TableRow>
            <TableCell>Current, recognized by {calendarDate(rpo.current_through)}</TableCell>
            <TableCell align="right">{money(rpo.current_minor, c)}</TableCell>
          </TableRow>
          <TableRow>
            <TableCell>Non-current</TableCell>
            <TableCell align="right">{money(rpo.non_current_minor, c)}</TableCell>
          </TableRow>
          <TableRow>
            <TableCell>Total still to be earned</TableCell>
            <TableCell align="right">{money(rpo.total_minor, c)}</TableCell>
          </TableRow>
          <TableRow>
            <TableCell>Deferred revenue in the books (net of deferred discounts)</TableCell>
            <TableCell align="right">{money(rpo.ledger_deferred_minor, c)}</TableCell>
          </TableRow>
        </TableBody>
      </Table>
      {rpo.ties_out ? (
        <Badge type="positive">Ties to the books</Badge>
      ) : (
        <Badge type="warning">Does not tie to the books: see the exception queue</Badge>
      )}
      <BarChart data={series} x="month" y="amount" color="part" legend />
      <Divider />
      <PartyTable title="By customer" column="Customer" rows={rpo.customers} currency={c} />
      <PartyTable title="By product" column="Product" rows={rpo.products} currency={c} />
    </Box>
  );
}

function PartyTable(props: {
  title: string;
  column: string;
  rows: RpoResponse['customers'];
  currency: RpoResponse['currency'];
}) {
  const { rows, currency } = props;
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ font: 'subheading' }}>{props.title}</Box>
      <Table>
        <TableHeader titles={[props.column, 'Current', 'Non-current', 'Total']} />
        <TableBody>
          {rows.map((r) => (
            <TableRow key={r.id}>
              <TableCell>{r.id}</TableCell>
              <TableCell align="right">{money(r.current_minor, currency)}</TableCell>
              <TableCell align="right">{money(r.non_current_minor, currency)}</TableCell>
              <TableCell align="right">{money(r.total_minor, currency)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

export default ForwardSchedule;
