/**
 * Many processes against one PostgreSQL: `accrue serve --role web` processes take the webhooks of
 * three tenants, `--role worker` processes book, release and post them to the QuickBooks fake with
 * faults on (lost responses after commit, 503s). Then: every tenant's journal equals the one a
 * single in-process run books, QuickBooks holds no duplicate, QuickBooks' limits (10 in flight,
 * 500 a minute per company) were never exceeded nor throttled, and QuickBooks agrees with the
 * ledger account by account.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type Stripe from 'stripe';
import { afterAll, expect, it } from 'vitest';
import { qboServices } from '../../backend/app/qbo-sync.ts';
import { loadConfig } from '../../backend/config/config.ts';
import { Jobs, QUEUES } from '../../backend/jobs/runner.ts';
import { loadLedgerLines } from '../../backend/ledger/ledger.ts';
import { ensureTenant, type Tenant } from '../../backend/ledger/tenants.ts';
import { startFakeQbo } from '../../backend/sandbox/qbo/server.ts';
import { startStripeFake } from '../../backend/sandbox/stripe/server.ts';
import { ROLE_INFO, type AccountRole } from '../../shared/accounts.ts';
import { toJournalCsv } from '../../shared/reports/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { deliver, eventsOf, FAKE_KEY, freshBooks, goldenLines, settle } from '../support/scenario.ts';
import { postEvent, startServe, type ServeProcess } from '../support/serve-process.ts';

const WEB_PROCESSES = Number(process.env.MULTI_WEB ?? '2');
const WORKER_PROCESSES = Number(process.env.MULTI_WORKERS ?? '3');
const SCENARIOS = [
  'credit-note-after-payment-refund',
  'refund-full-with-tax',
  'uncollectible-then-paid',
  'payout-paid-then-failed',
  'discount-net',
  'annual-monthly-even',
];
const ACCOUNTS = ['acct_multiA', 'acct_multiB', 'acct_multiC'];
const SETTINGS = { posting_mode: 'detailed' as const, amortization: 'monthly_even' as const };
const THROUGH = '2026-12-31';
const CLIENT = { clientId: 'multi-client', clientSecret: 'multi-secret', redirectUris: ['http://127.0.0.1/cb'] };

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

/** The golden lines as another account's: its events carry the account and ids of their own. */
function linesFor(account: string): Record<string, unknown>[] {
  return goldenLines(SCENARIOS).map((l) =>
    l.object === 'event' ? { ...l, account, id: `${String(l.id)}_${account.slice(-1)}` } : l,
  );
}

