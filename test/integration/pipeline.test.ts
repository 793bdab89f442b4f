/**
 * Proves the Stripe-in pipeline on real PostgreSQL with the Stripe API fake: a multi-month stream
 * delivered shuffled and with duplicates books exactly the journal of the in-order delivery; a
 * backfill of the same account (no events at all) books the same journal; events after a tenant
 * deauthorizes are kept but not booked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKFILL_RESOURCES, runBackfill } from '../../backend/app/backfill.ts';
import { drainInbox } from '../../backend/app/process.ts';
import { loadLedgerLines } from '../../backend/ledger/ledger.ts';
import { findTenant } from '../../backend/ledger/tenants.ts';
import { requestDrainHoldingLock } from '../../backend/inbox/drain-request.ts';
import { storeEvent } from '../../backend/inbox/store.ts';
import { deliver, eventsOf, freshBooks, goldenLines, prng, settle, type Books } from '../support/scenario.ts';

// Scenarios that share the default settings, one account, no overlapping ids: together a
// multi-month stream with payments, refunds (full, failed), credit notes before and after
// payment, a void, a write-off later paid, out-of-band payment, payouts and a one-time charge.
const BACKFILLABLE = [
  'credit-note-after-payment-refund',
  'credit-note-before-payment',
  'invoice-voided',
  'one-time-charge-refund',
  'paid-out-of-band',
  'payout-paid-then-failed',
  'refund-failed',
  'refund-full-with-tax',
  'uncollectible-then-paid',
  'discount-net',
  'proration-unbilled-then-invoiced',
];
const STREAM = BACKFILLABLE;
const ACCOUNT = 'acct_golden';
const THROUGH = '2026-12-31';

const open: Books[] = [];
async function books(lines: Record<string, unknown>[]): Promise<Books> {
  const b = await freshBooks(lines, ACCOUNT);
  open.push(b);
  return b;
}
afterAll(async () => {
  for (const b of open) await b.close();
});

describe('delivery order and duplicates', () => {
  const lines = goldenLines(STREAM);
  const events = eventsOf(lines);
  let inOrder = '';

  beforeAll(async () => {
    const b = await books(lines);
    await deliver(b, events);
    inOrder = await settle(b, THROUGH);
  });

  it('books something for every scenario', () => {
    expect(events.length).toBeGreaterThan(25);
    expect(inOrder.split('\n').length).toBeGreaterThan(60);
  });

  it('an event arriving mid-drain is processed by that drain even when Stripe stamped it before everything already read', async () => {
    const b = await books(lines);
    // The events of the earliest second arrive while the drain is reading its first small batch:
    // Stripe's order puts them before every event the drain has read by then.
    const earliest = Math.min(...events.map((e) => e.created));
    const first = events.filter((e) => e.created === earliest);
    await deliver(
      b,
      events.filter((e) => e.created !== earliest),
    );
    let late: Promise<void> | null = null;
    const base = b.deps.readerFor(b.tenant);
    const reader = Object.create(base) as typeof base;
    reader.getInvoice = async (id) => {
      late ??= deliver(b, first);
      await late;
      return base.getInvoice(id);
    };
    const r = await drainInbox({ ...b.deps, eventsPerTransaction: 3, readerFor: () => reader }, b.tenant.id);
    expect(late).not.toBeNull();
    expect(r.processed + r.ignored).toBe(events.length);
    expect(await settle(b, THROUGH)).toBe(inOrder);
  });

  for (const seed of [1, 2, 3]) {
    it(`shuffled with duplicates gives the same journal (SEED=${seed})`, async () => {
      const rand = prng(seed);
      const stream = [...events, ...events.filter(() => rand() < 0.3)];
      for (let i = stream.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [stream[i], stream[j]] = [stream[j]!, stream[i]!];
      }
      const b = await books(lines);
      // Process in slices while delivering, so later events meet earlier books half-built.
      for (let i = 0; i < stream.length; i += 7) {
        await deliver(b, stream.slice(i, i + 7));
        await drainInbox(b.deps, b.tenant.id);
      }
      const shuffled = await settle(b, THROUGH);
      expect(shuffled).toBe(inOrder);
      const dupes = await b.t.db
        .selectFrom('stripe_events')
        .select((eb) => eb.fn.countAll<bigint>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(dupes.n)).toBe(events.length);
    });
  }
});

describe('one second holding more events than a batch', () => {
  it('is processed in TYPE_ORDER across batches: the credit note before the refund it made', async () => {
    const lines = goldenLines(['credit-note-after-payment-refund']);
    const events = eventsOf(lines);
    const inOrder = await books(lines);
    await deliver(inOrder, events);
    const expected = await settle(inOrder, '2026-12-31');
    // The refund arrives before its credit note, and a third event shares their second: with two
    // events per batch, the second no longer fits one batch.
    const creditNote = events.find((e) => e.type === 'credit_note.created')!;
    const refund = events.find((e) => e.type === 'refund.created')!;
    expect(refund.created).toBe(creditNote.created);
    const other = {
      ...creditNote,
      id: 'evt_same_second',
      type: 'customer.updated',
      data: { object: { id: 'cus_golden', object: 'customer' } },
    } as unknown as typeof creditNote;
    const b = await books(lines);
    await deliver(b, [...events.filter((e) => e !== creditNote), other, creditNote]);
    const r = await drainInbox({ ...b.deps, eventsPerTransaction: 2 }, b.tenant.id);
    expect(r.processed + r.ignored).toBe(events.length + 1);
    expect(await settle(b, '2026-12-31')).toBe(expected);
    const changed = await b.t.db
      .selectFrom('exceptions')
      .select('kind')
      .where('kind', '=', 'recognition_changed')
      .execute();
    expect(changed).toEqual([]);
  });
});

describe('an event stored while a drain finishes', () => {
  it('is processed by that drain even when its own inbox job was dropped', async () => {
    const lines = goldenLines(['refund-full-with-tax']);
    const events = eventsOf(lines);
    const b = await books(lines);
    await deliver(b, events.slice(0, -1));
    const last = events.at(-1)!;
    // A webhook's transaction: the event is inserted and the inbox job requested (and dropped,
    // since one is queued), but it has not committed yet.
    let holding!: () => void;
    const held = new Promise<void>((r) => (holding = r));
    let commit!: () => void;
    const gate = new Promise<void>((r) => (commit = r));
    const writer = b.t.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('stripe_events')
        .values({
          id: last.id,
          tenant_id: b.tenant.id,
          type: last.type,
          created: last.created,
          object_id: (last.data.object as { id: string }).id,
          payload: JSON.stringify(last),
          source: 'webhook',
          last_error: null,
          processed_at: null,
        })
        .execute();
      await requestDrainHoldingLock(tx, b.jobs, b.tenant.id);
      holding();
      await gate;
    });
    await held;
    const drain = drainInbox(b.deps, b.tenant.id);
    const early = await Promise.race([
      drain.then(() => 'returned'),
      new Promise((r) => setTimeout(() => r('waiting'), 500)),
    ]);
    expect(early).toBe('waiting');
    commit();
    await writer;
    const r = await drain;
    expect(r.processed + r.ignored).toBe(events.length);
    const stored = await b.t.db
      .selectFrom('stripe_events')
      .select('status')
      .where('id', '=', last.id)
      .executeTakeFirstOrThrow();
    expect(stored.status).not.toBe('pending');
  });
});

describe('backfill', () => {
  it('books the same journal as the live events, and a re-run adds nothing', async () => {
    const lines = goldenLines(BACKFILLABLE);
    const live = await books(lines);
    await deliver(live, eventsOf(lines));
    const expected = await settle(live, THROUGH);

    const objectsOnly = lines.filter((l) => l.object !== 'event');
    // Event snapshots are the only copy of some objects; give the fake their latest state.
    const snapshots = eventsOf(lines).map((e) => e.data.object as unknown as Record<string, unknown>);
    const b = await books([...objectsOnly, ...snapshots]);
    // Processing is enqueued once, after everything is listed (so the snapshot answers every read).
    const order: string[] = [];
    const jobs = Object.create(b.jobs) as typeof b.jobs;
    jobs.send = (async (...args: Parameters<typeof b.jobs.send>) => {
      order.push(`send ${args[1]}`);
      return b.jobs.send(...args);
    }) as typeof b.jobs.send;
    const first = await runBackfill({ db: b.t.db, jobs, stripe: b.stripe }, b.tenant.id, {
      onProgress: (resource) => void order.push(`listed ${resource}`),
    });
    expect(first.stored).toBeGreaterThan(10);
    expect(order.filter((o) => o.startsWith('send'))).toEqual(['send stripe-inbox']);
    expect(order.at(-1)).toBe('send stripe-inbox');
    expect(order.filter((o) => o.startsWith('listed')).length).toBeGreaterThanOrEqual(BACKFILL_RESOURCES.length);
    expect(first.byResource.invoiceitems).toBeGreaterThan(0);
    const again = await runBackfill({ db: b.t.db, jobs: b.jobs, stripe: b.stripe }, b.tenant.id, { restart: true });
    expect(again.stored).toBe(0);
    const listed = b.fake.requests.length;
    expect(await settle(b, THROUGH)).toBe(expected);
    // Booking read everything from the backfill snapshot: not one request to Stripe (a credit
    // note's subscription, which says whether it came with a cancellation, included).
    expect(b.fake.requests.slice(listed)).toEqual([]);
    const progress = await b.t.db
      .selectFrom('backfill_progress')
      .select(['resource', 'done'])
      .where('tenant_id', '=', b.tenant.id)
      .execute();
    expect(progress.every((p) => p.done)).toBe(true);
  });
});

describe('deauthorization', () => {
  it('keeps the books and the later events, but books nothing more', async () => {
    const lines = goldenLines(['refund-full-with-tax']);
    const events = eventsOf(lines);
    const b = await books(lines);
    await deliver(b, events.slice(0, 1));
    await drainInbox(b.deps, b.tenant.id);
    const before = await loadLedgerLines(b.t.db, b.tenant.id);
    expect(before.length).toBeGreaterThan(0);
    const deauth = {
      id: 'evt_deauth',
      object: 'event',
      type: 'account.application.deauthorized',
      account: ACCOUNT,
      livemode: false,
      created: events[0]!.created + 10,
      data: { object: { id: 'ca_app', object: 'application' } },
    };
    await storeEvent(b.t.db, b.jobs, deauth as never, 'webhook');
    expect((await findTenant(b.t.db, { accountId: ACCOUNT, livemode: false }))!.status).toBe('disabled');
    const outcome = await storeEvent(b.t.db, b.jobs, events[1]!, 'webhook');
    expect(outcome.ignored).toBe('tenant disabled');
    const r = await drainInbox(b.deps, b.tenant.id);
    expect(r.processed).toBe(0);
    expect(await loadLedgerLines(b.t.db, b.tenant.id)).toEqual(before);
    const stored = await b.t.db
      .selectFrom('stripe_events')
      .select(['id', 'status'])
      .where('id', '=', events[1]!.id)
      .executeTakeFirstOrThrow();
    expect(stored.status).toBe('ignored');
  });
});
