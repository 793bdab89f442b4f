/**
 * Proves the inbox's group commit: deliveries that arrive while a transaction is committing share
 * the next one, every delivery is stored before its promise resolves, a bad event fails only its
 * own delivery, and a tenant's (de)authorization inside a shared transaction orders exactly as if
 * each event had been stored on its own. And invariant 8 for re-pended events: a transaction that
 * re-pends events (admin replay of one event or of a range, an exception's retry) holds the
 * tenant's inbox lock until it commits, so a drain's last look (`awaitPendingWriters`) waits for
 * it; a drain request outside a transaction refuses to run inside one, and the lock-holding one
 * refuses to run outside one.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jobs, type QueueName } from '../../backend/jobs/runner.ts';
import { findTenant } from '../../backend/ledger/tenants.ts';
import type { Tx } from '../../backend/db/database.ts';
import {
  awaitPendingWriters,
  requestDrainHoldingLock,
  requestDrainOfCommittedEvents,
} from '../../backend/inbox/drain-request.ts';
import { markDrainOutcomes } from '../../backend/inbox/drain-status.ts';
import { rependEventAndRequestDrain, rependRangeAndRequestDrain } from '../../backend/inbox/repend.ts';
import { storeEvents } from '../../backend/inbox/store.ts';
import { InboxWriter } from '../../backend/inbox/writer.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let t: TestDatabase;
let jobs: Jobs;

beforeAll(async () => {
  t = await createTestDatabase();
  jobs = await new Jobs({ url: t.url }).start();
});
afterAll(async () => {
  await jobs.stop();
  await t.close();
});

const event = (id: string, account: string, type = 'invoice.finalized', extra: Record<string, unknown> = {}) =>
  ({
    id,
    object: 'event',
    type,
    account,
    livemode: false,
    created: 1767225600,
    data: { object: { id: `in_${id}`, object: 'invoice', ...extra } },
  }) as unknown as Stripe.Event;

async function statusOf(ids: string[]): Promise<Record<string, string>> {
  const rows = await t.db.selectFrom('stripe_events').select(['id', 'status']).where('id', 'in', ids).execute();
  return Object.fromEntries(rows.map((r) => [r.id, r.status]));
}

/** Jobs that count their sends per queue (the writer's transactions each send one inbox job per tenant). */
function countingJobs(): { jobs: Jobs; sends: Map<QueueName, number> } {
  const sends = new Map<QueueName, number>();
  const counted = Object.create(jobs) as Jobs;
  counted.send = async (tx, queue, data, opts) => {
    sends.set(queue, (sends.get(queue) ?? 0) + 1);
    return jobs.send(tx, queue, data, opts);
  };
  return { jobs: counted, sends };
}

