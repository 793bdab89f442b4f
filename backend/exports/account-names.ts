/**
 * Account names for the plain-text accounting journals (hledger, beancount). The top level
 * comes from the role's kind (Assets, Liabilities, Income, Expenses; Equity is reserved — Accrue
 * posts none), the second level names the role, the third is the tenant's account name. Each
 * tool has its own rules for what a name may contain; names are sanitized to them and made
 * unique, so two different (role, account) pairs never merge into one account by accident.
 */
import { ROLE_INFO, type AccountKind, type AccountRole } from '../../shared/accounts.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';

export type JournalTool = 'hledger' | 'beancount';

const TOP_LEVEL: Record<AccountKind, 'Assets' | 'Liabilities' | 'Income' | 'Expenses'> = {
  asset: 'Assets',
  liability: 'Liabilities',
  contra_liability: 'Liabilities',
  income: 'Income',
  contra_income: 'Income',
  other_income: 'Income',
  expense: 'Expenses',
  other_expense: 'Expenses',
};

/** Longest name component we write; both tools accept more, but people have to read them. */
export const ACCOUNT_COMPONENT_LENGTH_MAX = 60;

function words(text: string): string[] {
  return text.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
}

/**
 * One name component in a tool's rules. hledger: any text without ':' (the separator), ';'
 * (starts a comment), runs of spaces (two spaces end the name) or brackets (virtual postings);
 * we keep letters, digits and single spaces. beancount: a capital letter or digit, then
 * letters, digits and dashes; words are capitalized and joined with '-'.
 */
export function nameComponent(text: string, tool: JournalTool): string {
  const ws = words(text);
  if (ws.length === 0) return 'Unnamed';
  const joined = tool === 'hledger' ? ws.join(' ') : ws.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('-');
  return joined.slice(0, ACCOUNT_COMPONENT_LENGTH_MAX).replace(/[- ]+$/, '');
}

/** The un-deduplicated full name of a role/account pair. */
export function accountPath(role: AccountRole, account: string, tool: JournalTool): string {
  const top = TOP_LEVEL[ROLE_INFO[role].kind];
  const roleName = role
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(tool === 'hledger' ? ' ' : '-');
  return `${top}:${roleName}:${nameComponent(account, tool)}`;
}

/**
 * Names every (role, account) pair used by `lines`, deterministically: pairs are taken in
 * sorted order and a pair whose sanitized name is already taken gets a numeric suffix.
 * Returns a lookup by `role\u0000account`.
 */
export function accountNames(lines: readonly LedgerLine[], tool: JournalTool): Map<string, string> {
  const pairs = [...new Set(lines.map((l) => pairKey(l.role, l.account)))].sort();
  const taken = new Set<string>();
  const out = new Map<string, string>();
  for (const pair of pairs) {
    const [role, account] = pair.split('\u0000') as [AccountRole, string];
    const base = accountPath(role, account, tool);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}${tool === 'hledger' ? ' ' : '-'}${n}`;
    taken.add(name);
    out.set(pair, name);
  }
  return out;
}

export function pairKey(role: AccountRole, account: string): string {
  return `${role}\u0000${account}`;
}
