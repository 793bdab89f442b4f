/**
 * Proves the job runner's guarantees on real PostgreSQL: a job enqueued inside a transaction
 * exists only if that transaction commits; two worker instances with separate connection pools
 * never run the same job twice; per-tenant (stately) queues hold one queued job per tenant; and a
 * graceful stop waits for the job in flight.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jobs, QUEUES } from '../../backend/jobs/runner.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let t: TestDatabase;
const instances: Jobs[] = [];

async function jobsInstance(): Promise<Jobs> {
  const j = await new Jobs({ url: t.url, pollingIntervalSeconds: 0.5 }).start();
  instances.push(j);
  return j;
}

beforeAll(async () => {
  t = await createTestDatabase();
  await sql`create table probe (id text)`.execute(t.db);
});
afterAll(async () => {
  for (const j of instances) await j.stop().catch(() => undefined);
  await t.close();
});

async function count(queue: string): Promise<number> {
  const r = await sql<{ n: bigint }>`select count(*)::bigint as n from pgboss.job where name = ${queue}`.execute(t.db);
  return Number(r.rows[0]!.n);
}

describe('jobs', () => {
  it('enqueues inside the caller transaction: rollback leaves no job, commit leaves one', async () => {
    const jobs = await jobsInstance();
    await t.db
      .transaction()
      .execute(async (tx) => {
        await sql`insert into probe values ('rolled back')`.execute(tx);
        await jobs.send(tx, QUEUES.reconcile, { tenantId: '1' }, { tenantKey: '1' });
        throw new Error('abort');
      })
      .catch(() => undefined);
    expect(await count(QUEUES.reconcile)).toBe(0);
    await t.db.transaction().execute(async (tx) => {
      await sql`insert into probe values ('committed')`.execute(tx);
      await jobs.send(tx, QUEUES.reconcile, { tenantId: '1' }, { tenantKey: '1' });
    });
    expect(await count(QUEUES.reconcile)).toBe(1);
    const rows = await sql<{ id: string }>`select id from probe`.execute(t.db);
    expect(rows.rows.map((r) => r.id)).toEqual(['committed']);
  });

  it('keeps one queued job per tenant on per-tenant queues', async () => {
    const jobs = await jobsInstance();
    for (let i = 0; i < 5; i++) await jobs.send(t.db, QUEUES.release, { tenantId: '7' }, { tenantKey: '7' });
    await jobs.send(t.db, QUEUES.release, { tenantId: '8' }, { tenantKey: '8' });
    expect(await count(QUEUES.release)).toBe(2);
  });

  it('never runs a job twice across two worker instances', async () => {
    const a = await jobsInstance();
    const b = await jobsInstance();
    const QUEUE = 'probe-dup';
    await a.boss.createQueue(QUEUE, { notify: true });
    const N = 200;
    const seenA: string[] = [];
    const seenB: string[] = [];
    await a.work<{ n: number }>(QUEUE, async (job) => void seenA.push(String(job.data.n)), {
      concurrency: 3,
      batchSize: 10,
    });
    await b.work<{ n: number }>(QUEUE, async (job) => void seenB.push(String(job.data.n)), {
      concurrency: 3,
      batchSize: 10,
    });
    await a.boss.insert(
      QUEUE,
      Array.from({ length: N }, (_, n) => ({ data: { n } })),
    );
    const deadline = Date.now() + 20_000;
    while (seenA.length + seenB.length < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const all = [...seenA, ...seenB];
    expect(all.length).toBe(N);
    expect(new Set(all).size).toBe(N);
    expect(seenA.length).toBeGreaterThan(0);
    expect(seenB.length).toBeGreaterThan(0);
  });

  it('drains the job in flight on graceful stop', async () => {
    const j = await new Jobs({ url: t.url, pollingIntervalSeconds: 0.5 }).start();
    const QUEUE = 'probe-drain';
    await j.boss.createQueue(QUEUE);
    let finished = false;
    let started = false;
    await j.work(QUEUE, async () => {
      started = true;
      await new Promise((r) => setTimeout(r, 800));
      finished = true;
    });
    await j.boss.send(QUEUE, {});
    const deadline = Date.now() + 10_000;
    while (!started && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(started).toBe(true);
    await j.stop();
    expect(finished).toBe(true);
  });
});
