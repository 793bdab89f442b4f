/**
 * Proves the Settings page: loading and error states; every account role gets a QuickBooks
 * account picker filled from the company's own list; saving settings sends only the changed
 * fields with the loaded version (a stale version explains the conflict); saving the mapping
 * sends only changed roles; "create missing accounts" asks for exactly the unmapped roles; the
 * QuickBooks connect flow opens the backend's Intuit URL in a new tab and polls until connected;
 * the product list opens a rule editor; read-only users see everything without edit controls.
 */
import { render } from '@stripe/ui-extension-sdk/testing';
import { Banner, Button, FocusView, Select, Spinner, Switch, TextField } from '@stripe/ui-extension-sdk/ui';
import { showToast } from '@stripe/ui-extension-sdk/utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNT_ROLES, type AccountRole } from '../../shared/accounts.ts';
import type { QboStatusResponse, SettingsResponse } from '../../shared/api/app.ts';
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
  type FakeRoute,
} from '../testing/fakeBackend.ts';
import AccrueSettings from './AccrueSettings.tsx';
import { currency as currencyOf } from '../../shared/money.ts';

vi.mock('@stripe/ui-extension-sdk/signature', () => ({ default: vi.fn(async () => 't=1700000000,v1=fake') }));
vi.mock('@stripe/ui-extension-sdk/utils', () => ({
  showToast: vi.fn(async () => ({ update: () => undefined, dismiss: () => undefined })),
}));

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(showToast).mockClear();
});

const SETTINGS: SettingsResponse = {
  version: 5,
  settings: {
    functional_currency: currencyOf('usd'),
    reporting_time_zone: 'UTC',
    amortization: 'by_time',
    catch_up: true,
    discounts_as_contra: false,
    recover_as_gains: true,
    bad_debt_as_contra: false,
    connect_revenue: 'agent',
    close_policy: { mode: 'manual', days_after_period_end: 5 },
    period_calendar: { type: 'monthly' },
    posting_mode: 'summary',
    accrue_unbilled_usage: true,
    revalue_monetary_balances: false,
    termination_credits: 'proportional',
    breakage_after_months: null,
    breakage_rate: null,
    escheat_share: '0',
  },
};

const CONNECTED: QboStatusResponse = {
  status: 'connected',
  company_name: 'Sandbox Co',
  realm_id: '9130',
  connected_at: '2026-11-01T00:00:00Z',
  message: null,
};
const NOT_CONNECTED: QboStatusResponse = {
  status: 'not_connected',
  company_name: null,
  realm_id: null,
  connected_at: null,
  message: null,
};

const ACCOUNTS = {
  accounts: [
    { id: '35', name: 'Checking', type: 'Bank', sub_type: 'Checking', active: true },
    { id: '79', name: 'Services', type: 'Income', sub_type: 'ServiceFeeIncome', active: true },
    { id: '90', name: 'Old Income', type: 'Income', sub_type: null, active: false },
  ],
};

/** Everything mapped except fees and fx_gain_loss. */
function mapping(): Record<AccountRole, string | null> {
  return Object.fromEntries(
    ACCOUNT_ROLES.map((r) => [r, r === 'fees' || r === 'fx_gain_loss' ? null : r === 'bank' ? '35' : '79']),
  ) as Record<AccountRole, string | null>;
}

function routes(over: Record<string, FakeRoute> = {}): Record<string, FakeRoute> {
  return {
    'GET /qbo/status': () => ok(CONNECTED),
    'GET /settings': () => ok(SETTINGS),
    'GET /accounts/mapping': () => ok({ mapping: mapping() }),
    'GET /qbo/accounts': () => ok(ACCOUNTS),
    'GET /products': () =>
      ok({
        products: [{ id: 'prod_a', name: 'Pro plan', active: true, default_price: null, rule: null }],
        has_more: false,
      }),
    ...over,
  };
}

const ctx = (roles = ADMIN_ROLES) => contextFor({ viewportID: 'settings', roles });

