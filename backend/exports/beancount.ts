/**
 * beancount (v2) journal export: the posted ledger as a file `bean-check` accepts. The file
 * declares every functional currency as an `operating_currency`, opens each account on the
 * date of its first posting (beancount refuses a posting before its account's `open`), and
 * writes one transaction per entry on its posting date. The entry key becomes a link
 * (`^...`, sanitized to beancount's link characters) and is kept verbatim in metadata with the
 * entry id, kind and source; corrections carry the `#correction` tag. Original-currency amounts
 * and rates are posting metadata, not prices, so they do not change what beancount balances.
 */
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { formatMinor } from '../../shared/money.ts';
import { compareLines, compareText, distinctSorted, groupBy } from '../../shared/reports/common.ts';
import { accountNames, pairKey } from './account-names.ts';

/** A beancount string literal: backslashes and quotes escaped, line breaks flattened. */
function str(text: string): string {
  return `"${text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/[\r\n]+/g, ' ')}"`;
}

/** Links and tags may contain only letters, digits, '-', '_', '/' and '.'. */
function linkName(text: string): string {
  const s = text.replace(/[^A-Za-z0-9\-_/.]+/g, '-');
  return s.length > 0 ? s : 'entry';
}

export interface BeancountOptions {
  /** File title (option "title"). */
  title?: string | undefined;
}

/**
 * Renders `lines` (one tenant, any periods) as a beancount v2 file: options, `open` directives
 * dated at each account's first use, then one transaction per entry in posting order.
 */
export function toBeancountJournal(lines: readonly LedgerLine[], options: BeancountOptions = {}): string {
  const sorted = [...lines].sort(compareLines);
  const names = accountNames(sorted, 'beancount');
  const out: string[] = [];
  out.push('; Accrue ledger export (beancount v2). Generated; do not edit by hand.');
  out.push(`option "title" ${str(options.title ?? 'Accrue ledger export')}`);
  for (const c of distinctSorted(sorted.map((l) => l.currency)))
    out.push(`option "operating_currency" "${c.toUpperCase()}"`);
  out.push('');

  const firstUse = new Map<string, string>();
  for (const l of sorted) {
    const name = names.get(pairKey(l.role, l.account))!;
    const seen = firstUse.get(name);
    if (seen === undefined || l.postingDate < seen) firstUse.set(name, l.postingDate);
  }
  for (const [name, date] of [...firstUse.entries()].sort(
    (a, b) => compareText(a[1], b[1]) || compareText(a[0], b[0]),
  )) {
    out.push(`${date} open ${name}`);
  }
  out.push('');

  for (const [entryId, entryLines] of groupBy(sorted, (l) => l.entryId)) {
    const head = entryLines[0]!;
    const tags = head.correction ? ' #correction' : '';
    out.push(`${head.postingDate} * ${str(head.memo || head.kind)} ^${linkName(head.entryKey)}${tags}`);
    out.push(`  entry_id: ${str(entryId)}`);
    out.push(`  entry_key: ${str(head.entryKey)}`);
    out.push(`  kind: ${str(head.kind)}`);
    out.push(`  period: ${str(head.period)}`);
    if (head.sources[0]) out.push(`  source: ${str(head.sources[0])}`);
    if (head.originalDate) out.push(`  original_date: ${str(head.originalDate)}`);
    if (head.reversesEntryId) out.push(`  reverses: ${str(head.reversesEntryId)}`);
    for (const l of entryLines) {
      const name = names.get(pairKey(l.role, l.account))!;
      out.push(`  ${name}  ${formatMinor(l.amountMinor, l.currency)} ${l.currency.toUpperCase()}`);
      if (l.original) {
        out.push(
          `    original: ${str(`${formatMinor(l.original.amountMinor, l.original.currency)} ${l.original.currency.toUpperCase()}`)}`,
        );
        out.push(`    rate: ${str(l.original.rate)}`);
      }
    }
    out.push('');
  }
  return out.join('\n');
}

/** The beancount account name each (role, account) pair was written under, for comparisons. */
export function beancountAccountNames(lines: readonly LedgerLine[]): Map<string, string> {
  return accountNames(lines, 'beancount');
}
