/**
 * The posting planner (pure): turns posted ledger lines into the QuickBooks journal entries that
 * represent them. `summary` mode (default) nets one entry per tenant, period and currency by
 * account; `detailed` mode makes one QuickBooks entry per ledger entry. Every planned entry has a
 * deterministic `requestId` and a searchable `DocNumber` derived from the tenant and its content,
 * so re-planning the same lines yields the same ids and the executor can tell "already posted".
 * Amounts stay bigint minor units until `toQboJournalEntry`, the JSON boundary.
 */
import { createHash } from 'node:crypto';
import type { AccountRole } from '../../shared/accounts.ts';
import { AccrueError } from '../../shared/errors.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { currencyExponent, formatMinor, normalizeCurrency, parseMajor, type Currency } from '../../shared/money.ts';
import type { QboJournalEntry, QboJournalEntryLine } from './adapter.ts';

/**
 * Lines per QuickBooks journal entry. QuickBooks documents no hard cap, but very large entries
 * are slow to save (the server gives up at 120 s), awkward for an accountant to open in the UI,
 * and a single validation error rejects all of them; 250 lines keeps a request body near 100 KB.
 */
export const JOURNAL_ENTRY_LINES_MAX = 250;
/** QuickBooks' DocNumber limit (`docs/quickbooks.md §3`). */
export const DOC_NUMBER_MAX_CHARS = 21;
/** QuickBooks' requestid limit (`docs/quickbooks.md §7`). */
export const REQUEST_ID_MAX_CHARS = 50;
/** PrivateNote and line Description limits (`docs/quickbooks.md §3`). */
export const NOTE_MAX_CHARS = 4000;
/**
 * A JSON number carries at most 15 significant decimal digits exactly; beyond that the amount
 * would change in transit, so such an amount is refused rather than rounded.
 */
export const EXACT_SIGNIFICANT_DIGITS_MAX = 15;
/** Prefix of every DocNumber we write: lets an accountant and our lookups find Accrue's entries. */
export const DOC_NUMBER_PREFIX = 'AC-';

export type PostingMode = 'summary' | 'detailed';

export interface MappedAccount {
  /** QuickBooks Account.Id. */
  id: string;
  /** QuickBooks AccountType, e.g. `Accounts Receivable` (which needs a Customer on each line). */
  accountType: string;
  name?: string | undefined;
}

/** Key of the account mapping: a role and the ledger's account name. */
export function mappingKey(role: AccountRole, account: string): string {
  return `${role}\u0000${account}`;
}

export interface RealmCurrency {
  /** QuickBooks home currency, upper case (`USD`). */
  homeCurrency: string;
  multicurrency: boolean;
}

export interface PlanInput {
  tenantId: string;
  /** Ledger lines not yet sent to QuickBooks; every entry's lines must all be present. */
  lines: readonly LedgerLine[];
  /** `mappingKey(role, account)` → QuickBooks account. */
  accounts: ReadonlyMap<string, MappedAccount>;
  /** Stripe customer id → QuickBooks Customer.Id, for lines on Accounts Receivable accounts. */
  customers?: ReadonlyMap<string, string> | undefined;
  mode?: PostingMode | undefined;
  realm: RealmCurrency;
  /** Home units per one unit of `currency` on `txnDate`, as a decimal string; needed for foreign-currency entries. */
  exchangeRate?: ((currency: string, txnDate: string) => string | undefined) | undefined;
  /** Override of JOURNAL_ENTRY_LINES_MAX (tests). */
  maxLines?: number | undefined;
}

export interface PlannedLine {
  accountId: string;
  accountType: string;
  postingType: 'Debit' | 'Credit';
  /** Positive minor units. */
  amount_minor: bigint;
  customerId?: string | undefined;
  description: string;
}

