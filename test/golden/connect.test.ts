// Proves, on the golden scenarios for Connect and cash that does not match: every balance shape of
// one dispute gives the same books (the same amounts per account and date); the shapes
// book no exchange difference in one currency; cash that matches nothing is raised as an exception
// naming the amount and the ids; and bad debt is an expense unless the tenant presents it as
// contra revenue, in the income statement and in the QuickBooks account type we suggest and accept.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROLE_INFO } from '../../shared/accounts.ts';
import { runEngine } from '../../shared/engine/index.ts';
import type { EntryDraft } from '../../shared/journal.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { periodCalendar } from '../../shared/periods.ts';
import { incomeStatement } from '../../shared/reports/statements.ts';
import { TenantSettingsSchema } from '../../shared/settings.ts';
import { allowedAccountTypes, proposeAccounts } from '../../backend/qbo/chart.ts';
import { collectScenarioFacts, defaultThrough } from './run.ts';

const here = dirname(fileURLToPath(import.meta.url));

function inputOf(name: string): unknown[] {
  return readFileSync(join(here, name, 'input.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}

async function books(
  name: string,
  change: (lines: unknown[]) => unknown[] = (lines) => lines,
): Promise<{ entries: EntryDraft[]; exceptions: string[] }> {
  const dir = join(here, name);
  const lines = change(inputOf(name));
  const settings = TenantSettingsSchema.parse(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')));
  const scenario = join(dir, 'scenario.json');
  const through = existsSync(scenario)
    ? (JSON.parse(readFileSync(scenario, 'utf8')) as { through: string }).through
    : defaultThrough(lines, settings);
  const { facts, exceptions } = await collectScenarioFacts(lines);
  const result = runEngine({ settings, facts, through });
  return {
    entries: result.entries,
    exceptions: [...exceptions.map((e) => e.reason), ...result.exceptions.map((e) => e.reason)],
  };
}

/** Amounts per posting date and role: the books, whatever the entries are called. */
function balances(entries: EntryDraft[]): Record<string, string> {
  const out = new Map<string, bigint>();
  for (const entry of entries)
    for (const line of entry.lines) {
      const key = `${entry.postingDate} ${line.role}`;
      out.set(key, (out.get(key) ?? 0n) + line.amountMinor);
    }
  return Object.fromEntries([...out].filter(([, v]) => v !== 0n).map(([k, v]) => [k, v.toString()]));
}

function roles(entries: EntryDraft[]): string[] {
  return entries.flatMap((e) => e.lines.map((l) => l.role));
}

describe('dispute balance shapes', () => {
  it('the fee inside the withdrawal or in its own balance transaction gives the same books', async () => {
    const inside = await books('dispute-fee-inside');
    const own = await books('dispute-fee-own-balance-transaction');
    expect(balances(own.entries)).toEqual(balances(inside.entries));
    expect(balances(own.entries)['2026-01-16 fees']).toBe('1500');
    expect(own.exceptions).toEqual([]);
  });

  it('withdrawal, fee, reinstatement and fee refund each on its own give the books of one of each with the fee inside', async () => {
    const inside = await books('dispute-fee-inside-won');
    const several = await books('dispute-several-balance-transactions');
    expect(balances(several.entries)).toEqual(balances(inside.entries));
    expect(balances(several.entries)['2026-02-10 fees']).toBe('-1500');
    expect(several.exceptions).toEqual([]);
  });

  it('takes an unmarked balance transaction beside the exact disputed funds as the dispute fee', async () => {
    // The fee's own balance transaction as a plain adjustment: no fee type, category or description.
    const unmarked = (lines: unknown[]): unknown[] =>
      JSON.parse(
        JSON.stringify(lines)
          .replaceAll('"reporting_category":"stripe_fee"', '"reporting_category":"adjustment"')
          .replaceAll('"type":"stripe_fee"', '"type":"adjustment"')
          .replaceAll('"description":"Dispute fee"', '"description":null'),
      ) as unknown[];
    const inside = await books('dispute-fee-inside-won');
    const several = await books('dispute-several-balance-transactions', unmarked);
    expect(JSON.stringify(inputOf('dispute-several-balance-transactions'))).toContain('"type":"stripe_fee"');
    expect(balances(several.entries)).toEqual(balances(inside.entries));
    expect(several.exceptions).toEqual([]);
  });

  it('books no exchange difference for any shape', async () => {
    for (const name of [
      'dispute-fee-inside',
      'dispute-fee-own-balance-transaction',
      'dispute-several-balance-transactions',
    ])
      expect(roles((await books(name)).entries)).not.toContain('fx_gain_loss');
  });
});

describe('cash that does not match, in one currency', () => {
  it('a destination charge books the transfer, the same for an invoice and a bare charge, never FX', async () => {
    const invoice = await books('connect-destination-charge-invoice');
    const bare = await books('connect-destination-charge-one-time');
    for (const b of [invoice, bare]) {
      expect(roles(b.entries)).not.toContain('fx_gain_loss');
      expect(b.exceptions).toEqual([]);
      const byRole = balances(b.entries);
      expect(byRole['2026-01-01 connect_transfers']).toBe('4000');
      expect(byRole['2026-01-31 revenue']).toBe('-5000');
    }
  });

  it('raises cash that matches nothing as an exception naming the amount and the ids', async () => {
    const { entries, exceptions } = await books('unmatched-cash-same-currency');
    expect(roles(entries)).not.toContain('fx_gain_loss');
    expect(balances(entries)['2026-01-01 unmatched_cash']).toBe('250');
    expect(exceptions).toHaveLength(1);
    for (const word of ['2.50 USD', 'ch_short', 'in_short', 'txn_short', 'unmatched_cash'])
      expect(exceptions[0]).toContain(word);
  });

  it('an application fee larger than its charge is an exception, and the gap is unmatched cash, not FX', async () => {
    const tooLarge = (lines: unknown[]): unknown[] =>
      JSON.parse(
        JSON.stringify(lines).replaceAll('"application_fee_amount":1000', '"application_fee_amount":6000'),
      ) as unknown[];
    const { entries, exceptions } = await books('connect-destination-charge-one-time', tooLarge);
    expect(roles(entries)).not.toContain('fx_gain_loss');
    expect(balances(entries)['2026-01-01 unmatched_cash']).toBe('4000');
    expect(exceptions.some((e) => e.includes('application fee 60.00') && e.includes('ch_dest1'))).toBe(true);
    expect(exceptions.some((e) => e.includes('40.00 USD') && e.includes('unmatched_cash'))).toBe(true);
  });

  it('an application fee withheld by the platform goes to platform fees beside Stripe fees', async () => {
    const byRole = balances((await books('connect-application-fee-withheld')).entries);
    expect(byRole['2026-01-01 platform_fees']).toBe('1000');
    expect(byRole['2026-01-01 fees']).toBe('320');
  });
});

describe('bad debt presentation', () => {
  const calendar = periodCalendar({ type: 'monthly' });
  function ledgerLines(entries: EntryDraft[]): LedgerLine[] {
    return entries.flatMap((e) =>
      e.lines.map((l, i): LedgerLine => ({
        entryId: e.key,
        entryKey: e.key,
        kind: e.kind,
        postingDate: e.postingDate,
        period: calendar.periodOf(e.postingDate).key,
        correction: false,
        memo: e.memo,
        sources: e.sources,
        lineNo: i,
        role: l.role,
        account: l.account ?? ROLE_INFO[l.role].defaultName,
        currency: l.currency,
        amountMinor: l.amountMinor,
      })),
    );
  }

  it('is an expense by default and contra revenue with bad_debt_as_contra; the journal is the same', async () => {
    const contra = await books('uncollectible-bad-debt-as-contra');
    const lines = ledgerLines(contra.entries);
    const section = (presentation: { bad_debt_as_contra: boolean }) =>
      incomeStatement(lines, { period: '2026-01', presentation }).currencies[0]!.sections.find((s) =>
        s.rows.some((r) => r.role === 'bad_debt'),
      )!;
    expect(section({ bad_debt_as_contra: false }).kind).toBe('expense');
    expect(section({ bad_debt_as_contra: true }).kind).toBe('contra_income');
    expect(balances(contra.entries)['2026-01-16 bad_debt']).toBe('4838');
  });

  it('suggests and accepts an Expense account by default, an Income account as contra revenue', () => {
    const needed = [{ role: 'bad_debt' as const, account: 'Bad Debt' }];
    const asExpense = proposeAccounts(needed, [], { bad_debt_as_contra: false })[0]!;
    const asContra = proposeAccounts(needed, [], { bad_debt_as_contra: true })[0]!;
    expect(asExpense.action === 'create' && asExpense.create.AccountType).toBe('Expense');
    expect(asContra.action === 'create' && asContra.create.AccountType).toBe('Income');
    expect(allowedAccountTypes('bad_debt', { bad_debt_as_contra: false })).not.toContain('Income');
    expect(allowedAccountTypes('bad_debt', { bad_debt_as_contra: true })).toEqual(['Income']);
  });
});
