// Proves the posting executor against the fake QuickBooks with the real node-quickbooks:
// a multi-month ledger posted in summary and detailed mode agrees with QuickBooks account by
// account and month by month; with 5% of responses dropped after commit (and QuickBooks'
// requestid replay switched off) the run ends with ZERO duplicates; the fake's throttle is never
// tripped (peak in-flight ≤ 10, per-minute ≤ 500, on a compressed clock); a closed period gives
// a failure record with code 6200; 5xx bursts, timeouts, 429s and a 401 are survived.
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { generateLedger } from '../sandbox/qbo/ledger.ts';
import { startHarness, type Harness } from '../sandbox/qbo/harness.ts';
import { scaledClock, type Clock } from './clock.ts';
import { executePostings } from './executor.ts';
import { RealmLimiter } from './limiter.ts';
import { mappingKey, planPostings, type PlannedEntry, type PostingMode } from './posting.ts';
import { InMemorySyncStore } from './sync-store.ts';
import { currency as currencyOf } from '../../shared/money.ts';

const MONTHS = ['2026-01', '2026-02', '2026-03'];
const USD = { homeCurrency: 'USD', multicurrency: false };

/** A clock for tests that never really waits: sleeps resolve at once, time jumps forward. */
function jumpingClock(): Clock {
  let offset = 0;
  return {
    now_ms: () => Date.now() + offset,
    sleep: async (ms) => {
      offset += ms;
    },
  };
}

function ledgerTotalsByMonth(h: Harness, lines: LedgerLine[], month: string): Map<string, bigint> {
  const t = new Map<string, bigint>();
  for (const l of lines) {
    if (l.period !== month) continue;
    const id = h.accountIds.get(mappingKey(l.role, l.account))!;
    t.set(id, (t.get(id) ?? 0n) + l.amountMinor);
  }
  for (const [k, v] of t) if (v === 0n) t.delete(k);
  return t;
}

function withoutZeros(m: Map<string, bigint>): Map<string, bigint> {
  return new Map([...m].filter(([, v]) => v !== 0n));
}

async function post(h: Harness, plan: PlannedEntry[], clock: Clock = jumpingClock(), store = new InMemorySyncStore()) {
  const result = await executePostings({
    tenantId: 't1',
    realmId: h.realmId,
    api: h.api,
    entries: plan,
    store,
    clock,
    limiter: new RealmLimiter(clock),
  });
  return { result, store };
}

describe.each<PostingMode>(['summary', 'detailed'])('posting a multi-month ledger in %s mode', (mode) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ receivableAsAR: true });
  });
  afterAll(async () => h.fake.close());

  it('QuickBooks agrees with the ledger account by account, month by month, and a rerun posts nothing', async () => {
    const lines = generateLedger({ tenantId: 't1', months: MONTHS, entriesPerMonth: 30, customers: 4 });
    const customers = new Map<string, string>();
    for (const c of new Set(lines.map((l) => l.customer!)))
      customers.set(c, (await h.api.createCustomer({ DisplayName: `Customer ${c}` })).Id);
    const plan = planPostings({ tenantId: 't1', lines, accounts: h.accounts, customers, realm: USD, mode });
    expect(plan.length).toBe(mode === 'summary' ? 3 : 90);
    const { result, store } = await post(h, plan);
    expect(result.failed).toEqual([]);
    expect(result.posted).toBe(plan.length);
    expect(h.fake.journalEntries(h.realmId)).toHaveLength(plan.length);
    for (const month of MONTHS) {
      expect(withoutZeros(h.fake.accountTotals(h.realmId, { month }))).toEqual(ledgerTotalsByMonth(h, lines, month));
    }
    const records = await store.list(h.realmId, { state: 'posted' });
    expect(records).toHaveLength(plan.length);
    expect(records.every((r) => r.postedLinesHash === r.linesHash)).toBe(true);

    const again = await executePostings({
      tenantId: 't1',
      realmId: h.realmId,
      api: h.api,
      entries: plan,
      store,
      clock: jumpingClock(),
    });
    expect(again).toMatchObject({ posted: 0, alreadyPosted: plan.length, apiCalls: 0 });
    expect(h.fake.journalEntries(h.realmId)).toHaveLength(plan.length);
  });
});

