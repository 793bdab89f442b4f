/**
 * Proves the tenant's rate provider (docs/accounting.md §3, "Foreign currency"): the parser keeps
 * only usable rates and names the rest; the daily tick fetches the missing days from a provider
 * on 127.0.0.1, saves them, and books again what had waited for a rate; a provider that is down or
 * answers garbage leaves an `fx_rates` exception and breaks nothing, and is asked again next time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { tenantTick } from '../../backend/app/schedule.ts';
import { drainInbox } from '../../backend/app/process.ts';
import { listExceptions } from '../../backend/ledger/exception-queue.ts';
import { parseProviderAnswer, ProviderFault } from '../../backend/rates/provider.ts';
import { loadProviderRates } from '../../backend/rates/store.ts';
import { startFakeRates, type FakeRates } from '../../backend/sandbox/rates/server.ts';
import { currency } from '../../shared/money.ts';
import { addDays } from '../../shared/time.ts';
import { deliver, eventsOf, freshBooks, goldenLines, type Books } from '../support/scenario.ts';

const open: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const o of open) await o.close();
});

const json = { url: 'http://x/{date}', format: 'json' as const, base: currency('usd') };

describe('parseProviderAnswer', () => {
  it('reads the json format as rates per one base unit', () => {
    const a = parseProviderAnswer(
      json,
      '2026-01-05',
      '{"date":"2026-01-05","base":"USD","rates":{"EUR":0.8,"JPY":"156.5"}}',
    );
    expect(a).toEqual({
      rates: [
        { date: '2026-01-05', from: 'usd', to: 'eur', rate: '0.8' },
        { date: '2026-01-05', from: 'usd', to: 'jpy', rate: '156.5' },
      ],
      problems: [],
    });
  });
  it('drops a zero, a negative, a non-number and an unknown currency, naming each', () => {
    const body = '{"rates":{"EUR":0,"GBP":-1,"CHF":"abc","XYZ":1.2,"JPY":150}}';
    const a = parseProviderAnswer(json, '2026-01-05', body);
    expect(a.rates.map((r) => r.to)).toEqual(['jpy']);
    expect(a.problems).toEqual([
      'EUR: rate 0 is not greater than zero',
      'GBP: rate -1 is not a number',
      'CHF: rate "abc" is not a number',
      '"XYZ" is not a currency',
    ]);
  });
  it('refuses what is not the format at all, without retrying', () => {
    for (const body of ['<html></html>', '{"data":[]}', 'null', '{"date":"2020-01-01","rates":{}}']) {
      let thrown: unknown;
      try {
        parseProviderAnswer(json, '2026-01-05', body);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ProviderFault);
      expect((thrown as ProviderFault).transient).toBe(false);
    }
  });
  it('reads the csv format and checks its header and dates', () => {
    const csv = { url: 'http://x', format: 'csv' as const };
    const a = parseProviderAnswer(
      csv,
      '2026-01-05',
      'date,from,to,rate\n2026-01-05,USD,EUR,0.8\n2026-01-04,USD,JPY,150\n',
    );
    expect(a.rates).toEqual([{ date: '2026-01-05', from: 'usd', to: 'eur', rate: '0.8' }]);
    expect(a.problems).toEqual(['line 3: date 2026-01-04 is not 2026-01-05']);
    expect(() => parseProviderAnswer(csv, '2026-01-05', 'a,b\n')).toThrow(ProviderFault);
  });
});

/** EUR per USD: 0.8 (EUR→USD 1.25) through January, 0.625 (1.60) from February. */
function ratesBetween(from: string, to: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (let d = from; d <= to; d = addDays(d, 1)) out[d] = { EUR: d < '2026-02-01' ? '0.8' : '0.625' };
  return out;
}

async function booksWithProvider(): Promise<{ b: Books; fake: FakeRates }> {
  const fake = await startFakeRates(ratesBetween('2026-01-01', '2026-02-28'));
  open.push(fake);
  const lines = goldenLines(['fx-proration-unbilled-then-invoiced']);
  const b = await freshBooks(lines, 'acct_golden', {
    fx_provider: { url: `${fake.url}/rates/{date}?base={base}`, format: 'json' },
  });
  open.push(b);
  await deliver(b, eventsOf(lines));
  await drainInbox(b.deps, b.tenant.id);
  return { b, fake };
}

const tick = (b: Books, iso: string) =>
  tenantTick({ db: b.t.db, jobs: b.jobs, process: b.deps, now: () => Date.parse(iso) }, b.tenant.id);

async function receivableOf(b: Books): Promise<bigint | undefined> {
  const row = await b.t.db
    .selectFrom('journal_lines as l')
    .innerJoin('journal_entries as e', 'e.id', 'l.entry_id')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .select(['l.amount_minor'])
    .where('e.idempotency_key', '=', 'inv:in_eur_renew:finalized')
    .where('a.role', '=', 'receivable')
    .executeTakeFirst();
  return row?.amount_minor;
}

describe('the daily tick with a rate provider', () => {
  it('fetches the missing days and books what waited for a rate', async () => {
    const { b, fake } = await booksWithProvider();
    // Before any rate: the EUR invoice and item wait, each with an exception saying which rate.
    const before = await listExceptions(b.t.db, b.tenant.id, { status: 'open' });
    expect(before.map((e) => e.reason).join('\n')).toMatch(/no exchange rate EUR→USD/);
    expect(await receivableOf(b)).toBeUndefined();
    await tick(b, '2026-02-05T12:00:00Z');
    expect(fake.requests.length).toBe(31);
    const saved = await loadProviderRates(b.t.db, b.tenant.id);
    expect(saved[0]).toEqual({ date: '2026-01-06', from: 'usd', to: 'eur', rate: '0.8' });
    // 31.00 EUR at the invoice date's rate (1 / 0.625 = 1.60).
    expect(await receivableOf(b)).toBe(4960n);
    const after = await listExceptions(b.t.db, b.tenant.id, { status: 'open' });
    expect(after).toEqual([]);
    // The next tick asks only for the days since.
    await tick(b, '2026-02-07T12:00:00Z');
    expect(fake.requests.slice(31)).toEqual(['/rates/2026-02-06', '/rates/2026-02-07']);
  });

  it('survives a provider that is down or answers garbage, and recovers at the next tick', async () => {
    const { b, fake } = await booksWithProvider();
    for (const fault of ['down', 'garbage'] as const) {
      fake.fault = fault;
      await expect(tick(b, '2026-02-05T12:00:00Z')).resolves.toBeDefined();
      const provider = (await listExceptions(b.t.db, b.tenant.id, { status: 'open' })).find(
        (e) => e.kind === 'fx_rates',
      );
      expect(provider?.reason).toMatch(fault === 'down' ? /HTTP 503.*asked again/ : /not JSON.*fx_provider setting/);
      expect(await loadProviderRates(b.t.db, b.tenant.id)).toEqual([]);
      expect(await receivableOf(b)).toBeUndefined();
    }
    fake.fault = 'zero';
    await tick(b, '2026-02-05T12:00:00Z');
    const open = await listExceptions(b.t.db, b.tenant.id, { status: 'open' });
    expect(open.find((e) => e.objectId === 'provider')).toBeUndefined();
    const dropped = open.find((e) => e.objectId === 'rates:2026-01-06');
    expect(dropped?.reason).toMatch(/CHF: rate 0 is not greater than zero; GBP: rate -0.8 is not a number/);
    const saved = await loadProviderRates(b.t.db, b.tenant.id);
    expect(new Set(saved.map((r) => r.to))).toEqual(new Set(['eur']));
    expect(await receivableOf(b)).toBe(4960n);
  });
});
