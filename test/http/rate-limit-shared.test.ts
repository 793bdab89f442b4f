/**
 * Rate-limit counters are shared by every web process on the database: two HTTP apps (as two
 * `accrue serve --role web` processes would be) on one database refuse the request that takes
 * the tenant over its limit, whichever app it reaches. With counters in each process's memory
 * the same traffic gets through twice over, which is what the store is for.
 */
import express from 'express';
import request from 'supertest';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tenantRateLimit, ipRateLimit, type RateLimits } from '../../backend/http/rate-limit.ts';
import { PostgresRateLimitStore } from '../../backend/http/rate-limit-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

function webProcess(limits: RateLimits): express.Express {
  const app = express();
  app.use(ipRateLimit(limits, 'probe'));
  app.use(tenantRateLimit(limits, (req) => String(req.query['account'] ?? '') || null, 'probe'));
  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

async function statuses(apps: express.Express[], account: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await request(apps[i % apps.length]!).get(`/?account=${account}`)).status);
  return out;
}

it('holds a tenant limit across two web processes on one database', async () => {
  const limits = { window_s: 60, perIp: 0, perTenant: 4, db: t.db };
  const apps = [webProcess(limits), webProcess(limits)];
  expect(await statuses(apps, 'acct_Shared', 6)).toEqual([200, 200, 200, 200, 429, 429]);
  // another tenant has its own counter
  expect(await statuses(apps, 'acct_Other', 2)).toEqual([200, 200]);
  const rows = await sql<{ client_key: string; hits: number }>`
    select client_key, hits from rate_limit_windows where limiter = 'tenant:probe' order by client_key`.execute(t.db);
  expect(rows.rows).toEqual([
    { client_key: 'tenant:acct_Other', hits: 2 },
    { client_key: 'tenant:acct_Shared', hits: 6 },
  ]);
});

it('holds a per-IP limit across processes, and in memory would let twice as many through', async () => {
  const shared = { window_s: 60, perIp: 3, perTenant: 0, db: t.db };
  const apps = [webProcess(shared), webProcess(shared)];
  expect(await statuses(apps, '', 4)).toEqual([200, 200, 200, 429]);
  const local = { window_s: 60, perIp: 3, perTenant: 0 };
  const separate = [webProcess(local), webProcess(local)];
  expect(await statuses(separate, '', 6)).toEqual([200, 200, 200, 200, 200, 200]);
});

it('counts in fixed windows and sweeps the ended ones', async () => {
  let now = 1_000_000;
  const store = new PostgresRateLimitStore(t.db, 'clock', () => now);
  store.init({ windowMs: 1000 } as Parameters<PostgresRateLimitStore['init']>[0]);
  expect((await store.increment('k')).totalHits).toBe(1);
  const second = await store.increment('k');
  expect(second.totalHits).toBe(2);
  expect(second.resetTime?.getTime()).toBe(1_001_000);
  await store.decrement('k');
  expect((await store.get('k'))?.totalHits).toBe(1);
  now += 1000;
  expect(await store.get('k')).toBeUndefined();
  expect((await store.increment('k')).totalHits).toBe(1);
  await store.sweep();
  const left = await sql<{ n: string }>`select count(*) as n from rate_limit_windows where limiter = 'clock'`.execute(
    t.db,
  );
  expect(Number(left.rows[0]!.n)).toBe(1);
  await store.resetKey('k');
  expect(await store.get('k')).toBeUndefined();
});
