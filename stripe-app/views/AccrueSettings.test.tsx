/**
 * Proves the Settings page: loading and error states; required settings and accounts are shown
 * apart from the optional ones, with one Save for the page; every account role gets a QuickBooks
 * account picker filled from the company's own list; the one save sends the changed settings and
 * remapped roles together with the loaded version (a stale version explains the conflict), and
 * refuses, naming every problem and what to type instead, a draft that cannot be saved; "create
 * missing accounts" asks for exactly a section's unmapped roles; the
 * QuickBooks connect flow opens the backend's Intuit URL in a new tab and polls until connected;
 * the product list opens a rule editor; read-only users see everything without edit controls.
 */
import { render } from '@stripe/ui-extension-sdk/testing';
import {
  Banner,
  Box,
  Button,
  FocusView,
  Select,
  SettingsView,
  Spinner,
  Switch,
  TextField,
} from '@stripe/ui-extension-sdk/ui';
import { showToast } from '@stripe/ui-extension-sdk/utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNT_ROLES, type AccountRole } from '../../shared/accounts.ts';
import type { QboStatusResponse } from '../../shared/api/app.ts';
import {
  ADMIN_ROLES,
  buttonLabelled,
  contextFor,
  fail,
  fakeBackend,
  never,
  ok,
  settle,
  SETTINGS,
  VIEW_ONLY_ROLES,
  type FakeRoute,
} from '../testing/fakeBackend.ts';
import AccrueSettings from './AccrueSettings.tsx';

vi.mock('@stripe/ui-extension-sdk/signature', () => ({ default: vi.fn(async () => 't=1700000000,v1=fake') }));
vi.mock('@stripe/ui-extension-sdk/utils', () => ({
  showToast: vi.fn(async () => ({ update: () => undefined, dismiss: () => undefined })),
}));

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(showToast).mockClear();
});

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

/** Everything mapped except the optional fx_gain_loss and breakage. */
function mapping(): Record<AccountRole, string | null> {
  return Object.fromEntries(
    ACCOUNT_ROLES.map((r) => [r, r === 'breakage' || r === 'fx_gain_loss' ? null : r === 'bank' ? '35' : '79']),
  ) as Record<AccountRole, string | null>;
}

/** Saves the page with the SettingsView's own Save button. */
async function savePage(wrapper: ReturnType<typeof render>['wrapper'], update: () => Promise<void>) {
  wrapper.find(SettingsView)!.trigger('onSave', {});
  await settle(update);
}

