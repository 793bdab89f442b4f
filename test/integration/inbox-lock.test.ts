/**
 * Invariant 8 for re-pended events: a transaction that re-pends events (admin replay of one event
 * or of a range, an exception's retry) holds the tenant's inbox lock until it commits, so a drain's
 * last look (`awaitPendingWriters`) waits for it; a drain request outside a transaction refuses to
 * run inside one, and the lock-holding one refuses to run outside one.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitPendingWriters, requestDrainHoldingLock, requestDrainOfCommittedEvents } from '../../backend/inbox/drain-request.ts';
import { markDrainOutcomes } from '../../backend/inbox/drain-status.ts';
import { rependEventAndRequestDrain, rependRangeAndRequestDrain } from '../../backend/inbox/repend.ts';
import { storeEvents } from '../../backend/inbox/store.ts';
import { Jobs } from '../../backend/jobs/runner.ts';
import type { Tx } from '../../backend/db/database.ts';
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

const CREATED = 1767225600;
const event = (id: string) =>
  ({ id, object: 'event', type: 'invoice.finalized', account: 'acct_lock', livemode: false, created: CREATED, data: { object: { id: `in_${id}`, object: 'invoice' } } }) as unknown as Stripe.Event;

async function storedProcessed(id: string): Promise<bigint> {
  await storeEvents(t.db, jobs, [{ event: event(id), source: 'webhook' }]);
  await t.db.transaction().execute((tx) => markDrainOutcomes(tx, { processed: [id], ignored: [], failed: [] }, new Date()));
  const row = await t.db.selectFrom('stripe_events').select(['tenant_id', 'status']).where('id', '=', id).executeTakeFirstOrThrow();
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
  const early = await Promise.race([look.then(() => 'returned'), new Promise((r) => setTimeout(() => r('waiting'), 300))]);
  expect(early).toBe('waiting');
  commit();
  await writer;
  await look;
}

describe('re-pending events', () => {
  it('one event: the drain’s last look waits for the re-pending transaction', async () => {
    const tenantId = await storedProcessed('evt_lock_one');
    await lastLookWaitsFor(tenantId, (tx) => rependEventAndRequestDrain(tx, jobs, 'evt_lock_one'));
    const row = await t.db.selectFrom('stripe_events').select(['status', 'attempts']).where('id', '=', 'evt_lock_one').executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'pending', attempts: 0 });
  });

  it('a range: the drain’s last look waits for the re-pending transaction', async () => {
    const tenantId = await storedProcessed('evt_lock_range');
    const range = { from: BigInt(CREATED), to: BigInt(CREATED + 1), statuses: ['processed'] as const };
    await lastLookWaitsFor(tenantId, (tx) => rependRangeAndRequestDrain(tx, jobs, tenantId, range, 10));
    const row = await t.db.selectFrom('stripe_events').select('status').where('id', '=', 'evt_lock_range').executeTakeFirstOrThrow();
    expect(row.status).toBe('pending');
  });

  it('an event of another tenant, or none, is not re-pended', async () => {
    const tenantId = await storedProcessed('evt_lock_other');
    const none = await t.db.transaction().execute((tx) => rependEventAndRequestDrain(tx, jobs, 'evt_lock_other', tenantId + 1n));
    expect(none).toBeNull();
    const missing = await t.db.transaction().execute((tx) => rependEventAndRequestDrain(tx, jobs, 'evt_lock_missing'));
    expect(missing).toBeNull();
  });
});

describe('drain requests', () => {
  it('refuse the wrong context', async () => {
    await expect(t.db.transaction().execute((tx) => requestDrainOfCommittedEvents(tx, jobs, 1n))).rejects.toThrow(/requestDrainHoldingLock/);
    await expect(requestDrainHoldingLock(t.db as unknown as Tx, jobs, 1n)).rejects.toThrow(/transaction/);
  });
});
