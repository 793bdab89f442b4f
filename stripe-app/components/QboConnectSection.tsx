/**
 * Connect, reconnect or disconnect QuickBooks. The sign-in happens on Intuit's site in a new
 * tab (Intuit needs our server as a confidential client); this section then polls our backend
 * until the connection is made, and says plainly what happened.
 */
import { Badge, Banner, Box, Button, Inline } from '@stripe/ui-extension-sdk/ui';
import type { QboStatusResponse } from '../../shared/api/app.ts';
import type { QboConnection } from '../hooks/useQboConnection.ts';
import { instant } from './format.ts';
import { ErrorBanner, Loading } from './States.tsx';

const STATUS_BADGE: Record<
  QboStatusResponse['status'],
  { label: string; type: 'positive' | 'neutral' | 'warning' | 'negative' | 'info' }
> = {
  connected: { label: 'Connected', type: 'positive' },
  pending: { label: 'Waiting for sign-in', type: 'info' },
  not_connected: { label: 'Not connected', type: 'neutral' },
  expired: { label: 'Connection expired', type: 'warning' },
  error: { label: 'Connection error', type: 'negative' },
};

export function QboConnectSection({ qbo, canEdit }: { qbo: QboConnection; canEdit: boolean }) {
  if (qbo.status.status === 'loading') return <Loading label="Checking the QuickBooks connection…" />;
  if (qbo.status.status === 'error')
    return (
      <ErrorBanner title="Could not check the QuickBooks connection" error={qbo.status.error} onRetry={qbo.reload} />
    );
  const s = qbo.status.data;
  const badge = STATUS_BADGE[s.status];
  const connected = s.status === 'connected';
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ font: 'subheading' }}>QuickBooks Online</Box>
      <Inline>
        <Badge type={badge.type}>{badge.label}</Badge>
      </Inline>
      {connected ? (
        <Box>
          {s.company_name ?? 'QuickBooks company'} (company {s.realm_id ?? 'unknown'}), connected{' '}
          {instant(s.connected_at)}.
        </Box>
      ) : (
        <Box>Accrue posts journal entries to the QuickBooks company you connect.</Box>
      )}
      {s.message ? (
        <Banner type={s.status === 'error' ? 'critical' : 'caution'} title="QuickBooks" description={s.message} />
      ) : null}
      {qbo.failure ? <Banner type="critical" title="QuickBooks connection failed" description={qbo.failure} /> : null}
      {!canEdit ? (
        <Box css={{ color: 'secondary' }}>Only administrators and developers can connect or disconnect QuickBooks.</Box>
      ) : qbo.authorization ? (
        <Box css={{ stack: 'y', gap: 'small' }}>
          <Button type="primary" href={qbo.authorization.authorization_url} target="_blank" onPress={qbo.startPolling}>
            Open QuickBooks sign-in
          </Button>
          {qbo.polling ? <Loading label="Waiting for you to finish signing in to QuickBooks…" /> : null}
        </Box>
      ) : (
        <Box css={{ stack: 'x', gap: 'small' }}>
          <Button
            type={connected ? 'secondary' : 'primary'}
            pending={qbo.busy}
            onPress={() => void qbo.requestAuthorization()}
          >
            {connected || s.status === 'expired' ? 'Reconnect QuickBooks' : 'Connect QuickBooks'}
          </Button>
          {connected ? (
            <Button type="destructive" pending={qbo.busy} onPress={() => void qbo.disconnect()}>
              Disconnect
            </Button>
          ) : null}
        </Box>
      )}
    </Box>
  );
}
