/**
 * Proves the Admin API end to end on a fresh PostgreSQL: every route answers an operator, every
 * read answers a viewer and every write refuses one (403); no key, a malformed key and a revoked
 * key are 401; every call — refused ones included — leaves an audit row with the right status
 * and outcome; secrets seeded in a QuickBooks connection, an event payload and an exception never
 * appear in a response or the audit log; cursor pagination visits every row once; replay
 * re-pends an event and enqueues the tenant's inbox job; reopening a period needs a reason.
 * Responses are checked against the schemas the OpenAPI document publishes (checkResponses).
 */
import { sql } from 'kysely';
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey, revokeAdminKey } from '../../backend/admin/keys.ts';
import { adminRouter } from '../../backend/admin/router.ts';
import { ADMIN_ROUTES } from '../../backend/admin/routes.ts';
import { createHttpApp } from '../../backend/http/server.ts';
import { Jobs, QUEUES } from '../../backend/jobs/runner.ts';
import { postEntries } from '../../backend/ledger/ledger.ts';
import { ensureTenant, type Tenant } from '../../backend/ledger/tenants.ts';
import { createLogger } from '../../backend/log/logger.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { currency as currencyOf, minor } from '../../shared/money.ts';

/** Strings that must never leave the server. */
const SECRETS = [
  'RT-SEEDED-REFRESH-7f3a',
  'AT-SEEDED-ACCESS-19c2',
  'seeded-webhook-secret-55e1',
  'whsec_seededSigningSecret',
];
const EVENTS_SEEDED = 25;
/** 2026-01-15T00:00:00Z: the seeded events are created one hour apart from here. */
const FIRST_CREATED = 1_768_435_200;

let t: TestDatabase;
let jobs: Jobs;
let app: Express;
let tenant: Tenant;
let other: Tenant;
let viewerKey: string;
let operatorKey: string;
let revokedKey: string;
const bodies: string[] = [];

function eventId(i: number): string {
  return `evt_admin_${String(i).padStart(3, '0')}`;
}

