/**
 * The accounting choices a finance team makes once (shared/settings.ts), as the onboarding's third
 * task: the required settings and the optional ones with their defaults, saved on their own.
 * Saves only what changed, naming the version it started from so two people editing at once get
 * a clear conflict instead of overwriting each other.
 */
import { useEffect, useState } from 'react';
import { Banner, Box, Button } from '@stripe/ui-extension-sdk/ui';
import type { AppClient } from '../data/client.ts';
import { useAction } from '../hooks/useAction.ts';
import { useLoad } from '../hooks/useLoad.ts';
import { confirmDone } from '../hooks/notify.ts';
import { OptionalSettingsFields, RequiredSettingsFields } from './SettingsFields.tsx';
import { draftOf, settingsChanges, type Draft } from './settings-draft.ts';
import { ErrorBanner, Loading } from './States.tsx';

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
      <RequiredSettingsFields draft={edited} readOnly={!canEdit} set={(patch) => setDraft({ ...edited, ...patch })} />
      <OptionalSettingsFields draft={edited} readOnly={!canEdit} set={(patch) => setDraft({ ...edited, ...patch })} />
      {canEdit ? (
        <Button type="primary" pending={action.busy === 'save'} onPress={() => void save()}>
          Save settings
        </Button>
      ) : null}
    </Box>
  );
}
