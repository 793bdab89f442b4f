/**
 * The import entry points: `accrue import journal|opening-balances` prints what it posted and
 * the tie-out, and exits 2 with every bad line named (4 for a used key with another body); the
 * Admin API routes answer 400/409 with the lines named, record the key as the author, and audit
 * the call. Nothing is written by a refused file through either.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import { sql } from 'kysely';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../../backend/admin/keys.ts';
import { adminRouter } from '../../backend/admin/router.ts';
import { runCommand } from '../../backend/cli/framework.ts';
import { importCommand } from '../../backend/cli/imports.ts';
import { createHttpApp } from '../../backend/http/server.ts';
import type { Jobs } from '../../backend/jobs/runner.ts';
import { ensureTenant, type Tenant } from '../../backend/ledger/tenants.ts';
import { createLogger } from '../../backend/log/logger.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let t: TestDatabase;
let tenant: Tenant;
let app: Express;
let operatorKey: string;
const dir = mkdtempSync(join(tmpdir(), 'accrue-import-'));
const file = (name: string, body: string) => {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
};

const JOURNAL = [
  'entry_key,date,account_role,currency,debit,credit,reason,memo',
  'cli-1,2026-04-30,revenue,usd,50.00,,"Reverse a duplicate, per ticket 12",',
  'cli-1,2026-04-30,deferred_revenue,usd,,50.00,"Reverse a duplicate, per ticket 12",',
].join('\n');
const OPENING = [
  'type,customer,invoice,invoice_line,currency,amount,remaining_end',
  'deferred_revenue,cus_E,in_E1,il_E1,usd,300.00,2026-06-30',
  'receivable,cus_E,in_E1,,usd,300.00,',
].join('\n');

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const cmd = importCommand({
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
}

async function lastAudit() {
  const r = await sql<{ route: string | null; status: number; outcome: string }>`
    select route, status, outcome from admin_audit order by id desc limit 1`.execute(t.db);
  return r.rows[0];
}

async function entries(): Promise<string[]> {
  const rows = await t.db
    .selectFrom('journal_entries')
    .select(['idempotency_key'])
    .where('tenant_id', '=', tenant.id)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.idempotency_key);
}

beforeAll(async () => {
  t = await createTestDatabase();
  tenant = await ensureTenant(t.db, { accountId: 'acct_ImportEntry', livemode: false });
  const log = createLogger('silent');
  app = createHttpApp({
    db: t.db,
    log,
    routes: [{ path: '/admin', handler: adminRouter({ db: t.db, jobs: {} as Jobs, log }, { checkResponses: true }) }],
  });
  operatorKey = (await createAdminKey(t.db, { name: 'Ida Importer', role: 'operator', createdBy: 'test' })).key;
});
afterAll(async () => t?.close());

describe('accrue import', () => {
  it('imports opening balances, prints the tie-out, and is a no-op the second time', async () => {
    const path = file('opening.csv', OPENING);
    const argv = ['opening-balances', path, '--cutover', '2026-04-01', '--tenant', tenant.accountId];
    const first = await cli(argv);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/cutover 2026-04-01: 2 rows, 2 posted, 0 already in the ledger/);
    expect(first.out).toMatch(/deferred_revenue\s+1 rows\s+file 300\.00\s+ledger 300\.00\s+ties out/);
    expect(first.out).toMatch(/tied out: the file equals the ledger at the cutover/);
    const again = await cli(argv);
    expect(again.out).toMatch(/2 rows, 0 posted, 2 already in the ledger/);
    expect(await entries()).toEqual(['opening:deferred:in_E1:il_E1', 'opening:receivable:in_E1']);
  });

  it('imports a manual journal with the author given, and exits 2 naming every bad line', async () => {
    const ok = await cli(['journal', file('j.csv', JOURNAL), '--tenant', tenant.accountId, '--author', 'lee']);
    expect(ok.code).toBe(0);
    expect(ok.out).toBe('1 entries (2 lines): 1 posted, 0 already in the ledger\n');
    const bad = await cli([
      'journal',
      file(
        'bad.csv',
        `${JOURNAL}\ncli-2,2026-04-30,revenue,usd,1.00,,Half an entry,\ncli-3,2026-04-30,nope,usd,1,,Why not,`,
      ),
      '--tenant',
      tenant.accountId,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /^accrue import: manual journal import refused: nothing was imported; 3 problems: line 4: entry cli-2 has one line.*line 5: account_role "nope"/,
    );
    const conflict = await cli([
      'journal',
      file('c.csv', JOURNAL.replaceAll('50.00', '51.00')),
      '--tenant',
      tenant.accountId,
    ]);
    expect(conflict.code).toBe(4);
    expect(conflict.err).toMatch(/line 2: entry_key cli-1 was already imported/);
    expect(await entries()).toHaveLength(3);
  });

  it('needs a kind, a file, a tenant and (for opening balances) a cutover', async () => {
    expect((await cli(['everything', 'x.csv', '--tenant', tenant.accountId])).code).toBe(2);
    expect((await cli(['journal', '--tenant', tenant.accountId])).err).toMatch(/give exactly one CSV file/);
    expect((await cli(['opening-balances', 'x.csv', '--tenant', tenant.accountId])).err).toMatch(
      /--cutover is required/,
    );
    const missing = await cli(['journal', join(dir, 'nope.csv'), '--tenant', tenant.accountId]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read .*nope\.csv: ENOENT/);
  });
});

describe('admin import routes', () => {
  const post = (path: string, body: object) =>
    request(app)
      .post(`/admin/tenants/${tenant.id}/imports/${path}`)
      .set('authorization', `Bearer ${operatorKey}`)
      .send(body);

  it('posts a manual journal with the admin key as author, and audits the call', async () => {
    const csv = JOURNAL.replaceAll('cli-1', 'api-1').replaceAll('2026-04-30', '2026-05-02');
    const res = await post('journal', { csv });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ entries: 1, posted: 1, keys: ['manual:api-1'] });
    const e = await t.db
      .selectFrom('journal_entries')
      .select(['cause', 'kind'])
      .where('idempotency_key', '=', 'manual:api-1')
      .executeTakeFirstOrThrow();
    expect(e).toEqual({ kind: 'manual', cause: expect.stringMatching(/^manual import by admin:Ida Importer \(aak_/) });
    const audit = await lastAudit();
    expect(audit).toMatchObject({ route: '/tenants/:tenantId/imports/journal', status: 200, outcome: 'ok' });
  });

  it('answers 400 naming the lines of a bad file and 409 for a used key, writing nothing', async () => {
    const before = await entries();
    const bad = await post('opening-balances', {
      cutover: '2026-04-01',
      csv: 'type,customer,invoice,invoice_line,currency,amount,remaining_start,remaining_end\ndeferred_revenue,cus_F,in_F,il_F,usd,10.00,2026-05-01,2026-04-30',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_input');
    expect(bad.body.error.message).toMatch(/line 2: the remaining period is negative/);
    const used = await post('opening-balances', {
      cutover: '2026-04-01',
      csv: OPENING.replace('300.00,2026', '301.00,2026'),
    });
    expect(used.status).toBe(409);
    expect(used.body.error.message).toMatch(/line 2: opening:deferred:in_E1:il_E1 was already imported/);
    expect(await entries()).toEqual(before);
    const audit = await lastAudit();
    expect(audit).toMatchObject({ status: 409, outcome: 'conflict' });
  });
});