async function seed(): Promise<void> {
  tenant = await ensureTenant(t.db, { accountId: 'acct_AdminTestA', livemode: false });
  other = await ensureTenant(t.db, { accountId: 'acct_AdminTestB', livemode: true });
  await sql`insert into qbo_connections (tenant_id, realm_id, tokens_ciphertext, access_expires_at, refresh_expires_at, status, status_reason)
    values (${tenant.id}, 'realm-1', ${JSON.stringify({ refresh_token: SECRETS[0], access_token: SECRETS[1] })}, now(), now() + interval '100 days', 'needs_reconnect', 'invalid_grant')`.execute(
    t.db,
  );
  for (let i = 0; i < EVENTS_SEEDED; i++) {
    const payload = {
      id: eventId(i),
      object: 'event',
      api_version: '2026-10-28.endive',
      livemode: false,
      type: 'invoice.finalized',
      data: {
        object: {
          id: `in_admin_${i}`,
          object: 'invoice',
          total: 1000 + i,
          currency: 'usd',
          refresh_token: SECRETS[0],
          webhook_secret: SECRETS[2],
          signing: SECRETS[3],
          metadata: { access_token: SECRETS[1] },
        },
        previous_attributes: { status: 'draft' },
      },
    };
    const status = i === 0 ? 'failed' : i < 20 ? 'processed' : 'pending';
    await t.db
      .insertInto('stripe_events')
      .values({
        id: eventId(i),
        tenant_id: tenant.id,
        type: 'invoice.finalized',
        created: FIRST_CREATED + i * 3600,
        object_id: `in_admin_${i}`,
        payload: JSON.stringify(payload),
        status,
        attempts: i === 0 ? 5 : 1,
        last_error: i === 0 ? 'Stripe was unavailable' : null,
      })
      .execute();
  }
  await t.db
    .insertInto('stripe_events')
    .values({
      id: 'evt_other_1',
      tenant_id: other.id,
      type: 'charge.refunded',
      created: FIRST_CREATED,
      object_id: 'ch_other',
      payload: '{}',
      status: 'failed',
      attempts: 5,
      last_error: 'x',
    })
    .execute();
  const posted = await postEntries(
    t.db,
    tenant,
    [1, 2].map((i) => ({
      key: `test:invoice:in_admin_${i}`,
      kind: 'invoice_finalized' as const,
      postingDate: '2026-01-15',
      memo: `Invoice in_admin_${i}`,
      sources: [`in_admin_${i}`],
      lines: [
        { role: 'receivable' as const, amountMinor: minor(1000n + BigInt(i)), currency: currencyOf('usd') },
        { role: 'deferred_revenue' as const, amountMinor: minor(-(1000n + BigInt(i))), currency: currencyOf('usd') },
      ],
    })),
    { cause: eventId(1) },
  );
  await sql`insert into qbo_sync (tenant_id, realm_id, request_id, doc_number, period, txn_date, currency, lines_hash, source_entry_ids, state, qbo_id, attempts)
    values (${tenant.id}, 'realm-1', 'req-1', 'ACR-2026-01-1', '2026-01', '2026-01-31', 'usd', 'h', ${[posted[0]!.id.toString()]}::text[], 'posted', '77', 1)`.execute(
    t.db,
  );
  await t.db
    .insertInto('exceptions')
    .values([
      {
        tenant_id: tenant.id,
        kind: 'stripe_event',
        object_id: eventId(0),
        reason: 'could not process invoice.finalized',
        details: JSON.stringify({ access_token: SECRETS[1] }),
        resolved_at: null,
        resolved_by: null,
        note: null,
      },
      {
        tenant_id: tenant.id,
        kind: 'qbo_post',
        object_id: 'req-2',
        reason: 'QuickBooks refused the entry',
        details: JSON.stringify({ period: '2026-01' }),
        resolved_at: null,
        resolved_by: null,
        note: null,
      },
      {
        tenant_id: tenant.id,
        kind: 'engine',
        object_id: 'in_admin_3',
        reason: 'no rule',
        details: '{}',
        resolved_at: null,
        resolved_by: null,
        note: null,
      },
    ])
    .execute();
}

beforeAll(async () => {
  t = await createTestDatabase();
  jobs = await new Jobs({ url: t.url }).start();
  const log = createLogger('silent');
  app = createHttpApp({
    db: t.db,
    log,
    routes: [{ path: '/admin', handler: adminRouter({ db: t.db, jobs, log }, { checkResponses: true }) }],
  });
  await seed();
  viewerKey = (await createAdminKey(t.db, { name: 'Vera Viewer', role: 'viewer', createdBy: 'test' })).key;
  operatorKey = (await createAdminKey(t.db, { name: 'Otto Operator', role: 'operator', createdBy: 'test' })).key;
  const revoked = await createAdminKey(t.db, { name: 'Rex Revoked', role: 'operator', createdBy: 'test' });
  await revokeAdminKey(t.db, revoked.record.prefix);
  revokedKey = revoked.key;
});

afterAll(async () => {
  await jobs?.stop();
  await t?.close();
});

type Method = 'get' | 'post';
async function call(
  method: Method,
  path: string,
  key: string | null,
  body?: object,
  via: 'bearer' | 'header' = 'bearer',
) {
  let r = request(app)[method](`/admin${path}`);
  if (key) r = via === 'bearer' ? r.set('Authorization', `Bearer ${key}`) : r.set('X-Accrue-Admin-Key', key);
  const res = body ? await r.send(body) : await r;
  bodies.push(res.text);
  return res;
}

