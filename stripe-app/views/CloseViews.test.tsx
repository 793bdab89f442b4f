/**
 * The month-end close views with the SDK's test renderer: the periods view shows dates the
 * Dashboard's way, offers Close only on the next period and only to administrators, refuses a
 * reopen without a reason before calling the backend, reconciles a period with money and its
 * currency, drills down to the entries, and says to connect QuickBooks on a 503; the exception
 * queue's exclude / review / map-account actions send what the contract says and exclude needs a
 * reason; backfill progress and the exports (shown as text, copied to the clipboard) render.
 */
import { render } from '@stripe/ui-extension-sdk/testing';
import { Banner, Button, Select, TableCell, TextArea, TextField } from '@stripe/ui-extension-sdk/ui';
import { clipboardWriteText } from '@stripe/ui-extension-sdk/utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExceptionsResponse } from '../../shared/api/app.ts';
import type {
  BackfillResponse,
  ExportTextResponse,
  PeriodsResponse,
  ReconciliationEntriesResponse,
  ReconciliationResponse,
} from '../../shared/api/close.ts';
import { currency as currencyOf } from '../../shared/money.ts';
import {
  ADMIN_ROLES,
  VIEW_ONLY_ROLES,
  buttonLabelled,
  contextFor,
  fail,
  fakeBackend,
  ok,
  settle,
} from '../testing/fakeBackend.ts';
import CloseExports from './CloseExports.tsx';
import ExceptionQueue from './ExceptionQueue.tsx';
import PeriodClose from './PeriodClose.tsx';

vi.mock('@stripe/ui-extension-sdk/signature', () => ({ default: vi.fn(async () => 't=1700000000,v1=fake') }));
vi.mock('@stripe/ui-extension-sdk/utils', () => ({
  showToast: vi.fn(async () => ({ update: () => undefined, dismiss: () => undefined })),
  clipboardWriteText: vi.fn(async () => undefined),
}));

afterEach(() => vi.unstubAllGlobals());

const USD = currencyOf('usd');
const period = (key: string, status: 'open' | 'closed') => ({
  key,
  start: `${key}-01`,
  end: `${key}-${key.endsWith('02') ? '28' : '31'}`,
  status,
  closed_at: status === 'closed' ? '2026-02-03T10:00:00Z' : null,
  closed_by: status === 'closed' ? 'usr_1' : null,
});
const PERIODS: PeriodsResponse = {
  periods: [period('2026-01', 'closed'), period('2026-02', 'open'), period('2026-03', 'open')],
  next_to_close: '2026-02',
  reopenable: '2026-01',
  history: [{ period: '2026-01', action: 'close', actor: 'usr_1', reason: null, at: '2026-02-03T10:00:00Z' }],
};
const RECON: ReconciliationResponse = {
  period: '2026-03',
  agree: false,
  rows: [
    {
      account_id: '77',
      account: 'Deferred Revenue',
      currency: USD,
      ledger_minor: '-123456',
      qbo_minor: '-120000',
      difference_minor: '-3456',
    },
  ],
  unmapped_lines: 0,
};
const ENTRIES: ReconciliationEntriesResponse = {
  period: '2026-03',
  account_id: '77',
  entries: [
    {
      entry_id: '9',
      posting_date: '2026-03-31',
      kind: 'recognition',
      memo: 'Revenue of in_1',
      currency: USD,
      amount_minor: '3456',
      doc_number: null,
      sync_state: null,
    },
  ],
  total_entries: 1,
};

