// The rate source's order (docs/accounting.md §3, "Foreign currency"): the latest rate on or
// before the date; when there is none, the earliest later one, booked and flagged as a warning;
// an exception only when the pair has no rate at all, and then nothing of the invoice is booked.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configuredRate, runEngine } from '../../shared/engine/index.ts';
import { TenantSettingsSchema } from '../../shared/settings.ts';
import { collectScenarioFacts } from './run.ts';

const here = dirname(fileURLToPath(import.meta.url));
function scenarioLines(name: string): unknown[] {
  return readFileSync(join(here, name, 'input.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}
const rates = (...rows: [string, string, string, string][]) =>
  TenantSettingsSchema.parse({ fx_rates: rows.map(([date, from, to, rate]) => ({ date, from, to, rate })) });

describe('configuredRate', () => {
  const settings = rates(['2026-01-10', 'eur', 'usd', '1.10'], ['2026-01-20', 'eur', 'usd', '1.20']);
  it('takes the latest rate on or before the date', () => {
    expect(configuredRate(settings, 'eur', 'usd', '2026-01-15')).toMatchObject({ estimatedFrom: null });
    expect(configuredRate(settings, 'eur', 'usd', '2026-01-15')!.rate.toString()).toBe('1.1');
    expect(configuredRate(settings, 'eur', 'usd', '2026-01-20')!.rate.toString()).toBe('1.2');
  });
  it('falls back to the earliest later rate and says it is an estimate', () => {
    const choice = configuredRate(settings, 'eur', 'usd', '2026-01-01')!;
    expect(choice.rate.toString()).toBe('1.1');
    expect(choice.estimatedFrom).toBe('2026-01-10');
  });
  it('uses the inverse pair, and has nothing for a pair never configured', () => {
    expect(configuredRate(settings, 'usd', 'eur', '2026-01-15')!.rate.toFixed(4)).toBe('0.9091');
    expect(configuredRate(settings, 'jpy', 'usd', '2026-01-15')).toBeNull();
  });
});

describe('booking on an estimated rate', () => {
  it('books an invoice whose only rate is later, with a warning naming the dates and the rate', async () => {
    const lines = scenarioLines('fx-proration-unbilled-then-invoiced');
    const settings = rates(['2026-03-01', 'eur', 'usd', '1.25']);
    const { facts } = await collectScenarioFacts(lines);
    const result = runEngine({ settings, facts, through: '2026-02-28' });
    const finalized = result.entries.find((e) => e.key === 'inv:in_eur_renew:finalized');
    expect(finalized?.lines[0]).toMatchObject({ role: 'receivable', amountMinor: 3875n });
    const warnings = result.exceptions.filter((e) => e.severity === 'warning');
    expect(warnings.map((w) => w.objectId).sort()).toEqual(['ii_eur_up', 'in_eur_renew']);
    expect(warnings[0]!.reason).toMatch(
      /estimated rate: no EUR→USD rate on or before 2026-0\d-\d\d; booked at the rate of 2026-03-01 \(1\.25\)/,
    );
    expect(result.exceptions.filter((e) => e.severity !== 'warning')).toEqual([]);
    for (const entry of result.entries) expect(entry.lines.reduce((s, l) => s + l.amountMinor, 0n)).toBe(0n);
  });
  it('with no rate at all: the item is an exception, the invoice one too, and nothing is half-booked', async () => {
    const lines = scenarioLines('fx-proration-unbilled-then-invoiced');
    const { facts } = await collectScenarioFacts(lines);
    const result = runEngine({ settings: TenantSettingsSchema.parse({}), facts, through: '2026-02-28' });
    expect(result.entries).toEqual([]);
    expect(result.exceptions.map((e) => [e.objectId, e.severity]).sort()).toEqual([
      ['ii_eur_up', undefined],
      ['in_eur_renew', undefined],
    ]);
    expect(result.exceptions[0]!.reason).toMatch(/no exchange rate EUR→USD on or before/);
  });
});

describe('an unknown currency', () => {
  it('is refused by the mapping with the object and the code named, and books nothing', async () => {
    const lines = scenarioLines('fx-proration-unbilled-then-invoiced').map((l) => {
      const o = l as { object?: string; data?: { object: Record<string, unknown> } } & Record<string, unknown>;
      if (o.object === 'invoice') return { ...o, currency: 'xyz' };
      if (o.object === 'event' && o.data?.object['object'] === 'invoice') {
        return { ...o, data: { object: { ...o.data.object, currency: 'xyz' } } };
      }
      return l;
    });
    const { facts, exceptions } = await collectScenarioFacts(lines);
    expect(facts.some((f) => f.type === 'invoice_finalized')).toBe(false);
    expect(exceptions).toContainEqual({
      objectId: 'in_eur_renew',
      reason: 'in_eur_renew is in "xyz", which is not an ISO 4217 currency; not booked',
    });
  });
  it('is refused in the tenant settings', () => {
    expect(TenantSettingsSchema.safeParse({ functional_currency: 'xyz' }).success).toBe(false);
    expect(
      TenantSettingsSchema.safeParse({ fx_rates: [{ date: '2026-01-01', from: 'eur', to: 'usd', rate: '0' }] }).success,
    ).toBe(false);
  });
});
