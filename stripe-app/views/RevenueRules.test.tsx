/**
 * Proves the rule list drawer: the rules in position order with their conditions and splits;
 * an editor moves a rule up, edits a rule into a 60/40 split, previews the effect (what the
 * backend says each period would move, closed periods as corrections) and saves the reordered list
 * with its revision in a signed write; a split that does not sum to 100 is refused in the form,
 * naming the field; read-only users see the list and may preview but get no edit controls.
 */
import { render } from '@stripe/ui-extension-sdk/testing';
import { Banner, Button, Select, TableCell, TextField } from '@stripe/ui-extension-sdk/ui';
import { showToast } from '@stripe/ui-extension-sdk/utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RuleChangeRequest, RulePreviewResponse, RulesResponse } from '../../shared/api/rules.ts';
import {
  ADMIN_ROLES,
  buttonLabelled,
  contextFor,
  fakeBackend,
  ok,
  settle,
  SETTINGS,
  VIEW_ONLY_ROLES,
} from '../testing/fakeBackend.ts';
import RevenueRules from './RevenueRules.tsx';

vi.mock('@stripe/ui-extension-sdk/signature', () => ({ default: vi.fn(async () => 't=1700000000,v1=fake') }));
vi.mock('@stripe/ui-extension-sdk/utils', () => ({
  showToast: vi.fn(async () => ({ update: () => undefined, dismiss: () => undefined })),
}));
afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(showToast).mockClear();
});

const RULES = {
  revision: 4,
  can_edit: true,
  rules: [
    { id: 'eu', position: 1, conditions: { currencies: ['eur'] }, treatment: { rule: 'exclude' } },
    {
      id: 'annual',
      position: 2,
      conditions: { products: ['prod_pro'], line_metadata: { plan: 'annual' } },
      split: [
        { name: 'Subscription', percent: '70', rule: 'ratable' },
        { name: 'Onboarding', percent: '30', rule: 'point_in_time' },
      ],
    },
  ],
  product_rules: [
    { id: 'product.prod_x', position: 3, conditions: { products: ['prod_x'] }, treatment: { rule: 'exclude' } },
  ],
} as unknown as RulesResponse;

const PREVIEW: RulePreviewResponse = {
  revision: 4,
  through: '2026-03-31',
  periods: [
    { period: '2026-01', closed: true, posts_in: '2026-03', revenue_minor: '33000' },
    { period: '2026-03', closed: false, posts_in: '2026-03', revenue_minor: '-3000' },
  ],
  invoices: [{ invoice: 'in_annual', customer: 'cus_1', periods: [] }],
  invoices_total: 1,
};

const ctx = (roles = ADMIN_ROLES) => contextFor({ viewportID: 'stripe.dashboard.product.list', roles });
const cells = (w: ReturnType<typeof render>['wrapper']) => w.findAll(TableCell).map((c) => c.text);

describe('RevenueRules drawer', () => {
  it('lists the rules in order with conditions and splits, then the product rules', async () => {
    fakeBackend({ 'GET /rules': () => ok(RULES), 'GET /settings': () => ok(SETTINGS) });
    const { wrapper, update } = render(<RevenueRules {...ctx()} />);
    await settle(update);
    const texts = cells(wrapper);
    expect(texts.slice(0, 4)).toEqual(['1', 'eu', 'currency eur', 'Excluded']);
    expect(texts).toContain('product prod_pro · line plan=annual');
    expect(texts).toContain('Split: 70% Subscription, 30% Onboarding');
    expect(texts).toContain('product prod_x');
  });

  it('reorders, edits a split, previews and saves the list with its revision', async () => {
    const { calls } = fakeBackend({
      'GET /rules': () => ok(RULES),
      'GET /settings': () => ok(SETTINGS),
      'POST /rules/preview': () => ok(PREVIEW),
      'PUT /rules': () => ok({ change_id: '5', revision: 5, entries_posted: 3, preview: PREVIEW }),
    });
    const { wrapper, update } = render(<RevenueRules {...ctx()} />);
    await settle(update);
    wrapper
      .findAll(Button)
      .filter((b) => b.text === 'Move up')[1]!
      .trigger('onPress');
    await update();
    expect(cells(wrapper).slice(0, 2)).toEqual(['1', 'annual']);

    wrapper
      .findAll(Button)
      .filter((b) => b.text === 'Edit')[0]!
      .trigger('onPress');
    await update();
    const type = async (name: string, value: string) => {
      wrapper.find(TextField, { name })!.trigger('onChange', { target: { value } });
      await update();
    };
    await type('split_0_percent', '60');
    await type('split_1_percent', '30');
    buttonLabelled(wrapper, 'Apply to list')!.trigger('onPress');
    await update();
    expect(wrapper).toContainComponent(Banner, { description: 'split: split percentages sum to 90, not 100' });
    await type('split_1_percent', '40');
    buttonLabelled(wrapper, 'Apply to list')!.trigger('onPress');
    await update();
    expect(cells(wrapper)).toContain('Split: 60% Subscription, 40% Onboarding');

    buttonLabelled(wrapper, 'Preview effect')!.trigger('onPress');
    await settle(update);
    expect(cells(wrapper)).toEqual(
      expect.arrayContaining(['Jan 2026', '330.00 USD', 'Mar 2026 (correction: Jan 2026 is closed)', '-30.00 USD']),
    );

    buttonLabelled(wrapper, 'Save rules')!.trigger('onPress');
    await settle(update);
    const put = calls.find((c) => c.method === 'PUT');
    const body = put?.body as RuleChangeRequest;
    expect(body.revision).toBe(4);
    expect(body.rules.map((r) => [r.id, r.position])).toEqual([
      ['annual', 1],
      ['eu', 2],
    ]);
    expect(body.rules[0]!.split!.map((p) => p.percent)).toEqual(['60', '40']);
  });

  it('shows a read-only list to a user who may not edit, who can still preview', async () => {
    const { calls } = fakeBackend({
      'GET /rules': () => ok({ ...RULES, can_edit: false }),
      'GET /settings': () => ok(SETTINGS),
      'POST /rules/preview': () => ok(PREVIEW),
    });
    const { wrapper, update } = render(<RevenueRules {...ctx(VIEW_ONLY_ROLES)} />);
    await settle(update);
    expect(buttonLabelled(wrapper, 'Save rules')).toBeFalsy();
    expect(wrapper.findAll(Button).some((b) => b.text === 'Edit' || b.text === 'Move up')).toBe(false);
    expect(wrapper).toContainComponent(Banner, { title: 'Read only' });
    buttonLabelled(wrapper, 'Preview effect')!.trigger('onPress');
    await settle(update);
    expect(calls.map((c) => `${c.method} ${c.path}`).sort()).toEqual([
      'GET /rules',
      'GET /settings',
      'POST /rules/preview',
    ]);
    expect(wrapper.findAll(Select)).toHaveLength(0);
  });
});
