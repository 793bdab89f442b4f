// Proves the reports carry billing credits and stored value: replaying the credit goldens, the
// roll-forward has prepaid_credits and stored_value rows (opening + sold − redeemed − breakage =
// closing) that tie to the ledger every period, and breakage shows in the waterfall.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minor } from '../../shared/money.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { rollforward } from '../../shared/reports/rollforward.ts';
import { waterfall } from '../../shared/reports/waterfall.ts';
import { trialBalance } from '../../shared/reports/trial-balance.ts';
import { replayPure } from './run.ts';

const here = dirname(fileURLToPath(import.meta.url));

async function ledgerOf(name: string): Promise<LedgerLine[]> {
  const dir = join(here, name);
  const lines = readFileSync(join(dir, 'input.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
  const settings = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as unknown;
  const scenario = join(dir, 'scenario.json');
  const through = existsSync(scenario)
    ? (JSON.parse(readFileSync(scenario, 'utf8')) as { through: string }).through
    : undefined;
  const entries = await replayPure(lines, settings, through);
  return entries.flatMap((e, n) =>
    e.lines.map((l, i) => ({
      entryId: `e${n}`,
      entryKey: e.key,
      kind: e.kind,
      postingDate: e.postingDate,
      period: e.postingDate.slice(0, 7),
      correction: false,
      originalDate: undefined,
      memo: e.memo,
      sources: e.sources,
      lineNo: i + 1,
      role: l.role,
      account: l.role,
      currency: l.currency,
      amountMinor: minor(l.amountMinor),
      original: l.original,
      customer: l.customer,
      invoice: l.invoice,
      invoiceLine: l.invoiceLine,
      product: l.product,
      bookedOn: l.bookedOn,
      bookedPeriod: l.bookedOn?.slice(0, 7),
      reversesEntryId: undefined,
    })),
  ) as LedgerLine[];
}

describe('reports with billing credits and stored value', () => {
  it('rolls prepaid credits forward: sold 100, redeemed 40, breakage 60, tied to the ledger', async () => {
    const ledger = await ledgerOf('credits-paid-grant-expires');
    const report = rollforward(ledger, { periods: ['2026-01', '2026-02', '2026-03'] });
    expect(report.problems).toEqual([]);
    const rows = report.rows.filter((r) => r.role === 'prepaid_credits');
    expect(rows.map((r) => [r.period, r.opening, r.billings, r.recognized, r.breakage, r.closing])).toEqual([
      ['2026-01', 0n, 10_000n, 0n, 0n, 10_000n],
      ['2026-02', 10_000n, 0n, 4_000n, 0n, 6_000n],
      ['2026-03', 6_000n, 0n, 0n, 6_000n, 0n],
    ]);
    expect(rows.every((r) => r.tiesOut)).toBe(true);
    const wf = waterfall(ledger);
    expect(wf.currencies[0]!.columnTotals['2026-03']).toBe(6_000n);
    const tb = trialBalance(ledger);
    expect(JSON.stringify(tb, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).toContain(
      'prepaid_credits',
    );
  });

  it('rolls stored value forward with proportional breakage and escheat', async () => {
    const ledger = await ledgerOf('stored-value-breakage-rate-escheat');
    const report = rollforward(ledger, { periods: ['2026-01', '2026-02'] });
    expect(report.problems).toEqual([]);
    const feb = report.rows.find((r) => r.role === 'stored_value' && r.period === '2026-02')!;
    expect([feb.opening, feb.recognized, feb.breakage, feb.closing]).toEqual([5_000n, 4_500n, 500n, 0n]);
  });
});
