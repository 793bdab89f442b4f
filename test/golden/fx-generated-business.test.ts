// A replay of a generated sample business — EUR customers settled in a EUR Stripe balance paid out
// in EUR, JPY customers converted to USD by Stripe, with its daily rates as the rate table and
// period-end revaluation on — books everything: no mapping or engine exception, and the books'
// Stripe balance per settlement currency is exactly what Stripe's balance transactions leave in it,
// with the exchange difference realized at the EUR payouts.
import { describe, expect, it } from 'vitest';
import { generateBusiness } from '../../backend/sandbox/stripe/business.ts';
import { runEngine } from '../../shared/engine/index.ts';
import { revalueEntries } from '../../shared/engine/revaluation.ts';
import { stripeBalance } from '../../shared/reports/stripe-balance.ts';
import { TenantSettingsSchema } from '../../shared/settings.ts';
import { collectScenarioFacts, defaultThrough } from './run.ts';

const SEED = Number(process.env.SEED ?? 424_242);
console.log(`SEED=${SEED}`);

describe('a generated business with a EUR balance, replayed', () => {
  it('books every object, and each Stripe balance ties to what Stripe says it holds', async () => {
    const business = generateBusiness({ seed: SEED, customers: 60, months: 8 });
    expect(business.stats.payouts_eur ?? 0).toBeGreaterThan(0);
    expect(business.stats.charges_jpy ?? 0).toBeGreaterThan(0);
    const settings = TenantSettingsSchema.parse({ ...business.suggestedSettings, revalue_monetary_balances: true });
    const { facts, exceptions } = await collectScenarioFacts(business.replay);
    expect(exceptions).toEqual([]);
    const through = defaultThrough(business.replay, settings);
    const engine = runEngine({ settings, facts, through });
    expect(engine.exceptions).toEqual([]);
    const revaluation = revalueEntries(engine.entries, settings, through);
    expect(revaluation.problems).toEqual([]);
    const entries = [...engine.entries, ...revaluation.entries];
    for (const e of entries)
      expect(
        e.lines.reduce((s, l) => s + l.amountMinor, 0n),
        e.key,
      ).toBe(0n);

    // Stripe's side, from its own objects: every balance transaction's net, a payout's once paid.
    const paid = new Set(business.objects.filter((o) => o.object === 'payout' && o.status === 'paid').map((o) => o.id));
    const stripeSays = new Map<string, bigint>();
    for (const bt of business.objects) {
      if (bt.object !== 'balance_transaction' || (bt.type === 'payout' && !paid.has(String(bt.source)))) continue;
      stripeSays.set(String(bt.currency), (stripeSays.get(String(bt.currency)) ?? 0n) + BigInt(bt.net as number));
    }
    const lines = entries.flatMap((e, i) =>
      e.lines.map((l, n) => ({
        ...l,
        entryId: String(i),
        entryKey: e.key,
        kind: e.kind,
        postingDate: e.postingDate,
        period: e.postingDate.slice(0, 7),
        correction: false,
        memo: e.memo,
        sources: e.sources,
        lineNo: n + 1,
        account: l.role,
      })),
    );
    const report = stripeBalance(lines);
    expect(report.rows.map((r) => [r.currency, r.balance])).toEqual(
      [...stripeSays].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, amount]) => [c, amount]),
    );
    // EUR payouts convert at their own day's rate: most realize a difference, and never on USD ones.
    const eur = report.payouts.filter((p) => p.currency === 'eur');
    expect(eur.length).toBeGreaterThan(0);
    expect(eur.filter((p) => p.realized !== 0n).length).toBeGreaterThan(eur.length / 2);
    for (const p of report.payouts.filter((x) => x.currency === 'usd')) expect(p.realized).toBe(0n);
    expect(revaluation.entries.length).toBeGreaterThan(0);
  }, 120_000);
});
