/**
 * The Settings page's form state, kept apart from the view so it can be checked on its own: the
 * draft of every general setting as the fields hold it (text stays text until it is checked), the
 * sentences that say what to fix, and the request fields that differ from what was loaded.
 */
import { Decimal } from 'decimal.js';
import type { AccountRole } from '../../shared/accounts.ts';
import type { GeneralSettings, SettingsUpdateRequest } from '../../shared/api/app.ts';
import { isKnownCurrency, normalizeCurrency } from '../../shared/money.ts';
import { isValidTimeZone } from '../../shared/time.ts';

/** Longest wait after month end before an automatic close (the schema's own cap). */
const CLOSE_DAYS_MAX = 90;
/** Longest breakage dormancy the schema accepts, in months. */
const BREAKAGE_MONTHS_MAX = 600;

export type Draft = Pick<
  GeneralSettings,
  | 'amortization'
  | 'catch_up'
  | 'reporting_time_zone'
  | 'posting_mode'
  | 'discounts_as_contra'
  | 'recover_as_gains'
  | 'bad_debt_as_contra'
  | 'connect_revenue'
  | 'accrue_unbilled_usage'
  | 'revalue_monetary_balances'
  | 'termination_credits'
> & {
  functional_currency: string;
  close_mode: 'manual' | 'auto';
  close_days: string;
  /** Empty: breakage only at expiry or void. */
  breakage_after_months: string;
  /** Empty: no expected-breakage rate. */
  breakage_rate: string;
  escheat_share: string;
};

export type Mapping = Record<AccountRole, string | null>;

export function draftOf(s: GeneralSettings): Draft {
  return {
    functional_currency: s.functional_currency.toUpperCase(),
    amortization: s.amortization,
    catch_up: s.catch_up,
    reporting_time_zone: s.reporting_time_zone,
    posting_mode: s.posting_mode,
    discounts_as_contra: s.discounts_as_contra,
    recover_as_gains: s.recover_as_gains,
    bad_debt_as_contra: s.bad_debt_as_contra,
    connect_revenue: s.connect_revenue,
    accrue_unbilled_usage: s.accrue_unbilled_usage,
    revalue_monetary_balances: s.revalue_monetary_balances,
    termination_credits: s.termination_credits,
    close_mode: s.close_policy.mode,
    close_days: String(s.close_policy.days_after_period_end),
    breakage_after_months: s.breakage_after_months === null ? '' : String(s.breakage_after_months),
    breakage_rate: s.breakage_rate ?? '',
    escheat_share: s.escheat_share,
  };
}

const DECIMAL = /^\d+(\.\d+)?$/;

/** A share written as a decimal ("0.05") within [0, max]; `strict` excludes max itself. */
function shareOk(text: string, max: number, strict: boolean): boolean {
  if (!DECIMAL.test(text)) return false;
  const d = new Decimal(text);
  return strict ? d.lt(max) : d.lte(max);
}

/** Every field that cannot be saved as typed, each with what to type instead. */
export function settingsProblems(d: Draft): string[] {
  const problems: string[] = [];
  if (!isKnownCurrency(d.functional_currency.trim()))
    problems.push(
      `Functional currency: "${d.functional_currency}" is not a currency code. Use a three-letter ISO 4217 code such as USD or EUR.`,
    );
  if (!isValidTimeZone(d.reporting_time_zone))
    problems.push(
      `Reporting time zone: "${d.reporting_time_zone}" is not a time zone. Use an IANA name such as UTC or America/New_York.`,
    );
  const days = Number(d.close_days);
  if (d.close_mode === 'auto' && (!/^\d+$/.test(d.close_days) || days > CLOSE_DAYS_MAX))
    problems.push(`Days after month end must be a whole number from 0 to ${CLOSE_DAYS_MAX}.`);
  const months = d.breakage_after_months.trim();
  if (months !== '' && (!/^\d+$/.test(months) || Number(months) < 1 || Number(months) > BREAKAGE_MONTHS_MAX))
    problems.push(
      `Breakage after: "${months}" is not a number of months. Use a whole number from 1 to ${BREAKAGE_MONTHS_MAX}, or leave it empty to recognize breakage only when credits expire or are voided.`,
    );
  const rate = d.breakage_rate.trim();
  if (rate !== '' && !shareOk(rate, 1, true))
    problems.push(
      `Expected breakage rate: "${rate}" is not a share below 1. Write it as a decimal, e.g. 0.05 for 5 %, or leave it empty.`,
    );
  if (!shareOk(d.escheat_share.trim(), 1, false))
    problems.push(
      `Share owed to the state: "${d.escheat_share}" is not a share from 0 to 1. Write it as a decimal, e.g. 0.25 for 25 %, or 0 when none is owed.`,
    );
  return problems;
}

/** The checked draft as the settings it would save (call only when `settingsProblems` is empty). */
function draftSettings(d: Draft): Required<SettingsUpdateRequest['settings']> {
  const months = d.breakage_after_months.trim();
  const rate = d.breakage_rate.trim();
  return {
    functional_currency: normalizeCurrency(d.functional_currency.trim()),
    reporting_time_zone: d.reporting_time_zone,
    amortization: d.amortization,
    catch_up: d.catch_up,
    discounts_as_contra: d.discounts_as_contra,
    recover_as_gains: d.recover_as_gains,
    bad_debt_as_contra: d.bad_debt_as_contra,
    close_policy: { mode: d.close_mode, days_after_period_end: Number(d.close_days) },
    posting_mode: d.posting_mode,
    connect_revenue: d.connect_revenue,
    accrue_unbilled_usage: d.accrue_unbilled_usage,
    revalue_monetary_balances: d.revalue_monetary_balances,
    termination_credits: d.termination_credits,
    breakage_after_months: months === '' ? null : Number(months),
    breakage_rate: rate === '' ? null : rate,
    escheat_share: d.escheat_share.trim(),
  };
}

/** The settings that differ from what was loaded, or the problems that keep the draft from saving. */
export function settingsChanges(
  loaded: GeneralSettings,
  d: Draft,
): { changes: SettingsUpdateRequest['settings'] } | { error: string } {
  const problems = settingsProblems(d);
  if (problems.length > 0) return { error: problems.join(' ') };
  const next = draftSettings(d);
  // An automatic close's days are kept as loaded while closing by hand (the field is hidden then).
  if (next.close_policy.mode === 'manual')
    next.close_policy = { mode: 'manual', days_after_period_end: loaded.close_policy.days_after_period_end };
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next))
    if (JSON.stringify(value) !== JSON.stringify(loaded[key as keyof GeneralSettings])) changes[key] = value;
  return { changes: changes as SettingsUpdateRequest['settings'] };
}

/** The roles whose account differs from what was loaded. */
export function mappingChanges(loaded: Mapping, draft: Mapping): Partial<Mapping> {
  const out: Partial<Mapping> = {};
  for (const role of Object.keys(draft) as AccountRole[])
    if ((draft[role] ?? null) !== (loaded[role] ?? null)) out[role] = draft[role] ?? null;
  return out;
}
