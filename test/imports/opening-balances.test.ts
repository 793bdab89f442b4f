/**
 * Cutover imports: opening balances post one entry per row dated the day before the cutover, tie
 * out against the ledger, and a repeated import is a no-op; every bad row (wrong columns, unknown
 * types, ids that are not Stripe's, negative or pre-cutover remaining periods, duplicates) is
 * named by its line and nothing is written; a cutover that is not a period's first day, one after
 * Stripe history was booked, or a second cutover date, is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOpeningBalances } from '../../backend/app/imports/opening-balances.ts';
import { loadLedgerLines, postEntries } from '../../backend/ledger/ledger.ts';
import { ensureTenant, type Tenant } from '../../backend/ledger/tenants.ts';
import { AccrueError } from '../../shared/errors.ts';
import { currency, minor } from '../../shared/money.ts';
import { rollforward, trialBalance } from '../../shared/reports/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let t: TestDatabase;
let tenant: Tenant;

const HEADER = 'type,customer,invoice,invoice_line,currency,amount,remaining_start,remaining_end,revenue_account,memo';
const GOOD = [
  HEADER,
  'deferred_revenue,cus_A,in_A1,il_A1a,USD,600.00,,2026-09-30,Revenue: Pro,annual plan',
  'deferred_revenue,cus_A,in_A1,il_A1b,USD,"1,200.00",2026-05-01,2027-04-30,,',
  'deferred_revenue,cus_B,in_B1,il_B1,usd,99.99,,2026-04-30,,',
  'receivable,cus_B,in_B1,,usd,99.99,,,,unpaid at the cutover',
  'customer_balance,cus_C,,,usd,25.00,,,,credit from a refund',
].join('\n');
const CUTOVER = '2026-04-01';

async function entryCount(who: Tenant = tenant): Promise<number> {
  const r = await t.db
    .selectFrom('journal_entries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', who.id)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function refusal(csv: string, cutover = CUTOVER, who: Tenant = tenant): Promise<AccrueError> {
  const before = await entryCount(who);
  const e = await importOpeningBalances(t.db, who, { csv, cutover, author: 'cfo@example.com' }).then(
    () => {
      throw new Error('expected the import to be refused');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AccrueError);
  expect(await entryCount(who)).toBe(before);
  return e as AccrueError;
}

beforeAll(async () => {
  t = await createTestDatabase();
  tenant = await ensureTenant(t.db, { accountId: 'acct_Cutover', livemode: false });
});
afterAll(async () => t?.close());

describe('opening balances import', () => {
  it('posts one entry per row the day before the cutover and ties out against the ledger', async () => {
    const r = await importOpeningBalances(t.db, tenant, { csv: GOOD, cutover: CUTOVER, author: 'cfo@example.com' });
    expect(r).toMatchObject({ cutover: CUTOVER, rows: 5, posted: 5, alreadyPosted: 0, tiedOut: true });
    expect(r.tieOut).toEqual([
      expect.objectContaining({ type: 'deferred_revenue', rows: 3, importedMinor: '189999', agree: true }),
      expect.objectContaining({ type: 'receivable', rows: 1, importedMinor: '9999', ledgerBalanceMinor: '9999' }),
      expect.objectContaining({ type: 'customer_balance', rows: 1, openingEntriesMinor: '2500', agree: true }),
    ]);
    const lines = await loadLedgerLines(t.db, tenant.id);
    expect(new Set(lines.map((l) => l.postingDate))).toEqual(new Set(['2026-03-31']));
    const il = lines.filter((l) => l.entryKey === 'opening:deferred:in_A1:il_A1b');
    expect(il.map((l) => [l.role, l.account, l.amountMinor, l.customer, l.invoice, l.invoiceLine])).toEqual([
      ['deferred_revenue', 'Deferred Revenue', -120000n, 'cus_A', 'in_A1', 'il_A1b'],
      ['external_asset', 'Opening Balances', 120000n, 'cus_A', 'in_A1', 'il_A1b'],
    ]);
    expect(il[0]!.memo).toContain('releases 2026-05-01 to 2027-04-30');
    const tb = trialBalance(lines);
    expect(tb.rows.find((x) => x.role === 'receivable')?.balance).toBe(9999n);
    expect(tb.rows.find((x) => x.role === 'customer_balance')?.balance).toBe(-2500n);
    expect(tb.rows.find((x) => x.account === 'Opening Balances')?.balance).toBe(189999n + 2500n - 9999n);
    // The first period of the books opens with the imported deferred revenue.
    const rf = rollforward(lines, { periods: ['2026-04'] });
    const deferred = rf.rows.find((x) => x.role === 'deferred_revenue');
    expect(deferred).toMatchObject({ period: '2026-04', opening: 189999n, closing: 189999n, tiesOut: true });
  });

  it('treats a repeated import as a no-op that still ties out', async () => {
    const before = await entryCount();
    const r = await importOpeningBalances(t.db, tenant, { csv: GOOD, cutover: CUTOVER, author: 'someone@example.com' });
    expect(r).toMatchObject({ posted: 0, alreadyPosted: 5, tiedOut: true });
    expect(await entryCount()).toBe(before);
  });

  it('refuses a changed row of an imported invoice as a conflict naming its line', async () => {
    const e = await refusal(GOOD.replace('usd,99.99,,,,unpaid', 'usd,98.99,,,,unpaid'));
    expect(e.code).toBe('conflict');
    expect(e.message).toMatch(/line 5: opening:receivable:in_B1 was already imported/);
  });

  it('lists every bad row with its line and imports nothing', async () => {
    const other = await ensureTenant(t.db, { accountId: 'acct_CutoverBad', livemode: false });
    const csv = [
      HEADER,
      'deferred_revenue,cus_D,in_D1,il_D1,usd,10.00,,2026-06-30,,',
      'deferred_revenue,cus_D,in_D1,il_D2,usd,10.00,2026-06-01,2026-05-31,,',
      'deferred_revenue,cus_D,in_D1,il_D3,usd,10.00,2026-03-01,2026-05-31,,',
      'deferred_revenue,cus_D,in_D1,,usd,10.00,,2026-05-31,,',
      'deferred_revenue,cus_D,in_D1,il_D1,usd,10.00,,2026-06-30,,',
      'receivable,customer-9,in_D2,,usd,5.00,,2026-05-31,,',
      'receivable,cus_D,,,usd,-5.00,,,,',
      'prepaid,cus_D,,,usd,5.00,,,,',
      'customer_balance,cus_D,,,eur,5.00,,,,',
    ].join('\n');
    const e = await refusal(csv, CUTOVER, other);
    const lines = ((e.details?.problems ?? []) as { line: number }[]).map((p) => p.line);
    expect(new Set(lines)).toEqual(new Set([3, 4, 5, 6, 7, 8, 9, 10]));
    expect(e.message).toMatch(
      /line 3: the remaining period is negative: remaining_end 2026-05-31 is before its start 2026-06-01/,
    );
    expect(e.message).toMatch(/line 4: remaining_start 2026-03-01 is before the cutover 2026-04-01/);
    expect(e.message).toMatch(/line 5: invoice_line is empty/);
    expect(e.message).toMatch(/line 6: the same deferred revenue as line 2/);
    expect(e.message).toMatch(/line 7: customer "customer-9" is not a Stripe customer id/);
    expect(e.message).toMatch(/line 7: remaining_end is only for deferred_revenue rows/);
    expect(e.message).toMatch(/line 8: invoice is empty/);
    expect(e.message).toMatch(/line 8: amount "-5.00" is not a non-negative amount/);
    expect(e.message).toMatch(/line 9: type "prepaid" is not one of/);
    expect(e.message).toMatch(/line 10: currency "eur"/);
  });

  it('refuses wrong columns, a cutover that does not open a period, and a second cutover date', async () => {
    const cols = await refusal('type,customer,amount,colour\ndeferred_revenue,cus_A,1,red');
    expect(cols.message).toMatch(/line 1: unknown column "colour"/);
    expect(cols.message).toMatch(/line 1: missing column "currency"/);
    const fresh = await ensureTenant(t.db, { accountId: 'acct_CutoverMid', livemode: false });
    const mid = await refusal(GOOD, '2026-04-15', fresh);
    expect(mid.message).toMatch(
      /the cutover 2026-04-15 is not the first day of a period \(2026-04 starts 2026-04-01\)/,
    );
    const second = await refusal(`${HEADER}\ncustomer_balance,cus_Z,,,usd,1.00,,,,`, '2026-05-01');
    expect(second.message).toMatch(/already imported for a cutover on 2026-04-01; a tenant has one cutover/);
  });

  it('refuses a cutover after Stripe history was booked before it', async () => {
    const booked = await ensureTenant(t.db, { accountId: 'acct_CutoverBooked', livemode: false });
    await postEntries(t.db, booked, [
      {
        key: 'inv:in_old:finalized',
        kind: 'invoice_finalized',
        postingDate: '2026-02-10',
        memo: 'an invoice booked from Stripe',
        sources: ['in_old'],
        lines: [
          { role: 'receivable', amountMinor: minor(100n), currency: currency('usd') },
          { role: 'deferred_revenue', amountMinor: minor(-100n), currency: currency('usd') },
        ],
      },
    ]);
    const e = await refusal(GOOD, CUTOVER, booked);
    expect(e.message).toMatch(/already holds 1 entries booked from Stripe before the cutover 2026-04-01/);
  });
});

describe('release of imported deferred revenue', () => {
  it('spreads each opening line over its remaining period, period by period, once', async () => {
    const { releaseOpeningSchedules } = await import('../../backend/app/imports/opening-release.ts');
    const sumOf = async (role: string, account?: string) =>
      (await loadLedgerLines(t.db, tenant.id))
        .filter((l) => l.role === role && (account === undefined || l.account === account))
        .reduce((s, l) => s + l.amountMinor, 0n);
    // April: il_B1 (to 2026-04-30) fully, il_A1a (to 2026-09-30) in part, il_A1b (from 2026-05-01) not yet.
    expect(await releaseOpeningSchedules(t.db, tenant, '2026-04-30')).toBe(2);
    const april = (await loadLedgerLines(t.db, tenant.id)).filter((l) => l.entryKey.startsWith('rec:opening:'));
    expect([...new Set(april.map((l) => l.entryKey))].sort()).toEqual([
      'rec:opening:in_A1:il_A1a:2026-04',
      'rec:opening:in_B1:il_B1:2026-04',
    ]);
    expect(april.every((l) => l.postingDate === '2026-04-30' && l.kind === 'recognition')).toBe(true);
    const b1 = april.filter((l) => l.invoiceLine === 'il_B1' && l.role === 'revenue');
    expect(b1.map((l) => l.amountMinor)).toEqual([-9999n]);
    const a1a = april.find((l) => l.invoiceLine === 'il_A1a' && l.role === 'revenue')!;
    expect(a1a.account).toBe('Revenue: Pro');
    expect(-a1a.amountMinor).toBeGreaterThan(0n);
    expect(-a1a.amountMinor).toBeLessThan(60000n / 5n);
    expect(await releaseOpeningSchedules(t.db, tenant, '2026-04-30')).toBe(0);
    // Once every remaining period has ended, all the imported deferred revenue is revenue.
    await releaseOpeningSchedules(t.db, tenant, '2027-04-30');
    expect(await sumOf('deferred_revenue')).toBe(0n);
    expect(await sumOf('revenue')).toBe(-189999n);
    expect(await sumOf('revenue', 'Revenue: Pro')).toBe(-60000n);
  });
});
