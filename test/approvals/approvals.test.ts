/**
 * Approvals: with a materiality threshold set, a manual journal moving more than it in a period
 * and any period reopen wait in the queue instead of being applied; only a second user with the
 * approver role can approve (applying the change) or reject (with a reason); the requester never
 * can — not through the queue, not even by writing the table; every step is on the audit trail.
 * Under the threshold, or with approvals off, changes apply at once. A kind plugged in from
 * outside (a rule change) goes through the same queue. The Admin API and the CLI show the queue
 * and decide it, with an approver key / the `--as` user.
 */
import type { Express } from 'express';
import { sql } from 'kysely';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../../backend/admin/keys.ts';
import { adminRouter } from '../../backend/admin/router.ts';
import { submitManualJournal, submitPeriodReopen } from '../../backend/app/approvals/kinds.ts';
import {
  approveChange,
  listApprovals,
  registerApprovalKind,
  rejectChange,
  submitChange,
} from '../../backend/app/approvals/queue.ts';
import { approvalsCommand } from '../../backend/cli/approvals.ts';
import { runCommand } from '../../backend/cli/framework.ts';
import { createHttpApp } from '../../backend/http/server.ts';
import type { Jobs } from '../../backend/jobs/runner.ts';
import { loadLedgerLines } from '../../backend/ledger/ledger.ts';
import { closePeriod, listPeriods } from '../../backend/ledger/periods.ts';
import { ensureTenant, type Tenant } from '../../backend/ledger/tenants.ts';
import { createLogger } from '../../backend/log/logger.ts';
import { AccrueError } from '../../shared/errors.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let t: TestDatabase;
let tenant: Tenant;
const APPROVER = { actor: 'controller@example.com', isApprover: true };

const journal = (key: string, amount: string, date = '2026-04-30') =>
  [
    'entry_key,date,account_role,currency,debit,credit,reason',
    `${key},${date},revenue,usd,${amount},,Reclass per ticket ${key}`,
    `${key},${date},deferred_revenue,usd,,${amount},Reclass per ticket ${key}`,
  ].join('\n');

async function manualEntries(who: Tenant = tenant): Promise<string[]> {
  const lines = await loadLedgerLines(t.db, who.id);
  return [...new Set(lines.filter((l) => l.entryKey.startsWith('manual:')).map((l) => l.entryKey))].sort();
}

