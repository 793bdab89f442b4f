/**
 * Proves the ledger's rules against real PostgreSQL: balance per currency (in code and in the
 * database), append-only rows (UPDATE/DELETE/TRUNCATE refused by the database), idempotency keys
 * (same body → same entry, different body → conflict), closed periods (entries move to the first
 * open period as corrections, linked to their cause), audited reopen, reversal at most once, no
 * partial entry after a failure, and tenant isolation.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccrueError } from '../../shared/errors.ts';
import type { EntryDraft } from '../../shared/journal.ts';
import { loadLedgerLines, postEntries, postEntry, reverseEntry } from '../../backend/ledger/ledger.ts';
import { closePeriod, listPeriods, reopenPeriod } from '../../backend/ledger/periods.ts';
import { ensureTenant, updateSettings, type Tenant } from '../../backend/ledger/tenants.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { currency as currencyOf, minor } from '../../shared/money.ts';

let t: TestDatabase;
let tenant: Tenant;
let other: Tenant;

const sale = (key: string, date: string, amount = 12000n): EntryDraft => ({
  key,
  kind: 'invoice_finalized',
  postingDate: date,
  memo: 'Invoice finalized',
  sources: ['in_1'],
  lines: [
    { role: 'receivable', amountMinor: minor(amount), currency: currencyOf('usd') },
    { role: 'deferred_revenue', amountMinor: minor(-amount), currency: currencyOf('usd') },
  ],
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AccrueError) return e.code;
    return (e as { code?: string }).code ?? String(e);
  }
  return 'no error';
}

beforeAll(async () => {
  t = await createTestDatabase();
  tenant = await ensureTenant(t.db, { accountId: 'acct_ledger1', livemode: false });
  other = await ensureTenant(t.db, { accountId: 'acct_ledger2', livemode: false });
});
afterAll(async () => t.close());

describe('posting', () => {
  it('posts a balanced entry into its period and reads it back', async () => {
    const [e] = await postEntries(t.db, tenant, [sale('inv:in_1:finalized', '2026-01-15')]);
    expect(e!.created).toBe(true);
    expect(e!.periodKey).toBe('2026-01');
    const lines = await loadLedgerLines(t.db, tenant.id);
    expect(lines.map((l) => [l.role, l.account, l.amountMinor])).toEqual([
      ['receivable', 'Stripe Receivables', 12000n],
      ['deferred_revenue', 'Deferred Revenue', -12000n],
    ]);
  });

  it('returns the existing entry for the same key and body, and refuses a different body', async () => {
    const again = await postEntries(t.db, tenant, [sale('inv:in_1:finalized', '2026-01-15')]);
    expect(again[0]!.created).toBe(false);
    expect(await codeOf(postEntries(t.db, tenant, [sale('inv:in_1:finalized', '2026-01-15', 999n)]))).toBe('conflict');
    const count = await t.db
      .selectFrom('journal_entries')
      .select(sql<bigint>`count(*)`.as('n'))
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1n);
  });

  it('rejects unbalanced entries, unknown roles, zero and non-integer amounts, and bad dates, writing nothing', async () => {
    const unbalanced: EntryDraft = {
      ...sale('bad:1', '2026-01-20'),
      lines: [
        { role: 'receivable', amountMinor: minor(100n), currency: currencyOf('usd') },
        { role: 'deferred_revenue', amountMinor: minor(-99n), currency: currencyOf('usd') },
      ],
    };
    expect(await codeOf(postEntries(t.db, tenant, [unbalanced]))).toBe('unbalanced_entry');
    const mixed: EntryDraft = {
      ...sale('bad:2', '2026-01-20'),
      lines: [
        { role: 'receivable', amountMinor: minor(100n), currency: currencyOf('usd') },
        { role: 'deferred_revenue', amountMinor: minor(-100n), currency: currencyOf('eur') },
      ],
    };
    expect(await codeOf(postEntries(t.db, tenant, [mixed]))).toBe('unbalanced_entry');
    const unknownRole = {
      ...sale('bad:3', '2026-01-20'),
      lines: [
        { role: 'petty_cash', amountMinor: 100n, currency: 'usd' },
        { role: 'revenue', amountMinor: -100n, currency: 'usd' },
      ],
    } as unknown as EntryDraft;
    expect(await codeOf(postEntries(t.db, tenant, [unknownRole]))).toBe('unknown_account');
    const float = {
      ...sale('bad:4', '2026-01-20'),
      lines: [
        { role: 'receivable', amountMinor: 1.5, currency: 'usd' },
        { role: 'revenue', amountMinor: -1.5, currency: 'usd' },
      ],
    } as unknown as EntryDraft;
    expect(await codeOf(postEntries(t.db, tenant, [float]))).toBe('invalid_input');
    expect(await codeOf(postEntries(t.db, tenant, [sale('bad:5', '2026-02-30')]))).toBe('invalid_input');
    expect(await codeOf(postEntries(t.db, tenant, [sale('bad:6', '1776-07-04')]))).toBe('invalid_input');
    const manualUnknown: EntryDraft = {
      ...sale('bad:7', '2026-01-20'),
      lines: [
        { role: 'receivable', account: 'Nope', amountMinor: minor(5n), currency: currencyOf('usd') },
        { role: 'revenue', amountMinor: minor(-5n), currency: currencyOf('usd') },
      ],
    };
    expect(await codeOf(postEntries(t.db, tenant, [manualUnknown], { createAccounts: false }))).toBe('unknown_account');
    const keys = await t.db
      .selectFrom('journal_entries')
      .select('idempotency_key')
      .where('idempotency_key', 'like', 'bad:%')
      .execute();
    expect(keys).toEqual([]);
  });

  it('keeps a batch atomic: one bad entry leaves none of the batch', async () => {
    const err = await codeOf(
      postEntries(t.db, tenant, [sale('batch:ok', '2026-01-21'), { ...sale('batch:bad', '2026-01-21'), lines: [] }]),
    );
    expect(err).toBe('unbalanced_entry');
    const rows = await t.db
      .selectFrom('journal_entries')
      .select('id')
      .where('idempotency_key', 'like', 'batch:%')
      .execute();
    expect(rows).toEqual([]);
  });
});

describe('the database itself', () => {
  it('refuses UPDATE, DELETE and TRUNCATE of posted rows', async () => {
    expect(
      await codeOf(sql`update journal_lines set amount_minor = 1 where tenant_id = ${tenant.id}`.execute(t.db)),
    ).toBe('AC001');
    expect(await codeOf(sql`delete from journal_lines where tenant_id = ${tenant.id}`.execute(t.db))).toBe('AC001');
    expect(await codeOf(sql`update journal_entries set memo = 'x' where tenant_id = ${tenant.id}`.execute(t.db))).toBe(
      'AC001',
    );
    expect(await codeOf(sql`delete from journal_entries where tenant_id = ${tenant.id}`.execute(t.db))).toBe('AC001');
    expect(await codeOf(sql`truncate journal_lines, journal_entries`.execute(t.db))).toBe('AC001');
  });

  it('refuses an unbalanced entry inserted directly in SQL, at commit', async () => {
    const attempt = t.db.transaction().execute(async (tx) => {
      const acct = await tx
        .selectFrom('accounts')
        .select('id')
        .where('tenant_id', '=', tenant.id)
        .executeTakeFirstOrThrow();
      const e = await sql<{
        id: bigint;
      }>`insert into journal_entries (tenant_id, idempotency_key, body_hash, kind, posting_date, period_key)
        values (${tenant.id}, 'sql:unbalanced', 'x', 'manual', '2026-01-10', '2026-01') returning id`.execute(tx);
      const id = e.rows[0]!.id;
      await sql`insert into journal_lines (entry_id, line_no, tenant_id, account_id, amount_minor, currency) values (${id}, 1, ${tenant.id}, ${acct.id}, 100, 'usd'), (${id}, 2, ${tenant.id}, ${acct.id}, -90, 'usd')`.execute(
        tx,
      );
    });
    expect(await codeOf(attempt)).toBe('AC002');
    const single = t.db.transaction().execute(async (tx) => {
      await sql`insert into journal_entries (tenant_id, idempotency_key, body_hash, kind, posting_date, period_key) values (${tenant.id}, 'sql:empty', 'x', 'manual', '2026-01-10', '2026-01')`.execute(
        tx,
      );
    });
    expect(await codeOf(single)).toBe('AC002');
    const rows = await t.db
      .selectFrom('journal_entries')
      .select('id')
      .where('idempotency_key', 'like', 'sql:%')
      .execute();
    expect(rows).toEqual([]);
  });

  it('refuses adding lines to an entry posted in an earlier transaction', async () => {
    const entry = await t.db
      .selectFrom('journal_entries')
      .select('id')
      .where('idempotency_key', '=', 'inv:in_1:finalized')
      .executeTakeFirstOrThrow();
    const acct = await t.db
      .selectFrom('accounts')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    const attempt =
      sql`insert into journal_lines (entry_id, line_no, tenant_id, account_id, amount_minor, currency) values (${entry.id}, 3, ${tenant.id}, ${acct.id}, 5, 'usd'), (${entry.id}, 4, ${tenant.id}, ${acct.id}, -5, 'usd')`.execute(
        t.db,
      );
    expect(await codeOf(attempt)).toBe('AC003');
  });

  it("refuses a line pointing at another tenant's account", async () => {
    const otherAcct = await postEntries(t.db, other, [sale('other:1', '2026-01-02')]).then(() =>
      t.db.selectFrom('accounts').select('id').where('tenant_id', '=', other.id).executeTakeFirstOrThrow(),
    );
    const attempt = t.db.transaction().execute(async (tx) => {
      const e = await sql<{
        id: bigint;
      }>`insert into journal_entries (tenant_id, idempotency_key, body_hash, kind, posting_date, period_key)
        values (${tenant.id}, 'sql:cross', 'x', 'manual', '2026-01-10', '2026-01') returning id`.execute(tx);
      const id = e.rows[0]!.id;
      await sql`insert into journal_lines (entry_id, line_no, tenant_id, account_id, amount_minor, currency) values (${id}, 1, ${tenant.id}, ${otherAcct.id}, 100, 'usd'), (${id}, 2, ${tenant.id}, ${otherAcct.id}, -100, 'usd')`.execute(
        tx,
      );
    });
    expect(await codeOf(attempt)).toBe('23503');
    expect((await loadLedgerLines(t.db, other.id)).every((l) => l.entryKey === 'other:1')).toBe(true);
    expect((await loadLedgerLines(t.db, tenant.id)).some((l) => l.entryKey === 'other:1')).toBe(false);
  });

  it("refuses a line naming another tenant's entry, or an entry that does not exist", async () => {
    await postEntries(t.db, other, [sale('other:2', '2026-01-03')]);
    const acct = await t.db
      .selectFrom('accounts')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    const theirs = await t.db
      .selectFrom('journal_entries')
      .select('id')
      .where('tenant_id', '=', other.id)
      .where('idempotency_key', '=', 'other:2')
      .executeTakeFirstOrThrow();
    const max = await t.db
      .selectFrom('journal_entries')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirstOrThrow();
    for (const entryId of [theirs.id, BigInt(max.id!) + 1000n]) {
      const attempt =
        sql`insert into journal_lines (entry_id, line_no, tenant_id, account_id, amount_minor, currency) values (${entryId}, 9, ${tenant.id}, ${acct.id}, 5, 'usd'), (${entryId}, 10, ${tenant.id}, ${acct.id}, -5, 'usd')`.execute(
          t.db,
        );
      expect(await codeOf(attempt)).toBe('23503');
    }
    expect(await t.db.selectFrom('journal_lines').select('entry_id').where('line_no', '>=', 9).execute()).toEqual([]);
  });

  it('refuses a line naming an account that does not exist, and keeps accounts from being deleted or moved', async () => {
    const acct = await t.db
      .selectFrom('accounts')
      .select(['id'])
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    const max = await t.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirstOrThrow();
    const missing = t.db.transaction().execute(async (tx) => {
      const e = await sql<{
        id: bigint;
      }>`insert into journal_entries (tenant_id, idempotency_key, body_hash, kind, posting_date, period_key)
        values (${tenant.id}, 'sql:no-account', 'x', 'manual', '2026-01-10', '2026-01') returning id`.execute(tx);
      const id = e.rows[0]!.id;
      await sql`insert into journal_lines (entry_id, line_no, tenant_id, account_id, amount_minor, currency) values (${id}, 1, ${tenant.id}, ${acct.id}, 100, 'usd'), (${id}, 2, ${tenant.id}, ${BigInt(max.id!) + 1000n}, -100, 'usd')`.execute(
        tx,
      );
    });
    expect(await codeOf(missing)).toBe('23503');
    expect(await codeOf(sql`delete from accounts where id = ${acct.id}`.execute(t.db))).toBe('AC001');
    expect(await codeOf(sql`update accounts set tenant_id = ${other.id} where id = ${acct.id}`.execute(t.db))).toBe(
      'AC001',
    );
    expect(
      await codeOf(sql`update accounts set id = ${BigInt(max.id!) + 2000n} where id = ${acct.id}`.execute(t.db)),
    ).toBe('AC001');
    // Renaming and remapping stay allowed.
    await sql`update accounts set external_id = 'qbo-1' where id = ${acct.id}`.execute(t.db);
    expect(
      (await t.db.selectFrom('accounts').select('external_id').where('id', '=', acct.id).executeTakeFirstOrThrow())
        .external_id,
    ).toBe('qbo-1');
  });
});

describe('periods', () => {
  it('moves an entry dated in a closed period to the first open period as a linked correction', async () => {
    await postEntries(t.db, tenant, [sale('feb:1', '2026-02-03')]);
    await closePeriod(t.db, tenant, '2026-01', 'tester');
    expect(await codeOf(closePeriod(t.db, tenant, '2026-01', 'tester'))).toBe('conflict');
    const [late] = await postEntries(t.db, tenant, [sale('late:1', '2026-01-28', 500n)], { cause: 'evt_late' });
    expect(late).toMatchObject({ periodKey: '2026-02', postingDate: '2026-02-01', correction: true });
    const row = await t.db
      .selectFrom('journal_entries')
      .select(['original_date', 'cause', 'correction'])
      .where('idempotency_key', '=', 'late:1')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ original_date: '2026-01-28', cause: 'evt_late', correction: true });
  });

  it('refuses a direct SQL insert into a closed period', async () => {
    const attempt =
      sql`insert into journal_entries (tenant_id, idempotency_key, body_hash, kind, posting_date, period_key) values (${tenant.id}, 'sql:closed', 'x', 'manual', '2026-01-10', '2026-01')`.execute(
        t.db,
      );
    expect(await codeOf(attempt)).toBe('AC004');
  });

  it('closes in order and reopens only the latest closed period, with a reason, on record', async () => {
    expect(await codeOf(closePeriod(t.db, tenant, '2026-03', 'tester'))).toBe('conflict'); // February still open
    await closePeriod(t.db, tenant, '2026-02', 'tester');
    expect(await codeOf(reopenPeriod(t.db, tenant, '2026-01', 'tester', 'fix a typo'))).toBe('conflict');
    expect(await codeOf(reopenPeriod(t.db, tenant, '2026-02', 'tester', ''))).toBe('invalid_input');
    await reopenPeriod(t.db, tenant, '2026-02', 'auditor', 'late invoice from the field team');
    const audit = await t.db
      .selectFrom('period_audit')
      .select(['period_key', 'action', 'actor', 'reason'])
      .where('tenant_id', '=', tenant.id)
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      { period_key: '2026-01', action: 'close', actor: 'tester', reason: null },
      { period_key: '2026-02', action: 'close', actor: 'tester', reason: null },
      { period_key: '2026-02', action: 'reopen', actor: 'auditor', reason: 'late invoice from the field team' },
    ]);
    const periods = await listPeriods(t.db, tenant.id);
    expect(periods.find((p) => p.key === '2026-02')!.status).toBe('open');
  });

  it('supports 4-4-5 calendars', async () => {
    const t445 = await ensureTenant(
      t.db,
      { accountId: 'acct_fourfourfive', livemode: true },
      { period_calendar: { type: '4-4-5', fiscal_year_start: '2026-01-04' } },
    );
    const [e] = await postEntries(t.db, t445, [sale('445:1', '2026-03-01')]);
    expect(e!.periodKey).toBe('2026-P03');
    const [p] = await listPeriods(t.db, t445.id);
    expect(p).toMatchObject({ start: '2026-03-01', end: '2026-04-05' }); // P1 and P2 are four weeks from Jan 4; P3 is five
  });
});

describe('reversals', () => {
  it('reverses an entry once, with a mirror entry linked to it', async () => {
    const entry = await t.db
      .selectFrom('journal_entries')
      .select('id')
      .where('idempotency_key', '=', 'feb:1')
      .executeTakeFirstOrThrow();
    const rev = await t.db
      .transaction()
      .execute((tx) => reverseEntry(tx, tenant, entry.id, '2026-02-10', 'duplicate invoice'));
    const lines = await loadLedgerLines(t.db, tenant.id, { entryKeyPrefix: 'reversal:feb:1' });
    expect(lines.map((l) => l.amountMinor)).toEqual([-12000n, 12000n]);
    expect(lines[0]!.reversesEntryId).toBe(entry.id.toString());
    expect(rev.created).toBe(true);
    expect(
      await codeOf(t.db.transaction().execute((tx) => reverseEntry(tx, tenant, entry.id, '2026-02-11', 'again'))),
    ).toBe('conflict');
    // Even a hand-written second reversal is refused by the unique constraint.
    const direct =
      sql`insert into journal_entries (tenant_id, idempotency_key, body_hash, kind, posting_date, period_key, reverses_entry_id) values (${tenant.id}, 'sql:rev2', 'x', 'reversal', '2026-02-12', '2026-02', ${entry.id})`.execute(
        t.db,
      );
    expect(await codeOf(direct)).toBe('23505');
  });
});

describe('settings', () => {
  it('versions settings changes and refuses a stale version', async () => {
    const next = await updateSettings(
      t.db,
      tenant.id,
      { ...tenant.settings, amortization: 'by_day' },
      tenant.settingsVersion,
      'usr_1',
    );
    expect(next.settingsVersion).toBe(tenant.settingsVersion + 1);
    expect(next.settings.amortization).toBe('by_day');
    expect(await codeOf(updateSettings(t.db, tenant.id, { ...tenant.settings }, tenant.settingsVersion, 'usr_2'))).toBe(
      'conflict',
    );
  });
});

describe('concurrency', () => {
  it('two transactions posting the same key concurrently produce one entry', async () => {
    const d = sale('race:1', '2026-02-14', 700n);
    const results = await Promise.all([postEntries(t.db, tenant, [d]), postEntries(t.db, tenant, [d])]);
    expect(results.map((r) => r[0]!.created).sort()).toEqual([false, true]);
    const n = await t.db
      .selectFrom('journal_entries')
      .select(sql<bigint>`count(*)`.as('n'))
      .where('idempotency_key', '=', 'race:1')
      .executeTakeFirstOrThrow();
    expect(n.n).toBe(1n);
  });

  it('posts inside the caller transaction, so a rollback leaves nothing', async () => {
    await t.db
      .transaction()
      .execute(async (tx) => {
        await postEntry(tx, tenant, sale('rollback:1', '2026-02-15'));
        throw new Error('crash after writing');
      })
      .catch(() => undefined);
    const rows = await t.db
      .selectFrom('journal_entries')
      .select('id')
      .where('idempotency_key', '=', 'rollback:1')
      .execute();
    expect(rows).toEqual([]);
  });
});
