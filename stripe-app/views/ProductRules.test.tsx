/**
 * Proves the product rule drawer: loading, error and loaded states; a bundle's split of the
 * product's price is previewed BEFORE saving with the engine's allocation (150.00 over SSPs
 * 130/30 → 121.88 / 28.12) and follows edits of the sample price; building a bundle from scratch
 * and saving sends the rule with the settings version in a signed write; a stale version shows
 * the conflict; read-only users see the rule without edit controls.
 */
import { render } from '@stripe/ui-extension-sdk/testing';
import { Banner, Select, Spinner, TableCell, TextField } from '@stripe/ui-extension-sdk/ui';
import { showToast } from '@stripe/ui-extension-sdk/utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProductRuleResponse, ProductSummary } from '../../shared/api/app.ts';
import type { ProductRule } from '../../shared/settings.ts';
import {
  ADMIN_ROLES,
  buttonLabelled,
  contextFor,
  fail,
  fakeBackend,
  never,
  ok,
  settle,
  VIEW_ONLY_ROLES,
} from '../testing/fakeBackend.ts';
import ProductRules from './ProductRules.tsx';
import { currency as currencyOf } from '../../shared/money.ts';

vi.mock('@stripe/ui-extension-sdk/signature', () => ({ default: vi.fn(async () => 't=1700000000,v1=fake') }));
vi.mock('@stripe/ui-extension-sdk/utils', () => ({
  showToast: vi.fn(async () => ({ update: () => undefined, dismiss: () => undefined })),
}));

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(showToast).mockClear();
});

const BUNDLE: ProductRule = {
  rule: 'bundle',
  components: [
    { name: 'Licence', ssp: '130', rule: 'ratable' },
    { name: 'Support', ssp: '30', rule: 'ratable' },
  ],
};

function product(rule: ProductRule | null): ProductSummary {
  return {
    id: 'prod_suite',
    name: 'Suite',
    active: true,
    default_price: { id: 'price_1', currency: currencyOf('usd'), unit_amount_minor: '15000' },
    rule,
  };
}

function ruleAnswer(rule: ProductRule | null, version = 7): ProductRuleResponse {
  return { product: product(rule), rule, version };
}

const ACCOUNTS = {
  accounts: [{ id: '81', name: 'Licence Revenue', type: 'Income', sub_type: 'ServiceFeeIncome', active: true }],
};

const ctx = (roles = ADMIN_ROLES) =>
  contextFor({ viewportID: 'stripe.dashboard.product.detail', objectId: 'prod_suite', object: 'product', roles });

const cellTexts = (wrapper: ReturnType<typeof render>['wrapper']) => wrapper.findAll(TableCell).map((c) => c.text);

