/**
 * Manual journal imports: a balanced file posts entries of kind `manual` that the reports show;
 * a repeated import changes nothing; a changed entry under a used key is a conflict; every bad
 * row (unbalanced, closed period, wrong columns, unknown role or account, bad amounts) is named
 * by its line and nothing at all is written while any row is bad.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importManualJournal } from '../../backend/app/imports/manual-journal.ts';
import { loadLedgerLines } from '../../backend/ledger/ledger.ts';
import { closePeriod } from '../../backend/ledger/periods.ts';
import { ensureTenant, type Tenant } from '../../backend/ledger/tenants.ts';
import { AccrueError } from '../../shared/errors.ts';
import { trialBalance } from '../../shared/reports/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let t: TestDatabase;
let tenant: Tenant;

const HEADER = 'entry_key,date,account_role,account,currency,debit,credit,memo,reason';

const GOOD = [
  HEADER,
  'adj-1,2026-03-31,revenue,,USD,120.00,,"Reclass, per contract",Setup fee booked as revenue twice',
  'adj-1,2026-03-31,deferred_revenue,,USD,,120.00,,Setup fee booked as revenue twice',
  'adj-2,2026-03-15,fees,,usd,3.50,,Bank charge,Bank fee missing from Stripe',
  'adj-2,2026-03-15,cash_clearing,,usd,,1.50,,Bank fee missing from Stripe',
  'adj-2,2026-03-15,bank,,usd,,2.00,,Bank fee missing from Stripe',
].join('\n');

async function entryCount(): Promise<number> {
  const r = await t.db
    .selectFrom('journal_entries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', tenant.id)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function refusal(csv: string): Promise<AccrueError> {
  const before = await entryCount();
  const e = await importManualJournal(t.db, tenant, { csv, author: 'ana@example.com' }).then(
    () => {
      throw new Error('expected the import to be refused');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AccrueError);
  expect(await entryCount()).toBe(before);
  return e as AccrueError;
}

beforeAll(async () => {
  t = await createTestDatabase();
  tenant = await ensureTenant(t.db, { accountId: 'acct_ManualJournal', livemode: false });
});
afterAll(async () => t?.close());

describe('manual journal import', () => {
  it('posts balanced entries of kind manual that every report shows, with reason and author', async () => {
    const r = await importManualJournal(t.db, tenant, { csv: GOOD, author: 'ana@example.com' });
    expect(r).toMatchObject({ entries: 2, lines: 5, posted: 2, alreadyPosted: 0 });
    expect(r.keys).toEqual(['manual:adj-1', 'manual:adj-2']);
    const lines = await loadLedgerLines(t.db, tenant.id);
    expect(new Set(lines.map((l) => l.kind))).toEqual(new Set(['manual']));
    const adj1 = lines.filter((l) => l.entryKey === 'manual:adj-1');
    expect(adj1.map((l) => [l.role, l.amountMinor])).toEqual([
      ['revenue', 12000n],
      ['deferred_revenue', -12000n],
    ]);
    expect(adj1[0]!.memo).toContain('Setup fee booked as revenue twice');
    const tb = trialBalance(lines);
    expect(tb.rows.find((x) => x.role === 'fees')?.balance).toBe(350n);
    expect(tb.rows.find((x) => x.role === 'deferred_revenue')?.balance).toBe(-12000n);
    const cause = await t.db
      .selectFrom('journal_entries')
      .select(['cause', 'memo'])
      .where('tenant_id', '=', tenant.id)
      .where('idempotency_key', '=', 'manual:adj-2')
      .executeTakeFirstOrThrow();
    expect(cause.cause).toBe('manual import by ana@example.com');
    expect(cause.memo).toBe('Manual entry adj-2: Bank fee missing from Stripe');
  });

  it('treats the same file imported again (by anyone) as a no-op', async () => {
    const before = await entryCount();
    const r = await importManualJournal(t.db, tenant, { csv: GOOD, author: 'bo@example.com' });
    expect(r).toMatchObject({ entries: 2, posted: 0, alreadyPosted: 2 });
    expect(await entryCount()).toBe(before);
  });

  it('refuses a used entry_key with a different body as a conflict naming the line', async () => {
    const changed = GOOD.replace('adj-2,2026-03-15,bank,,usd,,2.00', 'adj-2,2026-03-15,bank,,usd,,2.01').replace(
      'fees,,usd,3.50',
      'fees,,usd,3.51',
    );
    const e = await refusal(changed);
    expect(e.code).toBe('conflict');
    expect(e.message).toMatch(/line 4: entry_key adj-2 was already imported/);
    expect(e.message).not.toMatch(/adj-1/);
  });

  it('names every unbalanced entry and every bad row, and writes nothing', async () => {
    const csv = [
      HEADER,
      'new-1,2026-04-02,revenue,,USD,10.00,,,Correct a typo',
      'new-1,2026-04-02,deferred_revenue,,USD,,9.00,,Correct a typo',
      'new-2,2026-04-02,revenue,,USD,5.00,,,Fine entry',
      'new-2,2026-04-02,deferred_revenue,,USD,,5.00,,Fine entry',
      'new-3,2026-04-31,revenue,,USD,1.00,,,Bad date',
      'new-3,2026-04-30,made_up,,USD,,1.00,,Bad role',
      'new-4,2026-04-02,revenue,,EUR,1.00,,,Wrong currency',
      'new-4,2026-04-02,revenue,,USD,1.00,1.00,,Both sides',
      'new-5,2026-04-02,revenue,,USD,1.005,,,Too fine',
      'new-5,2026-04-02,revenue,,USD,,-3,,x',
      'new-6,2026-04-02,revenue,Not An Account,USD,4.00,,,Named account',
      'new-6,2026-04-02,deferred_revenue,,USD,,4.00,,Named account',
    ].join('\n');
    const e = await refusal(csv);
    expect(e.code).toBe('invalid_input');
    const problems = (e.details?.problems ?? []) as { line: number; problem: string }[];
    const lines = new Set(problems.map((p) => p.line));
    expect(e.message).toMatch(/line 2: entry new-1 \(lines 2, 3\) does not balance: debits 10\.00, credits 9\.00 USD/);
    for (const l of [6, 7, 8, 9, 10, 11]) expect(lines.has(l), `line ${l}: ${e.message}`).toBe(true);
    expect(lines.has(4)).toBe(false);
    expect(e.message).toMatch(/line 6: date "2026-04-31"/);
    expect(e.message).toMatch(/line 7: account_role "made_up"/);
    expect(e.message).toMatch(/line 8: currency "EUR"/);
    expect(e.message).toMatch(/line 9: give an amount in exactly one/);
    expect(e.message).toMatch(/line 10: debit "1.005" has more than 2 decimals/);
    expect(e.message).toMatch(/line 11: credit "-3"/);
    expect(e.message).toMatch(/line 11: reason "x" is too short/);
  });

  it('names an account that does not exist only after the rows themselves pass', async () => {
    const csv = [
      HEADER,
      'new-6,2026-04-02,revenue,Not An Account,USD,4.00,,,Named account',
      'new-6,2026-04-02,deferred_revenue,,USD,,4.00,,Named account',
    ].join('\n');
    const e = await refusal(csv);
    expect(e.message).toMatch(/line 2: no account "Not An Account" with role revenue/);
  });

  it('refuses wrong columns by name, before any row', async () => {
    const e = await refusal('entry_key,date,role,currency,debit,credit,reason,colour\nx,2026-04-02,revenue,USD,1,,why');
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(/line 1: unknown column "role"/);
    expect(e.message).toMatch(/line 1: unknown column "colour"/);
    expect(e.message).toMatch(/line 1: missing column "account_role"/);
    const ragged = await refusal(`${HEADER}\nadj-9,2026-04-02,revenue,,USD,1.00`);
    expect(ragged.message).toMatch(/line 2: 6 cells where the header has 9/);
    const quote = await refusal(`${HEADER}\nadj-9,2026-04-02,revenue,,USD,1.00,,x"y,Stray quote`);
    expect(quote.message).toMatch(/line 2: not readable as CSV \(Invalid Opening Quote/);
    const empty = await refusal('');
    expect(empty.message).toMatch(/the file is empty/);
  });

  it('refuses entries dated in a closed period, naming the row, and posts none of the file', async () => {
    await closePeriod(t.db, tenant, '2026-03', 'test');
    const csv = [
      HEADER,
      'late-1,2026-04-01,revenue,,USD,1.00,,,Open period',
      'late-1,2026-04-01,deferred_revenue,,USD,,1.00,,Open period',
      'late-2,2026-03-31,revenue,,USD,1.00,,,Closed period',
      'late-2,2026-03-31,deferred_revenue,,USD,,1.00,,Closed period',
      'late-3,2025-11-30,revenue,,USD,1.00,,,Before the first period',
      'late-3,2025-11-30,deferred_revenue,,USD,,1.00,,Before the first period',
    ].join('\n');
    const e = await refusal(csv);
    expect(e.message).toMatch(
      /line 4: entry late-2 is dated 2026-03-31, in period 2026-03, and the books are closed through 2026-03/,
    );
    expect(e.message).toMatch(/line 6: entry late-3/);
    expect(e.message).not.toMatch(/late-1/);
    // Re-importing what was posted before the close is still a no-op, not a refusal.
    const again = await importManualJournal(t.db, tenant, { csv: GOOD, author: 'ana@example.com' });
    expect(again).toMatchObject({ posted: 0, alreadyPosted: 2 });
  });
});
