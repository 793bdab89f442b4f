/**
 * "One revenue figure": the revenue of the income statement, the waterfall total and the deferred
 * revenue roll-forward's "recognized" over the same periods, with every reconciling item between
 * them, so the three totals the reports show visibly tie. Loads on its own, so a failure here
 * does not hide the charts.
 */
import { Badge, Box, Table, TableBody, TableCell, TableRow } from '@stripe/ui-extension-sdk/ui';
import type { RevenueBridgeResponse } from '../../shared/api/cockpit.ts';
import type { AppClient } from '../data/client.ts';
import { useLoad } from '../hooks/useLoad.ts';
import { calendarMonth, money } from './format.ts';
import { ErrorBanner, Loading } from './States.tsx';

/** What an entry kind is, in a bookkeeper's words. */
const KIND_LABELS: Record<string, string> = {
  unbilled_accrual: 'earned before it was invoiced (unbilled)',
  fx: 'exchange differences',
  manual: 'manual entries',
  reversal: 'reversals of other entries',
  invoice_finalized: 'recognized at invoicing',
  charge: 'one-time payments',
};

/** The bridge as labelled rows: each total, then the signed items that, added to it, give the next total. */
export function bridgeRows(b: RevenueBridgeResponse): { label: string; amount_minor: string; total: boolean }[] {
  const neg = (v: string) => (-BigInt(v)).toString();
  const income =
    b.income_minor !== undefined
      ? [
          { label: 'Income (income statement)', amount_minor: b.income_minor, total: true },
          ...(b.other_income ?? []).map((i) => ({
            label: `${i.role.replace(/_/g, ' ')} (income, not subscription revenue)`,
            amount_minor: neg(i.amount_minor),
            total: false,
          })),
        ]
      : [];
  return [
    ...income,
    { label: 'Revenue (trial balance)', amount_minor: b.revenue_minor, total: true },
    ...b.outside_waterfall.map((i) => ({
      label: `revenue ${KIND_LABELS[i.kind] ?? `from ${i.kind} entries`}`,
      amount_minor: neg(i.amount_minor),
      total: false,
    })),
    { label: 'Revenue waterfall', amount_minor: b.waterfall_minor, total: true },
    {
      label: 'reversals of recognition (roll-forward: other)',
      amount_minor: neg(b.reversals_of_recognition_minor),
      total: false,
    },
    ...b.recognition_other_accounts.map((i) => ({
      label: `recognition moved on ${i.role.replace(/_/g, ' ')}`,
      amount_minor: neg(i.amount_minor),
      total: false,
    })),
    { label: 'Deferred revenue roll-forward: recognized', amount_minor: b.rollforward_recognized_minor, total: true },
  ].filter((r) => r.total || r.amount_minor !== '0');
}

export function RevenueBridgeSection({ client, periods }: { client: AppClient; periods: number }) {
  const { state, reload } = useLoad(() => client.getRevenueBridge(periods), [client, periods]);
  if (state.status === 'loading') return <Loading label="Reconciling revenue…" />;
  if (state.status === 'error')
    return <ErrorBanner title="Could not reconcile revenue" error={state.error} onRetry={reload} />;
  const b = state.data;
  return (
    <Box css={{ stack: 'y', gap: 'small' }}>
      <Box css={{ font: 'subheading' }}>
        One revenue figure: {calendarMonth(b.from_period)} to {calendarMonth(b.through_period)}
      </Box>
      <Box css={{ color: 'secondary' }}>Each total plus the items under it gives the next total.</Box>
      <Table>
        <TableBody>
          {bridgeRows(b).map((r, i) => (
            <TableRow key={i}>
              <TableCell>{r.total ? r.label : `   ${r.label}`}</TableCell>
              <TableCell align="right">{money(r.amount_minor, b.currency)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {b.ties_out ? (
        <Badge type="positive">The reports tie</Badge>
      ) : (
        <Badge type="negative">The reports do not tie</Badge>
      )}
    </Box>
  );
}
