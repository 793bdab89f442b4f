/**
 * Proves the QuickBooks side end to end on real PostgreSQL with the QuickBooks fake (real
 * node-quickbooks and intuit-oauth): connect through OAuth with tokens encrypted at rest; post a
 * multi-month ledger and have the fake agree with the ledger account by account; lose responses
 * after commit and still end with zero duplicates; see an accountant's edit and delete through
 * reconciliation; land a closed-books fault in the exception queue; and post late entries as a
 * new summary entry, never twice.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qboServices, reconcileTenant, syncTenant, type QboServices } from '../../backend/app/qbo-sync.ts';
import { loadConfig } from '../../backend/config/config.ts';
import { configureOAuthRetries } from '../../backend/qbo/oauth.ts';
import { ROLE_INFO, type AccountRole } from '../../shared/accounts.ts';
import { startFakeQbo, type FakeQbo } from '../../backend/sandbox/qbo/server.ts';
import { deliver, eventsOf, freshBooks, goldenLines, settle, type Books } from '../support/scenario.ts';

const SCENARIOS = [
  'credit-note-after-payment-refund',
  'refund-full-with-tax',
  'uncollectible-then-paid',
  'payout-paid-then-failed',
  'discount-net',
  'annual-monthly-even',
];
const CLIENT = {
  clientId: 'accrue-test-client',
  clientSecret: 'accrue-test-secret',
  redirectUris: ['http://127.0.0.1/oauth/qbo/callback'],
};

let fake: FakeQbo;
const open: Books[] = [];

interface Connected {
  b: Books;
  qbo: QboServices;
  realmId: string;
}

async function connectedBooks(mode: 'summary' | 'detailed'): Promise<Connected> {
  const lines = goldenLines(SCENARIOS);
  const b = await freshBooks(lines, 'acct_golden', { posting_mode: mode, amortization: 'monthly_even' });
  open.push(b);
  await deliver(b, eventsOf(lines));
  await settle(b, '2026-06-30');
  const realmId = fake.createRealm({ companyName: `Books ${mode}` });
  const config = loadConfig({
    DATABASE_URL: b.t.url,
    QBO_CLIENT_ID: CLIENT.clientId,
    QBO_CLIENT_SECRET: CLIENT.clientSecret,
    QBO_REDIRECT_URI: CLIENT.redirectUris[0],
    QBO_API_BASE: fake.url,
    QBO_OAUTH_BASE: fake.url,
    ACCRUE_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
  });
  const qbo = qboServices(config, b.t.db)!;
  // Connect: our authorization URL → the fake's consent stub → our callback handling.
  fake.setAuthorizeOutcome({ realmId });
  const { url } = qbo.oauth.authorizationUrl(b.tenant.id.toString());
  const consent = await fetch(url, { redirect: 'manual' });
  expect(consent.status).toBe(302);
  const done = await qbo.oauth.handleCallback(consent.headers.get('location')!);
  expect(done).toEqual({ tenantId: b.tenant.id.toString(), realmId });
  // Map every ledger account to a QuickBooks account of the right type.
  const accounts = await b.t.db
    .selectFrom('accounts')
    .select(['id', 'role', 'name'])
    .where('tenant_id', '=', b.tenant.id)
    .execute();
  for (const a of accounts) {
    const info = ROLE_INFO[a.role as AccountRole];
    const [id] = fake.seedAccounts(realmId, [
      { Name: a.name, AccountType: info.qbo.type, AccountSubType: info.qbo.subType },
    ]);
    await b.t.db
      .updateTable('accounts')
      .set({ external_id: id!, external_type: info.qbo.type })
      .where('id', '=', a.id)
      .execute();
  }
  return { b, qbo, realmId };
}

/** Ledger balances per QuickBooks account id (debit-positive minor units). */
async function ledgerByQboAccount(b: Books): Promise<Map<string, bigint>> {
  const r = await sql<{ external_id: string; total: bigint }>`
    select a.external_id, sum(l.amount_minor)::bigint as total from journal_lines l join accounts a on a.id = l.account_id
    where l.tenant_id = ${b.tenant.id} group by a.external_id`.execute(b.t.db);
  return new Map(r.rows.filter((x) => x.total !== 0n).map((x) => [x.external_id, x.total]));
}