describe('ProductRules drawer', () => {
  it('shows loading first', async () => {
    fakeBackend({ 'GET /products/prod_suite/rule': never, 'GET /qbo/accounts': never });
    const { wrapper, update } = render(<ProductRules {...ctx()} />);
    await update();
    expect(wrapper).toContainComponent(Spinner);
  });

  it('shows the backend error when the rule cannot be loaded', async () => {
    fakeBackend({
      'GET /products/prod_suite/rule': () => fail(404, 'not_found', 'No product prod_suite in this account.'),
      'GET /qbo/accounts': () => ok(ACCOUNTS),
    });
    const { wrapper, update } = render(<ProductRules {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainComponent(Banner, {
      type: 'critical',
      description: 'No product prod_suite in this account.',
    });
  });

  it('previews the bundle split of the product price before saving: 150.00 → 121.88 / 28.12', async () => {
    const { calls } = fakeBackend({
      'GET /products/prod_suite/rule': () => ok(ruleAnswer(BUNDLE)),
      'GET /qbo/accounts': () => ok(ACCOUNTS),
    });
    const { wrapper, update } = render(<ProductRules {...ctx()} />);
    await settle(update);
    expect(wrapper.find(TextField, { name: 'sample' })!.prop('value')).toBe('150.00');
    const cells = cellTexts(wrapper);
    expect(cells).toEqual(['Licence', '130', '121.88 USD', 'Support', '30', '28.12 USD']);
    // No write happened: the preview is computed in the view with the engine's allocate.
    expect(calls.every((c) => c.method === 'GET')).toBe(true);

    wrapper.find(TextField, { name: 'sample' })!.trigger('onChange', { target: { value: '99.99' } });
    await update();
    // 9999 × 130/160 = 8124.1875 → 8124; 9999 × 30/160 = 1874.8125 → 1874; the leftover cent goes to the larger remainder (Support).
    expect(cellTexts(wrapper)).toEqual(['Licence', '130', '81.24 USD', 'Support', '30', '18.75 USD']);
  });

  it('builds a bundle from scratch and saves it with the settings version', async () => {
    const { calls } = fakeBackend({
      'GET /products/prod_suite/rule': () => ok(ruleAnswer(null, 7)),
      'GET /qbo/accounts': () => ok(ACCOUNTS),
      'PUT /products/prod_suite/rule': (call) => ok(ruleAnswer((call.body as { rule: ProductRule }).rule, 8)),
    });
    const { wrapper, update } = render(<ProductRules {...ctx()} />);
    await settle(update);
    wrapper.find(Select, { name: 'rule' })!.trigger('onChange', { target: { value: 'bundle' } });
    await update();
    buttonLabelled(wrapper, 'Add component')!.trigger('onPress');
    await update();
    buttonLabelled(wrapper, 'Add component')!.trigger('onPress');
    await update();
    const type = async (name: string, value: string) => {
      wrapper.find(TextField, { name })!.trigger('onChange', { target: { value } });
      await update();
    };
    await type('component_0_name', 'Licence');
    await type('component_0_ssp', '130');
    await type('component_1_name', 'Support');
    await type('component_1_ssp', '30');
    wrapper.find(Select, { name: 'component_0_account' })!.trigger('onChange', { target: { value: '81' } });
    await update();
    expect(cellTexts(wrapper)).toEqual(['Licence', '130', '121.88 USD', 'Support', '30', '28.12 USD']);

    buttonLabelled(wrapper, 'Save rule')!.trigger('onPress');
    await settle(update);
    const put = calls.find((c) => c.method === 'PUT');
    expect(put?.body).toEqual({
      version: 7,
      rule: {
        rule: 'bundle',
        components: [
          { name: 'Licence', ssp: '130', rule: 'ratable', account: '81' },
          { name: 'Support', ssp: '30', rule: 'ratable' },
        ],
      },
    });
    expect(JSON.parse(put!.headers['stripe-signed-payload']!).stripe_roles).toEqual(['admin']);
    expect(vi.mocked(showToast)).toHaveBeenCalledWith('Rule saved for Suite.', { type: 'success' });
    expect(wrapper).toContainText('Current rule: Bundle split by standalone selling price (2 components)');
  });

  it('refuses to save an incomplete rule and says why, without calling the backend', async () => {
    const { calls } = fakeBackend({
      'GET /products/prod_suite/rule': () => ok(ruleAnswer(null)),
      'GET /qbo/accounts': () => ok(ACCOUNTS),
    });
    const { wrapper, update } = render(<ProductRules {...ctx()} />);
    await settle(update);
    wrapper.find(Select, { name: 'rule' })!.trigger('onChange', { target: { value: 'custom_term' } });
    await update();
    buttonLabelled(wrapper, 'Save rule')!.trigger('onPress');
    await settle(update);
    expect(wrapper).toContainComponent(Banner, { type: 'critical', title: 'Rule not saved' });
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it('explains a version conflict', async () => {
    fakeBackend({
      'GET /products/prod_suite/rule': () => ok(ruleAnswer(BUNDLE)),
      'GET /qbo/accounts': () => ok(ACCOUNTS),
      'PUT /products/prod_suite/rule': () => fail(409, 'conflict', 'version 7 is stale'),
    });
    const { wrapper, update } = render(<ProductRules {...ctx()} />);
    await settle(update);
    buttonLabelled(wrapper, 'Save rule')!.trigger('onPress');
    await settle(update);
    expect(wrapper).toContainComponent(Banner, {
      type: 'critical',
      description: 'Settings changed since you opened this product. Reload and try again.',
    });
  });

  it('is read-only for users without an administrator or developer role', async () => {
    const { calls } = fakeBackend({
      'GET /products/prod_suite/rule': () => ok(ruleAnswer(BUNDLE)),
      'GET /qbo/accounts': () => ok(ACCOUNTS),
    });
    const { wrapper, update } = render(<ProductRules {...ctx(VIEW_ONLY_ROLES)} />);
    await settle(update);
    expect(cellTexts(wrapper)).toContain('121.88 USD');
    expect(buttonLabelled(wrapper, 'Save rule')).toBeNull();
    expect(buttonLabelled(wrapper, 'Add component')).toBeNull();
    expect(wrapper.find(Select, { name: 'rule' })!.prop('disabled')).toBe(true);
    expect(wrapper.find(TextField, { name: 'component_0_ssp' })!.prop('readOnly')).toBe(true);
    expect(wrapper).toContainText('Only administrators and developers can change product rules.');
    expect(calls.every((c) => c.method === 'GET')).toBe(true);
  });
});
