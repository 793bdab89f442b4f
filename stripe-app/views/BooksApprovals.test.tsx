/**
 * Proves the journals and approvals view: it lists the pending changes with who asked, why and
 * how much they move; an administrator who may decide gets Approve and Reject (a rejection needs
 * a note, which is sent), others see who it waits for; a user with edit rights posts a manual
 * journal as a signed write and is told whether it posted or waits for approval; a view-only user
 * gets no journal form; a failing backend shows its message.
 */
import { render } from '@stripe/ui-extension-sdk/testing';
import { Banner, TextArea, TextField } from '@stripe/ui-extension-sdk/ui';
import { showToast } from '@stripe/ui-extension-sdk/utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppApproval, ApprovalsResponse } from '../../shared/api/approvals.ts';
import {
  ADMIN_ROLES,
  buttonLabelled,
  contextFor,
  fail,
  fakeBackend,
  ok,
  settle,
  VIEW_ONLY_ROLES,
} from '../testing/fakeBackend.ts';
import BooksApprovals from './BooksApprovals.tsx';

vi.mock('@stripe/ui-extension-sdk/signature', () => ({ default: vi.fn(async () => 't=1700000000,v1=fake') }));
vi.mock('@stripe/ui-extension-sdk/utils', () => ({
  showToast: vi.fn(async () => ({ update: () => undefined, dismiss: () => undefined })),
}));

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(showToast).mockClear();
});

const PENDING: AppApproval = {
  id: '7',
  kind: 'manual_journal',
  summary: 'Manual journal: 1 of 1 entries new, moving up to 2500.00 USD in a period',
  reason: 'Year-end reclass per ticket 42',
  movement_minor: '250000',
  status: 'pending',
  requested_by: 'stripe:usr_other',
  requested_at: '2026-11-20T10:15:00Z',
  decided_by: null,
  decided_at: null,
  decision_note: null,
  events: [
    {
      action: 'requested',
      actor: 'stripe:usr_other',
      note: 'Year-end reclass per ticket 42',
      at: '2026-11-20T10:15:00Z',
    },
  ],
  can_decide: true,
};

const queue = (items: AppApproval[], canApprove = true): ApprovalsResponse => ({
  currency: 'usd' as ApprovalsResponse['currency'],
  threshold_minor: '100000',
  you: 'stripe:usr_1234',
  can_approve: canApprove,
  approvals: items,
});

const view = (roles = ADMIN_ROLES) => (
  <BooksApprovals {...contextFor({ viewportID: 'stripe.dashboard.payout.list', roles })} />
);

describe('BooksApprovals view', () => {
  it('lists pending changes with reason and amount, and approves one as a signed write', async () => {
    const { calls } = fakeBackend({
      'GET /approvals': () => ok(queue([PENDING])),
      'POST /approvals/7/decide': () => ok({ ...PENDING, status: 'approved', can_decide: false }),
    });
    const { wrapper, update } = render(view());
    await settle(update);
    expect(wrapper).toContainText('moving more than 1,000.00 USD');
    expect(wrapper).toContainText('Year-end reclass per ticket 42');
    expect(wrapper).toContainText('2,500.00 USD');
    expect(calls.find((c) => c.path === '/approvals')!.query).toContain('status=pending');
    buttonLabelled(wrapper, 'Approve')!.trigger('onPress');
    await settle(update);
    const decide = calls.find((c) => c.path === '/approvals/7/decide')!;
    expect(decide.method).toBe('POST');
    expect(decide.body).toEqual({ decision: 'approve' });
    expect(JSON.parse(decide.headers['stripe-signed-payload']!).stripe_roles).toEqual(['admin']);
    expect(showToast).toHaveBeenCalledWith('Approved and applied.', { type: 'success' });
  });

  it('asks for a note before rejecting, then sends it', async () => {
    const { calls } = fakeBackend({
      'GET /approvals': () => ok(queue([PENDING])),
      'POST /approvals/7/decide': () => ok({ ...PENDING, status: 'rejected', can_decide: false }),
    });
    const { wrapper, update } = render(view());
    await settle(update);
    buttonLabelled(wrapper, 'Reject')!.trigger('onPress');
    await settle(update);
    expect(calls.some((c) => c.path === '/approvals/7/decide')).toBe(false);
    expect(showToast).toHaveBeenCalledWith('Say why you reject it in the note first.', { type: 'caution' });
    wrapper.find(TextField, { name: 'decision_note' })!.trigger('onChange', { target: { value: 'not this year' } });
    await settle(update);
    buttonLabelled(wrapper, 'Reject')!.trigger('onPress');
    await settle(update);
    expect(calls.find((c) => c.path === '/approvals/7/decide')!.body).toEqual({
      decision: 'reject',
      note: 'not this year',
    });
  });

  it('shows a change the user may not decide as waiting, and no journal form to a view-only user', async () => {
    fakeBackend({ 'GET /approvals': () => ok(queue([{ ...PENDING, can_decide: false }], false)) });
    const { wrapper, update } = render(view(VIEW_ONLY_ROLES));
    await settle(update);
    expect(wrapper).toContainText('Waiting for an approver');
    expect(buttonLabelled(wrapper, 'Approve')).toBeNull();
    expect(wrapper.find(TextArea, { name: 'journal_csv' })).toBeNull();
  });

  it('posts a manual journal and says it waits for approval when it is above the threshold', async () => {
    const csv =
      'entry_key,date,account_role,currency,debit,credit,reason\nr1,2026-04-30,revenue,usd,2500.00,,x\nr1,2026-04-30,deferred_revenue,usd,,2500.00,x';
    const { calls } = fakeBackend({
      'GET /approvals': () => ok(queue([])),
      'POST /journal': () =>
        ok({
          status: 'pending_approval',
          entries: 0,
          posted: 0,
          already_posted: 0,
          approval: { ...PENDING, can_decide: false },
        }),
    });
    const { wrapper, update } = render(view());
    await settle(update);
    expect(wrapper).toContainText('Nothing waits for approval.');
    wrapper.find(TextArea, { name: 'journal_csv' })!.trigger('onChange', { target: { value: csv } });
    wrapper.find(TextField, { name: 'journal_reason' })!.trigger('onChange', { target: { value: 'year-end' } });
    await settle(update);
    buttonLabelled(wrapper, 'Post journal')!.trigger('onPress');
    await settle(update);
    const post = calls.find((c) => c.path === '/journal')!;
    expect(post.body).toEqual({ csv, reason: 'year-end' });
    expect(JSON.parse(post.headers['stripe-signed-payload']!).stripe_roles).toEqual(['admin']);
    expect(wrapper).toContainComponent(Banner, { title: 'Waiting for approval (request 7)' });
  });

  it('reports a refused journal in the backend\u2019s words, and a failing queue with a retry', async () => {
    fakeBackend({
      'GET /approvals': () => fail(502, 'upstream_unavailable', 'The database is not answering.'),
      'POST /journal': () => fail(400, 'invalid_input', 'line 3: entry r1 does not balance'),
    });
    const { wrapper, update } = render(view());
    await settle(update);
    expect(wrapper).toContainComponent(Banner, {
      type: 'critical',
      title: 'Could not load the approval queue',
      description: 'The database is not answering.',
    });
    wrapper.find(TextArea, { name: 'journal_csv' })!.trigger('onChange', { target: { value: 'x' } });
    await settle(update);
    buttonLabelled(wrapper, 'Post journal')!.trigger('onPress');
    await settle(update);
    expect(showToast).toHaveBeenCalledWith('Journal refused: line 3: entry r1 does not balance', { type: 'caution' });
  });
});
