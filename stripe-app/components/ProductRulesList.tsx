/**
 * The merchant's Stripe products (as our backend lists them) with the rule each follows; a
 * product opens in a FocusView with the rule editor. Pages like Stripe's own lists.
 */
import { useState } from 'react';
import { Box, Button, FocusView, Table, TableBody, TableCell, TableRow } from '@stripe/ui-extension-sdk/ui';
import type { ProductSummary } from '../../shared/api/app.ts';
import type { AppClient } from '../data/client.ts';
import { asAppError, useLoad } from '../hooks/useLoad.ts';
import { reportFailure } from '../hooks/notify.ts';
import { describeRule } from './format.ts';
import { ProductRuleEditor } from './ProductRuleEditor.tsx';
import { Empty, ErrorBanner, Loading } from './States.tsx';
import { TableHeader } from './TableHeader.tsx';

/** Products per page: one Stripe list page; merchants with more page on. */
const PRODUCTS_PAGE_SIZE = 50;

export function ProductRulesList({ client, canEdit }: { client: AppClient; canEdit: boolean }) {
  const { state, reload, setData } = useLoad(() => client.listProducts({ limit: PRODUCTS_PAGE_SIZE }), [client]);
  const [editing, setEditing] = useState<ProductSummary | null>(null);
  const [more, setMore] = useState(false);

  if (state.status === 'loading') return <Loading label="Loading your products…" />;
  if (state.status === 'error')
    return <ErrorBanner title="Could not load your products" error={state.error} onRetry={reload} />;
  const { products, has_more } = state.data;

  const loadMore = async () => {
    const last = products[products.length - 1];
    if (!last) return;
    setMore(true);
    try {
      const next = await client.listProducts({ limit: PRODUCTS_PAGE_SIZE, starting_after: last.id });
      setData({ products: [...products, ...next.products], has_more: next.has_more });
    } catch (err) {
      reportFailure(asAppError(err).message);
    } finally {
      setMore(false);
    }
  };

  return (
    <Box css={{ stack: 'y', gap: 'medium' }}>
      <Box css={{ font: 'subheading' }}>Product rules</Box>
      {products.length === 0 ? (
        <Empty message="No products yet. Products you create in Stripe appear here." />
      ) : (
        <Table>
          <TableHeader titles={['Product', 'Rule', ' ']} />
          <TableBody>
            {products.map((p) => (
              <TableRow key={p.id}>
                <TableCell>{p.name}</TableCell>
                <TableCell>{describeRule(p.rule)}</TableCell>
                <TableCell>
                  <Button size="small" onPress={() => setEditing(p)}>
                    {canEdit ? 'Edit' : 'View'}
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {has_more ? (
        <Button pending={more} onPress={() => void loadMore()}>
          Show more products
        </Button>
      ) : null}
      <FocusView
        title={editing ? `Rule for ${editing.name}` : 'Product rule'}
        shown={editing !== null}
        setShown={(shown) => {
          if (!shown) {
            setEditing(null);
            reload();
          }
        }}
      >
        {editing ? <ProductRuleEditor client={client} productId={editing.id} canEdit={canEdit} /> : <Box> </Box>}
      </FocusView>
    </Box>
  );
}
