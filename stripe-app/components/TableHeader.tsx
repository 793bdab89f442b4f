/** A table's header: one row of column titles. */
import { TableHead, TableHeaderCell, TableRow } from '@stripe/ui-extension-sdk/ui';

export function TableHeader({ titles }: { titles: readonly string[] }) {
  return (
    <TableHead>
      <TableRow>
        {titles.map((title, index) => (
          <TableHeaderCell key={index}>{title}</TableHeaderCell>
        ))}
      </TableRow>
    </TableHead>
  );
}
