/**
 * The month-end close's App use cases on books built by the real pipeline from a golden
 * scenario: periods close only in order and never before they begin, reopen only the latest
 * closed one with a reason, and each writes its App audit row in the same transaction (a refused
 * action leaves none); reconciliation needs QuickBooks (`not_configured` otherwise) and its
 * drill-down adds up to the ledger; the exception actions (exclude, review, retry, resolve) each
 * leave an audit row, an excluded object stays excluded when it fails again; backfill progress
 * and the exports read the tenant's own rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppCaller } from '../../backend/app/app-api/types.ts';
import { getBackfillProgress } from '../../backend/app/close/backfill.ts';
import { getExportText } from '../../backend/app/close/exports.ts';
import { closeAppPeriod, listAppPeriods, reopenAppPeriod } from '../../backend/app/close/periods.ts';
import { getReconciliation, getReconciliationEntries } from '../../backend/app/close/reconciliation.ts';
import { excludeException, reviewException } from '../../backend/app/exceptions/actions.ts';
import { resolveException, retryException } from '../../backend/app/exceptions/exceptions.ts';
import { recordException } from '../../backend/ledger/exception-queue.ts';
import { loadLedgerLines } from '../../backend/ledger/ledger.ts';
import { systemClock } from '../../backend/qbo/clock.ts';
import { isAccrueError } from '../../shared/errors.ts';
import { deliver, eventsOf, freshBooks, goldenLines, settle, type Books } from '../support/scenario.ts';

const ACCOUNT = 'acct_golden';
const RELEASED = '2026-03-31';
const caller: AppCaller = {
  tenant: { accountId: ACCOUNT, livemode: false },
  user: { id: 'usr_close', roles: ['admin'] },
};
const NOW = Date.parse('2026-04-10T12:00:00Z');
const deps = (b: Books) => ({ db: b.t.db, clock: { ...systemClock, now_ms: () => NOW }, qbo: null, jobs: null });

let b: Books;
beforeAll(async () => {
  const lines = goldenLines(['annual-monthly-even']);
  b = await freshBooks(lines, ACCOUNT);
  await deliver(b, eventsOf(lines));
  await settle(b, RELEASED);
}, 120_000);
afterAll(async () => {
  await b?.close();
});

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return isAccrueError(e) ? e.code : String(e);
  }
  throw new Error('expected a rejection');
}

async function auditRows() {
  return b.t.db
    .selectFrom('app_audit')
    .select(['action', 'target', 'reason', 'actor'])
    .where('tenant_id', '=', b.tenant.id)
    .orderBy('id')
    .execute();
}

describe('periods', () => {
  it('closes in order only, never ahead, and audits each close', async () => {
    const list = await listAppPeriods(deps(b), caller);
    const first = list.periods[0]!.key;
    expect(list.next_to_close).toBe(first);
    expect(list.reopenable).toBeNull();
    const later = list.periods.find((p) => p.key > first)!.key;
    const before = (await auditRows()).length;
    expect(await errorCode(closeAppPeriod(deps(b), caller, later))).toBe('conflict');
    expect(await errorCode(closeAppPeriod(deps(b), caller, '2026-06'))).toBe('conflict');
    expect(await errorCode(closeAppPeriod(deps(b), caller, '2026-13'))).toBe('invalid_input');
    // Refused actions leave no audit row.
    expect((await auditRows()).length).toBe(before);

    const closed = await closeAppPeriod(deps(b), caller, first);
    expect(closed.period).toMatchObject({ key: first, status: 'closed' });
    expect((await auditRows()).at(-1)).toEqual({
      action: 'period_close',
      target: first,
      reason: null,
      actor: 'usr_close',
    });
    const after = await listAppPeriods(deps(b), caller);
    expect(after.reopenable).toBe(first);
    expect(after.next_to_close).not.toBe(first);
    expect(after.history[0]).toMatchObject({ period: first, action: 'close', actor: 'usr_close' });
  });

  it('reopens only the latest closed period, with a reason on record', async () => {
    const list = await listAppPeriods(deps(b), caller);
    const first = list.reopenable!;
    const second = list.next_to_close!;
    await closeAppPeriod(deps(b), caller, second);
    expect(await errorCode(reopenAppPeriod(deps(b), caller, first, { reason: 'late invoice' }))).toBe('conflict');
    expect(await errorCode(reopenAppPeriod(deps(b), caller, second, { reason: '  ' }))).toBe('invalid_input');
    const reopened = await reopenAppPeriod(deps(b), caller, second, { reason: 'late credit note' });
    expect(reopened.period.status).toBe('open');
    expect((await auditRows()).at(-1)).toEqual({
      action: 'period_reopen',
      target: second,
      reason: 'late credit note',
      actor: 'usr_close',
    });
  });
});

describe('reconciliation', () => {
  it('needs QuickBooks: not_configured when it is not connected', async () => {
    expect(await errorCode(getReconciliation(deps(b), caller, { period: '2026-02' }))).toBe('not_configured');
  });

  it('drills down to the entries of one account, which add up to the ledger', async () => {
    await b.t.db
      .updateTable('accounts')
      .set({ external_id: '77', external_type: 'Other Current Liability' })
      .where('tenant_id', '=', b.tenant.id)
      .where('role', '=', 'deferred_revenue')
      .execute();
    const r = await getReconciliationEntries(deps(b), caller, { period: '2026-02', account_id: '77' });
    const ledger = (
      await loadLedgerLines(b.t.db, b.tenant.id, { fromPeriod: '2026-02', throughPeriod: '2026-02' })
    ).filter((l) => l.role === 'deferred_revenue');
    expect(r.entries.length).toBeGreaterThan(0);
    expect(r.total_entries).toBe(new Set(ledger.map((l) => l.entryId)).size);
    expect(r.entries.reduce((t, e) => t + BigInt(e.amount_minor), 0n)).toBe(
      ledger.reduce((t, l) => t + l.amountMinor, 0n),
    );
    for (const e of r.entries) expect(e.sync_state).toBeNull();
    const none = await getReconciliationEntries(deps(b), caller, { period: '2026-02', account_id: 'nope' });
    expect(none.entries).toEqual([]);
  });
});

describe('exception actions', () => {
  async function openException(objectId: string): Promise<string> {
    await recordException(b.t.db, b.tenant.id, 'engine', objectId, `could not book ${objectId}`);
    const row = await b.t.db
      .selectFrom('exceptions')
      .select('id')
      .where('tenant_id', '=', b.tenant.id)
      .where('object_id', '=', objectId)
      .executeTakeFirstOrThrow();
    return row.id.toString();
  }

  it('excludes with a reason, audited, and a later failure does not reopen it', async () => {
    const id = await openException('in_exclude_me');
    const r = await excludeException(deps(b), caller, id, { reason: 'test invoice, not revenue' });
    expect(r.exception).toMatchObject({
      status: 'resolved',
      resolution: 'excluded',
      note: 'test invoice, not revenue',
    });
    expect((await auditRows()).at(-1)).toMatchObject({ action: 'exception_exclude', target: id });
    await recordException(b.t.db, b.tenant.id, 'engine', 'in_exclude_me', 'failed again');
    const again = await b.t.db
      .selectFrom('exceptions')
      .select(['status', 'resolution'])
      .where('tenant_id', '=', b.tenant.id)
      .where('object_id', '=', 'in_exclude_me')
      .executeTakeFirstOrThrow();
    expect(again).toEqual({ status: 'resolved', resolution: 'excluded' });
    const before = (await auditRows()).length;
    expect(await errorCode(excludeException(deps(b), caller, id, { reason: 'twice' }))).toBe('conflict');
    expect((await auditRows()).length).toBe(before);
  });

  it('marks reviewed (still open), resolves with a note, and retries only with the job queue; each audited', async () => {
    const id = await openException('in_review_me');
    const reviewed = await reviewException(deps(b), caller, id, { note: 'known; waiting for Stripe support' });
    expect(reviewed.exception).toMatchObject({ status: 'open', reviewed_by: 'usr_close' });
    expect(reviewed.exception.reviewed_at).not.toBeNull();
    expect((await auditRows()).at(-1)).toMatchObject({ action: 'exception_review', target: id });
    const before = (await auditRows()).length;
    expect(await errorCode(retryException(deps(b), caller, id))).toBe('not_configured');
    expect((await auditRows()).length).toBe(before);
    await resolveException(deps(b), caller, id, { note: 'fixed by a manual journal' });
    expect((await auditRows()).at(-1)).toMatchObject({
      action: 'exception_resolve',
      reason: 'fixed by a manual journal',
    });
    expect(await errorCode(reviewException(deps(b), caller, '999999', {}))).toBe('not_found');
  });
});

describe('backfill progress and exports', () => {
  it('reports each resource of the backfill', async () => {
    expect(await getBackfillProgress(deps(b), caller)).toEqual({ started: false, done: false, resources: [] });
    await b.t.db
      .insertInto('backfill_progress')
      .values([
        { tenant_id: b.tenant.id, resource: 'invoices', items: 120, done: true, cursor: null },
        { tenant_id: b.tenant.id, resource: 'charges', items: 40, done: false, cursor: 'ch_1' },
      ])
      .execute();
    const r = await getBackfillProgress(deps(b), caller);
    expect(r.started).toBe(true);
    expect(r.done).toBe(false);
    expect(r.resources.map((x) => [x.resource, x.items, x.done])).toEqual([
      ['charges', 40, false],
      ['invoices', 120, true],
    ]);
  });

  it('returns each export as text, limited to the periods asked for', async () => {
    const all = await getExportText(deps(b), caller, 'csv', {});
    expect(all.content.split('\n')[0]).toMatch(/date|entry/i);
    expect(all.lines).toBeGreaterThan(1);
    expect(all.truncated).toBe(false);
    const feb = await getExportText(deps(b), caller, 'csv', { from: '2026-02', through: '2026-02' });
    expect(feb.lines).toBeLessThan(all.lines);
    const hledger = await getExportText(deps(b), caller, 'hledger', {});
    expect(hledger.filename).toMatch(/\.journal$/);
    expect(await errorCode(getExportText(deps(b), caller, 'pdf', {}))).toBe('not_found');
    expect(await errorCode(getExportText(deps(b), caller, 'csv', { from: '2026-03', through: '2026-01' }))).toBe(
      'invalid_input',
    );
  });
});
