/**
 * Backfill progress and the exports (viewport `stripe.dashboard.report.overview`). A Stripe App
 * cannot download files, so an export is shown as text in a read-only box with a Copy button
 * (the Dashboard's clipboard), its file name and line count, and, when it is too long for the
 * App, the `accrue export` command that writes the whole file.
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
import { clipboardWriteText } from '@stripe/ui-extension-sdk/utils';
import { useState } from 'react';
import type { BackfillResponse } from '../../shared/api/close.ts';
import { count, instant } from '../components/format.ts';
import { ErrorBanner, Loading } from '../components/States.tsx';
import { TableHeader } from '../components/TableHeader.tsx';
import type { AppClient, ExportTextFormat } from '../data/client.ts';
import { confirmDone, reportFailure } from '../hooks/notify.ts';
import { useAppClient } from '../hooks/useAppClient.ts';
import { useLoad } from '../hooks/useLoad.ts';

const FORMAT_LABELS: Record<ExportTextFormat, string> = {
  csv: 'Journal (CSV)',
  quickbooks: 'QuickBooks import (CSV, netted)',
  hledger: 'hledger journal',
  beancount: 'beancount journal',
};

const CloseExports = (context: ExtensionContextValue) => {
  const { client } = useAppClient(context);
  return (
    <ContextView title="Backfill and exports" description="Historical import progress and your books as files">
      <Box css={{ stack: 'y', gap: 'medium' }}>
        <BackfillSection client={client} />
        <Divider />
        <ExportSection client={client} />
      </Box>
    </ContextView>
  );
};

function BackfillSection({ client }: { client: AppClient }) {
  const { state, reload } = useLoad(() => client.getBackfillProgress(), [client]);
  if (state.status === 'loading') return <Loading label="Loading backfill progress…" />;
  if (state.status === 'error')
    return <ErrorBanner title="Could not load backfill progress" error={state.error} onRetry={reload} />;
  return <BackfillTable data={state.data} onRefresh={reload} />;
}

function BackfillTable({ data, onRefresh }: { data: BackfillResponse; onRefresh: () => void }) {
  if (!data.started)
    return <Box css={{ color: 'secondary' }}>No backfill has run: Accrue books events as they arrive.</Box>;
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ stack: 'x', gap: 'small', alignY: 'center' }}>
        <Box css={{ font: 'subheading' }}>Backfill</Box>
        {data.done ? <Badge type="positive">Complete</Badge> : <Badge type="info">In progress</Badge>}
        {!data.done ? (
          <Button size="small" onPress={onRefresh}>
            Refresh
          </Button>
        ) : null}
      </Box>
      <Table>
        <TableHeader titles={['Stripe objects', 'Read so far', 'State', 'Last progress']} />
        <TableBody>
          {data.resources.map((r) => (
            <TableRow key={r.resource}>
              <TableCell>{r.resource.replace(/_/g, ' ')}</TableCell>
              <TableCell align="right">{count(r.items)}</TableCell>
              <TableCell>{r.done ? 'Done' : 'Reading'}</TableCell>
              <TableCell>{instant(r.updated_at)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}

function ExportSection({ client }: { client: AppClient }) {
  const [format, setFormat] = useState<ExportTextFormat>('csv');
  const { state, reload } = useLoad(() => client.getExportText(format), [client, format]);
  const copy = async (text: string) => {
    try {
      await clipboardWriteText(text);
      confirmDone('Copied to the clipboard');
    } catch {
      reportFailure('Could not copy; select the text and copy it by hand.');
    }
  };
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ font: 'subheading' }}>Exports</Box>
      <Select
        label="Format"
        name="export_format"
        value={format}
        onChange={(e) => setFormat(e.target.value as ExportTextFormat)}
      >
        {(Object.keys(FORMAT_LABELS) as ExportTextFormat[]).map((f) => (
          <option key={f} value={f}>
            {FORMAT_LABELS[f]}
          </option>
        ))}
      </Select>
      {state.status === 'loading' ? <Loading label="Preparing the export…" /> : null}
      {state.status === 'error' ? (
        <ErrorBanner title="Could not prepare the export" error={state.error} onRetry={reload} />
      ) : null}
      {state.status === 'loaded' ? (
        <Box css={{ stack: 'y', gap: 'small' }}>
          <Box css={{ color: 'secondary' }}>
            {state.data.filename}: {count(state.data.lines)} lines. Stripe Apps cannot download files: copy the text and
            save it under this name.
          </Box>
          <TextArea label={state.data.filename} name="export_text" value={state.data.content} readOnly rows={12} />
          <Button type="primary" onPress={() => void copy(state.data.content)}>
            Copy {FORMAT_LABELS[format]}
          </Button>
          {state.data.truncated ? (
            <Box css={{ color: 'critical' }}>
              This export is longer than the App can show; run `accrue export {format} --tenant {'<account>'} --out{' '}
              {'<file>'}` for the whole file.
            </Box>
          ) : null}
        </Box>
      ) : null}
    </Box>
  );
}

export default CloseExports;
