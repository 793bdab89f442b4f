/**
 * Reconciliation of one period: the ledger against QuickBooks account by account (money with
 * its currency), the differences marked, and a drill-down to the entries behind an account.
 * Without QuickBooks the backend answers `not_configured`; the section says to connect it.
 */
import { Badge, Banner, Box, Button, Table, TableBody, TableCell, TableRow } from '@stripe/ui-extension-sdk/ui';
import { useState } from 'react';
import type { ReconciliationEntriesResponse } from '../../shared/api/close.ts';
import type { AppClient } from '../data/client.ts';
import { useLoad } from '../hooks/useLoad.ts';
import { calendarDate, calendarMonth, money } from './format.ts';
import { Empty, ErrorBanner, Loading } from './States.tsx';
import { TableHeader } from './TableHeader.tsx';

export function ReconciliationSection({ client, period }: { client: AppClient; period: string }) {
  const { state, reload } = useLoad(() => client.getReconciliation(period), [client, period]);
  const [account, setAccount] = useState<{ id: string; name: string } | null>(null);
  if (state.status === 'loading') return <Loading label="Comparing the ledger with QuickBooks…" />;
  if (state.status === 'error') {
    if (state.error.code === 'not_configured')
      return (
        <Banner
          type="caution"
          title="QuickBooks is not connected"
          description={`${state.error.message} Reconciliation compares your ledger with QuickBooks.`}
        />
      );
    return <ErrorBanner title="Could not reconcile" error={state.error} onRetry={reload} />;
  }
  const r = state.data;
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ stack: 'x', gap: 'small', alignY: 'center' }}>
        <Box css={{ font: 'subheading' }}>Ledger against QuickBooks, {calendarMonth(r.period)}</Box>
        {r.agree ? <Badge type="positive">Agree</Badge> : <Badge type="negative">Differences</Badge>}
      </Box>
      {r.rows.length === 0 ? (
        <Empty message="Nothing was booked in this period." />
      ) : (
        <Table>
          <TableHeader titles={['Account', 'Ledger', 'QuickBooks', 'Difference', ' ']} />
          <TableBody>
            {r.rows.map((row) => (
              <TableRow key={`${row.account_id}:${row.currency}`}>
                <TableCell wrap>{row.account}</TableCell>
                <TableCell align="right">{money(row.ledger_minor, row.currency)}</TableCell>
                <TableCell align="right">{money(row.qbo_minor, row.currency)}</TableCell>
                <TableCell align="right">
                  {row.difference_minor === '0' ? '–' : money(row.difference_minor, row.currency)}
                </TableCell>
                <TableCell>
                  <Button size="small" onPress={() => setAccount({ id: row.account_id, name: row.account })}>
                    Entries
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {r.unmapped_lines > 0 ? (
        <Box css={{ color: 'secondary' }}>
          {r.unmapped_lines} ledger lines are on accounts not mapped to QuickBooks and are not compared.
        </Box>
      ) : null}
      {account ? <EntriesDrillDown client={client} period={r.period} account={account} /> : null}
    </Box>
  );
}

function EntriesDrillDown(props: { client: AppClient; period: string; account: { id: string; name: string } }) {
  const { client, period, account } = props;
  const { state, reload } = useLoad(
    () => client.getReconciliationEntries(period, account.id),
    [client, period, account.id],
  );
  if (state.status === 'loading') return <Loading label={`Loading the entries on ${account.name}…`} />;
  if (state.status === 'error')
    return <ErrorBanner title="Could not load the entries" error={state.error} onRetry={reload} />;
  return <EntriesTable account={account.name} data={state.data} />;
}

const SYNC_LABELS = { posted: 'Posted', pending: 'Waiting to post', failed: 'Failed to post' } as const;

function EntriesTable({ account, data }: { account: string; data: ReconciliationEntriesResponse }) {
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ font: 'subheading' }}>
        Entries on {account}, {calendarMonth(data.period)}
      </Box>
      {data.entries.length === 0 ? (
        <Empty message="No ledger entries on this account in this period." />
      ) : (
        <Table>
          <TableHeader titles={['Date', 'Entry', 'Amount', 'QuickBooks']} />
          <TableBody>
            {data.entries.map((e) => (
              <TableRow key={`${e.entry_id}:${e.currency}`}>
                <TableCell>{calendarDate(e.posting_date)}</TableCell>
                <TableCell wrap>{e.memo || e.kind}</TableCell>
                <TableCell align="right">{money(e.amount_minor, e.currency)}</TableCell>
                <TableCell>
                  {e.sync_state ? `${SYNC_LABELS[e.sync_state]} (${e.doc_number})` : 'Not sent yet'}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {data.total_entries > data.entries.length ? (
        <Box css={{ color: 'secondary' }}>
          {data.total_entries - data.entries.length} more entries; the journal export lists them all.
        </Box>
      ) : null}
    </Box>
  );
}
