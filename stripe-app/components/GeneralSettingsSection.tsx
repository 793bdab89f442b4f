/**
 * The accounting choices a finance team makes once (shared/settings.ts): amortization method,
 * catch-up, reporting time zone, posting mode, discounts as contra revenue, dispute recoveries
 * and the close policy. Saves only what changed, naming the version it started from so two
 * people editing at once get a clear conflict instead of overwriting each other.
 */
import { useEffect, useState } from 'react';
import { Banner, Box, Button, Select, Switch, TextField } from '@stripe/ui-extension-sdk/ui';
import type { GeneralSettings, SettingsUpdateRequest } from '../../shared/api/app.ts';
import { AMORTIZATION_METHODS } from '../../shared/settings.ts';
import { isValidTimeZone } from '../../shared/time.ts';
import type { AppClient } from '../data/client.ts';
import { useAction } from '../hooks/useAction.ts';
import { useLoad } from '../hooks/useLoad.ts';
import { confirmDone } from '../hooks/notify.ts';
import { ErrorBanner, Loading } from './States.tsx';

const AMORTIZATION_LABELS: Record<(typeof AMORTIZATION_METHODS)[number], string> = {
  by_time: 'By elapsed time (exact, the default)',
  by_day: 'By whole days',
  monthly_even: 'Evenly per month',
  monthly_even_prorated_ends: 'Evenly per month, partial first and last months by time',
};

/** Longest wait after month end before an automatic close (the schema's own cap). */
const CLOSE_DAYS_MAX = 90;

type Draft = Pick<
  GeneralSettings,
  | 'amortization'
  | 'catch_up'
  | 'reporting_time_zone'
  | 'posting_mode'
  | 'discounts_as_contra'
  | 'recover_as_gains'
  | 'bad_debt_as_contra'
  | 'connect_revenue'
> & {
  close_mode: 'manual' | 'auto';
  close_days: string;
};

function draftOf(s: GeneralSettings): Draft {
  return {
    amortization: s.amortization,
    catch_up: s.catch_up,
    reporting_time_zone: s.reporting_time_zone,
    posting_mode: s.posting_mode,
    discounts_as_contra: s.discounts_as_contra,
    recover_as_gains: s.recover_as_gains,
    bad_debt_as_contra: s.bad_debt_as_contra,
    connect_revenue: s.connect_revenue,
    close_mode: s.close_policy.mode,
    close_days: String(s.close_policy.days_after_period_end),
  };
}

/** The fields that differ from what was loaded, or an error sentence when a field is invalid. */
export function settingsChanges(
  loaded: GeneralSettings,
  d: Draft,
): { changes: SettingsUpdateRequest['settings'] } | { error: string } {
  if (!isValidTimeZone(d.reporting_time_zone))
    return {
      error: `"${d.reporting_time_zone}" is not a time zone. Use an IANA name such as UTC or America/New_York.`,
    };
  const days = Number(d.close_days);
  if (!/^\d+$/.test(d.close_days) || days > CLOSE_DAYS_MAX)
    return { error: `Days after month end must be a whole number from 0 to ${CLOSE_DAYS_MAX}.` };
  const changes: SettingsUpdateRequest['settings'] = {};
  if (d.amortization !== loaded.amortization) changes.amortization = d.amortization;
  if (d.catch_up !== loaded.catch_up) changes.catch_up = d.catch_up;
  if (d.reporting_time_zone !== loaded.reporting_time_zone) changes.reporting_time_zone = d.reporting_time_zone;
  if (d.posting_mode !== loaded.posting_mode) changes.posting_mode = d.posting_mode;
  if (d.discounts_as_contra !== loaded.discounts_as_contra) changes.discounts_as_contra = d.discounts_as_contra;
  if (d.recover_as_gains !== loaded.recover_as_gains) changes.recover_as_gains = d.recover_as_gains;
  if (d.bad_debt_as_contra !== loaded.bad_debt_as_contra) changes.bad_debt_as_contra = d.bad_debt_as_contra;
  if (d.connect_revenue !== loaded.connect_revenue) changes.connect_revenue = d.connect_revenue;
  if (d.close_mode !== loaded.close_policy.mode || days !== loaded.close_policy.days_after_period_end)
    changes.close_policy = { mode: d.close_mode, days_after_period_end: days };
  return { changes };
}

