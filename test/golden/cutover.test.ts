/**
 * The cutover golden scenarios (`test/golden/cutover/<name>/`: Stripe objects and events, the
 * opening balances file, a hand-derived expected journal and a README with its arithmetic), run
 * through the real pipeline: the opening balances import, the webhook inbox and the drain, then
 * the daily tick — the job that releases recognition — on the day after the last period ends.
 * They prove that Stripe activity before the cutover is not booked again, that a refund or credit
 * note on an imported invoice reduces the imported deferral instead of adding to it, and that the
 * imported schedule is released by the daily job. The journal is the same whether the opening
 * balances are imported before the events arrive or after (with the cutover set first), and when
 * the history comes from a backfill that lists everything since the start.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importOpeningBalances } from '../../backend/app/imports/opening-balances.ts';
import { runBackfill } from '../../backend/app/backfill.ts';
import { drainInbox, releasedThrough } from '../../backend/app/process.ts';
import { tenantTick } from '../../backend/app/schedule.ts';
import { loadLedgerLines } from '../../backend/ledger/ledger.ts';
import { getTenantById, updateSettings } from '../../backend/ledger/tenants.ts';
import { parseCsv, toJournalCsv } from '../../shared/reports/index.ts';
import { deliver, eventsOf, freshBooks, readJsonl, type Books } from '../support/scenario.ts';

const HERE = join(import.meta.dirname, 'cutover');
const scenarios = readdirSync(HERE, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(HERE, d.name, 'expected.csv')))
  .map((d) => d.name)
  .sort();

interface Scenario {
  cutover: string;
  through: string;
  tick_at: string;
}

/** Rows by posting date and entry id, each entry's lines in their own order. */
function canonical(csv: string): string[][] {
  const [header, ...rows] = parseCsv(csv.replace(/\r\n/g, '\n')).filter((r) => r.length > 1);
  const indexed = rows.map((r, i) => ({ r, i }));
  indexed.sort((a, b) =>
    a.r[1]! < b.r[1]! ? -1 : a.r[1]! > b.r[1]! ? 1 : a.r[2]! < b.r[2]! ? -1 : a.r[2]! > b.r[2]! ? 1 : a.i - b.i,
  );
  return [header!, ...indexed.map((x) => x.r)];
}

const open: Books[] = [];
afterAll(async () => {
  for (const b of open) await b.close();
});

type Mode = 'import first' | 'cutover set first' | 'backfill';

async function run(name: string, mode: Mode) {
  const importFirst = mode !== 'cutover set first';
  const dir = join(HERE, name);
  const input = readJsonl(join(dir, 'input.jsonl'));
  // A backfill lists objects, not events: give the fake every object at its latest state.
  const lines =
    mode === 'backfill'
      ? [
          ...input.filter((l) => l.object !== 'event'),
          ...eventsOf(input).map((e) => e.data.object as unknown as Record<string, unknown>),
        ]
      : input;
  const settings = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as Record<string, unknown>;
  const scenario = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as Scenario;
  const csv = readFileSync(join(dir, 'opening.csv'), 'utf8');
  const b = await freshBooks(lines, 'acct_golden', settings);
  open.push(b);
  const importOpening = async () => {
    const r = await importOpeningBalances(b.t.db, await getTenantById(b.t.db, b.tenant.id), {
      csv,
      cutover: scenario.cutover,
      author: 'controller@example.com',
    });
    expect(r.tiedOut).toBe(true);
  };
  if (importFirst) await importOpening();
  else
    await updateSettings(
      b.t.db,
      b.tenant.id,
      { ...b.tenant.settings, cutover_date: scenario.cutover },
      b.tenant.settingsVersion,
      'test',
    );
  if (mode === 'backfill') {
    const r = await runBackfill({ db: b.t.db, jobs: b.jobs, stripe: b.stripe }, b.tenant.id, {});
    expect(r.stored).toBeGreaterThan(0);
  } else await deliver(b, eventsOf(lines));
  await drainInbox(b.deps, b.tenant.id);
  if (!importFirst) await importOpening();
  // The daily job, the day after the last period ends, releases everything through it.
  const plan = await tenantTick(
    { db: b.t.db, jobs: b.jobs, process: b.deps, now: () => Date.parse(scenario.tick_at) },
    b.tenant.id,
  );
  expect(plan.releaseThrough).toBe(scenario.through);
  expect(await releasedThrough(b.t.db, b.tenant.id)).toBe(scenario.through);
  const tenant = await getTenantById(b.t.db, b.tenant.id);
  expect(tenant.settings.cutover_date).toBe(scenario.cutover);
  return {
    journal: toJournalCsv(await loadLedgerLines(b.t.db, b.tenant.id)),
    expected: readFileSync(join(dir, 'expected.csv'), 'utf8'),
  };
}

describe('cutover golden scenarios', () => {
  it('has scenarios', () => expect(scenarios.length).toBeGreaterThan(0));
  for (const name of scenarios) {
    it(`${name}: opening balances imported first, then Stripe's events, then the daily job`, async () => {
      const { journal, expected } = await run(name, 'import first');
      expect(canonical(journal)).toEqual(canonical(expected));
    });
    it(`${name}: the cutover set first, Stripe's events, then the import and the daily job`, async () => {
      const { journal, expected } = await run(name, 'cutover set first');
      expect(canonical(journal)).toEqual(canonical(expected));
    });
    it(`${name}: the same books from a backfill of the whole history after the import`, async () => {
      const { journal, expected } = await run(name, 'backfill');
      expect(canonical(journal)).toEqual(canonical(expected));
    });
  }
});
