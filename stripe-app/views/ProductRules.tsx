/**
 * Product detail drawer (viewport `stripe.dashboard.product.detail`): the recognition rule of
 * the product on screen (`objectContext.id`), with the bundle split preview.
 */
import { ContextView } from '@stripe/ui-extension-sdk/ui';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { ProductRuleEditor } from '../components/ProductRuleEditor.tsx';
import { Empty } from '../components/States.tsx';
import { useAppClient } from '../hooks/useAppClient.ts';

const ProductRules = (context: ExtensionContextValue) => {
  const { client, canEdit } = useAppClient(context);
  const productId = context.environment.objectContext?.id;
  return (
    <ContextView title="Revenue recognition" description="How Accrue recognizes revenue from this product">
      {productId ? (
        <ProductRuleEditor client={client} productId={productId} canEdit={canEdit} />
      ) : (
        <Empty message="Open a product to see its rule." />
      )}
    </ContextView>
  );
};

export default ProductRules;
