/**
 * Opening balances validation against what the books know of Stripe: once the books hold Stripe
 * objects (a backfill snapshot, stored facts), a row naming a customer none of them names, or an
 * invoice that belongs to another customer, is refused with its line, and nothing is imported;
 * the same file is accepted once the ids agree, a second import of it is a no-op, and a second
 * file that re-states an imported line with another amount is a conflict naming the line. The
 * stored cutover refuses another cutover date even before anything was imported under it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOpeningBalances } from '../../backend/app/imports/opening-balances.ts';
import { ensureTenant, getTenantById, updateSettings, type Tenant } from '../../backend/ledger/tenants.ts';
import { AccrueError } from '../../shared/errors.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let t: TestDatabase;
let tenant: Tenant;
const CUTOVER = '2026-04-01';
const HEADER = 'type,customer,invoice,invoice_line,currency,amount,remaining_end';

async function entries(who: Tenant): Promise<number> {
  const r = await t.db
    .selectFrom('journal_entries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', who.id)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function refused(who: Tenant, csv: string, cutover = CUTOVER): Promise<AccrueError> {
  const before = await entries(who);
  const e = await importOpeningBalances(t.db, await getTenantById(t.db, who.id), { csv, cutover, author: 'cfo' }).then(
    () => new Error('expected a refusal'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AccrueError);
  expect(await entries(who)).toBe(before);
  return e as AccrueError;
}

beforeAll(async () => {
  t = await createTestDatabase();
  tenant = await ensureTenant(t.db, { accountId: 'acct_Known', livemode: false });
  // The backfill listed two invoices of cus_K1 and one of cus_K2.
  await t.db
    .insertInto('backfill_objects')
    .values(
      [
        ['in_K1', 'cus_K1'],
        ['in_K2', 'cus_K1'],
        ['in_K3', 'cus_K2'],
      ].map(([id, customer]) => ({
        tenant_id: tenant.id,
        object_id: id!,
        object_type: 'invoice',
        invoice_id: id!,
        created: 1767225600,
        payload: JSON.stringify({ id, object: 'invoice', customer }),
      })),
    )
    .execute();
});
afterAll(async () => t?.close());

describe('opening balances against the Stripe objects the books know', () => {
  it('names unknown customers and invoices of another customer by line, and imports nothing', async () => {
    const e = await refused(
      tenant,
      [
        HEADER,
        'deferred_revenue,cus_K1,in_K1,il_1,usd,100.00,2026-06-30',
        'deferred_revenue,cus_Nobody,in_K9,il_9,usd,100.00,2026-06-30',
        'receivable,cus_K1,in_K3,,usd,50.00,',
        'customer_balance,cus_Ghost,,,usd,5.00,',
      ].join('\n'),
    );
    expect(e.code).toBe('invalid_input');
    expect(((e.details?.problems ?? []) as { line: number }[]).map((p) => p.line)).toEqual([3, 4, 5]);
    expect(e.message).toMatch(/line 3: unknown customer cus_Nobody: no Stripe object these books hold names it/);
    expect(e.message).toMatch(/line 4: invoice in_K3 belongs to cus_K2, not cus_K1/);
    expect(e.message).toMatch(/line 5: unknown customer cus_Ghost/);
  });

  it('imports the file once the ids agree; again is a no-op; a changed line is a conflict naming it', async () => {
    const good = [
      HEADER,
      'deferred_revenue,cus_K1,in_K1,il_1,usd,100.00,2026-06-30',
      'receivable,cus_K2,in_K3,,usd,50.00,',
    ].join('\n');
    const first = await importOpeningBalances(t.db, tenant, { csv: good, cutover: CUTOVER, author: 'cfo' });
    expect(first).toMatchObject({ posted: 2, alreadyPosted: 0, tiedOut: true });
    const again = await importOpeningBalances(t.db, await getTenantById(t.db, tenant.id), {
      csv: good,
      cutover: CUTOVER,
      author: 'someone else',
    });
    expect(again).toMatchObject({ posted: 0, alreadyPosted: 2 });
    const dup = await refused(tenant, good.replace('usd,100.00', 'usd,110.00'));
    expect(dup.code).toBe('conflict');
    expect(dup.message).toMatch(/line 2: opening:deferred:in_K1:il_1 was already imported/);
    expect((await getTenantById(t.db, tenant.id)).settings.cutover_date).toBe(CUTOVER);
  });

  it('refuses a cutover other than the one stored in the settings, before any row is posted', async () => {
    const other = await ensureTenant(t.db, { accountId: 'acct_KnownSet', livemode: false });
    await updateSettings(
      t.db,
      other.id,
      { ...other.settings, cutover_date: '2026-07-01' },
      other.settingsVersion,
      'test',
    );
    const e = await refused(other, `${HEADER}\ncustomer_balance,cus_A,,,usd,5.00,`);
    expect(e.code).toBe('conflict');
    expect(e.message).toMatch(/the books already start at the cutover 2026-07-01; a tenant has one cutover/);
  });
});
