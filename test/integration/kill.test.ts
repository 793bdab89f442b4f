/**
 * Proves that killing a worker process with SIGKILL in the middle of a batch loses and
 * duplicates nothing: every event ends processed exactly once and the journal equals the one an
 * uninterrupted run books.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { drainInbox } from '../../backend/app/process.ts';
import { deliver, eventsOf, FAKE_KEY, freshBooks, goldenLines, settle, type Books } from '../support/scenario.ts';

const SCENARIOS = [
  'credit-note-after-payment-refund',
  'refund-full-with-tax',
  'uncollectible-then-paid',
  'payout-paid-then-failed',
  'discount-net',
  'invoice-voided',
];
const open: Books[] = [];
afterAll(async () => {
  for (const b of open) await b.close();
});

it('loses and duplicates nothing when the worker is killed mid-batch', async () => {
  const lines = goldenLines(SCENARIOS);
  const events = eventsOf(lines);
  const clean = await freshBooks(lines, 'acct_golden');
  open.push(clean);
  await deliver(clean, events);
  const expected = await settle(clean, '2026-12-31');

  const b = await freshBooks(lines, 'acct_golden');
  open.push(b);
  await deliver(b, events);
  const root = join(import.meta.dirname, '..', '..');
  const child = spawn(
    process.execPath,
    [join(root, 'bin', 'run-ts.js'), join(root, 'test', 'support', 'worker-child.ts')],
    {
      env: {
        ...process.env,
        DATABASE_URL: b.t.url,
        STRIPE_SECRET_KEY: FAKE_KEY,
        STRIPE_API_BASE: b.fake.url,
        READER_DELAY_MS: '60',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const processedCount = async () => {
    const r = await b.t.db
      .selectFrom('stripe_events')
      .select((eb) => eb.fn.countAll<bigint>().as('n'))
      .where('status', '=', 'processed')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  };
  const deadline = Date.now() + 60_000;
  while ((await processedCount()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const atKill = await processedCount();
  expect(atKill).toBeGreaterThanOrEqual(3);
  expect(atKill).toBeLessThan(events.length); // the kill landed mid-batch

  await drainInbox(b.deps, b.tenant.id);
  expect(await processedCount()).toBe(events.length);
  expect(await settle(b, '2026-12-31')).toBe(expected);
});