async function refusal(p: Promise<unknown>): Promise<AccrueError> {
  const e = await p.then(
    () => new Error('expected a refusal'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AccrueError);
  return e as AccrueError;
}

beforeAll(async () => {
  t = await createTestDatabase();
  // Threshold 1,000.00 USD.
  tenant = await ensureTenant(
    t.db,
    { accountId: 'acct_Approvals', livemode: false },
    { approval_threshold_minor: 100000 },
  );
});
afterAll(async () => t?.close());

describe('manual journals above the threshold', () => {
  it('posts a journal that moves no more than the threshold in any period at once', async () => {
    const r = await submitManualJournal(t.db, tenant, { csv: journal('small', '1000.00'), author: 'ana@example.com' });
    expect('applied' in r && r.applied.posted).toBe(1);
    expect(await manualEntries()).toEqual(['manual:small']);
  });

  it('queues a larger one, posts nothing, and answers the same request when it is submitted again', async () => {
    const r = await submitManualJournal(t.db, tenant, { csv: journal('big', '1000.01'), author: 'ana@example.com' });
    if (!('approval' in r)) throw new Error('expected the journal to be queued');
    expect(r.approval).toMatchObject({
      kind: 'manual_journal',
      status: 'pending',
      movementMinor: '100001',
      requestedBy: 'ana@example.com',
      reason: 'Manual entry big: Reclass per ticket big',
    });
    expect(r.approval.summary).toMatch(/moving up to 1000.01 USD in a period/);
    expect(await manualEntries()).toEqual(['manual:small']);
    const again = await submitManualJournal(t.db, tenant, { csv: journal('big', '1000.01'), author: 'bo@example.com' });
    expect('approval' in again && again.approval.id).toBe(r.approval.id);
  });

  it('refuses a bad file before queueing it', async () => {
    const e = await refusal(
      submitManualJournal(t.db, tenant, {
        csv: journal('bad', '5000.00').replace(',,5000.00', ',,4000.00'),
        author: 'ana',
      }),
    );
    expect(e.message).toMatch(/does not balance/);
    expect(await listApprovals(t.db, tenant)).toHaveLength(1);
  });

  it('lets neither the requester nor a user without the approver role decide, then applies on approval', async () => {
    const [pending] = await listApprovals(t.db, tenant);
    const own = await refusal(approveChange(t.db, tenant, pending!.id, { actor: 'ana@example.com', isApprover: true }));
    expect(own.code).toBe('forbidden');
    expect(own.message).toMatch(/ana@example.com requested this change; a second user must approve/);
    const role = await refusal(approveChange(t.db, tenant, pending!.id, { actor: 'viewer', isApprover: false }));
    expect(role.code).toBe('forbidden');
    expect(await manualEntries()).toEqual(['manual:small']);
    const a = await approveChange(t.db, tenant, pending!.id, APPROVER, 'checked against the ticket');
    expect(a).toMatchObject({
      status: 'approved',
      decidedBy: APPROVER.actor,
      decisionNote: 'checked against the ticket',
    });
    expect(a.result).toMatchObject({ posted: 1, keys: ['manual:big'] });
    expect(a.events.map((e) => [e.action, e.actor])).toEqual([
      ['requested', 'ana@example.com'],
      ['approved', APPROVER.actor],
    ]);
    expect(await manualEntries()).toEqual(['manual:big', 'manual:small']);
    const twice = await refusal(approveChange(t.db, tenant, pending!.id, { actor: 'someone', isApprover: true }));
    expect(twice.code).toBe('conflict');
  });

  it('refuses, in the database, a decision recorded by the requester', async () => {
    const r = await submitManualJournal(t.db, tenant, { csv: journal('direct', '2000.00'), author: 'ana@example.com' });
    if (!('approval' in r)) throw new Error('expected a request');
    await expect(
      sql`update approval_requests set status = 'approved', decided_by = requested_by, decided_at = now()
          where tenant_id = ${tenant.id} and id = ${BigInt(r.approval.id)}`.execute(t.db),
    ).rejects.toThrow(/approval_requests_not_own/);
    const rejected = await rejectChange(t.db, tenant, r.approval.id, APPROVER, 'duplicate of ticket big');
    expect(rejected).toMatchObject({ status: 'rejected', decisionNote: 'duplicate of ticket big', result: null });
    expect(await manualEntries()).not.toContain('manual:direct');
  });

  it('keeps a request pending, with the failure on its trail, when its change can no longer be applied', async () => {
    const other = await ensureTenant(
      t.db,
      { accountId: 'acct_ApprovalsFail', livemode: false },
      { approval_threshold_minor: 0 },
    );
    const r = await submitManualJournal(t.db, other, { csv: journal('late', '10.00', '2026-01-15'), author: 'ana' });
    if (!('approval' in r)) throw new Error('expected a request');
    await closePeriod(t.db, other, '2026-01', 'ops', Date.parse('2026-06-01'));
    const e = await refusal(approveChange(t.db, other, r.approval.id, APPROVER));
    expect(e.message).toMatch(/closed through 2026-01/);
    const [still] = await listApprovals(t.db, other);
    expect(still!.status).toBe('pending');
    expect(still!.events.map((x) => x.action)).toEqual(['requested', 'apply_failed']);
    expect(await manualEntries(other)).toEqual([]);
  });
});

describe('period reopens', () => {
  it('queue every reopen while approvals are on, and reopen when approved, with both names on the audit', async () => {
    const p = await ensureTenant(
      t.db,
      { accountId: 'acct_ApprovalsReopen', livemode: false },
      { approval_threshold_minor: 500000 },
    );
    await closePeriod(t.db, p, '2026-01', 'ops', Date.parse('2026-06-01'));
    const r = await submitPeriodReopen(t.db, p, { period: '2026-01', actor: 'ana', reason: 'late vendor credit' });
    if (!('approval' in r)) throw new Error('expected the reopen to be queued');
    expect(r.approval).toMatchObject({ kind: 'period_reopen', movementMinor: null, payload: { period: '2026-01' } });
    expect((await listPeriods(t.db, p.id)).find((x) => x.key === '2026-01')!.status).toBe('closed');
    await approveChange(t.db, p, r.approval.id, APPROVER);
    expect((await listPeriods(t.db, p.id)).find((x) => x.key === '2026-01')!.status).toBe('open');
    const audit = await t.db
      .selectFrom('period_audit')
      .select(['action', 'actor', 'reason'])
      .where('tenant_id', '=', p.id)
      .where('action', '=', 'reopen')
      .execute();
    expect(audit).toEqual([
      {
        action: 'reopen',
        actor: 'ana',
        reason: `late vendor credit (approved by ${APPROVER.actor}, request ${r.approval.id})`,
      },
    ]);
  });

  it('reopen at once when approvals are off', async () => {
    const p = await ensureTenant(t.db, { accountId: 'acct_ApprovalsOff', livemode: false });
    await closePeriod(t.db, p, '2026-01', 'ops', Date.parse('2026-06-01'));
    const r = await submitPeriodReopen(t.db, p, { period: '2026-01', actor: 'ana', reason: 'late vendor credit' });
    expect('applied' in r && r.applied.status).toBe('open');
  });
});

describe('a kind plugged in from outside (a rule change)', () => {
  it('waits when its preview moves more than the threshold, and is applied with its payload when approved', async () => {
    const applied: unknown[] = [];
    registerApprovalKind({
      kind: 'rule_change',
      apply: async (_db, _tenant, payload, ctx) => {
        applied.push({ payload, by: ctx.approvedBy });
        return { saved: true };
      },
    });
    const change = (movement: bigint) => ({
      kind: 'rule_change',
      payload: { product: 'prod_X', rule: { rule: 'ratable' }, movement: movement.toString() },
      summary: 'prod_X becomes ratable',
      reason: 'new contract terms',
      movementMinor: movement,
      requestedBy: 'ana',
    });
    const small = await submitChange(t.db, tenant, change(100000n), async () => 'saved now');
    expect(small).toEqual({ applied: 'saved now' });
    const big = await submitChange(t.db, tenant, change(250000n), async () => 'not this');
    if (!('approval' in big)) throw new Error('expected a request');
    expect(applied).toEqual([]);
    const a = await approveChange(t.db, tenant, big.approval.id, APPROVER);
    expect(a.result).toEqual({ saved: true });
    expect(applied).toEqual([{ payload: change(250000n).payload, by: APPROVER.actor }]);
  });
});

describe('the Admin API and the CLI', () => {
  let app: Express;
  let operator: string;
  let approver: string;
  beforeAll(async () => {
    operator = (await createAdminKey(t.db, { name: 'ops', role: 'operator', createdBy: 'test' })).key;
    approver = (await createAdminKey(t.db, { name: 'cfo', role: 'approver', createdBy: 'test' })).key;
    const log = createLogger('silent');
    app = createHttpApp({
      db: t.db,
      log,
      routes: [{ path: '/admin', handler: adminRouter({ db: t.db, jobs: {} as Jobs, log }, { checkResponses: true }) }],
    });
  });

  it('queues a large journal from an operator key, lists it, refuses the operator, and lets an approver key approve', async () => {
    const base = `/admin/tenants/${tenant.id}`;
    const posted = await request(app)
      .post(`${base}/imports/journal`)
      .set('authorization', `Bearer ${operator}`)
      .send({ csv: journal('api', '3000.00'), reason: 'year-end reclass' });
    expect(posted.status).toBe(200);
    expect(posted.body.approval).toMatchObject({
      status: 'pending',
      reason: 'year-end reclass',
      movementMinor: '300000',
    });
    const id = posted.body.approval.id as string;
    const list = await request(app).get(`${base}/approvals`).set('authorization', `Bearer ${operator}`);
    expect(list.status).toBe(200);
    expect(list.body.data.map((a: { id: string }) => a.id)).toContain(id);
    const byOperator = await request(app)
      .post(`${base}/approvals/${id}/approve`)
      .set('authorization', `Bearer ${operator}`)
      .send({});
    expect(byOperator.status).toBe(403);
    const ok = await request(app)
      .post(`${base}/approvals/${id}/approve`)
      .set('authorization', `Bearer ${approver}`)
      .send({});
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'approved', result: { posted: 1 } });
    expect(ok.body.decidedBy).toMatch(/^admin:cfo/);
    expect(await manualEntries()).toContain('manual:api');
  });

  it('lists and rejects from the CLI, and refuses a rejection without a reason', async () => {
    const r = await submitManualJournal(t.db, tenant, { csv: journal('cli', '4000.00'), author: 'ana@example.com' });
    if (!('approval' in r)) throw new Error('expected a request');
    const cli = async (argv: string[]) => {
      let out = '';
      let err = '';
      const cmd = approvalsCommand({
        open: async () => ({ db: t.db, close: async () => undefined }),
        out: (s) => void (out += s),
      });
      const code = await runCommand(
        cmd,
        argv,
        (s) => void (out += s),
        (s) => void (err += s),
      );
      return { code, out, err };
    };
    const list = await cli(['list', '--tenant', 'acct_Approvals']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(new RegExp(`#${r.approval.id}\\s+pending\\s+manual_journal .*moving up to 4000.00 USD`));
    const noReason = await cli(['reject', r.approval.id, '--tenant', 'acct_Approvals', '--as', 'cfo']);
    expect(noReason.code).not.toBe(0);
    expect(noReason.err).toMatch(/--note is required/);
    const own = await cli([
      'reject',
      r.approval.id,
      '--tenant',
      'acct_Approvals',
      '--as',
      'ana@example.com',
      '--note',
      'no',
    ]);
    expect(own.code).not.toBe(0);
    expect(own.err).toMatch(/a second user must approve or reject it/);
    const rej = await cli([
      'reject',
      r.approval.id,
      '--tenant',
      'acct_Approvals',
      '--as',
      'cfo',
      '--note',
      'not this year',
    ]);
    expect(rej.code).toBe(0);
    expect(rej.out).toMatch(/rejected by cfo/);
  });
});

