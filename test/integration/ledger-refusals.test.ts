/**
 * Proves that a refusal by the ledger's own triggers, raised by real PostgreSQL, reaches a client
 * as a 4xx with a stable code (through the real HTTP error middleware) and an operator as the
 * matching exit code (through the real CLI framework), with the database's error kept as the
 * logged cause and never in the response body. No product route can make a trigger refuse — the
 * ledger checks balance, periods and reversals in code first, so the triggers are the last line —
 * so the routes and the command here write to the journal directly, as a bug or a hand-written
 * script would.
 */
import { Writable } from 'node:stream';
import express from 'express';
import { sql } from 'kysely';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryDraft } from '../../shared/journal.ts';
import { runCommand, type Command } from '../../backend/cli/framework.ts';
import { errorMiddleware } from '../../backend/http/errors.ts';
import { postEntries } from '../../backend/ledger/ledger.ts';
import { closePeriod } from '../../backend/ledger/periods.ts';
import { ensureTenant, type Tenant } from '../../backend/ledger/tenants.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { currency as currencyOf, minor } from '../../shared/money.ts';

let t: TestDatabase;
let tenant: Tenant;
const logged: Record<string, unknown>[] = [];

const sale = (invoice: string, postingDate: string, amount: bigint): EntryDraft => ({
  key: `inv:${invoice}:finalized`,
  kind: 'invoice_finalized',
  postingDate,
  memo: 'Invoice finalized',
  sources: [invoice],
  lines: [
    { role: 'receivable', amountMinor: minor(amount), currency: currencyOf('usd') },
    { role: 'deferred_revenue', amountMinor: minor(-amount), currency: currencyOf('usd') },
  ],
});

beforeAll(async () => {
  t = await createTestDatabase();
  tenant = await ensureTenant(t.db, { accountId: 'acct_refusals', livemode: false });
  await postEntries(t.db, tenant, [sale('in_r1', '2026-01-15', 5000n), sale('in_r2', '2026-02-03', 700n)]);
  await closePeriod(t.db, tenant, '2026-01', 'tester');
});
afterAll(async () => t.close());

/** Writes the journal directly, past the ledger's own checks, so a trigger has to refuse. */
const attempts: Record<string, () => Promise<unknown>> = {
  'closed-period': () =>
    sql`insert into journal_entries (tenant_id, idempotency_key, body_hash, kind, posting_date, period_key)
        values (${tenant.id}, 'sql:closed', 'x', 'manual', '2026-01-20', '2026-01')`.execute(t.db),
  'edit-posted': () => sql`update journal_lines set amount_minor = 1 where tenant_id = ${tenant.id}`.execute(t.db),
  unbalanced: () =>
    t.db.transaction().execute(async (tx) => {
      const account = await tx
        .selectFrom('accounts')
        .select('id')
        .where('tenant_id', '=', tenant.id)
        .executeTakeFirstOrThrow();
      const entry = await sql<{
        id: bigint;
      }>`insert into journal_entries (tenant_id, idempotency_key, body_hash, kind, posting_date, period_key)
        values (${tenant.id}, 'sql:unbalanced', 'x', 'manual', '2026-02-10', '2026-02') returning id`.execute(tx);
      const id = entry.rows[0]!.id;
      await sql`insert into journal_lines (entry_id, line_no, tenant_id, account_id, amount_minor, currency)
        values (${id}, 1, ${tenant.id}, ${account.id}, 100, 'usd'), (${id}, 2, ${tenant.id}, ${account.id}, -90, 'usd')`.execute(
        tx,
      );
    }),
};

function appWithErrorMiddleware(): express.Express {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const app = express();
  app.post('/attempt/:what', async (req, res, next) => {
    try {
      await attempts[req.params.what]!();
      res.status(204).end();
    } catch (e) {
      next(e);
    }
  });
  app.use(errorMiddleware(pino({ level: 'debug' }, sink)));
  return app;
}

describe('a ledger trigger refusal over HTTP', () => {
  it.each([
    ['closed-period', 409, 'period_closed', 'period 2026-01 is closed', 'AC004'],
    ['edit-posted', 409, 'append_only', 'the journal is append-only: UPDATE on journal_lines is refused', 'AC001'],
    ['unbalanced', 422, 'unbalanced_entry', 'entry sql:unbalanced does not balance: usd 10', 'AC002'],
  ])('%s answers %i with the stable code %s', async (what, status, code, message, sqlstate) => {
    logged.length = 0;
    const res = await request(appWithErrorMiddleware()).post(`/attempt/${what}`);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error: { code, message } });
    const cause = logged.find((l) => l.msg === 'request refused: cause') as
      { causes?: { code?: string; stack?: string }[] } | undefined;
    expect(cause?.causes?.[0]?.code).toBe(sqlstate);
    expect(typeof cause?.causes?.[0]?.stack).toBe('string');
  });
});

describe('a ledger trigger refusal in the CLI', () => {
  const command = (what: string): Command => ({
    name: 'attempt',
    summary: 'writes the journal directly',
    usage: 'attempt',
    run: async () => {
      await attempts[what]!();
      return 0;
    },
  });

  it('exits 4 (conflict) for a closed period, with the trigger message, and the cause at debug level', async () => {
    let stderr = '';
    const previous = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'debug';
    try {
      const code = await runCommand(
        command('closed-period'),
        [],
        () => undefined,
        (s) => void (stderr += s),
      );
      expect(code).toBe(4);
    } finally {
      if (previous === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = previous;
    }
    expect(stderr.split('\n')[0]).toBe('accrue attempt: period 2026-01 is closed');
    expect(stderr).toContain('caused by error (AC004): period 2026-01 is closed');
  });

  it('exits 2 (invalid input) for an unbalanced entry', async () => {
    let stderr = '';
    const code = await runCommand(
      command('unbalanced'),
      [],
      () => undefined,
      (s) => void (stderr += s),
    );
    expect(code).toBe(2);
    expect(stderr).toContain('does not balance');
  });
});
