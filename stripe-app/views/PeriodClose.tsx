/**
 * Month-end close (viewport `stripe.dashboard.revenue-recognition.overview`): the periods with
 * their state, closing the next one and reopening the latest closed one (administrators and
 * developers only; a reopen needs a reason; the backend enforces the order again), the history
 * of closes and reopens, and the reconciliation of a period against QuickBooks with the entries
 * behind each account.
 */
import {
  Badge,
  Box,
  Button,
  ContextView,
  Divider,
  Select,
  Table,
  TableBody,
  TableCell,
  TableRow,
  TextArea,
} from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { useState } from 'react';
import type { PeriodsResponse } from '../../shared/api/close.ts';
import { calendarDate, calendarMonth, instant } from '../components/format.ts';
import { ReconciliationSection } from '../components/ReconciliationSection.tsx';
import { Empty, ErrorBanner, Loading } from '../components/States.tsx';
import { TableHeader } from '../components/TableHeader.tsx';
import type { AppClient } from '../data/client.ts';
import { confirmDone } from '../hooks/notify.ts';
import { useAction } from '../hooks/useAction.ts';
import { useAppClient } from '../hooks/useAppClient.ts';
import { useLoad } from '../hooks/useLoad.ts';

const PeriodClose = (context: ExtensionContextValue) => {
  const { client, canEdit } = useAppClient(context);
  const { state, reload } = useLoad(() => client.listPeriods(), [client]);
  let body;
  if (state.status === 'loading') body = <Loading label="Loading periods…" />;
  else if (state.status === 'error')
    body = <ErrorBanner title="Could not load periods" error={state.error} onRetry={reload} />;
  else if (state.data.periods.length === 0)
    body = <Empty message="Nothing has been booked yet, so there is no period to close." />;
  else body = <CloseBody client={client} canEdit={canEdit} data={state.data} onChanged={reload} />;
  return (
    <ContextView title="Month-end close" description="Close periods in order and reconcile them with QuickBooks">
      {body}
    </ContextView>
  );
};

function CloseBody(props: { client: AppClient; canEdit: boolean; data: PeriodsResponse; onChanged: () => void }) {
  const { client, canEdit, data, onChanged } = props;
  const action = useAction<'close' | 'reopen'>();
  const [reason, setReason] = useState('');
  const [period, setPeriod] = useState(data.periods[data.periods.length - 1]!.key);
  const close = (key: string) =>
    action.run('close', async () => {
      await client.closePeriod(key);
      confirmDone(`${calendarMonth(key)} is closed`);
      onChanged();
    });
  const reopen = (key: string) => {
    if (reason.trim().length < 3) {
      action.setProblem('Say why the period is reopened; the reason is kept with the books.');
      return;
    }
    void action.run('reopen', async () => {
      await client.reopenPeriod(key, reason.trim());
      setReason('');
      confirmDone(`${calendarMonth(key)} is open again`);
      onChanged();
    });
  };
  return (
    <Box css={{ stack: 'y', gap: 'medium' }}>
      <Table>
        <TableHeader titles={['Period', 'Dates', 'State', ' ']} />
        <TableBody>
          {data.periods.map((p) => (
            <TableRow key={p.key}>
              <TableCell>{calendarMonth(p.key)}</TableCell>
              <TableCell>
                {calendarDate(p.start)} – {calendarDate(p.end)}
              </TableCell>
              <TableCell>
                {p.status === 'closed' ? <Badge type="neutral">Closed</Badge> : <Badge type="info">Open</Badge>}
              </TableCell>
              <TableCell>
                {canEdit && p.key === data.next_to_close ? (
                  <Button
                    size="small"
                    type="primary"
                    pending={action.busy === 'close'}
                    onPress={() => void close(p.key)}
                  >
                    Close {calendarMonth(p.key)}
                  </Button>
                ) : null}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {!canEdit ? (
        <Box css={{ color: 'secondary' }}>Only administrators and developers can close or reopen periods.</Box>
      ) : null}
      {canEdit && data.reopenable ? (
        <Box css={{ stack: 'y', gap: 'small' }}>
          <TextArea
            label={`Reason for reopening ${calendarMonth(data.reopenable)} (required)`}
            name="reopen_reason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
          />
          <Button type="destructive" pending={action.busy === 'reopen'} onPress={() => reopen(data.reopenable!)}>
            Reopen {calendarMonth(data.reopenable)}
          </Button>
        </Box>
      ) : null}
      {action.problem ? <Box css={{ color: 'critical' }}>{action.problem}</Box> : null}
      {data.history.length > 0 ? (
        <Box css={{ stack: 'y', gap: 'xsmall' }}>
          <Box css={{ font: 'subheading' }}>History</Box>
          {data.history.map((h, i) => (
            <Box key={i} css={{ color: 'secondary' }}>
              {instant(h.at)}: {calendarMonth(h.period)} {h.action === 'close' ? 'closed' : 'reopened'} by {h.actor}
              {h.reason ? ` — ${h.reason}` : ''}
            </Box>
          ))}
        </Box>
      ) : null}
      <Divider />
      <Select
        label="Reconcile period"
        name="reconcile_period"
        value={period}
        onChange={(e) => setPeriod(e.target.value)}
      >
        {data.periods.map((p) => (
          <option key={p.key} value={p.key}>
            {calendarMonth(p.key)}
          </option>
        ))}
      </Select>
      <ReconciliationSection client={client} period={period} />
    </Box>
  );
}

export default PeriodClose;
