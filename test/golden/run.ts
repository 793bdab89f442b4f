/**
 * Golden scenario replay without a database: an in-memory Stripe reader built from a scenario's
 * objects, the mapping run for every event in file order, the engine run over all the facts,
 * and the journal written in the replay's CSV format. The database pipeline and `accrue replay`
 * must produce the same journal from the same files.
 */
import { ROLE_INFO } from '../../shared/accounts.ts';
import { runEngine } from '../../shared/engine/index.ts';
import { revalueEntries } from '../../shared/engine/revaluation.ts';
import type { Fact, UsageBilledFact } from '../../shared/engine/facts.ts';
import { periodEndsBetween } from '../../backend/app/usage-accrual.ts';
import { unbilledUsageFacts } from '../../backend/stripe/usage-accrual.ts';
import type { EntryDraft, LocalDate } from '../../shared/journal.ts';
import { formatMinor } from '../../shared/money.ts';
import { periodCalendar } from '../../shared/periods.ts';
import { TenantSettingsSchema, type TenantSettings } from '../../shared/settings.ts';
import { localDateOf } from '../../shared/time.ts';
import { collectFacts } from '../../backend/stripe/mapping.ts';
import { createMemoryReader } from '../../backend/sandbox/stripe/store.ts';
import type Stripe from 'stripe';

export const JOURNAL_CSV_HEADER =
  'period,posting_date,entry_id,account_role,account,currency,debit,credit,original_currency,original_amount,source_object,correction';

function isEvent(line: unknown): line is Stripe.Event {
  return !!line && typeof line === 'object' && (line as { object?: unknown }).object === 'event';
}

/** Facts and mapping exceptions of a scenario's events, in file order. */
export async function collectScenarioFacts(
  lines: unknown[],
): Promise<{ facts: Fact[]; exceptions: { reason: string; objectId: string }[] }> {
  const reader = createMemoryReader(lines);
  const facts: Fact[] = [];
  const exceptions: { reason: string; objectId: string }[] = [];
  for (const l of lines) {
    if (!isEvent(l)) continue;
    const r = await collectFacts(l, reader);
    facts.push(...r.facts);
    exceptions.push(...r.exceptions);
  }
  return { facts, exceptions };
}

/**
 * The date a replay releases recognition through when none is given: the reporting-zone date of
 * the last event in the file.
 */
export function defaultThrough(lines: unknown[], settings: TenantSettings): LocalDate {
  let last = 0;
  for (const l of lines) if (isEvent(l) && l.created > last) last = l.created;
  return localDateOf(last, settings.reporting_time_zone);
}

/** Replays a scenario's lines purely (no database) and returns the engine's entries. */
export async function replayPure(lines: unknown[], settingsInput: unknown, through?: LocalDate): Promise<EntryDraft[]> {
  const settings = TenantSettingsSchema.parse(settingsInput ?? {});
  const { facts } = await collectScenarioFacts(lines);
  const until = through ?? defaultThrough(lines, settings);
  facts.push(...(await usageAccruals(lines, settings, facts, until)));
  const entries = runEngine({ settings, facts, through: until }).entries;
  return [...entries, ...revalueEntries(entries, settings, until).entries];
}

/** The release's period-end usage accruals, as the database pipeline stores them (backend/app/usage-accrual.ts). */
async function usageAccruals(lines: unknown[], settings: TenantSettings, facts: Fact[], through: LocalDate) {
  const billed = facts.filter((f): f is UsageBilledFact => f.type === 'usage_billed');
  if (!settings.accrue_unbilled_usage || !billed.length) return [];
  const earliest = Math.min(...billed.map((f) => f.at));
  const ends = periodEndsBetween(settings, '0000-01-01', through, earliest);
  const outcome = await unbilledUsageFacts(createMemoryReader(lines), billed, ends);
  return outcome.facts;
}

function csvField(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * The journal as an accountant reads it: one row per line, amounts in major units of the
 * functional currency, rows ordered by posting date, then entry id, then line order.
 */
export function toJournalCsv(entries: EntryDraft[], settingsInput: unknown): string {
  const settings = TenantSettingsSchema.parse(settingsInput ?? {});
  const pc = settings.period_calendar;
  const cal = periodCalendar(
    pc.type === 'monthly' ? { type: 'monthly' } : { type: '4-4-5', fiscalYearStart: pc.fiscal_year_start },
  );
  const sorted = [...entries].sort((a, b) =>
    a.postingDate !== b.postingDate
      ? a.postingDate < b.postingDate
        ? -1
        : 1
      : a.key < b.key
        ? -1
        : a.key > b.key
          ? 1
          : 0,
  );
  const rows = [JOURNAL_CSV_HEADER];
  for (const e of sorted) {
    for (const l of e.lines) {
      const account = l.account ?? settings.account_names[l.role] ?? ROLE_INFO[l.role].defaultName;
      const debit = l.amountMinor > 0n ? formatMinor(l.amountMinor, l.currency) : '';
      const credit = l.amountMinor < 0n ? formatMinor(-l.amountMinor, l.currency) : '';
      rows.push(
        [
          cal.periodOf(e.postingDate).key,
          e.postingDate,
          e.key,
          l.role,
          account,
          l.currency.toUpperCase(),
          debit,
          credit,
          l.original ? l.original.currency.toUpperCase() : '',
          l.original
            ? formatMinor(
                l.original.amountMinor < 0n ? -l.original.amountMinor : l.original.amountMinor,
                l.original.currency,
              )
            : '',
          e.sources[0] ?? '',
          'false',
        ]
          .map(csvField)
          .join(','),
      );
    }
  }
  return rows.join('\n') + '\n';
}
