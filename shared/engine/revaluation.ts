/**
 * Period-end revaluation of foreign-currency monetary balances (docs/accounting.md §3,
 * "Period-end revaluation"; setting `revalue_monetary_balances`, default off). At each period end
 * the balance each monetary role holds in a foreign currency — the sum of its lines' `original`
 * amounts, carried at the sum of their functional amounts — is restated at the period end's rate;
 * the difference goes to `fx_unrealized` and is reversed on the first day of the next period, so
 * the realized difference still lands where it arises (payment, refund, payout). Deferred revenue
 * is non-monetary and never revalued. One entry per period and currency: a currency without a
 * usable rate is an exception and books nothing, the others still book.
 *
 * Pure: the same lines, settings and periods give the same entries, whoever calls it (the release
 * in the database, the golden replay).
 */
import type { AccountRole } from '../accounts.ts';
import type { EntryDraft, LineDraft, LocalDate } from '../journal.ts';
import { minor, type Currency } from '../money.ts';
import type { Period } from '../periods.ts';
import type { TenantSettings } from '../settings.ts';
import { addDays } from '../time.ts';
import { convertMinor } from './allocation.ts';
import { makeContext } from './context.ts';
import { configuredRate, estimatedRateWarning, noRateReason } from './fx.ts';

/** The monetary roles restated at a period end. */
export const MONETARY_ROLES = [
  'receivable',
  'unbilled_receivable',
  'cash_clearing',
  'customer_balance',
  'tax_liability',
] as const satisfies readonly AccountRole[];

/** Entry keys of revaluations (and their reversals) start with this; they never revalue themselves. */
export const REVALUATION_KEY_PREFIX = 'fxr:';

/** A ledger line as revaluation reads it. */
export interface RevaluedLine {
  entryKey: string;
  postingDate: LocalDate;
  role: AccountRole;
  amountMinor: bigint;
  original?: { currency: Currency; amountMinor: bigint } | undefined;
}

export interface RevaluationProblem {
  objectId: string;
  reason: string;
  /** `warning`: booked on an estimated rate. Absent: not booked. */
  severity?: 'warning' | undefined;
}

export interface RevaluationResult {
  entries: EntryDraft[];
  problems: RevaluationProblem[];
}

interface Held {
  original: bigint;
  functional: bigint;
}

/** What each monetary role holds per foreign currency before `end` (exclusive), revaluations left out. */
function balancesBefore(lines: readonly RevaluedLine[], end: LocalDate, functional: Currency): Map<string, Held> {
  const monetary = new Set<string>(MONETARY_ROLES);
  const held = new Map<string, Held>();
  for (const line of lines) {
    if (line.postingDate >= end || !line.original || line.original.currency === functional) continue;
    if (!monetary.has(line.role) || line.entryKey.startsWith(REVALUATION_KEY_PREFIX)) continue;
    const key = `${line.original.currency}|${line.role}`;
    const sum = held.get(key) ?? { original: 0n, functional: 0n };
    sum.original += line.original.amountMinor;
    sum.functional += line.amountMinor;
    held.set(key, sum);
  }
  return held;
}

/** The revaluation entries (and reversals) of `periods`, from the ledger's lines. */
export function revaluationEntries(
  lines: readonly RevaluedLine[],
  settings: TenantSettings,
  periods: readonly Period[],
): RevaluationResult {
  const result: RevaluationResult = { entries: [], problems: [] };
  if (!settings.revalue_monetary_balances) return result;
  const functional = settings.functional_currency;
  for (const period of periods) {
    const byCurrency = new Map<Currency, { role: AccountRole; held: Held }[]>();
    for (const [key, held] of balancesBefore(lines, period.end, functional)) {
      const [currency, role] = key.split('|') as [Currency, AccountRole];
      const list = byCurrency.get(currency) ?? [];
      list.push({ role, held });
      byCurrency.set(currency, list);
    }
    for (const currency of [...byCurrency.keys()].sort()) {
      revalueCurrency(result, settings, period, currency, byCurrency.get(currency)!);
    }
  }
  return result;
}

