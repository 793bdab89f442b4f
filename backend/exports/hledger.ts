/**
 * hledger journal export: the posted ledger as an hledger journal that `hledger check --strict`
 * accepts and whose `hledger bal` equals our trial balance. One transaction per entry, dated on
 * its posting date, with the entry id as the transaction code and the entry key, kind and
 * correction flag as tags; amounts in major units with the upper-case currency code; the
 * original currency amount and rate, when any, as posting tags (never as a price, which would
 * change what hledger balances).
 *
 * Every commodity gets a `commodity` directive with its ISO decimals, because without one
 * hledger cannot tell whether "1.000 KWD" is one dinar or a thousand.
 */
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { currencyExponent, formatMinor, type Currency } from '../../shared/money.ts';
import { compareLines, distinctSorted, groupBy } from '../../shared/reports/common.ts';
import { accountNames, pairKey } from './account-names.ts';

/** hledger tag values end at a comma or the end of the line; the text must contain neither. */
function tagValue(text: string): string {
  return text.replace(/[,\r\n]+/g, '_').trim();
}

/** Descriptions end at ';' (comment) and split payee|note at '|'; neither may appear. */
function description(text: string): string {
  return text
    .replace(/[;|\r\n]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A commodity directive sample showing the currency's decimals: "1000.00 USD", "1000. JPY". */
function commodityDirective(currency: Currency): string {
  const exp = currencyExponent(currency);
  return `commodity 1000.${'0'.repeat(exp)} ${currency.toUpperCase()}`;
}

/**
 * Renders `lines` (one tenant, any periods) as an hledger journal. Entries appear in period,
 * posting date and entry key order; lines in line order.
 */
export function toHledgerJournal(lines: readonly LedgerLine[]): string {
  const sorted = [...lines].sort(compareLines);
  const names = accountNames(sorted, 'hledger');
  const out: string[] = [];
  out.push('; Accrue ledger export (hledger journal). Generated; do not edit by hand.', '');
  const currencies = distinctSorted(
    sorted.flatMap((l) => (l.original ? [l.currency, l.original.currency] : [l.currency])),
  );
  for (const c of currencies) out.push(commodityDirective(c));
  out.push('');
  for (const name of [...new Set(names.values())].sort()) out.push(`account ${name}`);
  out.push('');

  for (const [entryId, entryLines] of groupBy(sorted, (l) => l.entryId)) {
    const head = entryLines[0]!;
    const tags = [`entry:${tagValue(head.entryKey)}`, `kind:${head.kind}`];
    if (head.sources[0]) tags.push(`source:${tagValue(head.sources[0])}`);
    if (head.correction) tags.push('correction:true');
    if (head.originalDate) tags.push(`original_date:${head.originalDate}`);
    if (head.reversesEntryId) tags.push(`reverses:${tagValue(head.reversesEntryId)}`);
    const code = entryId.replace(/[()\s]/g, '_');
    out.push(`${head.postingDate} * (${code}) ${description(head.memo) || head.kind}  ; ${tags.join(', ')}`);
    for (const l of entryLines) {
      const name = names.get(pairKey(l.role, l.account))!;
      let posting = `    ${name}  ${formatMinor(l.amountMinor, l.currency)} ${l.currency.toUpperCase()}`;
      if (l.original) {
        posting += `  ; original:${formatMinor(l.original.amountMinor, l.original.currency)} ${l.original.currency.toUpperCase()}, rate:${tagValue(l.original.rate)}`;
      }
      out.push(posting);
    }
    out.push('');
  }
  return out.join('\n');
}

/** The hledger account name each (role, account) pair was written under, for comparisons. */
export function hledgerAccountNames(lines: readonly LedgerLine[]): Map<string, string> {
  return accountNames(lines, 'hledger');
}
