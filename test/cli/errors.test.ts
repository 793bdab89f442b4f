/**
 * Proves that no command prints a stack trace for bad input or an upstream fault: every command
 * is run on real books with impossible dates (2026-02-30), bad periods, unwritable and missing
 * output paths, unknown and malformed tenants, periods closed out of order or ahead of today, and
 * (for sync and reconcile) QuickBooks answering with server errors and refused tokens. Each must
 * fail with exactly one line on stderr, `accrue <command>: …`, no "    at " stack line, and the
 * exit code framework.ts documents for the failure. Import, approvals, rules and admin likewise
 * refuse impossible dates, missing files, unknown tenants and bad values. Also: `period reopen
 * --reason x` is accepted.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qboServices } from '../../backend/app/qbo-sync.ts';
import { main } from '../../backend/cli/main.ts';
import { loadConfig } from '../../backend/config/config.ts';
import { closePeriod, listPeriods } from '../../backend/ledger/periods.ts';
import { configureOAuthRetries } from '../../backend/qbo/oauth.ts';
import { startFakeQbo, type FakeQbo } from '../../backend/sandbox/qbo/server.ts';
import { ROLE_INFO, type AccountRole } from '../../shared/accounts.ts';
import { deliver, eventsOf, freshBooks, goldenLines, settle, type Books } from '../support/scenario.ts';

/** The golden scenarios' events are for this account. */
const ACCOUNT = 'acct_golden';
const T = ['--tenant', ACCOUNT];
const UNKNOWN = ['--tenant', 'acct_doesNotExist'];
const CLIENT = {
  clientId: 'accrue-cli-client',
  clientSecret: 'accrue-cli-secret',
  redirectUris: ['http://127.0.0.1/oauth/qbo/callback'],
};
/** Exit codes from backend/cli/framework.ts. */
const EXIT = { invalid: 2, notFound: 3, conflict: 4, notConfigured: 5, upstream: 6 } as const;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

/** Runs a command that must fail: one line, no stack, the documented exit code. */
async function refused(argv: string[], code: number, message?: RegExp): Promise<string> {
  const r = await run(argv);
  const label = argv.join(' ');
  expect(r.err, label).not.toMatch(/^\s+at /m);
  expect(r.err.trimEnd().split('\n'), label).toHaveLength(1);
  expect(r.err, label).toMatch(new RegExp(`^accrue ${argv[0]}: `));
  if (message) expect(r.err, label).toMatch(message);
  expect(r.code, `${label}: ${r.err}`).toBe(code);
  return r.err;
}

const dir = mkdtempSync(join(tmpdir(), 'accrue-cli-errors-'));
chmodSync(dir, 0o755);
const aFile = join(dir, 'a-file.txt');
writeFileSync(aFile, 'not a folder');
const events = join(dir, 'events.jsonl');
writeFileSync(
  events,
  `${JSON.stringify({ id: 'evt_1', object: 'event', type: 'invoice.finalized', account: 'acct_x', livemode: false, created: 1767225600, data: { object: { id: 'in_1', object: 'invoice' } } })}\n`,
);

let b: Books;
let fake: FakeQbo;
let realmId: string;
const saved = { ...process.env };

beforeAll(async () => {
  b = await freshBooks(goldenLines(['annual-monthly-even', 'refund-full-with-tax']), ACCOUNT);
  await deliver(b, eventsOf(goldenLines(['annual-monthly-even', 'refund-full-with-tax'])));
  await settle(b, '2026-06-30');
  configureOAuthRetries({ retryDelay_ms: 1, maxRetries: 0 });
  fake = await startFakeQbo();
  fake.registerApp(CLIENT);
  realmId = fake.createRealm({ companyName: 'CLI errors' });
  const env = {
    DATABASE_URL: b.t.url,
    LOG_LEVEL: 'silent',
    QBO_CLIENT_ID: CLIENT.clientId,
    QBO_CLIENT_SECRET: CLIENT.clientSecret,
    QBO_REDIRECT_URI: CLIENT.redirectUris[0]!,
    QBO_API_BASE: fake.url,
    QBO_OAUTH_BASE: fake.url,
    ACCRUE_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
  };
  Object.assign(process.env, env);
  // Connect QuickBooks and map every ledger account, as the App's onboarding would.
  const qbo = qboServices(loadConfig(process.env), b.t.db)!;
  fake.setAuthorizeOutcome({ realmId });
  const consent = await fetch(qbo.oauth.authorizationUrl(b.tenant.id.toString()).url, { redirect: 'manual' });
  await qbo.oauth.handleCallback(consent.headers.get('location')!);
  const accounts = await b.t.db.selectFrom('accounts').select(['id', 'role', 'name']).execute();
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
}, 120_000);

afterAll(async () => {
  process.env = saved;
  await fake?.close();
  await b?.close();
});

