/**
 * Product list drawer (viewport `stripe.dashboard.product.list`): the rule list — which rule
 * applies to a line, in order, with conditions, splits and a preview of a change's effect.
 */
import { ContextView } from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { RuleListEditor } from '../components/RuleListEditor.tsx';
import { useAppClient } from '../hooks/useAppClient.ts';

const RevenueRules = (context: ExtensionContextValue) => {
  const { client, canEdit } = useAppClient(context);
  return (
    <ContextView
      title="Revenue rules"
      description="Which rule recognizes each invoice line: the first that matches wins"
    >
      <RuleListEditor client={client} canEdit={canEdit} />
    </ContextView>
  );
};

export default RevenueRules;