async function lastAudit() {
  const r = await sql<{
    method: string;
    path: string;
    route: string | null;
    status: number;
    outcome: string;
    key_name: string | null;
    role: string | null;
    tenant_id: bigint | null;
    params: unknown;
    detail: string | null;
    duration_ms: number;
  }>`
    select method, path, route, status, outcome, key_name, role, tenant_id, params, detail, duration_ms from admin_audit order by id desc limit 1`.execute(
    t.db,
  );
  return r.rows[0]!;
}

async function eventRow(id: string) {
  return t.db
    .selectFrom('stripe_events')
    .select(['status', 'attempts', 'last_error'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

async function inboxJobs(tenantId: bigint): Promise<number> {
  const r = await sql<{
    n: bigint;
  }>`select count(*) as n from pgboss.job where name = ${QUEUES.inbox} and data->>'tenantId' = ${tenantId.toString()}`.execute(
    t.db,
  );
  return Number(r.rows[0]!.n);
}

/**
 * One sample call per route: how an operator exercises it. Writes come last in `ADMIN_ROUTES`
 * order-independent fashion: each sample is valid on its own.
 */
function samples(): Record<string, { path: string; body?: object; expect: number }> {
  const tid = tenant.id.toString();
  return {
    getOpenApi: { path: '/openapi.json', expect: 200 },
    listTenants: { path: '/tenants?account=acct_Admin&limit=1', expect: 200 },
    getTenantHealth: { path: `/tenants/${tid}`, expect: 200 },
    getTenantSettingsHistory: { path: `/tenants/${tid}/settings-history`, expect: 200 },
    listEvents: { path: `/events?tenantId=${tid}&status=processed&limit=5`, expect: 200 },
    getEvent: { path: `/events/${eventId(1)}`, expect: 200 },
    replayEvent: { path: `/events/${eventId(5)}/replay`, expect: 200 },
    replayEventRange: {
      path: `/tenants/${tid}/events/replay`,
      body: { from: '2026-01-15T06:00:00Z', to: '2026-01-15T08:00:00Z', statuses: ['processed'] },
      expect: 200,
    },
    listEntrySyncStates: { path: `/tenants/${tid}/quickbooks/entries`, expect: 200 },
    resyncPeriod: { path: `/tenants/${tid}/quickbooks/resync`, body: { period: '2026-01' }, expect: 202 },
    listReconnects: { path: '/quickbooks/reconnect', expect: 200 },
    listExceptions: { path: `/tenants/${tid}/exceptions?status=open`, expect: 200 },
    resolveException: {
      path: `/tenants/${tid}/exceptions/${exceptionIds.engine}/resolve`,
      body: { note: 'added the product rule' },
      expect: 200,
    },
    retryException: { path: `/tenants/${tid}/exceptions/${exceptionIds.qbo_post}/retry`, expect: 200 },
    listJobs: { path: '/jobs?limit=5', expect: 200 },
    getJobCounts: { path: '/jobs/counts', expect: 200 },
    triggerRelease: { path: `/tenants/${tid}/jobs/release`, body: { through: '2026-01-31' }, expect: 202 },
    triggerReconcile: { path: `/tenants/${tid}/jobs/reconcile`, body: { period: '2026-01' }, expect: 202 },
    triggerSync: { path: `/tenants/${tid}/jobs/sync`, body: {}, expect: 202 },
    listPeriods: { path: `/tenants/${tid}/periods`, expect: 200 },
    closePeriod: { path: `/tenants/${tid}/periods/2026-01/close`, expect: 200 },
    reopenPeriod: {
      path: `/tenants/${tid}/periods/2026-01/reopen`,
      body: { reason: 'late credit note from the merchant' },
      expect: 200,
    },
    listAudit: { path: '/audit?limit=3', expect: 200 },
    listApprovals: { path: `/tenants/${tid}/approvals?status=all&limit=5`, expect: 200 },
    getApproval: { path: `/tenants/${tid}/approvals/${approvalId}`, expect: 200 },
    // Only an approver key decides: viewer and operator keys are refused (test/approvals decides).
    approveChange: { path: `/tenants/${tid}/approvals/${approvalId}/approve`, body: {}, expect: 403 },
    rejectChange: { path: `/tenants/${tid}/approvals/${approvalId}/reject`, body: { note: 'not now' }, expect: 403 },
    importManualJournal: {
      path: `/tenants/${tid}/imports/journal`,
      body: {
        csv: 'entry_key,date,account_role,currency,debit,credit,reason\nadm-1,2026-02-10,revenue,usd,1.00,,Admin sample\nadm-1,2026-02-10,deferred_revenue,usd,,1.00,Admin sample',
      },
      expect: 200,
    },
    importOpeningBalances: {
      path: `/tenants/${tid}/imports/opening-balances`,
      body: { csv: 'type,customer,currency,amount\ncustomer_balance,cus_Admin,usd,2.00', cutover: '2026-01-01' },
      expect: 200,
    },
    getRules: { path: `/tenants/${tid}/rules`, expect: 200 },
    previewRules: {
      path: `/tenants/${tid}/rules/preview`,
      body: {
        revision: 0,
        rules: [{ id: 'r1', position: 1, conditions: { products: ['prod_x'] }, treatment: { rule: 'exclude' } }],
      },
      expect: 200,
    },
    saveRules: { path: `/tenants/${tid}/rules`, body: { revision: 0, rules: [] }, expect: 200 },
  };
}
const exceptionIds: Record<string, string> = {};
let approvalId = '0';

describe('admin API', () => {
  beforeAll(async () => {
    const rows = await t.db
      .selectFrom('exceptions')
      .select(['id', 'kind'])
      .where('tenant_id', '=', tenant.id)
      .execute();
    for (const r of rows) exceptionIds[r.kind] = r.id.toString();
    const { requestApproval } = await import('../../backend/app/approvals/queue.ts');
    await import('../../backend/app/approvals/kinds.ts');
    const change = { kind: 'period_reopen', payload: { period: '2025-11' }, summary: 'sample', reason: 'sample' };
    approvalId = (await requestApproval(t.db, tenant, { ...change, movementMinor: null, requestedBy: 'someone' })).id;
  });

  it('has a sample for every route in the table', () => {
    expect(Object.keys(samples()).sort()).toEqual(ADMIN_ROUTES.map((r) => r.id).sort());
  });

  it('refuses every route without a key, with a malformed key and with a revoked key (401), and writes no audit row', async () => {
    const s = samples();
    const auditRows = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from admin_audit`.execute(t.db)).rows[0]!.n);
    const before = await auditRows();
    for (const r of ADMIN_ROUTES) {
      const sample = s[r.id]!;
      for (const key of [null, 'not-a-key', revokedKey]) {
        const res = await call(r.method, sample.path, key, sample.body);
        expect(res.status, `${r.id} with ${key ? 'a bad key' : 'no key'}`).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
      }
    }
    // Unauthenticated callers cannot grow the database: refusals without a valid key are only logged.
    expect(await auditRows()).toBe(before);
    // A revoked key is refused with the same message as an unknown one.
    const revoked = await call('get', '/tenants', revokedKey);
    const unknown = await call('get', '/tenants', `${revokedKey.slice(0, -4)}AAAA`);
    expect(revoked.body).toEqual(unknown.body);
  });

  it('lets a viewer read and refuses a viewer every write (403), auditing both', async () => {
    const s = samples();
    for (const r of ADMIN_ROUTES) {
      const sample = s[r.id]!;
      const res = await call(r.method, sample.path, viewerKey, sample.body, 'header');
      const a = await lastAudit();
      if (r.role !== 'viewer') {
        expect(res.status, r.id).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
        expect(a).toMatchObject({ status: 403, outcome: 'forbidden', key_name: 'Vera Viewer', role: 'viewer' });
      } else {
        expect(res.status, `${r.id}: ${res.text}`).toBe(sample.expect);
        expect(a).toMatchObject({
          status: sample.expect,
          outcome: 'ok',
          key_name: 'Vera Viewer',
          role: 'viewer',
          route: r.path,
        });
      }
    }
    // The refused writes changed nothing.
    expect((await eventRow(eventId(5))).status).toBe('processed');
  });

  it('runs every route for an operator and audits each call with its tenant', async () => {
    const s = samples();
    for (const r of ADMIN_ROUTES) {
      const sample = s[r.id]!;
      const res = await call(r.method, sample.path, operatorKey, sample.body);
      expect(res.status, `${r.id}: ${res.text}`).toBe(sample.expect);
      const a = await lastAudit();
      if (r.role === 'approver') {
        expect(a).toMatchObject({ status: 403, outcome: 'forbidden', role: 'operator' });
        continue;
      }
      expect(a).toMatchObject({
        method: r.method.toUpperCase(),
        route: r.path,
        status: sample.expect,
        outcome: 'ok',
        key_name: 'Otto Operator',
        role: 'operator',
      });
      const aboutTenant = r.path.includes(':tenantId') || r.path.startsWith('/events/:eventId');
      expect(a.tenant_id, r.id).toBe(aboutTenant ? tenant.id : null);
      expect(a.duration_ms).toBeGreaterThanOrEqual(0);
    }
    // The writes did what they say.
    expect(await eventRow(eventId(5))).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await eventRow(eventId(6))).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await eventRow(eventId(7))).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await eventRow(eventId(8))).toMatchObject({ status: 'processed' });
    const ex = await t.db
      .selectFrom('exceptions')
      .select(['kind', 'status', 'retries', 'note', 'resolved_by'])
      .where('tenant_id', '=', tenant.id)
      .orderBy('id')
      .execute();
    expect(ex.find((e) => e.kind === 'engine')).toMatchObject({
      status: 'resolved',
      note: 'added the product rule',
      resolved_by: expect.stringContaining('Otto Operator'),
    });
    expect(ex.find((e) => e.kind === 'qbo_post')).toMatchObject({ retries: 1 });
    const audit = await t.db
      .selectFrom('period_audit')
      .select(['action', 'actor', 'reason'])
      .where('tenant_id', '=', tenant.id)
      .orderBy('id')
      .execute();
    expect(audit.map((x) => x.action)).toEqual(['close', 'reopen']);
    expect(audit[1]).toMatchObject({
      reason: 'late credit note from the merchant',
      actor: expect.stringContaining('Otto Operator'),
    });
    const queued = await sql<{
      name: string;
      data: Record<string, string>;
    }>`select name, data from pgboss.job where data->>'tenantId' = ${tenant.id.toString()} order by created_on`.execute(
      t.db,
    );
    expect(queued.rows.map((j) => j.name)).toEqual(
      expect.arrayContaining([QUEUES.inbox, QUEUES.sync, QUEUES.release, QUEUES.reconcile]),
    );
    expect(queued.rows.find((j) => j.name === QUEUES.release)?.data).toEqual({
      tenantId: tenant.id.toString(),
      through: '2026-01-31',
    });
  });

  it('replays a failed event: pending again with attempts 0, and the inbox job enqueued in the same transaction', async () => {
    const before = await inboxJobs(other.id);
    const res = await call('post', '/events/evt_other_1/replay', operatorKey);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      tenantId: other.id.toString(),
      repended: 1,
      eventIds: ['evt_other_1'],
      jobQueued: true,
    });
    expect((await lastAudit()).tenant_id).toBe(other.id);
    expect(await eventRow('evt_other_1')).toEqual({ status: 'pending', attempts: 0, last_error: null });
    expect(await inboxJobs(other.id)).toBe(before + 1);
    const missing = await call('post', '/events/evt_nope/replay', operatorKey);
    expect(missing.status).toBe(404);
    expect((await lastAudit()).outcome).toBe('not_found');
  });

  it('replays a range: only matching statuses inside [from, to), one job; an empty or inverted range does nothing', async () => {
    await t.db
      .updateTable('stripe_events')
      .set({ status: 'failed', attempts: 5 })
      .where('id', 'in', [eventId(10), eventId(12)])
      .execute();
    const res = await call('post', `/tenants/${tenant.id}/events/replay`, operatorKey, {
      from: '2026-01-15T10:00:00Z',
      to: '2026-01-15T12:00:00Z',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ repended: 1, eventIds: [eventId(10)] });
    expect(await eventRow(eventId(10))).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await eventRow(eventId(11))).toMatchObject({ status: 'processed' });
    expect(await eventRow(eventId(12))).toMatchObject({ status: 'failed' });
    const inverted = await call('post', `/tenants/${tenant.id}/events/replay`, operatorKey, {
      from: '2026-01-16',
      to: '2026-01-15',
    });
    expect(inverted.status).toBe(400);
    const empty = await call('post', `/tenants/${tenant.id}/events/replay`, operatorKey, {
      from: '2025-01-01',
      to: '2025-02-01',
    });
    expect(empty.body).toMatchObject({ repended: 0, jobQueued: false });
  });

  it('retries a Stripe event exception by re-pending its event and counting the retry; other kinds are refused', async () => {
    await t.db
      .updateTable('stripe_events')
      .set({ status: 'failed', attempts: 5 })
      .where('id', '=', eventId(0))
      .execute();
    const res = await call('post', `/tenants/${tenant.id}/exceptions/${exceptionIds.stripe_event}/retry`, operatorKey);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ action: 'event_repended', eventId: eventId(0), retries: 1 });
    expect(await eventRow(eventId(0))).toMatchObject({ status: 'pending', attempts: 0 });
    const resolved = await call('post', `/tenants/${tenant.id}/exceptions/${exceptionIds.engine}/retry`, operatorKey);
    expect(resolved.status).toBe(409);
    expect((await lastAudit()).outcome).toBe('conflict');
  });

  it('refuses to reopen a period without a reason (400) and audits it as invalid input', async () => {
    // The opening balances sample (cutover 2026-01-01) posted into 2025-12: periods close in order.
    expect((await call('post', `/tenants/${tenant.id}/periods/2025-12/close`, operatorKey)).status).toBe(200);
    expect((await call('post', `/tenants/${tenant.id}/periods/2026-01/close`, operatorKey)).status).toBe(200);
    for (const body of [{}, { reason: '' }, { reason: '  ' }]) {
      const res = await call('post', `/tenants/${tenant.id}/periods/2026-01/reopen`, operatorKey, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_input');
      expect(await lastAudit()).toMatchObject({ status: 400, outcome: 'invalid_input' });
    }
    const periods = await call('get', `/tenants/${tenant.id}/periods`, viewerKey);
    expect(periods.body.data.find((p: { key: string }) => p.key === '2026-01').status).toBe('closed');
  });

  it('pages through events with limit and after, each row once, and refuses a limit over 100', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res = await call(
        'get',
        `/events?tenantId=${tenant.id}&limit=10${after ? `&after=${after}` : ''}`,
        viewerKey,
      );
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(10);
      seen.push(...res.body.data.map((e: { id: string }) => e.id));
      after = res.body.next;
      pages++;
    } while (after && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(EVENTS_SEEDED);
    expect(seen.sort()).toEqual(Array.from({ length: EVENTS_SEEDED }, (_, i) => eventId(i)));
    expect((await call('get', '/events?limit=101', viewerKey)).status).toBe(400);
    expect((await call('get', '/events?after=garbage', viewerKey)).status).toBe(400);
    // Tenants page too: two tenants, one per page.
    const first = await call('get', '/tenants?limit=1', viewerKey);
    const second = await call('get', `/tenants?limit=1&after=${first.body.next}`, viewerKey);
    expect([first.body.data[0].accountId, second.body.data[0].accountId]).toEqual([
      'acct_AdminTestA',
      'acct_AdminTestB',
    ]);
    expect(second.body.next).toBeNull();
  });

  it('filters events by type prefix and created range', async () => {
    const res = await call(
      'get',
      `/events?type=invoice.*&from=2026-01-15T02:00:00Z&to=2026-01-15T05:00:00Z`,
      viewerKey,
    );
    expect(res.body.data.map((e: { id: string }) => e.id).sort()).toEqual([eventId(2), eventId(3), eventId(4)]);
    const none = await call('get', '/events?type=charge.refunded&status=processed', viewerKey);
    expect(none.body.data).toEqual([]);
  });

  it("shows a tenant's health from its connection, inbox, outbox, exceptions and closes", async () => {
    const res = await call('get', `/tenants/${tenant.id}`, viewerKey);
    expect(res.status).toBe(200);
    const h = res.body;
    expect(h.quickbooks).toMatchObject({
      status: 'needs_reconnect',
      realmId: 'realm-1',
      statusReason: 'invalid_grant',
    });
    const pending = Number(
      (
        await t.db
          .selectFrom('stripe_events')
          .select((eb) => eb.fn.countAll<bigint>().as('n'))
          .where('tenant_id', '=', tenant.id)
          .where('status', '=', 'pending')
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(h.inbox.pending).toBe(pending);
    expect(h.inbox.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0);
    // in_admin_2 and the entries the importManualJournal and importOpeningBalances samples posted.
    expect(h.outbox).toEqual({ pendingSync: 0, unsyncedEntries: 3 });
    expect(h.failures.openExceptions).toBe(2);
    expect(h.lastClose).toMatchObject({ period: '2026-01', actor: expect.stringContaining('Otto Operator') });
    const reconnect = await call('get', '/quickbooks/reconnect', viewerKey);
    expect(reconnect.body.data).toEqual([
      expect.objectContaining({ tenantId: tenant.id.toString(), status: 'needs_reconnect' }),
    ]);
  });

  it('shows an event with its payload summary and the entries it produced', async () => {
    const res = await call('get', `/events/${eventId(2)}`, viewerKey);
    expect(res.status).toBe(200);
    expect(res.body.payload).toMatchObject({
      apiVersion: '2026-10-28.endive',
      objectType: 'invoice',
      previousAttributes: ['status'],
    });
    expect(res.body.payload.fields).toMatchObject({
      id: 'in_admin_2',
      total: 1002,
      refresh_token: '[redacted]',
      webhook_secret: '[redacted]',
      signing: '[redacted]',
    });
    expect(res.body.entries).toHaveLength(1);
    expect(res.body.entries[0]).toMatchObject({ key: 'test:invoice:in_admin_2', linkedBy: 'source' });
    expect(res.body.entries[0].lines.map((l: { amountMinor: string }) => l.amountMinor)).toEqual(['1002', '-1002']);
    const byCause = await call('get', `/events/${eventId(1)}`, viewerKey);
    expect(byCause.body.entries.map((e: { key: string; linkedBy: string }) => [e.key, e.linkedBy])).toEqual([
      ['test:invoice:in_admin_1', 'cause'],
      ['test:invoice:in_admin_2', 'cause'],
    ]);
    const sync = await call('get', `/tenants/${tenant.id}/quickbooks/entries?state=posted`, viewerKey);
    expect(sync.body.data).toEqual([
      expect.objectContaining({ key: 'test:invoice:in_admin_1', state: 'posted', qboId: '77' }),
    ]);
    const unsynced = await call('get', `/tenants/${tenant.id}/quickbooks/entries?state=unsynced`, viewerKey);
    // A manual entry waits for QuickBooks like any other.
    expect(unsynced.body.data.map((e: { key: string }) => e.key)).toEqual([
      'opening:customer_balance:cus_Admin',
      'manual:adm-1',
      'test:invoice:in_admin_2',
    ]);
  });

  it('audits a malformed JSON body when the router is mounted before the app parser', async () => {
    const log = createLogger('silent');
    const raw = createHttpApp({
      db: t.db,
      log,
      rawRoutes: [{ path: '/admin', handler: adminRouter({ db: t.db, jobs, log }) }],
    });
    const res = await request(raw)
      .post(`/admin/tenants/${tenant.id}/jobs/sync`)
      .set('Authorization', `Bearer ${operatorKey}`)
      .set('Content-Type', 'application/json')
      .send('{"period":');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_input');
    expect(await lastAudit()).toMatchObject({
      method: 'POST',
      status: 400,
      outcome: 'invalid_input',
      key_name: 'Otto Operator',
    });
  });

  it('answers unknown admin paths 404 only after authentication, and audits them', async () => {
    expect((await call('get', '/nope', null)).status).toBe(401);
    const res = await call('get', '/nope', viewerKey);
    expect(res.status).toBe(404);
    expect(await lastAudit()).toMatchObject({
      route: null,
      status: 404,
      outcome: 'not_found',
      key_name: 'Vera Viewer',
    });
    expect((await call('get', '/tenants/999999', viewerKey)).status).toBe(404);
    expect((await call('get', '/tenants/abc', viewerKey)).status).toBe(400);
  });

  it('keeps secrets out of every response body and the audit log, including secrets sent as parameters', async () => {
    const res = await call('post', `/tenants/${tenant.id}/exceptions/${exceptionIds.qbo_post}/resolve`, operatorKey, {
      note: 'done',
      access_token: SECRETS[1],
      client_secret: SECRETS[2],
    });
    expect(res.status).toBe(400);
    const a = await lastAudit();
    expect(JSON.stringify(a.params)).toContain('[redacted]');
    expect(bodies.length).toBeGreaterThan(100);
    for (const b of bodies) for (const s of SECRETS) expect(b).not.toContain(s);
    const audit = await sql<{ t: string }>`select string_agg(a::text, ' ') as t from admin_audit a`.execute(t.db);
    const all = audit.rows[0]!.t;
    for (const s of [...SECRETS, viewerKey, operatorKey, revokedKey]) expect(all).not.toContain(s);
    // The secrets really are in the database, so their absence above means something.
    const stored = await sql<{
      t: string;
    }>`select (select tokens_ciphertext from qbo_connections limit 1) || (select payload::text from stripe_events where id = ${eventId(3)}) as t`.execute(
      t.db,
    );
    for (const s of SECRETS) expect(stored.rows[0]!.t).toContain(s);
  });

  it('lists job runs from pg-boss with paging, and the audit log newest first', async () => {
    const p1 = await call('get', `/jobs?tenantId=${tenant.id}&limit=2`, viewerKey);
    expect(p1.status).toBe(200);
    expect(p1.body.data).toHaveLength(2);
    const p2 = await call('get', `/jobs?tenantId=${tenant.id}&limit=2&after=${p1.body.next}`, viewerKey);
    const ids = [...p1.body.data, ...p2.body.data].map((j: { id: string }) => j.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(p1.body.data.every((j: { tenantId: string }) => j.tenantId === tenant.id.toString())).toBe(true);
    const audit = await call('get', '/audit?outcome=forbidden&limit=100', viewerKey);
    // The viewer was refused every write; the operator only the approver's decisions.
    const writes = ADMIN_ROUTES.filter((r) => r.role !== 'viewer').length;
    const decisions = ADMIN_ROUTES.filter((r) => r.role === 'approver').length;
    expect(audit.body.data).toHaveLength(writes + decisions);
    const by = (name: string) => audit.body.data.filter((x: { keyName: string }) => x.keyName === name).length;
    expect([by('Vera Viewer'), by('Otto Operator')]).toEqual([writes, decisions]);
    expect(audit.body.data.every((x: { outcome: string }) => x.outcome === 'forbidden')).toBe(true);
  });
});