describe('posting under faults', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ seed: 7, ignoreRequestIds: true, timeout_ms: 300 });
  });
  afterEach(async () => h.fake.close());

  const detailedPlan = (entriesPerMonth: number, months = MONTHS): PlannedEntry[] =>
    planPostings({
      tenantId: 't1',
      lines: generateLedger({ tenantId: 't1', months, entriesPerMonth, customers: 3 }),
      accounts: h.accounts,
      realm: USD,
      mode: 'detailed',
    });

  it('5% of responses dropped after commit: every entry posted exactly once, zero duplicates', async () => {
    // requestid replay off and duplicate DocNumbers allowed: only our own lookup prevents duplicates.
    h.fake.setAllowDuplicateDocNum(h.realmId, true);
    h.fake.setDropRate(h.realmId, 0.05);
    const plan = detailedPlan(100);
    const { result, store } = await post(h, plan);
    const stats = h.fake.stats(h.realmId);
    expect(stats.dropped).toBeGreaterThan(5);
    // Every dropped response is recovered by lookup; on a loaded machine a slow answer past the
    // 300 ms timeout is recovered the same way, so there can be more recoveries than drops.
    expect(result.recoveredByLookup).toBeGreaterThanOrEqual(stats.dropped);
    expect(result.failed).toEqual([]);
    expect(result.unknown).toEqual([]);
    const stored = h.fake.journalEntries(h.realmId);
    const docNumbers = stored.map((je) => je.DocNumber as string);
    expect(new Set(docNumbers).size).toBe(docNumbers.length); // zero duplicates
    expect(new Set(docNumbers)).toEqual(new Set(plan.map((p) => p.docNumber)));
    expect(await store.list(h.realmId, { state: 'posted' })).toHaveLength(plan.length);
  });

  it('never trips the throttle: peak in-flight ≤ 10 and ≤ 500 requests in any minute (compressed clock)', async () => {
    // 10× time: the 450/min budget is 75 requests per real second, far below what the fake can
    // serve, so the limiter (not the fake's speed) binds. A larger factor also magnifies event-loop
    // stalls into simulated seconds, which bunches arrivals at the fake and makes the test flaky.
    const clock = scaledClock(10);
    await h.fake.close();
    h = await startHarness({ clock, latency_ms: 2 });
    const plan = detailedPlan(125, ['2026-01', '2026-02', '2026-03', '2026-04']); // 500 writes ≈ 1.1 simulated minutes
    const limiter = new RealmLimiter(clock);
    const result = await executePostings({
      tenantId: 't1',
      realmId: h.realmId,
      api: h.api,
      entries: plan,
      store: new InMemorySyncStore(),
      clock,
      limiter,
    });
    const stats = h.fake.stats(h.realmId);
    expect(result.posted).toBe(500);
    expect(stats.throttled).toBe(0);
    expect(stats.peakInFlight).toBeLessThanOrEqual(10);
    expect(stats.peakPerMinute).toBeLessThanOrEqual(500);
    expect(stats.peakPerMinute).toBeGreaterThan(250); // the run really pushed hard, so the bounds mean something
    expect(limiter.stats.peakPerMinute).toBeLessThanOrEqual(450);
    expect(limiter.stats.peakInFlight).toBeLessThanOrEqual(8);
  });

  it('records a closed period as a failure with code 6200, without retrying', async () => {
    h.fake.setBookCloseDate(h.realmId, '2026-01-31');
    const plan = planPostings({
      tenantId: 't1',
      lines: generateLedger({ tenantId: 't1', months: ['2026-01', '2026-02'], entriesPerMonth: 8, customers: 2 }),
      accounts: h.accounts,
      realm: USD,
    });
    const { result, store } = await post(h, plan);
    expect(result.posted).toBe(1);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]).toMatchObject({ kind: 'closed_period', code: '6200' });
    const rec = await store.get(h.realmId, result.failed[0]!.requestId);
    expect(rec).toMatchObject({ state: 'failed', code: '6200', period: '2026-01' });
    expect(rec!.reason).toMatch(/Account Period Closed/);
    expect(h.fake.stats(h.realmId).byOperation['journalentry.create']).toBe(2);
  });

  it('survives a 5xx burst, a timeout that committed, and a 429, without duplicates', async () => {
    h.fake.injectFault(h.realmId, { kind: 'status', status: 503, times: 3, match: { entity: 'journalentry' } });
    h.fake.injectFault(h.realmId, { kind: 'timeout', hang_ms: 2000, commit: true, match: { entity: 'journalentry' } });
    h.fake.injectFault(h.realmId, { kind: 'throttle', times: 1, match: { entity: 'journalentry' } });
    const plan = detailedPlan(5);
    const { result } = await post(h, plan);
    expect(result.failed).toEqual([]);
    expect(result.posted + result.recoveredByLookup).toBe(plan.length);
    expect(result.recoveredByLookup).toBeGreaterThanOrEqual(1);
    const stats = h.fake.stats(h.realmId);
    expect(stats.injected5xx).toBe(3);
    expect(stats.timeouts).toBe(1);
    expect(stats.throttled).toBe(1);
    const docNumbers = h.fake.journalEntries(h.realmId).map((je) => je.DocNumber);
    expect(docNumbers).toHaveLength(plan.length);
    expect(new Set(docNumbers).size).toBe(plan.length);
  });

  it('refreshes once on 401 and retries; a second 401 becomes a failure record', async () => {
    const plan = detailedPlan(1).slice(0, 2);
    h.fake.expireAccessTokens(h.realmId);
    let refreshes = 0;
    const refreshAuth = async () => {
      refreshes++;
      h.api.setAccessToken(h.fake.issueAccessToken(h.realmId));
    };
    const store = new InMemorySyncStore();
    const r1 = await executePostings({
      tenantId: 't1',
      realmId: h.realmId,
      api: h.api,
      entries: plan.slice(0, 1),
      store,
      clock: jumpingClock(),
      refreshAuth,
    });
    expect(r1.posted).toBe(1);
    expect(refreshes).toBe(1);
    h.fake.expireAccessTokens(h.realmId);
    const r2 = await executePostings({
      tenantId: 't1',
      realmId: h.realmId,
      api: h.api,
      entries: plan.slice(1),
      store,
      clock: jumpingClock(),
      refreshAuth: async () => {
        refreshes++;
      },
    });
    expect(r2.failed[0]).toMatchObject({ kind: 'auth', code: '3200' });
    expect(refreshes).toBe(2);
  });

  it('finds its own entry on a duplicate DocNumber (6140) instead of failing or duplicating', async () => {
    const plan = detailedPlan(1).slice(0, 1);
    // First run "crashes" after QuickBooks committed: simulate by posting with a store we then lose.
    await post(h, plan);
    const { result } = await post(h, plan); // fresh store: knows nothing
    expect(result).toMatchObject({ posted: 0, recoveredByLookup: 1, failed: [] });
    expect(h.fake.journalEntries(h.realmId)).toHaveLength(1);
  });
});

