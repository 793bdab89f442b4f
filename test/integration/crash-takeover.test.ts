/**
 * No stall after a crash: a real `accrue serve` is killed with SIGKILL while its tenant's inbox job
 * is active (in the middle of a drain), a new one is started and the webhooks are delivered again.
 * The dead process's job is taken over through its stale heartbeat, so every event is booked within
 * 30 seconds of the restart, and the journal equals the one an uninterrupted run books.
 *
 * Without heartbeats the killed job stays `active` until its 15-minute expiry, and the stately
 * inbox queue starts no other drain for the tenant until then: this test then times out.
 */
import { afterAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { releaseThrough } from '../../backend/app/process.ts';
import { loadLedgerLines } from '../../backend/ledger/ledger.ts';
import { ensureTenant } from '../../backend/ledger/tenants.ts';
import { toJournalCsv } from '../../shared/reports/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { deliver, eventsOf, FAKE_KEY, freshBooks, goldenLines, settle, type Books } from '../support/scenario.ts';
import { postEvent, slowProxy, startServe, type ServeProcess } from '../support/serve-process.ts';
import { startStripeFake, type StripeFake } from '../../backend/sandbox/stripe/server.ts';
import { createStripeClient } from '../../backend/stripe/client.ts';
import { createStripeReader } from '../../backend/stripe/reader.ts';
import { Jobs } from '../../backend/jobs/runner.ts';

const SCENARIOS = [
  'credit-note-after-payment-refund',
  'refund-full-with-tax',
  'uncollectible-then-paid',
  'payout-paid-then-failed',
  'discount-net',
  'invoice-voided',
];
const ACCOUNT = 'acct_golden';
/** Every event must be booked within this long after the restarted server answers /readyz. */
const TAKEOVER_DEADLINE_MS = 30_000;

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

async function until(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function counts(t: TestDatabase): Promise<{ pending: number; done: number }> {
  const rows = await t.db
    .selectFrom('stripe_events')
    .select(['status'])
    .select((eb) => eb.fn.countAll<bigint>().as('n'))
    .groupBy('status')
    .execute();
  const n = (s: string) => Number(rows.find((r) => r.status === s)?.n ?? 0);
  return { pending: n('pending'), done: n('processed') + n('ignored') + n('failed') };
}

async function activeInboxJobs(t: TestDatabase): Promise<number> {
  const r = await sql<{ n: string }>`select count(*) as n from pgboss.job
    where name = 'stripe-inbox' and state = 'active'`.execute(t.db);
  return Number(r.rows[0]!.n);
}

it('takes over a killed server’s drain within seconds and books every event once', async () => {
  const lines = goldenLines(SCENARIOS);
  const events = eventsOf(lines);
  const clean: Books = await freshBooks(lines, ACCOUNT);
  cleanup.push(() => clean.close());
  await deliver(clean, events);
  const expected = await settle(clean, '2026-12-31');

  const t = await createTestDatabase();
  cleanup.push(() => t.close());
  await ensureTenant(t.db, { accountId: ACCOUNT, livemode: false }, {});
  const fake: StripeFake = await startStripeFake({ apiKey: FAKE_KEY });
  cleanup.push(() => fake.close());
  fake.load(lines, ACCOUNT);
  // Slow Stripe reads keep the drain running long enough to be killed in the middle of it.
  const proxy = await slowProxy(fake.url, 150);
  cleanup.push(() => proxy.close());
  const env = { DATABASE_URL: t.url, STRIPE_SECRET_KEY: FAKE_KEY, STRIPE_API_BASE: proxy.url };

  const first: ServeProcess = await startServe(env);
  cleanup.push(() => first.kill9());
  for (const e of events) expect(await postEvent(first.url, e)).toBe(200);
  await until('the drain to be under way', 60_000, async () => (await activeInboxJobs(t)) > 0 && proxy.forwarded() > 3);
  await first.kill9();
  // The kill left the drain unfinished and its job claimed by a process that no longer exists.
  expect((await counts(t)).pending).toBeGreaterThan(0);
  expect(await activeInboxJobs(t)).toBe(1);

  const second = await startServe(env);
  cleanup.push(() => second.stop());
  const restarted = Date.now();
  // Stripe delivers again what it saw no answer for; here, everything.
  for (const e of events) expect(await postEvent(second.url, e)).toBe(200);
  await until(
    'every event to be booked after the restart',
    TAKEOVER_DEADLINE_MS - (Date.now() - restarted),
    async () => {
      const c = await counts(t);
      return c.pending === 0 && c.done === events.length;
    },
  );
  expect(await second.stop()).toBe(0);

  const stripe = createStripeClient({ secretKey: FAKE_KEY, apiBase: fake.url });
  const jobs = await new Jobs({ url: t.url }).start();
  cleanup.push(() => jobs.stop());
  const tenant = await ensureTenant(t.db, { accountId: ACCOUNT, livemode: false });
  await releaseThrough(
    { db: t.db, jobs, readerFor: (x) => createStripeReader(stripe, x.accountId) },
    tenant.id,
    '2026-12-31',
  );
  expect(toJournalCsv(await loadLedgerLines(t.db, tenant.id))).toBe(expected);
}, 180_000);
