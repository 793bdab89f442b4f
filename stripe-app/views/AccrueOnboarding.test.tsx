/**
 * Proves the onboarding flow: three tasks whose status follows the backend (QuickBooks
 * connected, every role mapped, settings saved); mapping is blocked until QuickBooks is
 * connected; pressing a task shows its section; onboarding completes only when all three are done;
 * a read-only user is told to ask an administrator.
 */
import { render } from '@stripe/ui-extension-sdk/testing';
import { Banner, OnboardingView } from '@stripe/ui-extension-sdk/ui';
import { showToast } from '@stripe/ui-extension-sdk/utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNT_ROLES } from '../../shared/accounts.ts';
import type { QboStatusResponse, SettingsResponse } from '../../shared/api/app.ts';
import {
  ADMIN_ROLES,
  buttonLabelled,
  contextFor,
  fakeBackend,
  ok,
  settle,
  VIEW_ONLY_ROLES,
} from '../testing/fakeBackend.ts';
import AccrueOnboarding from './AccrueOnboarding.tsx';
import { currency as currencyOf } from '../../shared/money.ts';

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
const SETTINGS: SettingsResponse = {
  version: 1,
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
const FULL_MAPPING = Object.fromEntries(ACCOUNT_ROLES.map((r) => [r, '79']));
const ACCOUNTS = { accounts: [{ id: '79', name: 'Services', type: 'Income', sub_type: null, active: true }] };

type Task = { title: string; status: string; onPress: () => void };
const tasksOf = (wrapper: ReturnType<typeof render>['wrapper']) =>
  wrapper.find(OnboardingView)!.prop('tasks') as Task[];

describe('Onboarding', () => {
  it('is pending while the QuickBooks status loads', async () => {
    fakeBackend({ 'GET /qbo/status': () => new Promise<never>(() => undefined) });
    const { wrapper, update } = render(
      <AccrueOnboarding {...contextFor({ viewportID: 'onboarding', roles: ADMIN_ROLES })} />,
    );
    await update();
    expect(wrapper.find(OnboardingView)!.prop('pending')).toBe(true);
  });

  it('starts with QuickBooks, blocks mapping until connected', async () => {
    fakeBackend({ 'GET /qbo/status': () => ok(NOT_CONNECTED) });
    const { wrapper, update } = render(
      <AccrueOnboarding {...contextFor({ viewportID: 'onboarding', roles: ADMIN_ROLES })} />,
    );
    await settle(update);
    expect(tasksOf(wrapper).map((t) => t.status)).toEqual(['in-progress', 'blocked', 'not-started']);
    expect(wrapper.find(OnboardingView)!.prop('completed')).toBe(false);
    expect(buttonLabelled(wrapper, 'Connect QuickBooks')).not.toBeNull();
  });

  it('completes once QuickBooks is connected, every role is mapped and settings are saved', async () => {
    fakeBackend({
      'GET /qbo/status': () => ok(CONNECTED),
      'GET /accounts/mapping': () => ok({ mapping: FULL_MAPPING }),
      'GET /qbo/accounts': () => ok(ACCOUNTS),
      'GET /settings': () => ok(SETTINGS),
      'PUT /settings': () => ok({ ...SETTINGS, version: 2 }),
    });
    const { wrapper, update } = render(
      <AccrueOnboarding {...contextFor({ viewportID: 'onboarding', roles: ADMIN_ROLES })} />,
    );
    await settle(update);
    expect(tasksOf(wrapper).map((t) => t.status)).toEqual(['complete', 'complete', 'not-started']);
    wrapper.act(() => tasksOf(wrapper)[2]!.onPress());
    await settle(update);
    expect(wrapper.find(OnboardingView)!.prop('title')).toBe('Choose your recognition settings');
    buttonLabelled(wrapper, 'Save settings')!.trigger('onPress');
    await settle(update);
    // Unchanged settings still count as chosen: the merchant confirmed the defaults.
    expect(vi.mocked(showToast)).toHaveBeenCalledWith('Nothing to save: the settings are unchanged.', {
      type: 'success',
    });
    expect(tasksOf(wrapper).map((t) => t.status)).toEqual(['complete', 'complete', 'complete']);
    expect(wrapper.find(OnboardingView)!.prop('completed')).toBe(true);
  });

  it('tells read-only users to ask an administrator', async () => {
    fakeBackend({ 'GET /qbo/status': () => ok(NOT_CONNECTED) });
    const { wrapper, update } = render(
      <AccrueOnboarding {...contextFor({ viewportID: 'onboarding', roles: VIEW_ONLY_ROLES })} />,
    );
    await settle(update);
    expect(wrapper).toContainComponent(Banner, { title: 'Ask an administrator' });
    expect(buttonLabelled(wrapper, 'Connect QuickBooks')).toBeNull();
  });
});
