/**
 * Customer detail drawer (viewport `stripe.dashboard.customer.detail`): recognized and deferred
 * revenue of the customer on screen, per invoice, and the journal entries behind them.
 */
import {
  Box,
  ContextView,
  PropertyList,
  PropertyListItem,
  Table,
  TableBody,
  TableCell,
  TableRow,
} from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { EntriesTable } from '../components/EntriesTable.tsx';
import { calendarDate, money } from '../components/format.ts';
import { Empty, ErrorBanner, Loading } from '../components/States.tsx';
import { TableHeader } from '../components/TableHeader.tsx';
import { useAppClient } from '../hooks/useAppClient.ts';
import { useLoad } from '../hooks/useLoad.ts';

const CustomerRevenue = (context: ExtensionContextValue) => {
  const { client } = useAppClient(context);
  const customerId = context.environment.objectContext?.id ?? '';
  const { state, reload } = useLoad(() => client.getCustomerDetail(customerId), [client, customerId]);

  let body;
  if (!customerId) body = <Empty message="Open a customer to see their revenue." />;
  else if (state.status === 'loading') body = <Loading label="Loading the customer's revenue…" />;
  else if (state.status === 'error' && state.error.code === 'not_found')
    body = <Empty message="Accrue has not booked any invoices for this customer yet." />;
  else if (state.status === 'error')
    body = <ErrorBanner title="Could not load this customer" error={state.error} onRetry={reload} />;
  else {
    const c = state.data;
    body = (
      <Box css={{ stack: 'y', gap: 'medium' }}>
        <PropertyList>
          <PropertyListItem label="Recognized to date" value={money(c.recognized_minor, c.currency)} />
          <PropertyListItem label="Deferred" value={money(c.deferred_minor, c.currency)} />
        </PropertyList>
        <Box css={{ font: 'subheading' }}>Invoices</Box>
        {c.invoices.length === 0 ? (
          <Empty message="No invoices booked for this customer yet." />
        ) : (
          <Table>
            <TableHeader titles={['Invoice', 'Booked', 'Total', 'Recognized', 'Deferred']} />
            <TableBody>
              {c.invoices.map((i) => (
                <TableRow key={i.invoice_id}>
                  <TableCell>{i.number ?? i.invoice_id}</TableCell>
                  <TableCell>{i.booked_on ? calendarDate(i.booked_on) : ''}</TableCell>
                  <TableCell align="right">{money(i.total_minor, c.currency)}</TableCell>
                  <TableCell align="right">{money(i.recognized_minor, c.currency)}</TableCell>
                  <TableCell align="right">{money(i.deferred_minor, c.currency)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
        <Box css={{ font: 'subheading' }}>Journal entries</Box>
        {c.entries.length === 0 ? <Empty message="No journal entries yet." /> : <EntriesTable entries={c.entries} />}
      </Box>
    );
  }
  return (
    <ContextView title="Revenue recognition" description="Revenue from this customer">
      {body}
    </ContextView>
  );
};

export default CustomerRevenue;