describe('InboxWriter', () => {
  it('stores deliveries that arrive during a commit together in the next transaction', async () => {
    const { jobs: counted, sends } = countingJobs();
    const writer = new InboxWriter(t.db, counted);
    const ids = Array.from({ length: 30 }, (_, i) => `evt_group_${String(i).padStart(2, '0')}`);
    const outcomes = await Promise.all(ids.map((id) => writer.store(event(id, 'acct_group'), 'webhook')));
    expect(outcomes.every((o) => o.duplicate === false && o.tenant === 'acct_group' && !o.ignored)).toBe(true);
    expect(Object.values(await statusOf(ids))).toEqual(ids.map(() => 'pending'));
    // The first delivery commits alone; the 29 that queued behind it share one transaction.
    expect(sends.get('stripe-inbox')).toBe(2);
  });

  it("bounds a shared transaction by the deliveries' size as well as their number", async () => {
    const { jobs: counted, sends } = countingJobs();
    const writer = new InboxWriter(t.db, counted, { concurrency: 1, maxBatch: 200, maxBytes: 1_000 });
    const ids = Array.from({ length: 7 }, (_, i) => `evt_bytes_${i}`);
    // The first commits alone; the next six, 400 bytes each, go two by two.
    await Promise.all(ids.map((id) => writer.store(event(id, 'acct_bytes'), 'webhook', 400)));
    expect(Object.keys(await statusOf(ids))).toHaveLength(7);
    expect(sends.get('stripe-inbox')).toBe(4);
  });

  it('answers each delivery only once its event is stored', async () => {
    const writer = new InboxWriter(t.db, jobs);
    const ids = ['evt_seen_1', 'evt_seen_2', 'evt_seen_3'];
    const seenAtAnswer = await Promise.all(
      ids.map(
        async (id) => (await writer.store(event(id, 'acct_group'), 'webhook'), Object.keys(await statusOf([id]))),
      ),
    );
    expect(seenAtAnswer).toEqual(ids.map((id) => [id]));
  });

  it('fails only the bad delivery when a shared transaction fails', async () => {
    const writer = new InboxWriter(t.db, jobs);
    const first = writer.store(event('evt_iso_0', 'acct_iso'), 'webhook');
    // A `created` beyond bigint fails the insert, and with it the transaction it shares.
    const bad = { ...event('evt_iso_bad', 'acct_iso'), created: 1e20 } as Stripe.Event;
    const batch = [
      writer.store(event('evt_iso_1', 'acct_iso'), 'webhook'),
      writer.store(bad, 'webhook'),
      writer.store(event('evt_iso_2', 'acct_iso'), 'webhook'),
    ];
    const settled = await Promise.allSettled([first, ...batch]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await statusOf(['evt_iso_0', 'evt_iso_1', 'evt_iso_bad', 'evt_iso_2'])).toEqual({
      evt_iso_0: 'pending',
      evt_iso_1: 'pending',
      evt_iso_2: 'pending',
    });
  });

  it('fails every delivery of a transaction that failed for a reason outside the data, without retrying each', async () => {
    let attempts = 0;
    const broken = Object.create(jobs) as Jobs;
    broken.send = async () => {
      attempts++;
      throw new Error('connection terminated unexpectedly');
    };
    const writer = new InboxWriter(t.db, broken);
    const ids = ['evt_down_0', 'evt_down_1', 'evt_down_2', 'evt_down_3'];
    const settled = await Promise.allSettled(ids.map((id) => writer.store(event(id, 'acct_down'), 'webhook')));
    expect(settled.map((s) => s.status)).toEqual(ids.map(() => 'rejected'));
    // One transaction for the first delivery, one shared by the three that queued behind it.
    expect(attempts).toBe(2);
    expect(await statusOf(ids)).toEqual({});
  });

  it('refuses a malformed account id for that delivery alone', async () => {
    const writer = new InboxWriter(t.db, jobs);
    const settled = await Promise.allSettled([
      writer.store(event('evt_acct_ok', 'acct_fine'), 'webhook'),
      writer.store(event('evt_acct_bad', 'not-an-account'), 'webhook'),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    expect(((settled[1] as PromiseRejectedResult).reason as { code?: string }).code).toBe('invalid_input');
  });
});

describe('storeEvents', () => {
  it('stores an event whose merchant text holds a NUL character, with U+FFFD in its place', async () => {
    const nul = event('evt_nul', 'acct_nul', 'invoice.finalized', { description: 'a\u0000b', memo: 'a\\u0000b' });
    const [outcome] = await storeEvents(t.db, jobs, [{ event: nul, source: 'webhook' }]);
    expect(outcome).toEqual({ duplicate: false, tenant: 'acct_nul' });
    const row = await t.db
      .selectFrom('stripe_events')
      .select('payload')
      .where('id', '=', 'evt_nul')
      .executeTakeFirstOrThrow();
    const object = (row.payload as { data: { object: Record<string, string> } }).data.object;
    expect(object['description']).toBe('a\ufffdb');
    // A backslash followed by "u0000" is text, not a NUL, and is kept as it was.
    expect(object['memo']).toBe('a\\u0000b');
  });

  it('stores an id given twice once, and answers the second as a duplicate', async () => {
    const outcomes = await storeEvents(t.db, jobs, [
      { event: event('evt_twice', 'acct_dup'), source: 'webhook' },
      { event: event('evt_twice', 'acct_dup'), source: 'webhook' },
      { event: { ...event('evt_platform', 'x'), account: undefined } as unknown as Stripe.Event, source: 'webhook' },
    ]);
    expect(outcomes).toEqual([
      { duplicate: false, tenant: 'acct_dup' },
      { duplicate: true, tenant: 'acct_dup' },
      { duplicate: false, ignored: 'not a connected-account event' },
    ]);
    expect(await statusOf(['evt_twice', 'evt_platform'])).toEqual({ evt_twice: 'pending' });
  });

  it('applies a deauthorization and a new authorization in order inside one transaction', async () => {
    const outcomes = await storeEvents(t.db, jobs, [
      { event: event('evt_ord_1', 'acct_order'), source: 'webhook' },
      { event: event('evt_ord_deauth', 'acct_order', 'account.application.deauthorized'), source: 'webhook' },
      { event: event('evt_ord_2', 'acct_order'), source: 'webhook' },
      { event: event('evt_other', 'acct_other'), source: 'webhook' },
    ]);
    expect(outcomes.map((o) => o.ignored ?? 'stored')).toEqual([
      'stored',
      'tenant disabled',
      'tenant disabled',
      'stored',
    ]);
    expect(await statusOf(['evt_ord_1', 'evt_ord_deauth', 'evt_ord_2', 'evt_other'])).toEqual({
      evt_ord_1: 'pending',
      evt_ord_deauth: 'ignored',
      evt_ord_2: 'ignored',
      evt_other: 'pending',
    });
    expect((await findTenant(t.db, { accountId: 'acct_order', livemode: false }))!.status).toBe('disabled');
    expect((await findTenant(t.db, { accountId: 'acct_other', livemode: false }))!.status).toBe('active');

    await storeEvents(t.db, jobs, [
      { event: event('evt_ord_auth', 'acct_order', 'account.application.authorized'), source: 'webhook' },
      { event: event('evt_ord_3', 'acct_order'), source: 'webhook' },
    ]);
    expect(await statusOf(['evt_ord_auth', 'evt_ord_3'])).toEqual({ evt_ord_auth: 'pending', evt_ord_3: 'pending' });
    expect((await findTenant(t.db, { accountId: 'acct_order', livemode: false }))!.status).toBe('active');
  });

  it('does not let a redelivered old deauthorization disable a tenant that authorized again', async () => {
    const outcomes = await storeEvents(t.db, jobs, [
      { event: event('evt_ord_deauth', 'acct_order', 'account.application.deauthorized'), source: 'webhook' },
    ]);
    expect(outcomes).toEqual([{ duplicate: true, tenant: 'acct_order' }]);
    expect((await findTenant(t.db, { accountId: 'acct_order', livemode: false }))!.status).toBe('active');
  });
});

async function storedProcessed(id: string): Promise<bigint> {
  await storeEvents(t.db, jobs, [{ event: event(id, 'acct_lock'), source: 'webhook' }]);
  await t.db
    .transaction()
    .execute((tx) => markDrainOutcomes(tx, { processed: [id], ignored: [], failed: [] }, new Date()));
  const row = await t.db
    .selectFrom('stripe_events')
    .select(['tenant_id', 'status'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  expect(row.status).toBe('processed');
  return row.tenant_id;
}

/** Runs `repend` in a transaction held open, and checks a drain's last look waits for its commit. */
async function lastLookWaitsFor(tenantId: bigint, repend: (tx: Tx) => Promise<unknown>): Promise<void> {
  let held!: () => void;
  const holding = new Promise<void>((r) => (held = r));
  let commit!: () => void;
  const gate = new Promise<void>((r) => (commit = r));
  const writer = t.db.transaction().execute(async (tx) => {
    await repend(tx);
    held();
    await gate;
  });
  await holding;
  const look = awaitPendingWriters(t.db, tenantId);
  const early = await Promise.race([
    look.then(() => 'returned'),
    new Promise((r) => setTimeout(() => r('waiting'), 300)),
  ]);
  expect(early).toBe('waiting');
  commit();
  await writer;
  await look;
}

describe('re-pending events', () => {
  it('one event: the drain’s last look waits for the re-pending transaction', async () => {
    const tenantId = await storedProcessed('evt_lock_one');
    await lastLookWaitsFor(tenantId, (tx) => rependEventAndRequestDrain(tx, jobs, 'evt_lock_one'));
    const row = await t.db
      .selectFrom('stripe_events')
      .select(['status', 'attempts'])
      .where('id', '=', 'evt_lock_one')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'pending', attempts: 0 });
  });

  it('a range: the drain’s last look waits for the re-pending transaction', async () => {
    const tenantId = await storedProcessed('evt_lock_range');
    const range = { from: 1767225600n, to: 1767225601n, statuses: ['processed'] as const };
    await lastLookWaitsFor(tenantId, (tx) => rependRangeAndRequestDrain(tx, jobs, tenantId, range, 10));
    const row = await t.db
      .selectFrom('stripe_events')
      .select('status')
      .where('id', '=', 'evt_lock_range')
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('pending');
  });

  it('an event of another tenant, or none, is not re-pended', async () => {
    const tenantId = await storedProcessed('evt_lock_other');
    const none = await t.db
      .transaction()
      .execute((tx) => rependEventAndRequestDrain(tx, jobs, 'evt_lock_other', tenantId + 1n));
    expect(none).toBeNull();
    const missing = await t.db.transaction().execute((tx) => rependEventAndRequestDrain(tx, jobs, 'evt_lock_missing'));
    expect(missing).toBeNull();
  });
});

describe('drain requests', () => {
  it('refuse the wrong context', async () => {
    await expect(t.db.transaction().execute((tx) => requestDrainOfCommittedEvents(tx, jobs, 1n))).rejects.toThrow(
      /requestDrainHoldingLock/,
    );
    await expect(requestDrainHoldingLock(t.db as unknown as Tx, jobs, 1n)).rejects.toThrow(/transaction/);
  });
});
