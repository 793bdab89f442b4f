/**
 * Proves poison isolation in the drain: a stored event that fails deterministically (a `data`
 * that is null or missing makes mapping throw a TypeError) fails alone and at
 * once — an exception row naming its id with a plain reason, status `failed` after one attempt —
 * while the good events around it, of the same tenant, book in the same drain, with nothing
 * deferred (so the inbox job does not retry). When the database refuses one event's commit, the
 * batch is committed event by event and only that event fails. A transport failure (Stripe
 * unavailable) is still deferred, keeping Stripe's order.
 */
import { sql } from 'kysely';
import type Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { AccrueError } from '../../shared/errors.ts';
import { drainInbox } from '../../backend/app/process.ts';
import { deliver, eventsOf, freshBooks, goldenLines, settle, type Books } from '../support/scenario.ts';

const ACCOUNT = 'acct_golden';
const THROUGH = '2026-12-31';
const lines = goldenLines(['refund-full-with-tax', 'invoice-voided', 'credit-note-before-payment']);
const events = eventsOf(lines);

const open: Books[] = [];
async function books(): Promise<Books> {
  const b = await freshBooks(lines, ACCOUNT);
  open.push(b);
  return b;
}
afterAll(async () => {
  for (const b of open) await b.close();
});

/** A handled event whose `data` is `data` (null or missing): mapping it throws a TypeError. */
function poison(id: string, created: number, data: unknown, type = 'invoice.finalized'): Stripe.Event {
  return {
    id,
    object: 'event',
    type,
    account: ACCOUNT,
    livemode: false,
    created,
    api_version: '2026-10-28.endive',
    data,
  } as unknown as Stripe.Event;
}

async function unbalancedEntries(b: Books): Promise<number> {
  const r = await sql<{ n: string }>`
    select count(*) as n from (
      select entry_id, currency from journal_lines group by entry_id, currency having sum(amount_minor) <> 0
    ) u`.execute(b.t.db);
  return Number(r.rows[0]!.n);
}

describe('a poison event between good events of the same tenant', () => {
  it('fails alone into the exception queue while the good events book in the same drain', async () => {
    const reference = await books();
    await deliver(reference, events);
    const expected = await settle(reference, THROUGH);

    const b = await books();
    const sorted = [...events].sort((x, y) => x.created - y.created);
    const mid = sorted[Math.floor(sorted.length / 2)]!.created;
    const poisons = [
      poison('evt_poison_null_data', sorted[0]!.created, null),
      poison('evt_poison_mid', mid, undefined, 'invoice.paid'),
      poison('evt_poison_late', sorted.at(-1)!.created, null, 'charge.refunded'),
    ];
    // Poison events first in arrival order, and at the start, middle and end of Stripe's order.
    await deliver(b, [...poisons, ...events]);

    // Small batches: the good events after a poison one must not wait for a retry.
    const r = await drainInbox({ ...b.deps, eventsPerTransaction: 4 }, b.tenant.id);
    expect(r.deferred).toBe(0);
    expect(r.failed).toBe(poisons.length);
    expect(r.processed + r.ignored).toBe(events.length);

    const rows = await b.t.db
      .selectFrom('stripe_events')
      .select(['id', 'status', 'attempts', 'last_error'])
      .where('tenant_id', '=', b.tenant.id)
      .execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const p of poisons) {
      expect(byId.get(p.id), p.id).toMatchObject({ status: 'failed', attempts: 1 });
    }
    expect(rows.filter((row) => row.status === 'pending')).toEqual([]);

    const exceptions = await b.t.db
      .selectFrom('exceptions')
      .select(['kind', 'object_id', 'reason', 'status'])
      .where('tenant_id', '=', b.tenant.id)
      .where('kind', '=', 'stripe_event')
      .orderBy('object_id')
      .execute();
    expect(exceptions.map((e) => e.object_id)).toEqual(poisons.map((p) => p.id).sort());
    for (const e of exceptions) {
      expect(e.status).toBe('open');
      expect(e.reason).toMatch(/^could not process [a-z_.]+: the event could not be read \(TypeError: /);
    }

    // The good events booked exactly what they book without the poison.
    expect(await settle(b, THROUGH)).toBe(expected);
    expect(await unbalancedEntries(b)).toBe(0);
  });

  it('a batch whose commit fails for one event is committed event by event: only that event fails', async () => {
    const b = await books();
    await deliver(b, events);
    const poisoned = events.filter((e) => e.type === 'invoice.paid')[1]!;
    // The database refuses to mark that one event processed (a data exception, as bad data would raise).
    await sql
      .raw(
        `create function refuse_poison() returns trigger language plpgsql as $$ begin
           raise exception 'the ledger refuses %', new.id using errcode = '22023';
         end $$;
         create trigger refuse_poison before update on stripe_events for each row
           when (new.id = '${poisoned.id}' and new.status = 'processed') execute function refuse_poison();`,
      )
      .execute(b.t.db);
    const r = await drainInbox({ ...b.deps, eventsPerTransaction: 100 }, b.tenant.id);
    expect(r.deferred).toBe(0);
    expect(r.failed).toBe(1);
    expect(r.processed + r.ignored).toBe(events.length - 1);
    const row = await b.t.db
      .selectFrom('stripe_events')
      .select(['status', 'attempts'])
      .where('id', '=', poisoned.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'failed', attempts: 1 });
    const ex = await b.t.db
      .selectFrom('exceptions')
      .select(['object_id', 'reason'])
      .where('kind', '=', 'stripe_event')
      .execute();
    expect(ex).toEqual([
      {
        object_id: poisoned.id,
        reason: `could not process invoice.paid: booking failed (the ledger refuses ${poisoned.id})`,
      },
    ]);
    const pending = await b.t.db.selectFrom('stripe_events').select('id').where('status', '=', 'pending').execute();
    expect(pending).toEqual([]);
    expect(await unbalancedEntries(b)).toBe(0);
  });

  it('still defers a transport failure (Stripe unavailable) at its event, keeping the order', async () => {
    const b = await books();
    await deliver(b, events);
    const base = b.deps.readerFor(b.tenant);
    const reader = Object.create(base) as typeof base;
    let failures = 0;
    reader.getInvoice = async (id) => {
      if (failures === 0) {
        failures++;
        throw new AccrueError('upstream_unavailable', `Stripe invoice ${id}: Stripe unavailable after 3 attempts`);
      }
      return base.getInvoice(id);
    };
    const first = await drainInbox({ ...b.deps, readerFor: () => reader }, b.tenant.id);
    expect(first.deferred).toBe(1);
    expect(first.failed).toBe(0);
    const pending = await b.t.db
      .selectFrom('stripe_events')
      .select(['id', 'attempts', 'last_error'])
      .where('status', '=', 'pending')
      .execute();
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.filter((p) => p.attempts === 1)).toHaveLength(1);
    // The retry books everything; no exception was recorded for a transient failure.
    const second = await drainInbox({ ...b.deps, readerFor: () => reader }, b.tenant.id);
    expect(second.deferred).toBe(0);
    const stripeEventExceptions = await b.t.db
      .selectFrom('exceptions')
      .select('id')
      .where('kind', '=', 'stripe_event')
      .execute();
    expect(stripeEventExceptions).toEqual([]);
  });
});