describe('recovering after a crash', () => {
  it('looks up entries left pending in chunks of 50, then creates only the missing ones', async () => {
    const h = await startHarness();
    try {
      const plan = planPostings({
        tenantId: 't1',
        lines: generateLedger({ tenantId: 't1', months: ['2026-01'], entriesPerMonth: 120, customers: 3 }),
        accounts: h.accounts,
        realm: USD,
        mode: 'detailed',
      });
      // A previous run marked all 120 pending and got 60 of them committed before it died.
      await post(h, plan.slice(0, 60));
      const store = new InMemorySyncStore();
      for (const p of plan) {
        await store.markPending(
          {
            tenantId: 't1',
            realmId: h.realmId,
            requestId: p.requestId,
            docNumber: p.docNumber,
            period: p.period,
            txnDate: p.txnDate,
            currency: p.currency,
            linesHash: p.linesHash,
            sourceEntryIds: p.sourceEntryIds,
          },
          0,
        );
      }
      h.fake.resetStats(h.realmId);
      const result = await executePostings({
        tenantId: 't1',
        realmId: h.realmId,
        api: h.api,
        entries: plan,
        store,
        clock: jumpingClock(),
      });
      expect(result).toMatchObject({ recoveredByLookup: 60, posted: 60, alreadyPosted: 0, failed: [], unknown: [] });
      expect(result.apiCalls).toBe(3 + 60);
      expect(h.fake.stats(h.realmId).byOperation).toEqual({ 'query.query': 3, 'journalentry.create': 60 });
      expect(h.fake.journalEntries(h.realmId)).toHaveLength(120);
      expect(await store.list(h.realmId, { state: 'posted' })).toHaveLength(120);
    } finally {
      await h.fake.close();
    }
  });
});