export function GeneralSettingsSection({
  client,
  canEdit,
  onSaved,
}: {
  client: AppClient;
  canEdit: boolean;
  onSaved?: () => void;
}) {
  const { state, reload, setData } = useLoad(() => client.getSettings(), [client]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const action = useAction<'save'>();

  useEffect(() => {
    if (state.status === 'loaded') setDraft(draftOf(state.data.settings));
  }, [state]);

  if (state.status === 'loading' || (state.status === 'loaded' && !draft)) return <Loading label="Loading settings…" />;
  if (state.status === 'error')
    return <ErrorBanner title="Could not load settings" error={state.error} onRetry={reload} />;
  const edited = draft!;
  const loaded = state.data;

  const save = async () => {
    const diff = settingsChanges(loaded.settings, edited);
    if ('error' in diff) {
      action.setProblem(diff.error);
      return;
    }
    if (Object.keys(diff.changes).length === 0) {
      // Confirming the current settings is a choice too (onboarding counts it as done).
      confirmDone('Nothing to save: the settings are unchanged.');
      onSaved?.();
      return;
    }
    await action.run(
      'save',
      async () => {
        const saved = await client.updateSettings({ version: loaded.version, settings: diff.changes });
        setData(saved);
        confirmDone('Settings saved.');
        onSaved?.();
      },
      (e) =>
        e.code === 'conflict'
          ? 'Someone else changed these settings since you opened them. Reload to see their changes, then save again.'
          : e.message,
    );
  };

  return (
    <Box css={{ stack: 'y', gap: 'medium' }}>
      <Box css={{ font: 'subheading' }}>Recognition settings</Box>
      {action.problem ? <Banner type="critical" title="Settings not saved" description={action.problem} /> : null}
      <SettingsFields draft={edited} readOnly={!canEdit} set={(patch) => setDraft({ ...edited, ...patch })} />
      {canEdit ? (
        <Button type="primary" pending={action.busy === 'save'} onPress={() => void save()}>
          Save settings
        </Button>
      ) : null}
    </Box>
  );
}

/** The form's fields, one per setting. */
function SettingsFields({
  draft,
  readOnly,
  set,
}: {
  draft: Draft;
  readOnly: boolean;
  set: (patch: Partial<Draft>) => void;
}) {
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
      <TextField
        name="reporting_time_zone"
        label="Reporting time zone"
        description="Month boundaries are midnights in this zone."
        value={draft.reporting_time_zone}
        readOnly={readOnly}
        onChange={(e) => set({ reporting_time_zone: e.target.value })}
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
      <ConnectRevenueSelect
        value={draft.connect_revenue}
        readOnly={readOnly}
        onChange={(connect_revenue) => set({ connect_revenue })}
      />
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

/** How a Connect platform presents destination charges and transfers (docs/accounting.md §3). */
function ConnectRevenueSelect(props: {
  value: Draft['connect_revenue'];
  readOnly: boolean;
  onChange: (value: Draft['connect_revenue']) => void;
}) {
  return (
    <Select
      name="connect_revenue"
      label="Connect platform revenue"
      description="Agent: only what the platform keeps is revenue; gross: the whole charge, transfers as a cost."
      value={props.value}
      disabled={props.readOnly}
      onChange={(e) => props.onChange(e.target.value as Draft['connect_revenue'])}
    >
      <option value="agent">Agent: revenue is what the platform keeps</option>
      <option value="gross">Gross: the customer&apos;s amount, transfers as a cost</option>
    </Select>
  );
}
