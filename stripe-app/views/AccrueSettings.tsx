/**
 * Settings page (viewport `settings`), as Stripe's review asks: what the books cannot run without
 * in a "Required" section (the QuickBooks connection, the functional currency and reporting time
 * zone, the accounts every entry posts to), everything with a sensible default under "Optional",
 * and one Save for the whole page (the SettingsView's own button) that checks every field, names
 * each problem, and saves settings and mapping together or not at all. Connecting QuickBooks,
 * creating missing accounts and editing a product's rule are actions of their own, not form
 * fields. Administrators and developers edit; everyone else sees the page read-only (and the
 * backend refuses their writes anyway).
 */
import { Banner, Box, Button, Divider, SettingsView } from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { ACCOUNT_ROLES } from '../../shared/accounts.ts';
import { REQUIRED_ACCOUNT_ROLES } from '../../shared/api/app.ts';
import { RoleSelects } from '../components/AccountMappingSection.tsx';
import { ProductRulesList } from '../components/ProductRulesList.tsx';
import { QboConnectSection } from '../components/QboConnectSection.tsx';
import { OptionalSettingsFields, RequiredSettingsFields } from '../components/SettingsFields.tsx';
import { ErrorBanner, Loading } from '../components/States.tsx';
import { useAppClient } from '../hooks/useAppClient.ts';
import { useQboConnection } from '../hooks/useQboConnection.ts';
import { useSettingsPage, type SettingsPage } from '../hooks/useSettingsPage.ts';

const REQUIRED = new Set<string>(REQUIRED_ACCOUNT_ROLES);
const OPTIONAL_ROLES = ACCOUNT_ROLES.filter((r) => !REQUIRED.has(r));

const AccrueSettings = (context: ExtensionContextValue) => {
  const { client, canEdit } = useAppClient(context);
  const qbo = useQboConnection(client);
  const connected = qbo.status.status === 'loaded' && qbo.status.data.status === 'connected';
  const page = useSettingsPage(client, connected);
  return (
    <SettingsView onSave={canEdit ? () => void page.save() : undefined} statusMessage={page.status}>
      <Box css={{ stack: 'y', gap: 'large' }}>
        {!canEdit ? (
          <Banner
            title="Read-only"
            description="Only administrators and developers of this Stripe account can change Accrue's settings."
          />
        ) : null}
        {page.action.problem ? (
          <Banner type="critical" title="Settings not saved" description={page.action.problem} />
        ) : null}
        <Box css={{ font: 'title' }}>Required</Box>
        <Box css={{ color: 'secondary' }}>Accrue cannot keep your books until these are set.</Box>
        <QboConnectSection qbo={qbo} canEdit={canEdit} />
        <PageSection page={page} canEdit={canEdit} part="required" />
        <Divider />
        <Box css={{ font: 'title' }}>Optional</Box>
        <Box css={{ color: 'secondary' }}>Each has a default that suits most businesses.</Box>
        <PageSection page={page} canEdit={canEdit} part="optional" />
        <Divider />
        <ProductRulesList client={client} canEdit={canEdit} />
      </Box>
    </SettingsView>
  );
};

/** One part of the form: its settings fields, then its account pickers. */
function PageSection({ page, canEdit, part }: { page: SettingsPage; canEdit: boolean; part: 'required' | 'optional' }) {
  const { state, draft, mapDraft } = page;
  if (state.status === 'loading' || (state.status === 'loaded' && (!draft || !mapDraft)))
    return <Loading label="Loading settings…" />;
  if (state.status === 'error') {
    return part === 'required' ? (
      <ErrorBanner title="Could not load settings" error={state.error} onRetry={page.reload} />
    ) : null;
  }
  const Fields = part === 'required' ? RequiredSettingsFields : OptionalSettingsFields;
  return (
    <Box css={{ stack: 'y', gap: 'medium' }}>
      <Box css={{ font: 'subheading' }}>{part === 'required' ? 'Your books' : 'Recognition settings'}</Box>
      <Fields draft={draft!} readOnly={!canEdit} set={page.setDraft} />
      <Box css={{ font: 'subheading' }}>{part === 'required' ? 'Accounts every entry needs' : 'Other accounts'}</Box>
      <AccountPickers page={page} canEdit={canEdit} part={part} />
    </Box>
  );
}

/** The part's account pickers, or why there are none yet (QuickBooks not connected, chart unavailable). */
function AccountPickers({
  page,
  canEdit,
  part,
}: {
  page: SettingsPage;
  canEdit: boolean;
  part: 'required' | 'optional';
}) {
  if (page.state.status !== 'loaded' || !page.mapDraft) return null;
  const { chart } = page.state.data;
  if (!Array.isArray(chart)) {
    if (part === 'optional') return null;
    return chart.code === 'not_configured' ? (
      <Banner
        type="caution"
        title="Connect QuickBooks first"
        description="Account mapping needs the list of accounts from your QuickBooks company."
      />
    ) : (
      <ErrorBanner title="Could not load your QuickBooks accounts" error={chart} onRetry={page.reload} />
    );
  }
  const roles = part === 'required' ? REQUIRED_ACCOUNT_ROLES : OPTIONAL_ROLES;
  const unmapped = roles.filter((r) => !page.mapDraft![r]);
  return (
    <>
      {unmapped.length > 0 ? (
        <Banner
          type="caution"
          title={`${unmapped.length} ${part} role${unmapped.length === 1 ? ' is' : 's are'} not mapped`}
          description={
            part === 'required'
              ? 'Choose an account for each before saving, or create the missing accounts.'
              : 'Entries that need one of these wait in the exception queue until it is mapped.'
          }
        />
      ) : null}
      <RoleSelects draft={page.mapDraft} accounts={chart} canEdit={canEdit} onChange={page.setMapDraft} roles={roles} />
      {canEdit && unmapped.length > 0 ? (
        <Box>
          <Button
            pending={page.action.busy === 'create'}
            disabled={page.action.busy !== null}
            onPress={() => void page.createMissing(unmapped)}
          >
            Create missing accounts
          </Button>
        </Box>
      ) : null}
    </>
  );
}

export default AccrueSettings;