/** A backend that saves the page: merges the settings, applies the mapping, bumps the version. */
const savesPage: FakeRoute = (call) => {
  const body = call.body as { settings: object; mapping: object };
  return ok({
    version: 6,
    settings: { ...SETTINGS.settings, ...body.settings },
    mapping: { ...mapping(), ...body.mapping },
  });
};

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

  it('separates required from optional: currency, time zone and the essential accounts first, one Save', async () => {
    fakeBackend(routes());
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    // The page's nodes in document order: each field sits under its section's heading.
    const nodes = wrapper.findAllWhere(() => true);
    const heading = (title: string) => nodes.findIndex((n) => n.is(Box) && n.text === title);
    const required = heading('Required');
    const optional = heading('Optional');
    expect(required).toBeGreaterThanOrEqual(0);
    expect(optional).toBeGreaterThan(required);
    const at = (name: string) => {
      const i = nodes.findIndex((n) => (n.props as { name?: string }).name === name);
      expect(i, name).toBeGreaterThan(required);
      return i;
    };
    for (const name of ['functional_currency', 'reporting_time_zone', 'account_receivable', 'account_deferred_revenue'])
      expect(at(name), name).toBeLessThan(optional);
    for (const name of [
      'amortization',
      'accrue_unbilled_usage',
      'breakage_after_months',
      'breakage_rate',
      'escheat_share',
      'termination_credits',
      'revalue_monetary_balances',
      'account_fx_gain_loss',
    ])
      expect(at(name), name).toBeGreaterThan(optional);
    // One save action for the page: the SettingsView's, and no other Save button.
    expect(wrapper.find(SettingsView)!.prop('onSave')).toBeTypeOf('function');
    expect(wrapper.findAll(Button).filter((b) => /^Save/.test(b.text))).toHaveLength(0);
  });

  it('offers a QuickBooks account for every role, from the company list', async () => {
    fakeBackend(routes());
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    for (const role of ACCOUNT_ROLES) {
      const select = wrapper.find(Select, { name: `account_${role}` });
      expect(select, role).not.toBeNull();
    }
    const fx = wrapper.find(Select, { name: 'account_fx_gain_loss' })!;
    expect(fx.prop('value')).toBe('');
    // Inactive accounts are not offered.
    expect(fx.text).toContain('Checking (Bank)');
    expect(fx.text).not.toContain('Old Income');
    expect(wrapper).toContainComponent(Banner, { type: 'caution', title: '2 optional roles are not mapped' });
  });

  it('saves settings and mapping in one request with the loaded version, sending only what changed', async () => {
    const { calls } = fakeBackend(routes({ 'PUT /settings/page': savesPage }));
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    wrapper.find(Select, { name: 'amortization' })!.trigger('onChange', { target: { value: 'by_day' } });
    wrapper.find(Switch, { name: 'catch_up' })!.trigger('onChange', { target: { checked: false } });
    wrapper.find(Select, { name: 'connect_revenue' })!.trigger('onChange', { target: { value: 'gross' } });
    wrapper.find(Switch, { name: 'accrue_unbilled_usage' })!.trigger('onChange', { target: { checked: false } });
    wrapper.find(Switch, { name: 'revalue_monetary_balances' })!.trigger('onChange', { target: { checked: true } });
    wrapper
      .find(Select, { name: 'termination_credits' })!
      .trigger('onChange', { target: { value: 'unsatisfied_first' } });
    wrapper.find(TextField, { name: 'breakage_after_months' })!.trigger('onChange', { target: { value: '24' } });
    wrapper.find(TextField, { name: 'breakage_rate' })!.trigger('onChange', { target: { value: '0.05' } });
    wrapper.find(TextField, { name: 'escheat_share' })!.trigger('onChange', { target: { value: '0.25' } });
    wrapper.find(Select, { name: 'account_fx_gain_loss' })!.trigger('onChange', { target: { value: '79' } });
    await update();
    await savePage(wrapper, update);
    const puts = calls.filter((c) => c.method === 'PUT');
    expect(puts.map((c) => c.path)).toEqual(['/settings/page']);
    expect(puts[0]!.body).toEqual({
      version: 5,
      settings: {
        amortization: 'by_day',
        catch_up: false,
        connect_revenue: 'gross',
        accrue_unbilled_usage: false,
        revalue_monetary_balances: true,
        termination_credits: 'unsatisfied_first',
        breakage_after_months: 24,
        breakage_rate: '0.05',
        escheat_share: '0.25',
      },
      mapping: { fx_gain_loss: '79' },
    });
    expect(vi.mocked(showToast)).toHaveBeenCalledWith('Settings saved.', { type: 'success' });
    expect(wrapper.find(SettingsView)!.prop('statusMessage')).toBe('Saved');
  });

  it('names every field that cannot be saved, with what to type instead, before calling the backend', async () => {
    const { calls } = fakeBackend(routes());
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    const type = (name: string, value: string) =>
      wrapper.find(TextField, { name })!.trigger('onChange', { target: { value } });
    type('reporting_time_zone', 'Mars/Olympus');
    type('functional_currency', 'Dollars');
    type('breakage_after_months', '1.5');
    type('breakage_rate', '5%');
    type('escheat_share', '1.2');
    wrapper.find(Select, { name: 'account_receivable' })!.trigger('onChange', { target: { value: '' } });
    await update();
    await savePage(wrapper, update);
    const banner = wrapper.find(Banner, { title: 'Settings not saved' });
    expect(banner).not.toBeNull();
    const said = String(banner!.prop('description'));
    expect(said).toContain('"Mars/Olympus" is not a time zone. Use an IANA name such as UTC or America/New_York.');
    expect(said).toContain('"Dollars" is not a currency code. Use a three-letter ISO 4217 code such as USD or EUR.');
    expect(said).toContain('"1.5" is not a number of months. Use a whole number from 1 to 600');
    expect(said).toContain('"5%" is not a share below 1. Write it as a decimal, e.g. 0.05 for 5 %');
    expect(said).toContain('"1.2" is not a share from 0 to 1');
    expect(said).toContain('choose a QuickBooks account for Stripe Receivables');
    expect(wrapper.find(SettingsView)!.prop('statusMessage')).toBe('Not saved');
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it('says when there is nothing to save, without calling the backend', async () => {
    const { calls } = fakeBackend(routes());
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    await savePage(wrapper, update);
    expect(vi.mocked(showToast)).toHaveBeenCalledWith('Nothing to save: the settings are unchanged.', {
      type: 'success',
    });
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it("shows the backend's refusal and explains a version conflict in plain words", async () => {
    let answer = fail(400, 'invalid_input', 'QuickBooks account "Checking" is Bank; fx_gain_loss needs Other Expense.');
    fakeBackend(routes({ 'PUT /settings/page': () => answer }));
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    wrapper.find(Select, { name: 'posting_mode' })!.trigger('onChange', { target: { value: 'detailed' } });
    await update();
    await savePage(wrapper, update);
    expect(wrapper).toContainComponent(Banner, {
      title: 'Settings not saved',
      description: 'QuickBooks account "Checking" is Bank; fx_gain_loss needs Other Expense.',
    });
    answer = fail(409, 'conflict', 'stale version');
    await savePage(wrapper, update);
    expect(wrapper).toContainComponent(Banner, {
      title: 'Settings not saved',
      description: expect.stringContaining('Someone else changed these settings'),
    });
    expect(wrapper.find(SettingsView)!.prop('statusMessage')).toBe('Not saved');
  });

  it("creates accounts for exactly a section's unmapped roles and keeps the page's other edits", async () => {
    const created = mapping();
    created.fx_gain_loss = '102';
    created.breakage = '103';
    const { calls } = fakeBackend(
      routes({
        'PUT /settings/page': savesPage,
        'POST /qbo/accounts/create-missing': () =>
          ok({
            created: [
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
              {
                role: 'breakage',
                account: { id: '103', name: 'Breakage', type: 'Income', sub_type: null, active: true },
              },
            ],
            mapping: created,
          }),
      }),
    );
    const { wrapper, update } = render(<AccrueSettings {...ctx()} />);
    await settle(update);
    wrapper.find(Select, { name: 'account_bank' })!.trigger('onChange', { target: { value: '79' } });
    wrapper.find(Select, { name: 'amortization' })!.trigger('onChange', { target: { value: 'by_day' } });
    await update();
    buttonLabelled(wrapper, 'Create missing accounts')!.trigger('onPress');
    await settle(update);
    expect(calls.find((c) => c.path === '/qbo/accounts/create-missing')?.body).toEqual({
      roles: ['fx_gain_loss', 'breakage'].sort(
        (a, b) => ACCOUNT_ROLES.indexOf(a as AccountRole) - ACCOUNT_ROLES.indexOf(b as AccountRole),
      ),
    });
    expect(vi.mocked(showToast)).toHaveBeenCalledWith('Created 2 accounts in QuickBooks.', { type: 'success' });
    await savePage(wrapper, update);
    expect(calls.find((c) => c.path === '/settings/page')?.body).toEqual({
      version: 5,
      settings: { amortization: 'by_day' },
      mapping: { bank: '79' },
    });
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
    expect(wrapper.find(SettingsView)!.prop('onSave')).toBeUndefined();
    expect(buttonLabelled(wrapper, 'Create missing accounts')).toBeNull();
    expect(buttonLabelled(wrapper, 'Reconnect QuickBooks')).toBeNull();
    expect(buttonLabelled(wrapper, 'Disconnect')).toBeNull();
    expect(wrapper.find(Select, { name: 'account_revenue' })!.prop('disabled')).toBe(true);
    expect(wrapper.find(Select, { name: 'amortization' })!.prop('disabled')).toBe(true);
    expect(wrapper.findAll(Button).some((b) => b.text === 'View')).toBe(true);
    expect(calls.every((c) => c.method === 'GET')).toBe(true);
  });
});
