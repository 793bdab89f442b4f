/**
 * The general settings' fields, in the two groups the Settings page shows: what the books cannot
 * run without (functional currency, reporting time zone) and the choices that have a sensible
 * default (how revenue is spread, posted and closed; usage, credits and foreign balances). Each
 * field edits the text of a draft; settings-draft.ts checks it and says what to fix.
 */
import { Box, Select, Switch, TextField } from '@stripe/ui-extension-sdk/ui';
import { AMORTIZATION_METHODS } from '../../shared/settings.ts';
import type { Draft } from './settings-draft.ts';

const AMORTIZATION_LABELS: Record<(typeof AMORTIZATION_METHODS)[number], string> = {
  by_time: 'By elapsed time (exact, the default)',
  by_day: 'By whole days',
  monthly_even: 'Evenly per month',
  monthly_even_prorated_ends: 'Evenly per month, partial first and last months by time',
};

export interface FieldsProps {
  draft: Draft;
  readOnly: boolean;
  set: (patch: Partial<Draft>) => void;
}

/** The settings every posted amount and period takes its meaning from. */
export function RequiredSettingsFields({ draft, readOnly, set }: FieldsProps) {
  return (
    <>
      <TextField
        name="functional_currency"
        label="Functional currency"
        description="The currency of your books in QuickBooks (ISO code, e.g. USD). Fixed once entries are booked."
        value={draft.functional_currency}
        readOnly={readOnly}
        onChange={(e) => set({ functional_currency: e.target.value })}
      />
      <TextField
        name="reporting_time_zone"
        label="Reporting time zone"
        description="Month boundaries are midnights in this zone. Fixed once entries are booked."
        value={draft.reporting_time_zone}
        readOnly={readOnly}
        onChange={(e) => set({ reporting_time_zone: e.target.value })}
      />
    </>
  );
}

/** Every optional setting: recognition and posting, then usage, credits and currencies. */
export function OptionalSettingsFields(props: FieldsProps) {
  return (
    <>
      <RecognitionFields {...props} />
      <Box css={{ font: 'heading' }}>Usage, credits and foreign balances</Box>
      <CreditFields {...props} />
    </>
  );
}

function RecognitionFields({ draft, readOnly, set }: FieldsProps) {
  return (
    <>
      <Select
        name="amortization"
        label="Amortization method"
        value={draft.amortization}
        disabled={readOnly}
        onChange={(e) => set({ amortization: e.target.value as Draft['amortization'] })}
      >
        {AMORTIZATION_METHODS.map((m) => (
          <option key={m} value={m}>
            {AMORTIZATION_LABELS[m]}
          </option>
        ))}
      </Select>
      <Switch
        name="catch_up"
        label="Catch up past service in the booking month"
        description="Service time before the invoice date is recognized when the invoice is booked."
        checked={draft.catch_up}
        disabled={readOnly}
        onChange={(e) => set({ catch_up: e.target.checked })}
      />
      <Select
        name="posting_mode"
        label="Posting to QuickBooks"
        value={draft.posting_mode}
        disabled={readOnly}
        onChange={(e) => set({ posting_mode: e.target.value as Draft['posting_mode'] })}
      >
        <option value="summary">Summary: one entry per account per day</option>
        <option value="detailed">Detailed: one entry per Stripe event</option>
      </Select>
      <Switch
        name="discounts_as_contra"
        label="Show discounts as contra revenue"
        description="Off: revenue is recorded net of discounts."
        checked={draft.discounts_as_contra}
        disabled={readOnly}
        onChange={(e) => set({ discounts_as_contra: e.target.checked })}
      />
      <Switch
        name="recover_as_gains"
        label="Record won disputes as recoveries"
        checked={draft.recover_as_gains}
        disabled={readOnly}
        onChange={(e) => set({ recover_as_gains: e.target.checked })}
      />
      <Switch
        name="bad_debt_as_contra"
        label="Show bad debt as a price concession (contra revenue) instead of an expense"
        checked={draft.bad_debt_as_contra}
        disabled={readOnly}
        onChange={(e) => set({ bad_debt_as_contra: e.target.checked })}
      />
      <Select
        name="connect_revenue"
        label="Connect platform revenue"
        description="Agent: only what the platform keeps is revenue; gross: the whole charge, transfers as a cost."
        value={draft.connect_revenue}
        disabled={readOnly}
        onChange={(e) => set({ connect_revenue: e.target.value as Draft['connect_revenue'] })}
      >
        <option value="agent">Agent: revenue is what the platform keeps</option>
        <option value="gross">Gross: the customer&apos;s amount, transfers as a cost</option>
      </Select>
      <CloseFields draft={draft} readOnly={readOnly} set={set} />
    </>
  );
}

