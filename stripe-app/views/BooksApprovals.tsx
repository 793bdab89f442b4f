/**
 * Journals and approvals (viewport `stripe.dashboard.payout.list`): the approval queue — changes
 * above the account's materiality threshold (manual journals, period reopens, rule changes) that
 * wait for a second person — with Approve and Reject for administrators who did not request them;
 * and, for users with edit rights, a manual journal posted from a balanced CSV, which either posts
 * at once or joins the queue.
 */
import { useState } from 'react';
import {
  Badge,
  Banner,
  Box,
  Button,
  ContextView,
  Divider,
  Table,
  TableBody,
  TableCell,
  TableRow,
  TextArea,
  TextField,
} from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import type { AppApproval, ManualJournalResponse } from '../../shared/api/approvals.ts';
import type { Currency } from '../../shared/money.ts';
import { instant, money } from '../components/format.ts';
import { Empty, ErrorBanner, Loading } from '../components/States.tsx';
import { TableHeader } from '../components/TableHeader.tsx';
import type { AppClient } from '../data/client.ts';
import { useAppClient } from '../hooks/useAppClient.ts';
import { asAppError, useLoad } from '../hooks/useLoad.ts';
import { confirmDone, reportFailure } from '../hooks/notify.ts';

const JOURNAL_EXAMPLE =
  'entry_key,date,account_role,currency,debit,credit,reason\nreclass-1,2026-04-30,revenue,usd,120.00,,Reclass per ticket 42\nreclass-1,2026-04-30,deferred_revenue,usd,,120.00,Reclass per ticket 42';

/** An amount of the functional currency, or "any amount" for changes that always need approval. */
function amount(minor: string | null, currency: Currency): string {
  return minor === null ? 'any amount' : money(minor, currency);
}

function ApprovalRow(props: {
  item: AppApproval;
  currency: Currency;
  busy: string | null;
  onDecide: (item: AppApproval, decision: 'approve' | 'reject') => void;
}) {
  const { item, currency, busy, onDecide } = props;
  return (
    <TableRow>
      <TableCell wrap>
        <Box css={{ stack: 'y', gap: 'xsmall' }}>
          <Box>{item.summary}</Box>
          <Box css={{ color: 'secondary' }}>{`Why: ${item.reason}`}</Box>
        </Box>
      </TableCell>
      <TableCell wrap>{`${item.requested_by}, ${instant(item.requested_at)}`}</TableCell>
      <TableCell>{amount(item.movement_minor, currency)}</TableCell>
      <TableCell>
        {item.can_decide ? (
          <Box css={{ stack: 'x', gap: 'small' }}>
            <Button
              size="small"
              type="primary"
              pending={busy === item.id}
              disabled={busy !== null}
              onPress={() => onDecide(item, 'approve')}
            >
              Approve
            </Button>
            <Button size="small" disabled={busy !== null} onPress={() => onDecide(item, 'reject')}>
              Reject
            </Button>
          </Box>
        ) : (
          <Badge type="neutral">{item.status === 'pending' ? 'Waiting for an approver' : item.status}</Badge>
        )}
      </TableCell>
    </TableRow>
  );
}

function JournalForm({ client, onDone }: { client: AppClient; onDone: () => void }) {
  const [csv, setCsv] = useState('');
  const [reason, setReason] = useState('');
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<ManualJournalResponse | null>(null);
  const post = async () => {
    setSending(true);
    try {
      const r = await client.postManualJournal({ csv, ...(reason.trim() ? { reason: reason.trim() } : {}) });
      setResult(r);
      if (r.status === 'posted')
        confirmDone(`Posted ${r.posted} entries (${r.already_posted} were already in the books).`);
      else confirmDone('The journal waits for approval.');
      onDone();
    } catch (err) {
      reportFailure(`Journal refused: ${asAppError(err).message}`);
    } finally {
      setSending(false);
    }
  };
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <TextArea
        name="journal_csv"
        label="Manual journal (CSV)"
        description="Columns entry_key, date, account_role, currency, debit, credit, reason; rows with one entry_key form a balanced entry."
        placeholder={JOURNAL_EXAMPLE}
        rows={6}
        value={csv}
        onChange={(e) => setCsv(e.target.value)}
      />
      <TextField
        name="journal_reason"
        label="Why (for the approver)"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
      />
      <Button type="primary" pending={sending} disabled={!csv.trim() || sending} onPress={() => void post()}>
        Post journal
      </Button>
      {result?.status === 'pending_approval' && result.approval ? (
        <Banner
          type="default"
          title={`Waiting for approval (request ${result.approval.id})`}
          description={`${result.approval.summary}. An administrator other than you approves or rejects it.`}
        />
      ) : null}
    </Box>
  );
}

const BooksApprovals = (context: ExtensionContextValue) => {
  const { client, canEdit } = useAppClient(context);
  const queue = useLoad(() => client.listApprovals('pending'), [client]);
  const [busy, setBusy] = useState<string | null>(null);
  const [note, setNote] = useState('');

  const decide = async (item: AppApproval, decision: 'approve' | 'reject') => {
    if (decision === 'reject' && note.trim().length < 3) {
      reportFailure('Say why you reject it in the note first.');
      return;
    }
    setBusy(item.id);
    try {
      await client.decideApproval(item.id, { decision, ...(note.trim() ? { note: note.trim() } : {}) });
      confirmDone(decision === 'approve' ? 'Approved and applied.' : 'Rejected.');
      setNote('');
      queue.reload();
    } catch (err) {
      reportFailure(`Could not ${decision}: ${asAppError(err).message}`);
    } finally {
      setBusy(null);
    }
  };

  const data = queue.state.status === 'loaded' ? queue.state.data : null;
  return (
    <ContextView title="Journals and approvals" description="Changes that wait for a second person">
      <Box css={{ stack: 'y', gap: 'medium' }}>
        {queue.state.status === 'loading' ? <Loading label="Loading the approval queue…" /> : null}
        {queue.state.status === 'error' ? (
          <ErrorBanner title="Could not load the approval queue" error={queue.state.error} onRetry={queue.reload} />
        ) : null}
        {data ? (
          <Box css={{ color: 'secondary' }}>
            {data.threshold_minor === null
              ? 'Approvals are off: changes apply at once.'
              : `Manual journals and rule changes moving more than ${amount(data.threshold_minor, data.currency)} in a period, and every period reopen, wait here.`}
          </Box>
        ) : null}
        {data && data.approvals.length === 0 ? <Empty message="Nothing waits for approval." /> : null}
        {data && data.approvals.length > 0 ? (
          <>
            <Table>
              <TableHeader titles={['Change', 'Requested', 'Moves up to', ' ']} />
              <TableBody>
                {data.approvals.map((item) => (
                  <ApprovalRow
                    key={item.id}
                    item={item}
                    currency={data.currency}
                    busy={busy}
                    onDecide={(i, d) => void decide(i, d)}
                  />
                ))}
              </TableBody>
            </Table>
            {data.approvals.some((a) => a.can_decide) ? (
              <TextField
                name="decision_note"
                label="Note (required to reject)"
                value={note}
                onChange={(e) => setNote(e.target.value)}
              />
            ) : null}
          </>
        ) : null}
        {canEdit ? (
          <>
            <Divider />
            <Box css={{ font: 'subheading' }}>Post a manual journal</Box>
            <JournalForm client={client} onDone={queue.reload} />
          </>
        ) : null}
      </Box>
    </ContextView>
  );
};

export default BooksApprovals;
