/**
 * Settings page (viewport `settings`): the QuickBooks connection, recognition settings, the
 * account mapping for every role and the product rules. Administrators and developers edit;
 * everyone else sees the same page read-only (and the backend refuses their writes anyway).
 */
import { Banner, Box, Divider, SettingsView } from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { AccountMappingSection } from '../components/AccountMappingSection.tsx';
import { GeneralSettingsSection } from '../components/GeneralSettingsSection.tsx';
import { ProductRulesList } from '../components/ProductRulesList.tsx';
import { QboConnectSection } from '../components/QboConnectSection.tsx';
import { useAppClient } from '../hooks/useAppClient.ts';
import { useQboConnection } from '../hooks/useQboConnection.ts';

const AccrueSettings = (context: ExtensionContextValue) => {
  const { client, canEdit } = useAppClient(context);
  const qbo = useQboConnection(client);
  return (
    <SettingsView>
      <Box css={{ stack: 'y', gap: 'large' }}>
        {!canEdit ? (
          <Banner
            title="Read-only"
            description="Only administrators and developers of this Stripe account can change Accrue's settings."
          />
        ) : null}
        <QboConnectSection qbo={qbo} canEdit={canEdit} />
        <Divider />
        <GeneralSettingsSection client={client} canEdit={canEdit} />
        <Divider />
        <AccountMappingSection client={client} canEdit={canEdit} />
        <Divider />
        <ProductRulesList client={client} canEdit={canEdit} />
      </Box>
    </SettingsView>
  );
};

export default AccrueSettings;
