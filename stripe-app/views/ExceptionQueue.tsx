/**
 * The exception queue with its actions (viewport `stripe.dashboard.payment.list`): every open
 * exception with its reason and the ids to look up, and what a person can do about it — retry,
 * map the missing account to a QuickBooks account (then retry), exclude it with a reason, or mark
 * it reviewed. Each action is audited by the backend in the action's own transaction; only
 * administrators and developers see the buttons.
 */
import { Badge, Box, Button, ContextView, Select, TextField } from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { useState } from 'react';
import { ACCOUNT_ROLES, ROLE_INFO, type AccountRole } from '../../shared/accounts.ts';
import type { ExceptionItem } from '../../shared/api/app.ts';
import { instant } from '../components/format.ts';
import { Empty, ErrorBanner, Loading } from '../components/States.tsx';
import type { AppClient } from '../data/client.ts';
import { confirmDone } from '../hooks/notify.ts';
import { useAction } from '../hooks/useAction.ts';
import { useAppClient } from '../hooks/useAppClient.ts';
import { useLoad } from '../hooks/useLoad.ts';

const ExceptionQueue = (context: ExtensionContextValue) => {
  const { client, canEdit } = useAppClient(context);
  const { state, reload } = useLoad(() => client.listExceptions({ status: 'open' }), [client]);
  let body;
  if (state.status === 'loading') body = <Loading label="Loading exceptions…" />;
  else if (state.status === 'error')
    body = <ErrorBanner title="Could not load exceptions" error={state.error} onRetry={reload} />;
  else if (state.data.exceptions.length === 0) body = <Empty message="Nothing needs your attention." />;
  else
    body = (
      <Box css={{ stack: 'y', gap: 'large' }}>
        {state.data.exceptions.map((item) => (
          <ExceptionCard key={item.id} client={client} canEdit={canEdit} item={item} onChanged={reload} />
        ))}
        {state.data.has_more ? <Box css={{ color: 'secondary' }}>More exceptions wait in the queue.</Box> : null}
      </Box>
    );
  return (
    <ContextView title="Exceptions" description="What Accrue could not book or post, and what to do about it">
      {body}
    </ContextView>
  );
};

type Mode = 'none' | 'exclude' | 'map';
type Kind = 'retry' | 'review' | 'exclude' | 'map';

function ExceptionCard(props: { client: AppClient; canEdit: boolean; item: ExceptionItem; onChanged: () => void }) {
  const { client, canEdit, item, onChanged } = props;
  const action = useAction<Kind>();
  const [mode, setMode] = useState<Mode>('none');
  const [reason, setReason] = useState('');
  const [role, setRole] = useState<AccountRole>('revenue');
  const [account, setAccount] = useState('');
  const done = (message: string) => {
    confirmDone(message);
    setMode('none');
    onChanged();
  };
  const exclude = () => {
    if (reason.trim().length < 3)
      return action.setProblem('Say why it is excluded; the reason is kept with the books.');
    void action.run('exclude', async () => {
      await client.excludeException(item.id, reason.trim());
      done('Excluded');
    });
  };
  const map = () => {
    if (!account.trim()) return action.setProblem('Choose the QuickBooks account to map it to.');
    void action.run('map', async () => {
      await client.mapExceptionAccount(item.id, { role, qbo_account_id: account.trim() });
      done('Account mapped');
    });
  };
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ stack: 'x', gap: 'small', alignY: 'center' }}>
        <Badge type={item.status === 'retrying' ? 'info' : 'warning'}>{item.kind.replace(/_/g, ' ')}</Badge>
        <Box css={{ color: 'secondary' }}>
          since {instant(item.created_at)}, {item.attempts} attempts
        </Box>
      </Box>
      <Box>{item.reason}</Box>
      <Box css={{ color: 'secondary' }}>Look up: {item.object_ids.join(', ')}</Box>
      {canEdit ? (
        <Box css={{ stack: 'x', gap: 'small', wrap: 'wrap' }}>
          {item.retryable ? (
            <Button
              size="small"
              pending={action.busy === 'retry'}
              onPress={() =>
                void action.run('retry', async () => {
                  await client.retryException(item.id);
                  done('Retrying');
                })
              }
            >
              Retry
            </Button>
          ) : null}
          <Button size="small" onPress={() => setMode(mode === 'map' ? 'none' : 'map')}>
            Map account
          </Button>
          <Button size="small" onPress={() => setMode(mode === 'exclude' ? 'none' : 'exclude')}>
            Exclude
          </Button>
          <Button
            size="small"
            pending={action.busy === 'review'}
            onPress={() =>
              void action.run('review', async () => {
                await client.reviewException(item.id);
                done('Marked reviewed');
              })
            }
          >
            Mark reviewed
          </Button>
        </Box>
      ) : null}
      {mode === 'exclude' ? (
        <ExcludeForm reason={reason} setReason={setReason} pending={action.busy === 'exclude'} onExclude={exclude} />
      ) : null}
      {mode === 'map' ? (
        <MapForm
          role={role}
          setRole={setRole}
          account={account}
          setAccount={setAccount}
          pending={action.busy === 'map'}
          onMap={map}
        />
      ) : null}
      {action.problem ? <Box css={{ color: 'critical' }}>{action.problem}</Box> : null}
    </Box>
  );
}

function ExcludeForm(props: {
  reason: string;
  setReason: (r: string) => void;
  pending: boolean;
  onExclude: () => void;
}) {
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <TextField
        label="Reason for excluding (required)"
        name="exclude_reason"
        value={props.reason}
        onChange={(e) => props.setReason(e.target.value)}
      />
      <Button type="destructive" size="small" pending={props.pending} onPress={props.onExclude}>
        Exclude from the books
      </Button>
    </Box>
  );
}

function MapForm(props: {
  role: AccountRole;
  setRole: (r: AccountRole) => void;
  account: string;
  setAccount: (a: string) => void;
  pending: boolean;
  onMap: () => void;
}) {
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Select
        label="Account role"
        name="map_role"
        value={props.role}
        onChange={(e) => props.setRole(e.target.value as AccountRole)}
      >
        {ACCOUNT_ROLES.map((r) => (
          <option key={r} value={r}>
            {ROLE_INFO[r].defaultName}
          </option>
        ))}
      </Select>
      <TextField
        label="QuickBooks account id"
        name="map_account"
        value={props.account}
        onChange={(e) => props.setAccount(e.target.value)}
      />
      <Button type="primary" size="small" pending={props.pending} onPress={props.onMap}>
        Map and retry
      </Button>
    </Box>
  );
}

export default ExceptionQueue;
