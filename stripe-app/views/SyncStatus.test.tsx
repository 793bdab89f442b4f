/**
 * Proves the sync status drawer: it shows a loading state, then the last event, last posting,
 * pending and failed counts from GET /sync/status and the open exceptions with their plain
 * reasons; an empty queue says so; a failing backend shows its message with a retry; a signed
 * Retry calls POST /exceptions/:id/retry and confirms; read-only users get no Retry button.
 */
import { render } from '@stripe/ui-extension-sdk/testing';
import { Banner, ContextView, PropertyListItem, Spinner } from '@stripe/ui-extension-sdk/ui';
import { showToast } from '@stripe/ui-extension-sdk/utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExceptionItem, SyncStatusResponse } from '../../shared/api/app.ts';
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
import SyncStatus from './SyncStatus.tsx';

vi.mock('@stripe/ui-extension-sdk/signature', () => ({ default: vi.fn(async () => 't=1700000000,v1=fake') }));
vi.mock('@stripe/ui-extension-sdk/utils', () => ({
  showToast: vi.fn(async () => ({ update: () => undefined, dismiss: () => undefined })),
}));

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(showToast).mockClear();
});

const STATUS: SyncStatusResponse = {
  last_event_received_at: '2026-11-20T10:15:00Z',
  last_event_type: 'invoice.paid',
  last_posting_at: '2026-11-20T10:16:30Z',
  pending_count: 3,
  failed_count: 1,
  open_exceptions: 1,
  qbo: {
    status: 'connected',
    company_name: 'Sandbox Co',
    realm_id: '9130',
    connected_at: '2026-11-01T00:00:00Z',
    message: null,
  },
};

const EXCEPTION: ExceptionItem = {
  id: 'exc_1',
  kind: 'qbo_posting',
  status: 'open',
  reason: 'QuickBooks closed the books for October; reopen it or change the closing date.',
  object_ids: ['in_123', 'je_key_abc'],
  created_at: '2026-11-20T10:16:30Z',
  attempts: 3,
  retryable: true,
};

const propValue = (wrapper: ReturnType<typeof render>['wrapper'], label: string) =>
  wrapper.find(PropertyListItem, { label })?.prop('value');

describe('SyncStatus drawer', () => {
  it('shows loading while the backend has not answered', async () => {
    fakeBackend({ 'GET /sync/status': never, 'GET /exceptions': never });
    const { wrapper, update } = render(
      <SyncStatus {...contextFor({ viewportID: 'stripe.dashboard.drawer.default' })} />,
    );
    await update();
    expect(wrapper).toContainComponent(Spinner);
    expect(wrapper).toContainText('Loading sync status');
  });

  it('shows status and exceptions from signed requests', async () => {
    const { calls } = fakeBackend({
      'GET /sync/status': () => ok(STATUS),
      'GET /exceptions': () => ok({ exceptions: [EXCEPTION], has_more: false }),
    });
    const { wrapper, update } = render(
      <SyncStatus {...contextFor({ viewportID: 'stripe.dashboard.drawer.default', roles: ADMIN_ROLES })} />,
    );
    await settle(update);
    expect(propValue(wrapper, 'Waiting to post')).toBe('3');
    expect(propValue(wrapper, 'Failed')).toBe('1');
    expect(String(propValue(wrapper, 'Last event from Stripe'))).toContain('invoice.paid');
    expect(wrapper).toContainText('QuickBooks closed the books for October');
    expect(wrapper).toContainText('in_123');
    const statusCall = calls.find((c) => c.path === '/sync/status')!;
    expect(statusCall.headers['stripe-signature']).toBe('t=1700000000,v1=fake');
    expect(statusCall.headers['stripe-account-id']).toBe('acct_1234');
    expect(statusCall.headers['stripe-user-id']).toBe('usr_1234');
    expect(JSON.parse(statusCall.headers['stripe-signed-payload']!)).toEqual({
      mode: 'test',
      user_id: 'usr_1234',
      account_id: 'acct_1234',
    });
    expect(calls.find((c) => c.path === '/exceptions')!.query).toContain('status=open');
  });

  it('says when nothing needs attention', async () => {
    fakeBackend({
      'GET /sync/status': () => ok(STATUS),
      'GET /exceptions': () => ok({ exceptions: [], has_more: false }),
    });
    const { wrapper, update } = render(
      <SyncStatus {...contextFor({ viewportID: 'stripe.dashboard.drawer.default' })} />,
    );
    await settle(update);
    expect(wrapper).toContainText('Nothing needs your attention.');
  });

  it('shows the backend error with a title', async () => {
    fakeBackend({
      'GET /sync/status': () => fail(502, 'upstream_unavailable', 'The database is not answering.'),
      'GET /exceptions': () => ok({ exceptions: [], has_more: false }),
    });
    const { wrapper, update } = render(
      <SyncStatus {...contextFor({ viewportID: 'stripe.dashboard.drawer.default' })} />,
    );
    await settle(update);
    expect(wrapper).toContainComponent(Banner, {
      type: 'critical',
      title: 'Could not load sync status',
      description: 'The database is not answering.',
    });
  });

  it('retries an exception with a signed write carrying the role, then confirms', async () => {
    const { calls } = fakeBackend({
      'GET /sync/status': () => ok(STATUS),
      'GET /exceptions': () => ok({ exceptions: [EXCEPTION], has_more: false }),
      'POST /exceptions/exc_1/retry': () => ok({ exception: { ...EXCEPTION, status: 'retrying' } }),
    });
    const { wrapper, update } = render(
      <SyncStatus {...contextFor({ viewportID: 'stripe.dashboard.drawer.default', roles: ADMIN_ROLES })} />,
    );
    await settle(update);
    buttonLabelled(wrapper, 'Retry')!.trigger('onPress');
    await settle(update);
    const retry = calls.find((c) => c.method === 'POST' && c.path === '/exceptions/exc_1/retry');
    expect(retry).toBeDefined();
    expect(JSON.parse(retry!.headers['stripe-signed-payload']!)).toEqual({
      mode: 'test',
      stripe_roles: ['admin'],
      user_id: 'usr_1234',
      account_id: 'acct_1234',
    });
    expect(vi.mocked(showToast)).toHaveBeenCalledWith(expect.stringContaining('Retry queued'), { type: 'success' });
    // The queue is reloaded after the retry.
    expect(calls.filter((c) => c.path === '/exceptions' && c.method === 'GET').length).toBe(2);
  });

  it('offers no Retry to read-only users', async () => {
    fakeBackend({
      'GET /sync/status': () => ok(STATUS),
      'GET /exceptions': () => ok({ exceptions: [EXCEPTION], has_more: false }),
    });
    const { wrapper, update } = render(
      <SyncStatus {...contextFor({ viewportID: 'stripe.dashboard.drawer.default', roles: VIEW_ONLY_ROLES })} />,
    );
    await settle(update);
    expect(wrapper).toContainText('QuickBooks closed the books');
    expect(buttonLabelled(wrapper, 'Retry')).toBeNull();
    expect(wrapper).toContainComponent(ContextView, { title: 'Sync status' });
  });
});
