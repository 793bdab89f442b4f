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
import { fxMovements, fxSection, stripeBalanceSection } from '../../backend/demo/report-fx.ts';
import { currency } from '../../shared/money.ts';
import { periodCalendar, periodsBetween } from '../../shared/periods.ts';

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

describe("the demo report's exchange differences", () => {
  const JAN_FEB = periodsBetween(periodCalendar({ type: 'monthly' }), '2026-01-01', '2026-02-28');

  it('splits realized from unrealized per period, gains positive, and ties to the exchange accounts', async () => {
    const lines = ledgerLines(await scenarioEntries('fx-revaluation-reversed'));
    const m = fxMovements(lines, JAN_FEB, currency('usd'));
    // January: the open 100.00 EUR receivable restated from 1.10 to 1.15 (+5.00); February: that
    // restatement reversed (−5.00) and the payment at 1.12 realizes +2.00 against 1.10.
    expect(m.rows).toEqual([
      { period: '2026-01', realizedSettlement: 0n, realizedPayout: 0n, revaluation: 500n, reversal: 0n, total: 500n },
      {
        period: '2026-02',
        realizedSettlement: 200n,
        realizedPayout: 0n,
        revaluation: 0n,
        reversal: -500n,
        total: -300n,
      },
    ]);
    expect(m).toMatchObject({ total: 200n, ledger: 200n, ties: true });
    // A difference whose period falls outside the table is caught by the posting-date path.
    const moved = lines.map((l) => (l.role === 'fx_gain_loss' ? { ...l, period: '2025-12' } : l));
    expect(fxMovements(moved, JAN_FEB, currency('usd')).ties).toBe(false);
  });

  it('shows the realized loss at the refund and at the EUR payout, and the EUR balance checked against Stripe', async () => {
    const lines = ledgerLines(await scenarioEntries('fx-eur-balance-payout'));
    const [jan] = fxMovements(lines, JAN_FEB.slice(0, 1), currency('usd')).rows;
    // Refund at 1.15 against the 1.12 booking: −0.60; payout at 1.08 against a carrying 85.42: −2.48.
    expect(jan).toMatchObject({ realizedSettlement: -60n, realizedPayout: -248n, total: -308n });
    const html = fxSection(lines, rollforward(lines, { periods: JAN_FEB }).rows, JAN_FEB, currency('usd'));
    expect(html).toContain('data-fx-ties="true"');
    expect(html).toMatch(/zero by design/);
    const paidOut = stripeBalanceSection(lines, [{ currency: currency('eur'), amountMinor: 0n }], currency('usd'));
    expect(paidOut).toMatch(/data-balance-currency="eur"[^]*✓ agrees with Stripe/);
    const off = stripeBalanceSection(lines, [{ currency: currency('eur'), amountMinor: 100n }], currency('usd'));
    expect(off).toMatch(/data-balance-currency="eur"[^]*off by −?-?1\.00/);
  });
});