describe('PeriodClose', () => {
  const ctx = (roles = ADMIN_ROLES) =>
    contextFor({ viewportID: 'stripe.dashboard.revenue-recognition.overview', roles });
  const routes = () => ({
    'GET /periods': () => ok(PERIODS),
    'GET /reconciliation': () => ok(RECON),
    'GET /reconciliation/entries': () => ok(ENTRIES),
    'POST /periods/2026-02/close': () => ok({ period: period('2026-02', 'closed') }),
    'POST /periods/2026-01/reopen': () => ok({ period: period('2026-01', 'open') }),
  });

  it('lists periods with Dashboard dates and offers Close only on the next period', async () => {
    const { calls } = fakeBackend(routes());
    const { wrapper, update } = render(<PeriodClose {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainText('Feb 1, 2026 – Feb 28, 2026');
    expect(wrapper).toContainText('Feb 3, 2026, 10:00 UTC: Jan 2026 closed by usr_1');
    expect(buttonLabelled(wrapper, 'Close Feb 2026')).not.toBeNull();
    expect(buttonLabelled(wrapper, 'Close Mar 2026')).toBeNull();
    buttonLabelled(wrapper, 'Close Feb 2026')!.trigger('onPress');
    await settle(update);
    const close = calls.find((c) => c.method === 'POST')!;
    expect(close.path).toBe('/periods/2026-02/close');
    expect(close.body).toEqual({});
  });

  it('needs a reason to reopen, and sends it', async () => {
    const { calls } = fakeBackend(routes());
    const { wrapper, update } = render(<PeriodClose {...ctx()} />);
    await settle(update);
    buttonLabelled(wrapper, 'Reopen Jan 2026')!.trigger('onPress');
    await settle(update);
    expect(wrapper).toContainText('Say why the period is reopened');
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
    wrapper.find(TextArea, { name: 'reopen_reason' })!.trigger('onChange', { target: { value: 'late credit note' } });
    await settle(update);
    buttonLabelled(wrapper, 'Reopen Jan 2026')!.trigger('onPress');
    await settle(update);
    const reopen = calls.find((c) => c.method === 'POST')!;
    expect(reopen.path).toBe('/periods/2026-01/reopen');
    expect(reopen.body).toEqual({ reason: 'late credit note' });
  });

  it('shows no close or reopen to a view-only user', async () => {
    fakeBackend(routes());
    const { wrapper, update } = render(<PeriodClose {...ctx(VIEW_ONLY_ROLES)} />);
    await settle(update);
    expect(buttonLabelled(wrapper, 'Close Feb 2026')).toBeNull();
    expect(wrapper.find(TextArea, { name: 'reopen_reason' })).toBeNull();
    expect(wrapper).toContainText('Only administrators and developers can close or reopen periods.');
  });

  it('reconciles a period with money in its currency and drills down to the entries', async () => {
    const { calls } = fakeBackend(routes());
    const { wrapper, update } = render(<PeriodClose {...ctx()} />);
    await settle(update);
    expect(calls.find((c) => c.path === '/reconciliation')!.query).toBe('period=2026-03');
    const cells = wrapper.findAll(TableCell).map((c) => c.text);
    expect(cells).toContain('-1,234.56 USD');
    expect(cells).toContain('-34.56 USD');
    buttonLabelled(wrapper, 'Entries')!.trigger('onPress');
    await settle(update);
    expect(calls.find((c) => c.path === '/reconciliation/entries')!.query).toBe('period=2026-03&account_id=77');
    expect(wrapper).toContainText('Mar 31, 2026');
    expect(wrapper).toContainText('Not sent yet');
    wrapper.find(Select, { name: 'reconcile_period' })!.trigger('onChange', { target: { value: '2026-01' } });
    await settle(update);
    expect(calls.filter((c) => c.path === '/reconciliation').map((c) => c.query)).toContain('period=2026-01');
  });

  it('says to connect QuickBooks when the backend answers not_configured', async () => {
    fakeBackend({
      ...routes(),
      'GET /reconciliation': () => fail(503, 'not_configured', 'QuickBooks is not connected.'),
    });
    const { wrapper, update } = render(<PeriodClose {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainComponent(Banner, { type: 'caution', title: 'QuickBooks is not connected' });
  });
});

const EXCEPTIONS: ExceptionsResponse = {
  exceptions: [
    {
      id: '41',
      kind: 'mapping',
      status: 'open',
      reason: 'product prod_gift has no revenue account',
      object_ids: ['prod_gift', 'evt_1'],
      created_at: '2026-03-02T08:00:00Z',
      attempts: 1,
      retryable: true,
    },
  ],
  has_more: false,
};
const ACTED = {
  exception: {
    id: '41',
    kind: 'mapping',
    status: 'resolved',
    reason: 'x',
    resolution: 'excluded',
    note: 'r',
    reviewed_at: null,
    reviewed_by: null,
  },
};

describe('ExceptionQueue', () => {
  const ctx = (roles = ADMIN_ROLES) => contextFor({ viewportID: 'stripe.dashboard.payment.list', roles });
  const routes = () => ({
    'GET /exceptions': () => ok(EXCEPTIONS),
    'POST /exceptions/41/exclude': () => ok(ACTED),
    'POST /exceptions/41/review': () => ok(ACTED),
    'POST /exceptions/41/map-account': () => ok(ACTED),
    'POST /exceptions/41/retry': () => ok({ exception: EXCEPTIONS.exceptions[0] }),
  });

  it('lists each exception with its reason, date and ids', async () => {
    fakeBackend(routes());
    const { wrapper, update } = render(<ExceptionQueue {...ctx()} />);
    await settle(update);
    expect(wrapper).toContainText('product prod_gift has no revenue account');
    expect(wrapper).toContainText('since Mar 2, 2026, 08:00 UTC, 1 attempts');
    expect(wrapper).toContainText('Look up: prod_gift, evt_1');
  });

  it('excludes only with a reason', async () => {
    const { calls } = fakeBackend(routes());
    const { wrapper, update } = render(<ExceptionQueue {...ctx()} />);
    await settle(update);
    buttonLabelled(wrapper, 'Exclude')!.trigger('onPress');
    await settle(update);
    buttonLabelled(wrapper, 'Exclude from the books')!.trigger('onPress');
    await settle(update);
    expect(wrapper).toContainText('Say why it is excluded');
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
    wrapper.find(TextField, { name: 'exclude_reason' })!.trigger('onChange', { target: { value: 'test product' } });
    await settle(update);
    buttonLabelled(wrapper, 'Exclude from the books')!.trigger('onPress');
    await settle(update);
    const post = calls.find((c) => c.method === 'POST')!;
    expect([post.path, post.body]).toEqual(['/exceptions/41/exclude', { reason: 'test product' }]);
    expect(post.headers['stripe-signature']).toBeDefined();
  });

  it('marks reviewed, retries and maps the missing account', async () => {
    const { calls } = fakeBackend(routes());
    const { wrapper, update } = render(<ExceptionQueue {...ctx()} />);
    await settle(update);
    buttonLabelled(wrapper, 'Mark reviewed')!.trigger('onPress');
    await settle(update);
    buttonLabelled(wrapper, 'Retry')!.trigger('onPress');
    await settle(update);
    buttonLabelled(wrapper, 'Map account')!.trigger('onPress');
    await settle(update);
    wrapper.find(Select, { name: 'map_role' })!.trigger('onChange', { target: { value: 'shipping' } });
    wrapper.find(TextField, { name: 'map_account' })!.trigger('onChange', { target: { value: '88' } });
    await settle(update);
    buttonLabelled(wrapper, 'Map and retry')!.trigger('onPress');
    await settle(update);
    const posts = calls.filter((c) => c.method === 'POST').map((c) => [c.path, c.body]);
    expect(posts).toEqual([
      ['/exceptions/41/review', {}],
      ['/exceptions/41/retry', {}],
      ['/exceptions/41/map-account', { role: 'shipping', qbo_account_id: '88' }],
    ]);
  });

  it('shows no actions to a view-only user', async () => {
    fakeBackend(routes());
    const { wrapper, update } = render(<ExceptionQueue {...ctx(VIEW_ONLY_ROLES)} />);
    await settle(update);
    expect(wrapper.findAll(Button)).toHaveLength(0);
  });
});

const BACKFILL: BackfillResponse = {
  started: true,
  done: false,
  resources: [
    { resource: 'invoices', items: 12500, done: true, updated_at: '2026-03-04T09:00:00Z' },
    { resource: 'charges', items: 40, done: false, updated_at: '2026-03-04T09:05:00Z' },
  ],
};
const EXPORT: ExportTextResponse = {
  format: 'csv',
  filename: 'accrue-journal-acct_1.csv',
  content_type: 'text/csv; charset=utf-8',
  content: 'date,entry,account,debit,credit\n2026-03-31,9,Revenue,,34.56\n',
  truncated: false,
  lines: 2,
};

describe('CloseExports', () => {
  const ctx = () => contextFor({ viewportID: 'stripe.dashboard.report.overview', roles: ADMIN_ROLES });

  it('shows backfill progress per resource', async () => {
    fakeBackend({ 'GET /backfill': () => ok(BACKFILL), 'GET /exports/csv': () => ok(EXPORT) });
    const { wrapper, update } = render(<CloseExports {...ctx()} />);
    await settle(update);
    const cells = wrapper.findAll(TableCell).map((c) => c.text);
    expect(cells).toContain('12,500');
    expect(cells).toContain('Mar 4, 2026, 09:00 UTC');
    expect(wrapper).toContainText('In progress');
  });

  it('shows an export as text and copies it, since an App cannot download files', async () => {
    const { calls } = fakeBackend({
      'GET /backfill': () => ok({ started: false, done: false, resources: [] }),
      'GET /exports/csv': () => ok(EXPORT),
      'GET /exports/hledger': () =>
        ok({ ...EXPORT, format: 'hledger', filename: 'accrue-acct_1.journal', truncated: true }),
    });
    const { wrapper, update } = render(<CloseExports {...ctx()} />);
    await settle(update);
    expect(wrapper.find(TextArea, { name: 'export_text' })!.prop('value')).toBe(EXPORT.content);
    buttonLabelled(wrapper, 'Copy Journal (CSV)')!.trigger('onPress');
    await settle(update);
    expect(clipboardWriteText).toHaveBeenCalledWith(EXPORT.content);
    wrapper.find(Select, { name: 'export_format' })!.trigger('onChange', { target: { value: 'hledger' } });
    await settle(update);
    expect(calls.map((c) => c.path)).toContain('/exports/hledger');
    expect(wrapper).toContainText('longer than the App can show');
  });
});
