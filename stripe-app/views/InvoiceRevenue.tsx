/**
 * Invoice detail drawer (viewport `stripe.dashboard.invoice.detail`): the revenue schedule of
 * the invoice on screen, line by line and period by period, and the journal entries it made.
 */
import { Badge, Box, ContextView, Table, TableBody, TableCell, TableRow } from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import type { ScheduleLine } from '../../shared/api/app.ts';
import { EntriesTable } from '../components/EntriesTable.tsx';
import { calendarMonth, money } from '../components/format.ts';
import { Empty, ErrorBanner, Loading } from '../components/States.tsx';
import { TableHeader } from '../components/TableHeader.tsx';
import { useAppClient } from '../hooks/useAppClient.ts';
import { useLoad } from '../hooks/useLoad.ts';

/** The invoice's schedule by period, all lines together, oldest first. */
export function scheduleByPeriod(
  lines: readonly ScheduleLine[],
): { period: string; amount_minor: string; recognized: boolean }[] {
  const byPeriod = new Map<string, { amount: bigint; recognized: boolean }>();
  for (const line of lines) {
    for (const p of line.periods) {
      const row = byPeriod.get(p.period) ?? { amount: 0n, recognized: true };
      row.amount += BigInt(p.amount_minor);
      // A period counts as recognized only when every line's share of it is.
      row.recognized = row.recognized && p.recognized;
      byPeriod.set(p.period, row);
    }
  }
  return [...byPeriod.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([period, row]) => ({ period, amount_minor: row.amount.toString(), recognized: row.recognized }));
}

const InvoiceRevenue = (context: ExtensionContextValue) => {
  const { client } = useAppClient(context);
  const invoiceId = context.environment.objectContext?.id ?? '';
  const { state, reload } = useLoad(() => client.getInvoiceDetail(invoiceId), [client, invoiceId]);

  let body;
  if (!invoiceId) body = <Empty message="Open an invoice to see its revenue schedule." />;
  else if (state.status === 'loading') body = <Loading label="Loading the revenue schedule…" />;
  else if (state.status === 'error' && state.error.code === 'not_found')
    body = <Empty message="Accrue has not booked this invoice yet. Schedules appear once an invoice is finalized." />;
  else if (state.status === 'error')
    body = <ErrorBanner title="Could not load this invoice" error={state.error} onRetry={reload} />;
  else {
    const inv = state.data;
    body = (
      <Box css={{ stack: 'y', gap: 'medium' }}>
        <Box css={{ font: 'subheading' }}>Revenue schedule</Box>
        {inv.schedule.length === 0 ? (
          <Empty message="This invoice has no revenue lines." />
        ) : (
          <Table>
            <TableHeader titles={['Line', 'Service period', 'Amount', 'Recognized', 'Deferred']} />
            <TableBody>
              {inv.schedule.map((l) => (
                <TableRow key={l.invoice_line}>
                  <TableCell wrap>{l.description}</TableCell>
                  <TableCell>
                    {l.service_start} to {l.service_end}
                  </TableCell>
                  <TableCell align="right">{money(l.amount_minor, inv.currency)}</TableCell>
                  <TableCell align="right">{money(l.recognized_minor, inv.currency)}</TableCell>
                  <TableCell align="right">{money(l.deferred_minor, inv.currency)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
        {inv.schedule.length > 0 ? (
          <Table>
            <TableHeader titles={['Period', 'Revenue', 'Status']} />
            <TableBody>
              {scheduleByPeriod(inv.schedule).map((p) => (
                <TableRow key={p.period}>
                  <TableCell>{calendarMonth(p.period)}</TableCell>
                  <TableCell align="right">{money(p.amount_minor, inv.currency)}</TableCell>
                  <TableCell>
                    {p.recognized ? <Badge type="positive">Recognized</Badge> : <Badge type="neutral">Scheduled</Badge>}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        ) : null}
        <Box css={{ font: 'subheading' }}>Journal entries</Box>
        {inv.entries.length === 0 ? (
          <Empty message="No journal entries yet." />
        ) : (
          <EntriesTable entries={inv.entries} />
        )}
      </Box>
    );
  }
  return (
    <ContextView
      title="Revenue recognition"
      description={
        invoiceId
          ? `Invoice ${state.status === 'loaded' && state.data.number ? state.data.number : invoiceId}`
          : undefined
      }
    >
      {body}
    </ContextView>
  );
};

export default InvoiceRevenue;