export interface PlannedEntry {
  requestId: string;
  docNumber: string;
  mode: PostingMode;
  txnDate: string;
  period: string;
  /** Lower-case ISO currency of the amounts. */
  currency: Currency;
  /** Set when the realm is multicurrency and the entry is not in the home currency. */
  exchangeRate?: string | undefined;
  multicurrency: boolean;
  privateNote: string;
  lines: PlannedLine[];
  /** Ledger entry ids this QuickBooks entry carries (so the caller can mark them sent). */
  sourceEntryIds: string[];
  part: { index: number; count: number };
  /** Hash of the lines as QuickBooks will store them; reconciliation compares it. */
  linesHash: string;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (no padding) of a SHA-256 digest: upper case, safe in DocNumbers and queries. */
function base32Hash(text: string): string {
  const bytes = createHash('sha256').update(text).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** Deterministic ids from a seed: `requestId` (44 chars) and `DocNumber` (19 chars). */
export function postingIds(seed: string): { requestId: string; docNumber: string } {
  const requestId = `acr-${base32Hash(`request|${seed}`).slice(0, 40).toLowerCase()}`;
  const docNumber = `${DOC_NUMBER_PREFIX}${base32Hash(`doc|${seed}`).slice(0, 16)}`;
  return { requestId, docNumber };
}

/** Major-unit JSON number for positive minor units; refuses amounts a JSON number can't carry exactly. */
export function minorToQboAmount(amount_minor: bigint, currency: Currency): number {
  const text = formatMinor(amount_minor, currency);
  const digits = text.replace(/[-.]/g, '').replace(/^0+/, '');
  if (digits.length > EXACT_SIGNIFICANT_DIGITS_MAX) {
    throw new AccrueError(
      'invalid_input',
      `amount ${text} ${currency.toUpperCase()} has more than ${EXACT_SIGNIFICANT_DIGITS_MAX} significant digits`,
    );
  }
  return Number(text);
}

/** Minor units of a QuickBooks amount (a JSON number) read back from the API. */
export function qboAmountToMinor(amount: number, currency: Currency): bigint {
  const text = String(amount);
  if (!/^-?\d+(\.\d+)?$/.test(text))
    throw new AccrueError('invalid_input', `QuickBooks amount ${text} is not a plain decimal`);
  const exp = currencyExponent(currency);
  const [, frac = ''] = text.split('.');
  // QuickBooks may drop trailing zeros (10.5); pad, but never round a finer value.
  return parseMajor(frac.length < exp ? Number(amount).toFixed(exp) : text, currency);
}

interface HashableLine {
  accountId: string;
  postingType: 'Debit' | 'Credit';
  amount_minor: bigint;
  customerId?: string | undefined;
}

/** Order-independent hash of journal lines (account, side, amount, customer). */
export function linesHash(lines: readonly HashableLine[]): string {
  const canon = lines.map((l) => `${l.accountId}|${l.postingType}|${l.amount_minor}|${l.customerId ?? ''}`).sort();
  return createHash('sha256').update(canon.join('\n')).digest('hex').slice(0, 32);
}

/** The same hash computed over a journal entry read back from QuickBooks. */
export function linesHashOfQbo(je: QboJournalEntry, fallbackCurrency: string): string {
  const currency = normalizeCurrency(je.CurrencyRef?.value ?? fallbackCurrency);
  return linesHash(
    je.Line.filter((l) => l.DetailType === 'JournalEntryLineDetail').map((l) => ({
      accountId: l.JournalEntryLineDetail.AccountRef.value,
      postingType: l.JournalEntryLineDetail.PostingType,
      amount_minor: qboAmountToMinor(l.Amount, currency),
      customerId:
        l.JournalEntryLineDetail.Entity?.Type === 'Customer'
          ? l.JournalEntryLineDetail.Entity.EntityRef.value
          : undefined,
    })),
  );
}

interface NetLine {
  accountId: string;
  accountType: string;
  customerId?: string | undefined;
  /** Signed: debit > 0. */
  amount: bigint;
  labels: Set<string>;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * Splits netted lines into balanced parts of at most `maxLines` lines. Debits and credits are
 * walked in order and matched amount by amount, so a part only closes where its debits equal its
 * credits; an account whose amount straddles a cut appears in both parts (totals are preserved).
 */
export function splitBalanced(lines: readonly NetLine[], maxLines: number): NetLine[][] {
  if (maxLines < 4) throw new AccrueError('internal', 'maxLines must be at least 4');
  if (lines.length <= maxLines) return [lines.map((l) => ({ ...l }))];
  const debits = lines.filter((l) => l.amount > 0n).map((l) => ({ line: l, left: l.amount }));
  const credits = lines.filter((l) => l.amount < 0n).map((l) => ({ line: l, left: -l.amount }));
  const parts: NetLine[][] = [];
  let current = new Map<NetLine, bigint>();
  const flush = (): void => {
    if (current.size === 0) return;
    parts.push([...current].map(([l, amount]) => ({ ...l, amount })));
    current = new Map();
  };
  let d = 0;
  let c = 0;
  while (d < debits.length && c < credits.length) {
    const dr = debits[d]!;
    const cr = credits[c]!;
    const newKeys = (current.has(dr.line) ? 0 : 1) + (current.has(cr.line) ? 0 : 1);
    if (current.size + newKeys > maxLines) flush();
    const x = dr.left < cr.left ? dr.left : cr.left;
    current.set(dr.line, (current.get(dr.line) ?? 0n) + x);
    current.set(cr.line, (current.get(cr.line) ?? 0n) - x);
    dr.left -= x;
    cr.left -= x;
    if (dr.left === 0n) d++;
    if (cr.left === 0n) c++;
  }
  if (d < debits.length || c < credits.length)
    throw new AccrueError('unbalanced_entry', 'lines to post do not balance');
  flush();
  return parts;
}

/** Problems collected over every group and reported together once all groups are planned. */
interface PlanProblems {
  unmapped: Set<string>;
  missingCustomers: Set<string>;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Groups the lines: per (period, currency) in summary mode, per ledger entry in detailed mode; sorted by key. */
function groupLines(lines: readonly LedgerLine[], mode: PostingMode): LedgerLine[][] {
  const groups = new Map<string, LedgerLine[]>();
  for (const line of lines) {
    const key = mode === 'summary' ? `${line.period}\u0000${line.currency.toLowerCase()}` : line.entryId;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(line);
  }
  return [...groups].sort(([a], [b]) => compareKeys(a, b)).map(([, group]) => group);
}

/** The QuickBooks customer of a line on an Accounts Receivable account; undefined (and noted) when missing. */
function receivableCustomer(line: LedgerLine, input: PlanInput, problems: PlanProblems): string | undefined {
  const customerId = line.customer ? input.customers?.get(line.customer) : undefined;
  if (!customerId) problems.missingCustomers.add(line.customer ?? `(no customer on ledger entry ${line.entryId})`);
  return customerId;
}

function compareNetLines(a: NetLine, b: NetLine): number {
  if (a.accountId !== b.accountId) return a.accountId < b.accountId ? -1 : 1;
  return (a.customerId ?? '') < (b.customerId ?? '') ? -1 : 1;
}

/**
 * Nets one group's lines per QuickBooks account (and customer), sorted, without those that net to
 * zero. Unmapped accounts and missing customers are noted in `problems` and left out; a group that
 * mixes currencies or does not balance is refused at once.
 */
function netGroup(
  group: readonly LedgerLine[],
  input: PlanInput,
  mode: PostingMode,
  problems: PlanProblems,
): NetLine[] {
  const first = group[0]!;
  const currency = first.currency;
  let total = 0n;
  const net = new Map<string, NetLine>();
  for (const line of group) {
    if (line.currency.toLowerCase() !== currency)
      throw new AccrueError('invalid_input', `entry ${line.entryId} mixes currencies`);
    total += line.amountMinor;
    const mapped = input.accounts.get(mappingKey(line.role, line.account));
    if (!mapped) {
      problems.unmapped.add(`${line.role} "${line.account}"`);
      continue;
    }
    let customerId: string | undefined;
    if (mapped.accountType === 'Accounts Receivable') {
      customerId = receivableCustomer(line, input, problems);
      if (!customerId) continue;
    }
    const key = `${mapped.id}\u0000${customerId ?? ''}`;
    let netLine = net.get(key);
    if (!netLine) {
      netLine = { accountId: mapped.id, accountType: mapped.accountType, customerId, amount: 0n, labels: new Set() };
      net.set(key, netLine);
    }
    netLine.amount += line.amountMinor;
    netLine.labels.add(
      mode === 'summary' ? `${line.role}: ${line.account}` : line.memo || `${line.role}: ${line.account}`,
    );
  }
  if (total !== 0n) {
    const what = mode === 'summary' ? `period ${first.period}` : `entry ${first.entryId}`;
    throw new AccrueError('unbalanced_entry', `lines of ${what} do not balance`, { total: total.toString() });
  }
  return [...net.values()].filter((n) => n.amount !== 0n).sort(compareNetLines);
}

/** The exchange rate a foreign-currency entry needs; undefined in the home currency. */
function exchangeRateFor(input: PlanInput, currency: string, txnDate: string): string | undefined {
  const upper = currency.toUpperCase();
  if (upper === input.realm.homeCurrency.toUpperCase()) return undefined;
  if (!input.realm.multicurrency) {
    throw new AccrueError(
      'not_configured',
      `QuickBooks company is in ${input.realm.homeCurrency} without multicurrency; cannot post ${upper}`,
    );
  }
  const rate = input.exchangeRate?.(upper, txnDate);
  if (!rate) throw new AccrueError('not_configured', `no exchange rate for ${upper} on ${txnDate}`);
  return rate;
}

/** What one group's planned entries share: everything but the part's own lines and ids. */
interface GroupPlan {
  mode: PostingMode;
  first: LedgerLine;
  currency: Currency;
  txnDate: string;
  exchangeRate: string | undefined;
  multicurrency: boolean;
  entryIds: string[];
  seedBase: string;
}

/** The group's shared facts; the content seed makes the same lines always give the same ids. */
function groupPlan(group: readonly LedgerLine[], input: PlanInput, mode: PostingMode): GroupPlan {
  const first = group[0]!;
  const currency = first.currency;
  const txnDate = group.reduce((max, l) => (l.postingDate > max ? l.postingDate : max), first.postingDate);
  const exchangeRate = exchangeRateFor(input, currency, txnDate);
  const content = createHash('sha256')
    .update(
      group
        .map((l) => `${l.entryId}:${l.lineNo}:${l.amountMinor}`)
        .sort()
        .join('\n'),
    )
    .digest('hex');
  const seedBase =
    mode === 'summary'
      ? `${input.tenantId}|summary|${first.period}|${currency}|${content}`
      : `${input.tenantId}|detailed|${first.entryKey}|${content}`;
  const entryIds = [...new Set(group.map((l) => l.entryId))].sort();
  return { mode, first, currency, txnDate, exchangeRate, multicurrency: input.realm.multicurrency, entryIds, seedBase };
}

/** One planned QuickBooks entry: part `index` (1-based) of `count` of a group. */
function plannedPart(group: GroupPlan, partLines: readonly NetLine[], index: number, count: number): PlannedEntry {
  const { mode, first, currency } = group;
  const ids = postingIds(`${group.seedBase}|${index}/${count}`);
  const partSuffix = count > 1 ? ` (part ${index} of ${count})` : '';
  const note =
    mode === 'summary'
      ? `Accrue summary ${first.period} ${currency.toUpperCase()}: ${group.entryIds.length} ledger entries${partSuffix}`
      : `${first.memo} [${first.kind}] ${first.sources.join(', ')} (ledger ${first.entryKey})${partSuffix}`;
  const lines: PlannedLine[] = partLines.map((n) => ({
    accountId: n.accountId,
    accountType: n.accountType,
    postingType: n.amount > 0n ? 'Debit' : 'Credit',
    amount_minor: n.amount > 0n ? n.amount : -n.amount,
    customerId: n.customerId,
    description: truncate([...n.labels].sort().join('; '), NOTE_MAX_CHARS),
  }));
  // Refuse at plan time any amount a JSON number cannot carry exactly, not mid-run.
  for (const l of lines) minorToQboAmount(l.amount_minor, currency);
  return {
    requestId: ids.requestId,
    docNumber: ids.docNumber,
    mode,
    txnDate: group.txnDate,
    period: first.period,
    currency,
    exchangeRate: group.exchangeRate,
    multicurrency: group.multicurrency,
    privateNote: truncate(note, NOTE_MAX_CHARS),
    lines,
    sourceEntryIds: group.entryIds,
    part: { index, count },
    linesHash: linesHash(lines),
  };
}

/** Plans the QuickBooks journal entries for a set of ledger lines. Pure and deterministic. */
export function planPostings(input: PlanInput): PlannedEntry[] {
  const mode = input.mode ?? 'summary';
  const maxLines = input.maxLines ?? JOURNAL_ENTRY_LINES_MAX;
  const problems: PlanProblems = { unmapped: new Set(), missingCustomers: new Set() };
  const planned: PlannedEntry[] = [];
  for (const group of groupLines(input.lines, mode)) {
    const lines = netGroup(group, input, mode, problems);
    if (lines.length === 0) continue; // Nets to zero: nothing to post.
    const shared = groupPlan(group, input, mode);
    const parts = splitBalanced(lines, maxLines);
    parts.forEach((partLines, index) => planned.push(plannedPart(shared, partLines, index + 1, parts.length)));
  }
  if (problems.unmapped.size > 0) {
    throw new AccrueError('unknown_account', 'ledger accounts are not mapped to QuickBooks accounts', {
      unmapped: [...problems.unmapped].sort(),
    });
  }
  if (problems.missingCustomers.size > 0) {
    throw new AccrueError('not_found', 'Accounts Receivable lines need QuickBooks customers', {
      customers: [...problems.missingCustomers].sort(),
    });
  }
  return planned;
}

/** The JSON body QuickBooks receives for a planned entry: the only place amounts become numbers. */
export function toQboJournalEntry(plan: PlannedEntry): QboJournalEntry {
  const currency = plan.currency;
  const lines: QboJournalEntryLine[] = plan.lines.map((l) => {
    const line: QboJournalEntryLine = {
      DetailType: 'JournalEntryLineDetail',
      Amount: minorToQboAmount(l.amount_minor, currency),
      Description: l.description,
      JournalEntryLineDetail: { PostingType: l.postingType, AccountRef: { value: l.accountId } },
    };
    if (l.customerId) line.JournalEntryLineDetail.Entity = { Type: 'Customer', EntityRef: { value: l.customerId } };
    return line;
  });
  const je: QboJournalEntry = {
    DocNumber: plan.docNumber,
    TxnDate: plan.txnDate,
    PrivateNote: plan.privateNote,
    Line: lines,
  };
  if (plan.multicurrency) {
    je.CurrencyRef = { value: currency.toUpperCase() };
    if (plan.exchangeRate) je.ExchangeRate = Number(plan.exchangeRate);
  }
  return je;
}