function revalueCurrency(
  result: RevaluationResult,
  settings: TenantSettings,
  period: Period,
  currency: Currency,
  held: { role: AccountRole; held: Held }[],
): void {
  const functional = settings.functional_currency;
  const lastDay = addDays(period.end, -1);
  const key = `${REVALUATION_KEY_PREFIX}${period.key}:${currency}`;
  const choice = configuredRate(settings, currency, functional, lastDay);
  if (!choice || !choice.rate.gt(0)) {
    const reason = choice
      ? `the ${currency.toUpperCase()}→${functional.toUpperCase()} rate for ${lastDay} is not greater than zero`
      : noRateReason(currency, functional, lastDay);
    result.problems.push({
      objectId: key,
      reason: `${reason}; ${period.key} balances in ${currency.toUpperCase()} not revalued`,
    });
    return;
  }
  if (choice.estimatedFrom !== null) {
    result.problems.push({
      objectId: key,
      reason: estimatedRateWarning(currency, functional, lastDay, choice),
      severity: 'warning',
    });
  }
  const rate = choice.rate.toString();
  const lines: LineDraft[] = [];
  let total = 0n;
  for (const { role, held: sum } of held.sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : 0))) {
    const difference = convertMinor(sum.original, currency, functional, choice.rate) - sum.functional;
    if (difference === 0n) continue;
    total += difference;
    const memo = `${currency.toUpperCase()} balance restated at ${rate}`;
    const original = { currency, amountMinor: minor(0n), rate };
    lines.push({ role, amountMinor: minor(difference), currency: functional, original, memo });
  }
  if (lines.length === 0) return;
  lines.push({
    role: 'fx_unrealized',
    amountMinor: minor(-total),
    currency: functional,
    memo: 'unrealized exchange difference',
  });
  result.entries.push(
    {
      key,
      kind: 'fx',
      postingDate: lastDay,
      memo: `Revaluation of ${currency.toUpperCase()} balances at ${period.key} end`,
      sources: [key],
      lines,
    },
    {
      key: `${key}:reversal`,
      kind: 'fx',
      postingDate: period.end,
      memo: `Reversal of the ${currency.toUpperCase()} revaluation at ${period.key} end`,
      sources: [key],
      lines: lines.map((line) => ({ ...line, amountMinor: minor(-line.amountMinor) })),
    },
  );
}

/** The periods that end on or before `through` and after `after` (the last revalued day), in order. */
export function periodsToRevalue(
  settings: TenantSettings,
  after: LocalDate | null,
  through: LocalDate,
  from: LocalDate,
): Period[] {
  const calendar = makeContext(settings, through).calendar;
  const out: Period[] = [];
  for (let p = calendar.periodOf(from); addDays(p.end, -1) <= through; p = calendar.next(p)) {
    if (after === null || addDays(p.end, -1) > after) out.push(p);
  }
  return out;
}

/** Revaluation over the engine's own entries (a replay without a database). */
export function revalueEntries(
  entries: readonly EntryDraft[],
  settings: TenantSettings,
  through: LocalDate,
): RevaluationResult {
  if (!settings.revalue_monetary_balances || entries.length === 0) return { entries: [], problems: [] };
  const lines: RevaluedLine[] = [];
  let first = entries[0]!.postingDate;
  for (const entry of entries) {
    if (entry.postingDate < first) first = entry.postingDate;
    for (const line of entry.lines) {
      lines.push({
        entryKey: entry.key,
        postingDate: entry.postingDate,
        role: line.role,
        amountMinor: line.amountMinor,
        original: line.original,
      });
    }
  }
  return revaluationEntries(lines, settings, periodsToRevalue(settings, null, through, first));
}
