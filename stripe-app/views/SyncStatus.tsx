/**
 * Sync status drawer (viewport `stripe.dashboard.drawer.default`, available on every page):
 * when Stripe last told us something, when we last posted to QuickBooks, how much waits or
 * failed, and the exception queue — each item with its plain reason, the ids to look up, and
 * a retry for administrators.
 */
import { useState } from 'react';
import {
  Badge,
  Banner,
  Box,
  Button,
  ContextView,
  Divider,
  PropertyList,
  PropertyListItem,
  Table,
  TableBody,
  TableCell,
  TableRow,
} from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import type { ExceptionItem } from '../../shared/api/app.ts';
import { count, instant } from '../components/format.ts';
import { Empty, ErrorBanner, Loading } from '../components/States.tsx';
import { TableHeader } from '../components/TableHeader.tsx';
import { useAppClient } from '../hooks/useAppClient.ts';
import { asAppError, useLoad } from '../hooks/useLoad.ts';
import { confirmDone, reportFailure } from '../hooks/notify.ts';

/** Exceptions shown in the drawer; the rest wait for the next page of the queue. */
const EXCEPTIONS_SHOWN = 20;

const SyncStatus = (context: ExtensionContextValue) => {
  const { client, canEdit } = useAppClient(context);
  const status = useLoad(() => client.getSyncStatus(), [client]);
  const queue = useLoad(() => client.listExceptions({ status: 'open', limit: EXCEPTIONS_SHOWN }), [client]);
  const [retrying, setRetrying] = useState<string | null>(null);

  const retry = async (item: ExceptionItem) => {
    setRetrying(item.id);
    try {
      await client.retryException(item.id);
      confirmDone('Retry queued. The item leaves the queue once it posts.');
      queue.reload();
      status.reload();
    } catch (err) {
      reportFailure(`Retry failed: ${asAppError(err).message}`);
    } finally {
      setRetrying(null);
    }
  };

  return (
    <ContextView title="Sync status" description="Stripe to QuickBooks">
      <Box css={{ stack: 'y', gap: 'medium' }}>
        {status.state.status === 'loading' ? <Loading label="Loading sync status…" /> : null}
        {status.state.status === 'error' ? (
          <ErrorBanner title="Could not load sync status" error={status.state.error} onRetry={status.reload} />
        ) : null}
        {status.state.status === 'loaded' ? (
          <Box css={{ stack: 'y', gap: 'small' }}>
            {status.state.data.qbo.status !== 'connected' ? (
              <Banner
                type="caution"
                title="QuickBooks is not connected"
                description="Entries are recorded but not posted until you connect QuickBooks in Settings."
              />
            ) : null}
            <PropertyList>
              <PropertyListItem
                label="Last event from Stripe"
                value={`${instant(status.state.data.last_event_received_at)}${status.state.data.last_event_type ? ` (${status.state.data.last_event_type})` : ''}`}
              />
              <PropertyListItem label="Last posting to QuickBooks" value={instant(status.state.data.last_posting_at)} />
              <PropertyListItem label="Waiting to post" value={count(status.state.data.pending_count)} />
              <PropertyListItem label="Failed" value={count(status.state.data.failed_count)} />
            </PropertyList>
          </Box>
        ) : null}
        <Divider />
        <Box css={{ font: 'subheading' }}>Exceptions</Box>
        {queue.state.status === 'loading' ? <Loading label="Loading exceptions…" /> : null}
        {queue.state.status === 'error' ? (
          <ErrorBanner title="Could not load exceptions" error={queue.state.error} onRetry={queue.reload} />
        ) : null}
        {queue.state.status === 'loaded' && queue.state.data.exceptions.length === 0 ? (
          <Empty message="Nothing needs your attention." />
        ) : null}
        {queue.state.status === 'loaded' && queue.state.data.exceptions.length > 0 ? (
          <Table>
            <TableHeader titles={['What went wrong', 'Look up', 'Status', ' ']} />
            <TableBody>
              {queue.state.data.exceptions.map((item) => (
                <TableRow key={item.id}>
                  <TableCell wrap>{item.reason}</TableCell>
                  <TableCell wrap>{item.object_ids.join(', ')}</TableCell>
                  <TableCell>
                    <Badge type={item.status === 'retrying' ? 'info' : 'warning'}>
                      {item.status === 'retrying' ? 'Retrying' : `${item.attempts} attempts`}
                    </Badge>
                  </TableCell>
                  <TableCell>
                    {canEdit && item.retryable ? (
                      <Button
                        size="small"
                        pending={retrying === item.id}
                        disabled={retrying !== null}
                        onPress={() => void retry(item)}
                      >
                        Retry
                      </Button>
                    ) : (
                      <Box> </Box>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        ) : null}
        {queue.state.status === 'loaded' && queue.state.data.has_more ? (
          <Box css={{ color: 'secondary' }}>More exceptions wait in the queue.</Box>
        ) : null}
      </Box>
    </ContextView>
  );
};

export default SyncStatus;