describe('every command refuses bad input in one line with its exit code', () => {
  it('refuses dates that are not calendar days, and malformed periods', async () => {
    await refused(['release', ...T, '--through', '2026-02-30'], EXIT.invalid, /2026-02-30 is not a calendar date/);
    await refused(['release', ...T, '--through', '30/01/2026'], EXIT.invalid, /YYYY-MM-DD/);
    await refused(['release', ...T, '--through', '2099-12-31'], EXIT.invalid, /after today/);
    await refused(['replay', events, '--out', join(dir, 'out'), '--through', '2026-02-30'], EXIT.invalid);
    await refused(['backfill', ...T, '--since', '2026-02-30'], EXIT.invalid);
    await refused(['period', 'close', '2026-02-30', ...T], EXIT.invalid, /not a calendar date/);
    await refused(['period', 'close', '2026-13', ...T], EXIT.invalid, /YYYY-MM/);
    await refused(['period', 'reopen', '2026-00', ...T, '--reason', 'typo'], EXIT.invalid);
    await refused(['report', 'journal', ...T, '--period', '2026-13'], EXIT.invalid);
    await refused(['sync', ...T, '--period', '2026-02-30'], EXIT.invalid);
  });

  it('refuses output paths that cannot be written, before any work', async () => {
    await refused(
      ['export', 'hledger', ...T, '--out', join(dir, 'missing', 'books.journal')],
      EXIT.invalid,
      /does not exist/,
    );
    await refused(['export', 'csv', ...T, '--out', join(aFile, 'books.csv')], EXIT.invalid, /not a folder/);
    await refused(['export', 'beancount', ...T, '--out', dir], EXIT.invalid, /is a folder/);
    await refused(['replay', events, '--out', join(aFile, 'out')], EXIT.invalid, /cannot/);
    await refused(['replay', events, '--out', aFile], EXIT.invalid, /not a folder/);
  });

  it('names an unknown tenant as not found, and a malformed one as invalid', async () => {
    for (const argv of [
      ['report', 'trial-balance'],
      ['export', 'hledger'],
      ['release', '--through', '2026-01-31'],
      ['period', 'list'],
      ['period', 'close', '2026-01'],
      ['sync'],
      ['reconcile'],
    ])
      await refused([...argv, ...UNKNOWN], EXIT.notFound, /no books for acct_doesNotExist.*accrue tenants/);
    await refused(['report', 'journal', '--tenant', 'bogus'], EXIT.invalid, /not a Stripe account id/);
    await refused(['backfill', '--tenant', 'bogus'], EXIT.notConfigured, /STRIPE_SECRET_KEY/);
    await refused(['report', 'journal', ...T, '--period', '1999-01'], EXIT.notFound, /no period 1999-01/);
  });

  it('prints the cockpit reports (metrics, rpo, revenue) and refuses a bad --as-of', async () => {
    // Reports print to the process's stdout.
    const printed = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out += String(chunk);
        return true;
      });
      try {
        const r = await run(argv);
        return { ...r, out };
      } finally {
        spy.mockRestore();
      }
    };
    for (const kind of ['metrics', 'rpo', 'revenue']) {
      const r = await printed(['report', kind, ...T]);
      expect(r.code, `${kind}: ${r.err}`).toBe(0);
      expect(r.out.trim().length, kind).toBeGreaterThan(0);
      expect(r.err).not.toMatch(/ {4}at /);
    }
    expect((await printed(['report', 'metrics', ...T])).out).toMatch(/MRR/);
    const json = await printed(['report', 'revenue', ...T, '--format', 'json']);
    expect(JSON.parse(json.out)).toMatchObject({ type: 'revenue_bridge' });
    await refused(['report', 'rpo', ...T, '--as-of', '2026-02-30'], EXIT.invalid, /2026-02-30/);
  });

  it('closes periods only in order and never ahead of today; reopens with any reason', async () => {
    const periods = await listPeriods(b.t.db, b.tenant.id);
    expect(periods.length).toBeGreaterThan(2);
    const [first, , third] = periods.map((p) => p.key);
    await refused(['period', 'close', '2030-01', ...T], EXIT.conflict, /has not begun/);
    await refused(['period', 'close', third!, ...T], EXIT.conflict, new RegExp(`close ${first} before ${third}`));
    expect((await run(['period', 'close', first!, ...T])).code).toBe(0);
    await refused(['period', 'close', first!, ...T], EXIT.conflict, /already closed/);
    const reopened = await run(['period', 'reopen', first!, ...T, '--reason', 'x']);
    expect(reopened.err).toBe('');
    expect(reopened.code).toBe(0);
    await refused(['period', 'reopen', first!, ...T, '--reason', 'x'], EXIT.conflict, /not closed/);
  });

  it('refuses, in the ledger itself (so every API too), to close past months without activity', async () => {
    // Years later, so that "not begun" does not apply; every period with activity closes first.
    const later = Date.parse('2031-06-15T00:00:00Z');
    const periods = await listPeriods(b.t.db, b.tenant.id);
    for (const p of periods) if (p.status === 'open') await closePeriod(b.t.db, b.tenant, p.key, 'tester', later);
    const last = periods.at(-1)!.key;
    const [y, m] = last.split('-').map(Number) as [number, number];
    const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    // The months between the last closed one and 2030-01 have no rows, and are open all the same.
    const err = await closePeriod(b.t.db, b.tenant, '2030-01', 'tester', later).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'conflict' });
    expect(String((err as Error).message)).toBe(`close ${next} before 2030-01: periods close in order`);
    const ahead = await closePeriod(b.t.db, b.tenant, '2031-07', 'tester', later).catch((e: unknown) => e);
    expect(ahead).toMatchObject({ code: 'conflict' });
    expect(String((ahead as Error).message)).toMatch(/2031-07 has not begun \(today is 2031-06-15\)/);
  });

  it('refuses bad values of the other commands', async () => {
    await refused(['demo', '--customers', 'many'], EXIT.invalid);
    await refused(['demo', '--port', '99999'], EXIT.invalid);
    await refused(['serve', '--port', '-1'], EXIT.invalid);
    await refused(['admin', 'revoke-key', 'nope'], EXIT.invalid);
    await refused(['replay', join(dir, 'no-such.jsonl'), '--out', join(dir, 'out2')], EXIT.invalid, /cannot read/);
  });
});