describe('the Stripe App use cases', () => {
  it('post a journal as the verified user, show the queue to all, and let only another administrator decide', async () => {
    const { decideApproval, getApprovals, postManualJournal } = await import('../../backend/app/approvals/app.ts');
    const deps = { db: t.db };
    const tenantRef = { accountId: 'acct_Approvals', livemode: false };
    const dev = { tenant: tenantRef, user: { id: 'usr_dev', roles: ['developer'] } };
    const admin = { tenant: tenantRef, user: { id: 'usr_admin', roles: ['admin'] } };
    const viewer = { tenant: tenantRef, user: { id: 'usr_view', roles: ['view_only'] } };
    const r = await postManualJournal(deps, dev, { csv: journal('app', '1500.00'), reason: 'from the App' });
    expect(r).toMatchObject({
      status: 'pending_approval',
      approval: { requested_by: 'stripe:usr_dev', can_decide: false },
    });
    const seen = await getApprovals(deps, viewer, { status: 'pending' });
    expect(seen).toMatchObject({ threshold_minor: '100000', can_approve: false, you: 'stripe:usr_view' });
    expect(seen.approvals.find((a) => a.id === r.approval!.id)!.can_decide).toBe(false);
    const forAdmin = await getApprovals(deps, admin, { status: 'pending' });
    expect(forAdmin.approvals.find((a) => a.id === r.approval!.id)!.can_decide).toBe(true);
    const refused = await refusal(decideApproval(deps, viewer, r.approval!.id, { decision: 'approve' }));
    expect(refused.code).toBe('forbidden');
    const done = await decideApproval(deps, admin, r.approval!.id, { decision: 'approve' });
    expect(done).toMatchObject({ status: 'approved', decided_by: 'stripe:usr_admin' });
    expect(await manualEntries()).toContain('manual:app');
    const small = await postManualJournal(deps, dev, { csv: journal('app-small', '10.00') });
    expect(small).toMatchObject({ status: 'posted', posted: 1, approval: null });
  });
});