describe('multicurrency realm', () => {
  it('posts foreign-currency entries with CurrencyRef and ExchangeRate; QuickBooks refuses a missing CurrencyRef', async () => {
    const h = await startHarness({ multicurrency: true });
    try {
      const lines = generateLedger({
        tenantId: 't1',
        months: ['2026-02'],
        entriesPerMonth: 8,
        customers: 2,
        currency: currencyOf('eur'),
      });
      const realm = { homeCurrency: 'USD', multicurrency: true };
      const plan = planPostings({
        tenantId: 't1',
        lines,
        accounts: h.accounts,
        realm,
        exchangeRate: (cur) => (cur === 'EUR' ? '1.0825' : undefined),
      });
      const { result } = await post(h, plan);
      expect(result.failed).toEqual([]);
      const [stored] = h.fake.journalEntries(h.realmId);
      expect(stored).toMatchObject({ CurrencyRef: { value: 'EUR' }, ExchangeRate: 1.0825 });
      const err = await h.api
        .createJournalEntry(
          { Line: stored.Line.map(({ Id: _id, ...l }: { Id: string }) => l) as never },
          'req-no-currency',
        )
        .catch((e: unknown) => e);
      expect((err as { error: { code: string } }).error.code).toBe('2020');
    } finally {
      await h.fake.close();
    }
  });
});

describe('a store failure after QuickBooks committed', () => {
  it('stops the run with the entry still pending; the next run finds it instead of posting it again', async () => {
    const h = await startHarness();
    try {
      const plan = planPostings({
        tenantId: 't1',
        lines: generateLedger({ tenantId: 't1', months: ['2026-01'], entriesPerMonth: 1, customers: 1 }),
        accounts: h.accounts,
        realm: USD,
        mode: 'detailed',
      });
      const store = new InMemorySyncStore();
      let broken = true;
      const flaky = Object.assign(Object.create(store) as InMemorySyncStore, {
        markPosted: async (...args: Parameters<InMemorySyncStore['markPosted']>) => {
          if (broken) throw new Error('database went away');
          return store.markPosted(...args);
        },
      });
      await expect(
        executePostings({
          tenantId: 't1',
          realmId: h.realmId,
          api: h.api,
          entries: plan,
          store: flaky,
          clock: jumpingClock(),
        }),
      ).rejects.toThrow(/database went away/);
      expect((await store.get(h.realmId, plan[0]!.requestId))!.state).toBe('pending');
      broken = false;
      const again = await executePostings({
        tenantId: 't1',
        realmId: h.realmId,
        api: h.api,
        entries: plan,
        store: flaky,
        clock: jumpingClock(),
      });
      expect(again).toMatchObject({ recoveredByLookup: 1, posted: 0 });
      expect(h.fake.journalEntries(h.realmId)).toHaveLength(1);
    } finally {
      await h.fake.close();
    }
  });
});