describe('import, approvals, rules and admin refuse bad input in one line too', () => {
  const csv = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const journal = (date: string) =>
    csv(
      `journal-${date}.csv`,
      `entry_key,date,account_role,currency,debit,credit,reason\nj1,${date},revenue,usd,10.00,,test\nj1,${date},deferred_revenue,usd,,10.00,test\n`,
    );

  it('refuses impossible dates, missing files and unknown tenants when importing', async () => {
    await refused(['import', 'journal', journal('2026-02-30'), ...T], EXIT.invalid, /2026-02-30/);
    await refused(['import', 'journal', join(dir, 'no-such.csv'), ...T], EXIT.invalid, /no-such\.csv/);
    await refused(['import', 'journal', journal('2026-03-31'), ...UNKNOWN], EXIT.notFound, /acct_doesNotExist/);
    const opening = csv('opening.csv', 'type,customer,currency,amount\nreceivable,cus_1,usd,10.00\n');
    await refused(['import', 'opening-balances', opening, '--cutover', '2026-02-30', ...T], EXIT.invalid, /2026-02-30/);
    await refused(['import', 'ledger', opening, ...T], EXIT.invalid);
  });

  it('refuses unknown tenants, statuses and requests in approvals', async () => {
    await refused(['approvals', 'list', ...UNKNOWN], EXIT.notFound, /acct_doesNotExist/);
    await refused(['approvals', 'list', ...T, '--status', 'someday'], EXIT.invalid, /--status must be pending/);
    await refused(['approvals', 'approve', '999999', ...T, '--as', 'ann'], EXIT.notFound);
    await refused(['approvals', 'reject', '999999', ...T, '--as', 'ann'], EXIT.invalid, /note/);
  });

  it('refuses unknown tenants and unreadable rule files in rules, and bad key roles in admin', async () => {
    await refused(['rules', 'list', ...UNKNOWN], EXIT.notFound, /acct_doesNotExist/);
    await refused(['rules', 'preview', join(dir, 'no-rules.json'), ...T], EXIT.invalid, /no-rules\.json/);
    await refused(['rules', 'preview', csv('rules.json', '{"rules": [oops'), ...T], EXIT.invalid);
    await refused(['admin', 'create-key', '--name', 'ann', '--role', 'owner'], EXIT.invalid, /--role must be viewer/);
  });
});

describe('configuration faults', () => {
  it('names a bad or unreachable database in one line', async () => {
    const url = process.env.DATABASE_URL;
    try {
      process.env.DATABASE_URL = 'mysql://localhost/books';
      await refused(['tenants'], EXIT.invalid, /DATABASE_URL must start with postgres/);
      process.env.DATABASE_URL = 'postgres://postgres@127.0.0.1:1/accrue';
      for (const argv of [['tenants'], ['migrate'], ['worker'], ['admin', 'list-keys'], ['report', 'journal', ...T]])
        await refused(argv, EXIT.upstream, /cannot connect to 127\.0\.0\.1:1/);
    } finally {
      process.env.DATABASE_URL = url;
    }
  });
});

describe('QuickBooks faults', () => {
  it('reports a QuickBooks outage during sync and reconcile in one line, as an upstream failure', async () => {
    fake.injectFault(realmId, { kind: 'status', status: 503, times: 10_000 });
    await refused(['sync', ...T], EXIT.upstream, /QuickBooks/);
    await refused(['reconcile', ...T], EXIT.upstream, /QuickBooks/);
  }, 60_000);
});
