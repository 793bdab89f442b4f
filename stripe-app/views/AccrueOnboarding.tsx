/**
 * Onboarding (viewport `onboarding`, opened after install): three tasks — connect QuickBooks,
 * map the accounts, choose the recognition settings — each done in place with the same
 * sections the Settings page uses. Done when QuickBooks is connected and every role is mapped.
 */
import { useState } from 'react';
import { Banner, Box, OnboardingView } from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { ACCOUNT_ROLES } from '../../shared/accounts.ts';
import { AccountMappingSection } from '../components/AccountMappingSection.tsx';
import { GeneralSettingsSection } from '../components/GeneralSettingsSection.tsx';
import { QboConnectSection } from '../components/QboConnectSection.tsx';
import { useAppClient } from '../hooks/useAppClient.ts';
import { useLoad } from '../hooks/useLoad.ts';
import { useQboConnection } from '../hooks/useQboConnection.ts';

type Step = 'connect' | 'mapping' | 'settings';
type TaskStatus = 'not-started' | 'in-progress' | 'blocked' | 'complete';

const AccrueOnboarding = (context: ExtensionContextValue) => {
  const { client, canEdit } = useAppClient(context);
  const qbo = useQboConnection(client);
  const connected = qbo.status.status === 'loaded' && qbo.status.data.status === 'connected';
  // The mapping's completeness decides the second task; reloaded after each save.
  const mapping = useLoad(() => (connected ? client.getAccountMapping() : Promise.resolve(null)), [client, connected]);
  const [settingsDone, setSettingsDone] = useState(false);
  const [step, setStep] = useState<Step>('connect');

  const mapData = mapping.state.status === 'loaded' ? mapping.state.data : null;
  const mapped = mapData !== null && ACCOUNT_ROLES.every((r) => Boolean(mapData.mapping[r]));
  const statusOf = (done: boolean, active: boolean, blocked = false): TaskStatus =>
    done ? 'complete' : blocked ? 'blocked' : active ? 'in-progress' : 'not-started';

  const tasks = [
    { title: 'Connect QuickBooks', status: statusOf(connected, step === 'connect'), onPress: () => setStep('connect') },
    {
      title: 'Map your accounts',
      status: statusOf(mapped, step === 'mapping', !connected),
      onPress: () => setStep('mapping'),
    },
    {
      title: 'Choose how revenue is recognized',
      status: statusOf(settingsDone, step === 'settings'),
      onPress: () => setStep('settings'),
    },
  ];
  const titles: Record<Step, string> = {
    connect: 'Connect your QuickBooks company',
    mapping: 'Map each kind of entry to a QuickBooks account',
    settings: 'Choose your recognition settings',
  };

  return (
    <OnboardingView
      title={titles[step]}
      tasks={tasks}
      completed={connected && mapped && settingsDone}
      pending={qbo.status.status === 'loading'}
    >
      <Box css={{ stack: 'y', gap: 'medium' }}>
        {!canEdit ? (
          <Banner
            type="caution"
            title="Ask an administrator"
            description="Only administrators and developers can set up Accrue."
          />
        ) : null}
        {step === 'connect' ? <QboConnectSection qbo={qbo} canEdit={canEdit} /> : null}
        {step === 'mapping' ? (
          <AccountMappingSection client={client} canEdit={canEdit} onSaved={mapping.reload} />
        ) : null}
        {step === 'settings' ? (
          <GeneralSettingsSection client={client} canEdit={canEdit} onSaved={() => setSettingsDone(true)} />
        ) : null}
      </Box>
    </OnboardingView>
  );
};

export default AccrueOnboarding;
