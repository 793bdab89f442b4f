/**
 * Proves the per-tenant daily tick: it releases every period that has ended and no more, closes
 * periods automatically N days after they end (in order) only under an `auto` close policy, works
 * in the tenant's own time zone, requests a drain when events were left pending, and is scheduled
 * with pg-boss's cron in that zone.
 */
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { planTick, scheduleTenant, tenantTick } from '../../backend/app/schedule.ts';
import { releasedThrough } from '../../backend/app/process.ts';
import { listPeriods } from '../../backend/ledger/periods.ts';
import { ensureTenant } from '../../backend/ledger/tenants.ts';
import { TenantSettingsSchema } from '../../shared/settings.ts';
import { deliver, eventsOf, freshBooks, goldenLines, type Books } from '../support/scenario.ts';

const open: Books[] = [];
afterAll(async () => {
  for (const b of open) await b.close();
});

const rows = (keys: [string, 'open' | 'closed'][]) =>
  keys.map(([key, status]) => ({
    key,
    start: `${key}-01`,
    end: key === '2026-12' ? '2027-01-01' : `${key.slice(0, 5)}${String(Number(key.slice(5)) + 1).padStart(2, '0')}-01`,
    status,
    closedAt: null,
    closedBy: null,
  }));

describe('planTick', () => {
  it('releases through the last day of the last ended period, once', () => {
    const s = TenantSettingsSchema.parse({});
    expect(planTick(s, [], '1900-01-01', '2026-03-15')).toEqual({ releaseThrough: '2026-02-28', close: [] });
    expect(planTick(s, [], '2026-02-28', '2026-03-31')).toEqual({ releaseThrough: null, close: [] });
  });

  it('closes in order N days after period end only under the auto policy', () => {
    const auto = TenantSettingsSchema.parse({ close_policy: { mode: 'auto', days_after_period_end: 5 } });
    const periods = rows([
      ['2026-01', 'closed'],
      ['2026-02', 'open'],
      ['2026-03', 'open'],
    ]);
    expect(planTick(auto, periods, '2026-02-28', '2026-03-05').close).toEqual([]);
    expect(planTick(auto, periods, '2026-02-28', '2026-03-06').close).toEqual(['2026-02']);
    expect(planTick(auto, periods, '2026-03-31', '2026-04-06').close).toEqual(['2026-02', '2026-03']);
    const manual = TenantSettingsSchema.parse({});
    expect(planTick(manual, periods, '2026-03-31', '2026-04-06').close).toEqual([]);
  });
});

describe('tenantTick', () => {
  it("releases and auto-closes in the tenant's time zone", async () => {
    const lines = goldenLines(['annual-monthly-even']);
    const b = await freshBooks(lines, 'acct_golden', {
      amortization: 'monthly_even',
      reporting_time_zone: 'America/New_York',
      close_policy: { mode: 'auto', days_after_period_end: 3 },
    });
    open.push(b);
    await deliver(b, eventsOf(lines));
    const { drainInbox } = await import('../../backend/app/process.ts');
    await drainInbox(b.deps, b.tenant.id);
    // 2026-04-04 02:00 UTC is still April 3 in New York: March ended 3 days ago, not yet 4.
    const at = (iso: string) => () => Date.parse(iso);
    const first = await tenantTick(
      { db: b.t.db, jobs: b.jobs, process: b.deps, now: at('2026-04-04T02:00:00Z') },
      b.tenant.id,
    );
    expect(first.releaseThrough).toBe('2026-03-31');
    expect(await releasedThrough(b.t.db, b.tenant.id)).toBe('2026-03-31');
    const closedAfterFirst = (await listPeriods(b.t.db, b.tenant.id))
      .filter((p) => p.status === 'closed')
      .map((p) => p.key);
    expect(closedAfterFirst).not.toContain('2026-03');
    const second = await tenantTick(
      { db: b.t.db, jobs: b.jobs, process: b.deps, now: at('2026-04-04T12:00:00Z') },
      b.tenant.id,
    );
    expect(second.releaseThrough).toBeNull();
    expect(second.close.at(-1)).toBe('2026-03');
    const rec = await b.t.db
      .selectFrom('journal_entries')
      .select('idempotency_key')
      .where('kind', '=', 'recognition')
      .orderBy('posting_date')
      .execute();
    expect(rec.at(-1)!.idempotency_key).toMatch(/:2026-03$/);
  });

  it('requests a drain when events are pending, and only then', async () => {
    const lines = goldenLines(['refund-partial']);
    const b = await freshBooks(lines, 'acct_golden');
    open.push(b);
    await deliver(b, eventsOf(lines));
    const inboxJobs = async () =>
      (
        await sql<{
          n: number;
        }>`select count(*)::int as n from pgboss.job where name = 'stripe-inbox' and singleton_key = ${b.tenant.id.toString()}`.execute(
          b.t.db,
        )
      ).rows[0]!.n;
    const now = () => Date.parse('2026-03-15T12:00:00Z');
    // Pending events, but their drain request is gone (as if lost): the tick asks again.
    await sql`delete from pgboss.job where name = 'stripe-inbox'`.execute(b.t.db);
    await tenantTick({ db: b.t.db, jobs: b.jobs, process: b.deps, now }, b.tenant.id);
    expect(await inboxJobs()).toBe(1);
    const { drainInbox } = await import('../../backend/app/process.ts');
    await drainInbox(b.deps, b.tenant.id);
    await sql`delete from pgboss.job where name = 'stripe-inbox'`.execute(b.t.db);
    await tenantTick({ db: b.t.db, jobs: b.jobs, process: b.deps, now }, b.tenant.id);
    expect(await inboxJobs()).toBe(0);
  });

  it("schedules the tick with cron in the tenant's zone", async () => {
    const b = await freshBooks([], 'acct_sched');
    open.push(b);
    const t = await ensureTenant(
      b.t.db,
      { accountId: 'acct_tokyo', livemode: true },
      { reporting_time_zone: 'Asia/Tokyo' },
    );
    await scheduleTenant(b.jobs, t);
    const r = await sql<{
      name: string;
      cron: string;
      timezone: string;
      key: string;
    }>`select name, cron, timezone, key from pgboss.schedule where key = ${t.id.toString()}`.execute(b.t.db);
    expect(r.rows).toEqual([{ name: 'tenant-tick', cron: '30 0 * * *', timezone: 'Asia/Tokyo', key: t.id.toString() }]);
  });
});
