// What the foreign-balance and revaluation goldens prove beyond their journals: the Stripe
// Balance's sub-ledger per settlement currency clears to zero at the payout, and the roll-forward
// shows the revaluation in the receivable's FX column while deferred revenue's stays zero.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EntryDraft } from '../../shared/journal.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { rollforward } from '../../shared/reports/rollforward.ts';
import { stripeBalance } from '../../shared/reports/stripe-balance.ts';
import { replayPure } from './run.ts';

const here = dirname(fileURLToPath(import.meta.url));

async function scenarioEntries(name: string): Promise<EntryDraft[]> {
  const dir = join(here, name);
  const lines = readFileSync(join(dir, 'input.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
  const settings = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as unknown;
  const { through } = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as { through: string };
  return replayPure(lines, settings, through);
}

function ledgerLines(entries: EntryDraft[]): LedgerLine[] {
  return entries.flatMap((e, i) =>
    e.lines.map((l, n) => ({
      entryId: String(i),
      entryKey: e.key,
      kind: e.kind,
      postingDate: e.postingDate,
      period: e.postingDate.slice(0, 7),
      correction: false,
      memo: e.memo,
      sources: e.sources,
      lineNo: n + 1,
      role: l.role,
      account: l.role,
      currency: l.currency,
      amountMinor: l.amountMinor,
      original: l.original,
    })),
  );
}

describe('a Stripe balance in EUR on USD books', () => {
  it("clears the balance's EUR sub-ledger and its USD carrying amount at the payout", async () => {
    const lines = (await scenarioEntries('fx-eur-balance-payout')).flatMap((e) => e.lines);
    const balance = lines.filter((l) => l.role === 'cash_clearing');
    expect(balance.every((l) => l.original?.currency === 'eur')).toBe(true);
    expect(balance.reduce((s, l) => s + l.original!.amountMinor, 0n)).toBe(0n);
    expect(balance.reduce((s, l) => s + l.amountMinor, 0n)).toBe(0n);
    const fx = lines.filter((l) => l.role === 'fx_gain_loss').reduce((s, l) => s + l.amountMinor, 0n);
    expect(fx).toBe(308n);
  });
});

describe('the Stripe balance report', () => {
  it('reconciles the EUR balance against its payout, with the realized difference', async () => {
    const report = stripeBalance(ledgerLines(await scenarioEntries('fx-eur-balance-payout')));
    expect(report.rows).toEqual([{ currency: 'eur', settledIn: 7680n, paidOut: 7680n, balance: 0n, carrying: 0n }]);
    expect(report.payouts).toEqual([
      {
        entryKey: 'po:po_eurbal:paid',
        payout: 'po_eurbal',
        currency: 'eur',
        amount: 7680n,
        bank: 8294n,
        carrying: 8542n,
        realized: 248n,
      },
    ]);
  });

  it('keeps a USD balance apart from the EUR invoices it was paid for', async () => {
    const report = stripeBalance(ledgerLines(await scenarioEntries('fx-revaluation-reversed')));
    expect(report.rows).toEqual([
      { currency: 'usd', settledIn: 11200n, paidOut: 0n, balance: 11200n, carrying: 11200n },
    ]);
  });
});

describe('period-end revaluation in the roll-forward', () => {
  it("shows the restatement in the receivable's FX column, none in deferred revenue's, and ties out", async () => {
    const report = rollforward(ledgerLines(await scenarioEntries('fx-revaluation-reversed')), {
      periods: ['2026-01', '2026-02'],
    });
    expect(report.problems).toEqual([]);
    const fx = (role: string) => report.rows.filter((r) => r.role === role).map((r) => [r.period, r.fx, r.closing]);
    expect(fx('receivable')).toEqual([
      ['2026-01', 500n, 11500n],
      ['2026-02', -500n, 0n],
    ]);
    expect(fx('deferred_revenue')).toEqual([
      ['2026-01', 0n, 3194n],
      ['2026-02', 0n, 0n],
    ]);
  });
});