function CloseFields({ draft, readOnly, set }: FieldsProps) {
  return (
    <>
      <Select
        name="close_mode"
        label="Closing months"
        value={draft.close_mode}
        disabled={readOnly}
        onChange={(e) => set({ close_mode: e.target.value as Draft['close_mode'] })}
      >
        <option value="manual">I close months by hand</option>
        <option value="auto">Close automatically after month end</option>
      </Select>
      {draft.close_mode === 'auto' ? (
        <TextField
          name="close_days"
          label="Days after month end"
          type="number"
          value={draft.close_days}
          readOnly={readOnly}
          onChange={(e) => set({ close_days: e.target.value })}
        />
      ) : null}
    </>
  );
}

/** Metered usage, cancellations' credit notes, prepaid credits' breakage, and foreign balances. */
function CreditFields({ draft, readOnly, set }: FieldsProps) {
  return (
    <>
      <Switch
        name="accrue_unbilled_usage"
        label="Accrue usage not yet invoiced at month end"
        description="Usage reported to billing meters is revenue (and unbilled receivable) in the month it happens; the invoice trues it up."
        checked={draft.accrue_unbilled_usage}
        disabled={readOnly}
        onChange={(e) => set({ accrue_unbilled_usage: e.target.checked })}
      />
      <Select
        name="termination_credits"
        label="Credit notes on cancellation"
        description="How a credit note issued when a subscription is cancelled reduces its invoice line."
        value={draft.termination_credits}
        disabled={readOnly}
        onChange={(e) => set({ termination_credits: e.target.value as Draft['termination_credits'] })}
      >
        <option value="proportional">Proportionally across the line (as Stripe allocates it)</option>
        <option value="unsatisfied_first">From what is still deferred first, then from earned revenue</option>
      </Select>
      <TextField
        name="breakage_after_months"
        label="Breakage after (months without use)"
        description="Unused prepaid credits and stored value become breakage after this many months without a redemption. Empty: only when they expire or are voided."
        value={draft.breakage_after_months}
        readOnly={readOnly}
        onChange={(e) => set({ breakage_after_months: e.target.value })}
      />
      <TextField
        name="breakage_rate"
        label="Expected breakage rate"
        description="The share of credits you expect never to be used, as a decimal below 1 (0.05 = 5 %); breakage is then recognized as credits are used. Empty: none expected."
        value={draft.breakage_rate}
        readOnly={readOnly}
        onChange={(e) => set({ breakage_rate: e.target.value })}
      />
      <TextField
        name="escheat_share"
        label="Share of breakage owed to the state"
        description="Unclaimed-property law: this share of every breakage is a liability, never revenue (decimal from 0 to 1)."
        value={draft.escheat_share}
        readOnly={readOnly}
        onChange={(e) => set({ escheat_share: e.target.value })}
      />
      <Switch
        name="revalue_monetary_balances"
        label="Revalue foreign-currency balances at month end"
        description="Receivables and cash in other currencies are restated at the month-end rate and reversed the next day. Deferred revenue is never restated."
        checked={draft.revalue_monetary_balances}
        disabled={readOnly}
        onChange={(e) => set({ revalue_monetary_balances: e.target.checked })}
      />
    </>
  );
}