async function until(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function ledgerByQboAccount(t: TestDatabase, tenant: Tenant): Promise<Map<string, bigint>> {
  const r = await sql<{ external_id: string; total: bigint }>`
    select a.external_id, sum(l.amount_minor)::bigint as total from journal_lines l join accounts a on a.id = l.account_id
    where l.tenant_id = ${tenant.id} group by a.external_id`.execute(t.db);
  return new Map(r.rows.filter((x) => x.total !== 0n).map((x) => [x.external_id, x.total]));
}

/** A comparable text of non-zero totals per account. */
const totalsText = (m: Map<string, bigint>) =>
  [...m]
    .filter(([, v]) => v !== 0n)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');

it(`${WEB_PROCESSES} web and ${WORKER_PROCESSES} worker processes book and post exactly what one process does`, async () => {
  // What one process books, per account.
  const expected = new Map<string, string>();
  for (const account of ACCOUNTS) {
    const lines = linesFor(account);
    const b = await freshBooks(lines, account, SETTINGS);
    cleanup.push(() => b.close());
    await deliver(b, eventsOf(lines));
    expected.set(account, await settle(b, THROUGH));
  }

  const t = await createTestDatabase();
  cleanup.push(() => t.close());
  const stripeFake = await startStripeFake({ apiKey: FAKE_KEY });
  cleanup.push(() => stripeFake.close());
  const qboFake = await startFakeQbo();
  cleanup.push(() => qboFake.close());
  qboFake.registerApp(CLIENT);
  const tenants = new Map<string, Tenant>();
  for (const account of ACCOUNTS) {
    stripeFake.load(linesFor(account), account);
    tenants.set(account, await ensureTenant(t.db, { accountId: account, livemode: false }, SETTINGS));
  }
  const env = {
    DATABASE_URL: t.url,
    STRIPE_SECRET_KEY: FAKE_KEY,
    STRIPE_API_BASE: stripeFake.url,
    QBO_CLIENT_ID: CLIENT.clientId,
    QBO_CLIENT_SECRET: CLIENT.clientSecret,
    QBO_REDIRECT_URI: CLIENT.redirectUris[0]!,
    QBO_API_BASE: qboFake.url,
    QBO_OAUTH_BASE: qboFake.url,
    ACCRUE_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
  };
  const start = async (role: string): Promise<ServeProcess> => {
    const p = await startServe(env, ['--role', role]);
    cleanup.push(() => p.stop());
    return p;
  };
  const webs = await Promise.all(Array.from({ length: WEB_PROCESSES }, () => start('web')));
  const workers = await Promise.all(Array.from({ length: WORKER_PROCESSES }, () => start('worker')));
  // A web process runs no jobs; a worker process serves no API.
  expect((await fetch(`${workers[0]!.url}/webhooks/stripe`, { method: 'POST' })).status).toBe(404);

  // 1. Webhooks of every tenant, interleaved, spread over the web processes (some delivered twice).
  const all = ACCOUNTS.flatMap((a) => eventsOf(linesFor(a)).map((e, i) => ({ e, i })))
    .sort((x, y) => x.i - y.i)
    .map((x) => x.e as Stripe.Event);
  await Promise.all(
    webs.map(async (w, k) => {
      for (let i = k; i < all.length; i += webs.length) expect(await postEvent(w.url, all[i]!)).toBe(200);
      for (let i = k; i < all.length; i += 3 * webs.length) expect(await postEvent(w.url, all[i]!)).toBe(200);
    }),
  );
  await until('every event to be booked', 120_000, async () => {
    const r = await t.db
      .selectFrom('stripe_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(r.n) === 0;
  });

  // 2. Release through the year, by the workers.
  const jobs = await new Jobs({ url: t.url }).start();
  cleanup.push(() => jobs.stop());
  for (const tenant of tenants.values())
    await jobs.send(
      t.db,
      QUEUES.release,
      { tenantId: tenant.id.toString(), through: THROUGH },
      {
        tenantKey: tenant.id.toString(),
      },
    );
  await until('revenue to be released', 120_000, async () => {
    const rows = await t.db.selectFrom('release_state').select(['released_through']).execute();
    return rows.length === ACCOUNTS.length && rows.every((r) => String(r.released_through) === THROUGH);
  });

  // 3. Connect each tenant to its own QuickBooks company, map the accounts, turn faults on, sync.
  const qbo = qboServices(loadConfig(env), t.db)!;
  const realms = new Map<string, string>();
  for (const [account, tenant] of tenants) {
    const realmId = qboFake.createRealm({ companyName: `Multi ${account}` });
    realms.set(account, realmId);
    qboFake.setAuthorizeOutcome({ realmId });
    const consent = await fetch(qbo.oauth.authorizationUrl(tenant.id.toString()).url, { redirect: 'manual' });
    await qbo.oauth.handleCallback(consent.headers.get('location')!);
    const accounts = await t.db
      .selectFrom('accounts')
      .select(['id', 'role', 'name'])
      .where('tenant_id', '=', tenant.id)
      .execute();
    for (const a of accounts) {
      const info = ROLE_INFO[a.role as AccountRole];
      const [id] = qboFake.seedAccounts(realmId, [
        { Name: a.name, AccountType: info.qbo.type, AccountSubType: info.qbo.subType },
      ]);
      await t.db
        .updateTable('accounts')
        .set({ external_id: id!, external_type: info.qbo.type })
        .where('id', '=', a.id)
        .execute();
    }
    qboFake.setDropRate(realmId, 0.25);
    qboFake.injectFault(realmId, { kind: 'status', status: 503, times: 3 });
    qboFake.setLatency(20);
  }
  const requestSync = async () => {
    for (const tenant of tenants.values()) {
      const data = { tenantId: tenant.id.toString() };
      await jobs.send(t.db, QUEUES.sync, data, { tenantKey: tenant.id.toString() });
      await jobs.send(t.db, QUEUES.reconcile, data, { tenantKey: tenant.id.toString() });
    }
  };
  await requestSync();
  let rounds = 0;
  await until('QuickBooks to agree with every ledger', 180_000, async () => {
    for (const [account, tenant] of tenants) {
      const agree =
        totalsText(qboFake.accountTotals(realms.get(account)!)) === totalsText(await ledgerByQboAccount(t, tenant));
      if (!agree) {
        // An entry whose attempts ran out waits for the next sync (the daily tick's job in production).
        if (++rounds % 20 === 0) await requestSync();
        return false;
      }
    }
    return true;
  });

  for (const [account, tenant] of tenants) {
    expect(toJournalCsv(await loadLedgerLines(t.db, tenant.id))).toBe(expected.get(account));
    const realmId = realms.get(account)!;
    const docs = qboFake.journalEntries(realmId).map((j: { DocNumber: string }) => j.DocNumber);
    expect(docs.length).toBeGreaterThan(0);
    expect(new Set(docs).size).toBe(docs.length);
    const stats = qboFake.stats(realmId);
    expect(stats.peakInFlight).toBeLessThanOrEqual(10);
    expect(stats.peakPerMinute).toBeLessThanOrEqual(500);
    expect(stats.throttled).toBe(0);
    expect(stats.dropped + stats.injected5xx).toBeGreaterThan(0); // the faults were really on
  }
  for (const p of [...webs, ...workers]) expect(await p.stop()).toBe(0);
}, 600_000);
