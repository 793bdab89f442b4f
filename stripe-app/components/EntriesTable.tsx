/**
 * Journal entries as a bookkeeper reads them: date, what happened, each line's account with
 * its debit or credit, and whether QuickBooks has it yet.
 */
import { Badge, Box, Table, TableBody, TableCell, TableRow } from '@stripe/ui-extension-sdk/ui';
import type { EntrySummary } from '../../shared/api/app.ts';
import type { Currency } from '../../shared/money.ts';
import { calendarDate, money } from './format.ts';
import { TableHeader } from './TableHeader.tsx';

/** "Dr Deferred Revenue 1,200.00 USD" / "Cr Revenue 100.00 USD" from a signed line. */
function lineText(account: string, amount_minor: string, currency: Currency): string {
  const debit = !amount_minor.startsWith('-');
  return `${debit ? 'Dr' : 'Cr'} ${account} ${money(debit ? amount_minor : amount_minor.slice(1), currency)}`;
}

export function EntriesTable({ entries }: { entries: readonly EntrySummary[] }) {
  return (
    <Table>
      <TableHeader titles={['Date', 'Entry', 'Lines', 'QuickBooks']} />
      <TableBody>
        {entries.map((e) => (
          <TableRow key={e.id}>
            <TableCell>{calendarDate(e.posting_date)}</TableCell>
            <TableCell wrap>
              {e.memo}
              {e.correction ? ' (correction)' : ''}
            </TableCell>
            <TableCell wrap>
              <Box css={{ stack: 'y' }}>
                {e.lines.map((l, i) => (
                  <Box key={i}>{lineText(l.account, l.amount_minor, e.currency)}</Box>
                ))}
              </Box>
            </TableCell>
            <TableCell>
              {e.qbo_id ? <Badge type="positive">Posted</Badge> : <Badge type="neutral">Pending</Badge>}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