function nonZero(m: Map<string, bigint>): Map<string, bigint> {
  return new Map([...m].filter(([, v]) => v !== 0n));
}

beforeAll(async () => {
  configureOAuthRetries({ retryDelay_ms: 1, maxRetries: 0 });
  fake = await startFakeQbo();
  fake.registerApp(CLIENT);
});
afterAll(async () => {
  for (const b of open) await b.close();
  await fake.close();
});

describe('QuickBooks sync', () => {
  it('stores tokens encrypted at rest, naming the key that encrypted them', async () => {
    const { b, qbo } = await connectedBooks('summary');
    const row = await b.t.db.selectFrom('qbo_connections').selectAll().executeTakeFirstOrThrow();
    expect(row.status).toBe('active');
    const conn = (await qbo.tokens.get(b.tenant.id.toString()))!;
    expect(conn.accessToken.length).toBeGreaterThan(10);
    expect(row.tokens_ciphertext).not.toContain(conn.accessToken);
    expect(row.tokens_ciphertext).not.toContain(conn.refreshToken);
    expect(row.tokens_ciphertext.split('.').slice(0, 2)).toEqual(['v1', 'k1']);
  });

  for (const mode of ['summary', 'detailed'] as const) {
    it(`posts a multi-month ledger in ${mode} mode and QuickBooks agrees account by account`, async () => {
      const { b, qbo, realmId } = await connectedBooks(mode);
      const r = await syncTenant({ db: b.t.db, qbo }, b.tenant.id);
      expect(r.failed ?? []).toEqual([]);
      expect(r.posted).toBeGreaterThan(0);
      expect(nonZero(fake.accountTotals(realmId))).toEqual(await ledgerByQboAccount(b));
      const rec = await reconcileTenant({ db: b.t.db, qbo }, b.tenant.id);
      expect(rec).toMatchObject({ differences: 0, edited: 0, deleted: 0, agree: true });
      // Nothing left to post: a second run changes nothing.
      const again = await syncTenant({ db: b.t.db, qbo }, b.tenant.id);
      expect(again.planned).toBe(0);
      const entries = fake.journalEntries(realmId).length;
      expect(new Set(fake.journalEntries(realmId).map((j: { DocNumber: string }) => j.DocNumber)).size).toBe(entries);
      if (mode === 'summary') {
        const periods = new Set(
          (
            await b.t.db
              .selectFrom('journal_entries')
              .select('period_key')
              .where('tenant_id', '=', b.tenant.id)
              .execute()
          ).map((p) => p.period_key),
        );
        expect(entries).toBe(periods.size); // one summary entry per period and currency
      }
      const stats = fake.stats(realmId);
      expect(stats.peakInFlight).toBeLessThanOrEqual(10);
      expect(stats.peakPerMinute).toBeLessThan(500);
      expect(stats.throttled).toBe(0);
    });
  }

  it('loses responses after commit and still ends with zero duplicates', async () => {
    const { b, qbo, realmId } = await connectedBooks('detailed');
    fake.setDropRate(realmId, 0.3);
    for (let i = 0; i < 6; i++) {
      await syncTenant({ db: b.t.db, qbo }, b.tenant.id);
      const pending = await b.t.db.selectFrom('qbo_sync').select('request_id').where('state', '!=', 'posted').execute();
      if (!pending.length) break;
    }
    fake.setDropRate(realmId, 0);
    await syncTenant({ db: b.t.db, qbo }, b.tenant.id);
    const docs = fake.journalEntries(realmId).map((j: { DocNumber: string }) => j.DocNumber);
    expect(fake.stats(realmId).dropped).toBeGreaterThan(0);
    expect(new Set(docs).size).toBe(docs.length);
    expect(nonZero(fake.accountTotals(realmId))).toEqual(await ledgerByQboAccount(b));
  });

  it("detects an accountant's edit and delete through reconciliation", async () => {
    const { b, qbo, realmId } = await connectedBooks('detailed');
    await syncTenant({ db: b.t.db, qbo }, b.tenant.id);
    const [first, second] = fake.journalEntries(realmId) as { Id: string; Line: { Amount: number }[] }[];
    // An accountant adds 1.00 to one debit and one credit: still balanced, but not what we posted.
    fake.editJournalEntry(realmId, first!.Id, (je) => {
      const side = (t: string) =>
        je.Line.find(
          (l: { JournalEntryLineDetail: { PostingType: string } }) => l.JournalEntryLineDetail.PostingType === t,
        );
      side('Debit').Amount += 1;
      side('Credit').Amount += 1;
    });
    fake.deleteJournalEntry(realmId, second!.Id);
    const rec = await reconcileTenant({ db: b.t.db, qbo }, b.tenant.id);
    expect(rec.agree).toBe(false);
    expect(rec.edited).toBe(1);
    expect(rec.deleted).toBe(1);
    expect(rec.differences).toBeGreaterThan(0);
    const ex = await b.t.db
      .selectFrom('exceptions')
      .select(['kind', 'reason'])
      .where('kind', '=', 'reconcile')
      .where('status', '=', 'open')
      .execute();
    expect(ex.some((e) => /ledger -?\d+ vs QuickBooks -?\d+/.test(e.reason))).toBe(true);
    expect(ex.some((e) => /edited/.test(e.reason))).toBe(true);
    expect(ex.some((e) => /deleted/.test(e.reason))).toBe(true);
  });

  it('reports a mapped account made inactive in QuickBooks', async () => {
    const { b, qbo, realmId } = await connectedBooks('summary');
    await syncTenant({ db: b.t.db, qbo }, b.tenant.id);
    const fees = await b.t.db
      .selectFrom('accounts')
      .select(['external_id'])
      .where('tenant_id', '=', b.tenant.id)
      .where('role', '=', 'fees')
      .executeTakeFirstOrThrow();
    fake.setAccountActive(realmId, fees.external_id!, false);
    const rec = await reconcileTenant({ db: b.t.db, qbo }, b.tenant.id);
    expect(rec.accountProblems).toBe(1);
    expect(rec.agree).toBe(false);
    const ex = await b.t.db
      .selectFrom('exceptions')
      .select(['object_id', 'reason'])
      .where('kind', '=', 'reconcile')
      .where('status', '=', 'open')
      .execute();
    expect(ex).toEqual([
      expect.objectContaining({ object_id: 'account:fees:Stripe Fees', reason: expect.stringMatching(/inactive/) }),
    ]);
    fake.setAccountActive(realmId, fees.external_id!, true);
    expect((await reconcileTenant({ db: b.t.db, qbo }, b.tenant.id)).agree).toBe(true);
  });

  it('lands a closed-books fault in the exception queue without retrying forever', async () => {
    const { b, qbo, realmId } = await connectedBooks('summary');
    fake.setBookCloseDate(realmId, '2026-03-31');
    const r = await syncTenant({ db: b.t.db, qbo }, b.tenant.id);
    expect(r.failed!.length).toBeGreaterThan(0);
    expect(r.failed!.every((f) => f.code === '6200')).toBe(true);
    const ex = await b.t.db
      .selectFrom('exceptions')
      .select(['kind', 'reason'])
      .where('kind', '=', 'qbo_post')
      .execute();
    expect(ex.length).toBe(r.failed!.length);
    expect(ex[0]!.reason).toMatch(/6200/);
    const calls = fake.stats(realmId).requests;
    await syncTenant({ db: b.t.db, qbo }, b.tenant.id);
    expect(fake.stats(realmId).requests - calls).toBeLessThan(10); // failed entries are not re-sent on their own
  });
});
