/**
 * The Settings page's state and its one save. Loads the settings, the account mapping and the
 * company's chart (which fails on its own when QuickBooks is not connected, without hiding the
 * rest), keeps one draft of everything, and saves it in one request: every field is checked
 * first and every problem named, then the backend checks and writes all of it or none of it.
 */
import { useEffect, useRef, useState } from 'react';
import { REQUIRED_ACCOUNT_ROLES, type QboAccount, type SettingsPageResponse } from '../../shared/api/app.ts';
import { ROLE_INFO, type AccountRole } from '../../shared/accounts.ts';
import {
  draftOf,
  mappingChanges,
  settingsChanges,
  settingsProblems,
  type Draft,
  type Mapping,
} from '../components/settings-draft.ts';
import type { AppApiError, AppClient } from '../data/client.ts';
import { confirmDone } from './notify.ts';
import { useAction, type FormAction } from './useAction.ts';
import { asAppError, useLoad, type LoadState } from './useLoad.ts';

export interface PageData {
  version: number;
  settings: SettingsPageResponse['settings'];
  mapping: Mapping;
  /** The company's accounts, or why they could not be listed (`not_configured`: not connected). */
  chart: QboAccount[] | AppApiError;
}

export interface SettingsPage {
  state: LoadState<PageData>;
  reload: () => void;
  draft: Draft | null;
  setDraft: (patch: Partial<Draft>) => void;
  mapDraft: Mapping | null;
  setMapDraft: (mapping: Mapping) => void;
  action: FormAction<'save' | 'create'>;
  /** What the view's header says after a save: "Saved" or "Not saved". */
  status: string | undefined;
  save: () => Promise<void>;
  /** Creates QuickBooks accounts for these unmapped roles and maps them. */
  createMissing: (roles: AccountRole[]) => Promise<void>;
}

/** The problems that keep the draft from saving, every one of them, each saying what to do. */
export function pageProblems(data: PageData, draft: Draft, mapDraft: Mapping): string[] {
  const problems = settingsProblems(draft);
  if (Array.isArray(data.chart)) {
    const missing = REQUIRED_ACCOUNT_ROLES.filter((r) => !mapDraft[r]).map((r) => ROLE_INFO[r].defaultName);
    if (missing.length > 0)
      problems.push(
        `Required accounts: choose a QuickBooks account for ${missing.join(', ')} (or create the missing accounts).`,
      );
  }
  return problems;
}

async function loadPage(client: AppClient): Promise<PageData> {
  const [settings, mapping, chart] = await Promise.all([
    client.getSettings(),
    client.getAccountMapping(),
    client.listQboAccounts().then(
      (r) => r.accounts,
      (err: unknown) => asAppError(err),
    ),
  ]);
  return { version: settings.version, settings: settings.settings, mapping: mapping.mapping as Mapping, chart };
}

export function useSettingsPage(client: AppClient, connected: boolean): SettingsPage {
  const { state, reload, setData } = useLoad(() => loadPage(client), [client, connected]);
  const [draft, setDraftState] = useState<Draft | null>(null);
  const [mapDraft, setMapDraft] = useState<Mapping | null>(null);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const action = useAction<'save' | 'create'>();
  /** Set when new data must not replace the drafts (accounts created while the page is edited). */
  const keepDrafts = useRef(false);

  useEffect(() => {
    if (state.status !== 'loaded') return;
    if (keepDrafts.current) {
      keepDrafts.current = false;
      return;
    }
    setDraftState(draftOf(state.data.settings));
    setMapDraft({ ...state.data.mapping });
  }, [state]);

  const save = async () => {
    if (state.status !== 'loaded' || !draft || !mapDraft) return;
    const data = state.data;
    const problems = pageProblems(data, draft, mapDraft);
    const diff = settingsChanges(data.settings, draft);
    if (problems.length > 0 || 'error' in diff) {
      action.setProblem(problems.join(' '));
      setStatus('Not saved');
      return;
    }
    const mapping = mappingChanges(data.mapping, mapDraft);
    if (Object.keys(diff.changes).length === 0 && Object.keys(mapping).length === 0) {
      action.setProblem(null);
      confirmDone('Nothing to save: the settings are unchanged.');
      return;
    }
    setStatus(undefined);
    await action.run(
      'save',
      async () => {
        const saved = await client.saveSettingsPage({ version: data.version, settings: diff.changes, mapping });
        setData({ ...saved, mapping: saved.mapping as Mapping, chart: data.chart });
        setStatus('Saved');
        confirmDone('Settings saved.');
      },
      (e) => {
        setStatus('Not saved');
        return e.code === 'conflict'
          ? 'Someone else changed these settings since you opened them. Reload to see their changes, then save again.'
          : e.message;
      },
    );
  };

  const createMissing = (roles: AccountRole[]) =>
    action.run('create', async () => {
      if (state.status !== 'loaded' || !mapDraft) return;
      const res = await client.createMissingAccounts({ roles });
      const fresh = await client.listQboAccounts();
      // The created accounts are mapped already; the rest of the draft stays as edited.
      const created = Object.fromEntries(res.created.map((c) => [c.role, c.account.id]));
      keepDrafts.current = true;
      setData({ ...state.data, mapping: res.mapping as Mapping, chart: fresh.accounts });
      setMapDraft({ ...mapDraft, ...created });
      confirmDone(
        res.created.length === 0
          ? 'Every role already has an account.'
          : `Created ${res.created.length} account${res.created.length === 1 ? '' : 's'} in QuickBooks.`,
      );
    });

  return {
    state,
    reload,
    draft,
    setDraft: (patch) => setDraftState((d) => (d ? { ...d, ...patch } : d)),
    mapDraft,
    setMapDraft,
    action,
    status,
    save,
    createMissing,
  };
}