describe('Settings page', () => {
  it('shows loading states while the backend has not answered', async () => {
    fakeBackend(
      routes({
        'GET /qbo/status': never,
        'GET /settings': never,
        'GET /accounts/mapping': never,
        'GET /products': never,
      }),
    );
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await update();
    expect(wrapper.findAll(Spinner).length).toBeGreaterThanOrEqual(4);
    expect(wrapper).toContainText('Loading settings');
  });

  it("shows each section's failure with its own message, and an empty product list", async () => {
    fakeBackend(
      routes({
        'GET /settings': () => fail(500, 'internal', 'Settings store is unavailable.'),
        'GET /qbo/status': () => fail(502, 'upstream_unavailable', 'Accrue could not reach QuickBooks.'),
        'GET /products': () => ok({ products: [], has_more: false }),
      }),
    );
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainComponent(Banner, {
      type: 'critical',
      title: 'Could not load settings',
      description: 'Settings store is unavailable.',
    });
    expect(wrapper).toContainComponent(Banner, {
      type: 'critical',
      title: 'Could not check the QuickBooks connection',
      description: 'Accrue could not reach QuickBooks.',
    });
    expect(wrapper).toContainText('No products yet.');
  });

  it('offers a QuickBooks account for every role, from the company list', async () => {
    fakeBackend(routes());
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    for (const role of ACCOUNT_ROLES) {
      const select = wrapper.find(Select, { name: `account_${role}` });
      expect(select, role).not.toBeNull();
    }
    const fees = wrapper.find(Select, { name: 'account_fees' })!;
    expect(fees.prop('value')).toBe('');
    // Inactive accounts are not offered.
    expect(fees.text).toContain('Checking (Bank)');
    expect(fees.text).not.toContain('Old Income');
    expect(wrapper).toContainComponent(Banner, { type: 'caution', title: '2 roles are not mapped' });
  });

  it('saves only the changed settings with the loaded version and confirms', async () => {
    const { calls } = fakeBackend(
      routes({
        'PUT /settings': (call) =>
          ok({ version: 6, settings: { ...SETTINGS.settings, ...(call.body as { settings: object }).settings } }),
      }),
    );
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    wrapper.find(Select, { name: 'amortization' })!.trigger('onChange', { target: { value: 'by_day' } });
    wrapper.find(Switch, { name: 'catch_up' })!.trigger('onChange', { target: { checked: false } });
    wrapper.find(Select, { name: 'connect_revenue' })!.trigger('onChange', { target: { value: 'gross' } });
    await update();
    buttonLabelled(wrapper, 'Save settings')!.trigger('onPress');
    await settle(update);
    const put = calls.find((c) => c.method === 'PUT' && c.path === '/settings');
    expect(put?.body).toEqual({
      version: 5,
      settings: { amortization: 'by_day', catch_up: false, connect_revenue: 'gross' },
    });
    expect(vi.mocked(showToast)).toHaveBeenCalledWith('Settings saved.', { type: 'success' });
  });

  it('refuses an unknown time zone before calling the backend', async () => {
    const { calls } = fakeBackend(routes());
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    wrapper
      .find(TextField, { name: 'reporting_time_zone' })!
      .trigger('onChange', { target: { value: 'Mars/Olympus' } });
    await update();
    buttonLabelled(wrapper, 'Save settings')!.trigger('onPress');
    await settle(update);
    expect(wrapper).toContainComponent(Banner, { title: 'Settings not saved' });
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it('explains a version conflict in plain words', async () => {
    fakeBackend(routes({ 'PUT /settings': () => fail(409, 'conflict', 'stale version') }));
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    wrapper.find(Select, { name: 'posting_mode' })!.trigger('onChange', { target: { value: 'detailed' } });
    await update();
    buttonLabelled(wrapper, 'Save settings')!.trigger('onPress');
    await settle(update);
    expect(wrapper).toContainComponent(Banner, {
      title: 'Settings not saved',
      description: expect.stringContaining('Someone else changed these settings'),
    });
  });

  it('saves only the remapped roles, and creates accounts for exactly the unmapped roles', async () => {
    const created = mapping();
    created.fees = '101';
    created.fx_gain_loss = '102';
    const { calls } = fakeBackend(
      routes({
        'PUT /accounts/mapping': () => ok({ mapping: { ...mapping(), fees: '35' } }),
        'POST /qbo/accounts/create-missing': () =>
          ok({
            created: [
              {
                role: 'fees',
                account: { id: '101', name: 'Stripe Fees', type: 'Expense', sub_type: 'BankCharges', active: true },
              },
              {
                role: 'fx_gain_loss',
                account: {
                  id: '102',
                  name: 'Exchange Gain or Loss',
                  type: 'Other Expense',
                  sub_type: 'ExchangeGainOrLoss',
                  active: true,
                },
              },
            ],
            mapping: created,
          }),
      }),
    );
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    wrapper.find(Select, { name: 'account_fees' })!.trigger('onChange', { target: { value: '35' } });
    await update();
    buttonLabelled(wrapper, 'Save mapping')!.trigger('onPress');
    await settle(update);
    expect(calls.find((c) => c.method === 'PUT' && c.path === '/accounts/mapping')?.body).toEqual({
      mapping: { fees: '35' },
    });
    expect(vi.mocked(showToast)).toHaveBeenCalledWith('Account mapping saved.', { type: 'success' });

    buttonLabelled(wrapper, 'Create missing accounts')!.trigger('onPress');
    await settle(update);
    expect(calls.find((c) => c.path === '/qbo/accounts/create-missing')?.body).toEqual({ roles: ['fx_gain_loss'] });
    expect(vi.mocked(showToast)).toHaveBeenCalledWith('Created 2 accounts in QuickBooks.', { type: 'success' });
  });

  it('asks to connect QuickBooks before mapping when the company list is unavailable', async () => {
    fakeBackend(
      routes({
        'GET /qbo/status': () => ok(NOT_CONNECTED),
        'GET /qbo/accounts': () => fail(503, 'not_configured', 'QuickBooks is not connected'),
      }),
    );
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainComponent(Banner, { title: 'Connect QuickBooks first' });
  });

  it('connects QuickBooks: opens the backend URL in a new tab, then polls until connected', async () => {
    let statusCalls = 0;
    const { calls } = fakeBackend(
      routes({
        'GET /qbo/status': () => ok(++statusCalls === 1 ? NOT_CONNECTED : CONNECTED),
        'POST /qbo/connect': () =>
          ok({
            authorization_url: 'https://api.accrue.test/qbo/authorize?ticket=abc',
            expires_at: '2026-11-21T12:10:00Z',
          }),
      }),
    );
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    buttonLabelled(wrapper, 'Connect QuickBooks')!.trigger('onPress');
    await settle(update);
    expect(calls.find((c) => c.method === 'POST' && c.path === '/qbo/connect')).toBeDefined();
    const open = buttonLabelled(wrapper, 'Open QuickBooks sign-in')!;
    expect(open.props).toMatchObject({ href: 'https://api.accrue.test/qbo/authorize?ticket=abc', target: '_blank' });
    open.trigger('onPress');
    await update();
    expect(wrapper).toContainText('Waiting for you to finish signing in');
    await new Promise((r) => setTimeout(r, 3_200));
    await settle(update);
    expect(statusCalls).toBe(2);
    expect(vi.mocked(showToast)).toHaveBeenCalledWith('Connected to QuickBooks (Sandbox Co).', { type: 'success' });
    expect(buttonLabelled(wrapper, 'Reconnect QuickBooks')).not.toBeNull();
  });

  it('opens a product rule editor from the product list', async () => {
    fakeBackend(
      routes({
        'GET /products/prod_a/rule': () =>
          ok({
            product: { id: 'prod_a', name: 'Pro plan', active: true, default_price: null, rule: null },
            rule: null,
            version: 5,
          }),
      }),
    );
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    expect(wrapper.find(FocusView)!.prop('shown')).toBe(false);
    buttonLabelled(wrapper, 'Edit')!.trigger('onPress');
    await settle(update);
    expect(wrapper.find(FocusView)!.prop('shown')).toBe(true);
    expect(wrapper.find(FocusView)!.prop('title')).toBe('Rule for Pro plan');
    expect(wrapper).toContainText('Current rule: Default: spread over the service period');
  });

  it('is read-only for users without an administrator or developer role', async () => {
    const { calls } = fakeBackend(routes());
    const { wrapper, update } = render(<AccrueSettings {...ctx(VIEW_ONLY_ROLES)} />);
    await settle(update);
    expect(wrapper).toContainComponent(Banner, { title: 'Read-only' });
    expect(buttonLabelled(wrapper, 'Save settings')).toBeNull();
    expect(buttonLabelled(wrapper, 'Save mapping')).toBeNull();
    expect(buttonLabelled(wrapper, 'Create missing accounts')).toBeNull();
    expect(buttonLabelled(wrapper, 'Reconnect QuickBooks')).toBeNull();
    expect(buttonLabelled(wrapper, 'Disconnect')).toBeNull();
    expect(wrapper.find(Select, { name: 'account_revenue' })!.prop('disabled')).toBe(true);
    expect(wrapper.find(Select, { name: 'amortization' })!.prop('disabled')).toBe(true);
    expect(wrapper.findAll(Button).some((b) => b.text === 'View')).toBe(true);
    expect(calls.every((c) => c.method === 'GET')).toBe(true);
  });
});
