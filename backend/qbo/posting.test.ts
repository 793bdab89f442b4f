// Proves the pure posting planner: summary mode nets by account per period and currency and drops
// zero lines and zero entries; detailed mode makes one entry per ledger entry; ids are
// deterministic and within QuickBooks' limits; big entries split into balanced parts that keep
// every account's total; A/R lines carry customers; amounts convert exactly (JPY, KWD) and
// multicurrency realms get CurrencyRef/ExchangeRate; unmapped accounts are refused.
import type { AccountRole } from '../../shared/accounts.ts';
import type { LedgerLine } from '../../shared/ledger-rows.ts';
import { generateLedger, GENERATED_ACCOUNTS } from '../sandbox/qbo/ledger.ts';
import {
  linesHash,
  mappingKey,
  minorToQboAmount,
  planPostings,
  qboAmountToMinor,
  splitBalanced,
  toQboJournalEntry,
  type MappedAccount,
  type PlannedEntry,
} from './posting.ts';
import { currency as currencyOf, minor } from '../../shared/money.ts';

const USD_REALM = { homeCurrency: 'USD', multicurrency: false };

function mapping(overrides: Partial<Record<string, MappedAccount>> = {}): Map<string, MappedAccount> {
  const m = new Map<string, MappedAccount>();
  GENERATED_ACCOUNTS.forEach((a, i) => {
    m.set(
      mappingKey(a.role, a.account),
      overrides[a.account] ?? { id: String(100 + i), accountType: 'Other Current Asset' },
    );
  });
  return m;
}

function line(
  entryId: string,
  lineNo: number,
  role: AccountRole,
  account: string,
  amount: bigint,
  extra: Partial<LedgerLine> = {},
): LedgerLine {
  return {
    entryId,
    entryKey: `k_${entryId}`,
    kind: 'manual',
    postingDate: '2026-03-15',
    period: '2026-03',
    correction: false,
    memo: `memo ${entryId}`,
    sources: ['src_1'],
    lineNo,
    role,
    account,
    currency: currencyOf('usd'),
    amountMinor: minor(amount),
    ...extra,
  };
}

/** Signed totals per QuickBooks account id over planned entries. */
function plannedTotals(entries: PlannedEntry[]): Map<string, bigint> {
  const t = new Map<string, bigint>();
  for (const e of entries)
    for (const l of e.lines)
      t.set(l.accountId, (t.get(l.accountId) ?? 0n) + (l.postingType === 'Debit' ? l.amount_minor : -l.amount_minor));
  return t;
}

function ledgerTotals(lines: LedgerLine[], m: Map<string, MappedAccount>): Map<string, bigint> {
  const t = new Map<string, bigint>();
  for (const l of lines) {
    const id = m.get(mappingKey(l.role, l.account))!.id;
    t.set(id, (t.get(id) ?? 0n) + l.amountMinor);
  }
  for (const [k, v] of t) if (v === 0n) t.delete(k);
  return t;
}

describe('posting planner', () => {
  const ledger = generateLedger({
    tenantId: 't1',
    months: ['2026-01', '2026-02', '2026-03'],
    entriesPerMonth: 40,
    customers: 5,
  });

  it('summary: one balanced entry per period, netted by account, totals equal the ledger', () => {
    const m = mapping();
    const plan = planPostings({ tenantId: 't1', lines: ledger, accounts: m, realm: USD_REALM });
    expect(plan.map((p) => p.period)).toEqual(['2026-01', '2026-02', '2026-03']);
    for (const p of plan) {
      const accountIds = p.lines.map((l) => l.accountId);
      expect(new Set(accountIds).size).toBe(accountIds.length);
      const dr = p.lines.filter((l) => l.postingType === 'Debit').reduce((a, l) => a + l.amount_minor, 0n);
      const cr = p.lines.filter((l) => l.postingType === 'Credit').reduce((a, l) => a + l.amount_minor, 0n);
      expect(dr).toBe(cr);
      expect(p.lines.every((l) => l.amount_minor > 0n)).toBe(true);
      expect(p.sourceEntryIds).toHaveLength(40);
      const monthLines = ledger.filter((l) => l.period === p.period);
      expect(plannedTotals([p])).toEqual(ledgerTotals(monthLines, m));
      expect(p.txnDate.startsWith(p.period)).toBe(true);
    }
  });

  it('detailed: one entry per ledger entry with deterministic, bounded ids', () => {
    const m = mapping();
    const plan = planPostings({ tenantId: 't1', lines: ledger, accounts: m, realm: USD_REALM, mode: 'detailed' });
    expect(plan).toHaveLength(120);
    expect(plannedTotals(plan)).toEqual(ledgerTotals(ledger, m));
    const again = planPostings({
      tenantId: 't1',
      lines: [...ledger].reverse(),
      accounts: m,
      realm: USD_REALM,
      mode: 'detailed',
    });
    expect(new Set(again.map((p) => p.requestId))).toEqual(new Set(plan.map((p) => p.requestId)));
    for (const p of plan) {
      expect(p.requestId.length).toBeLessThanOrEqual(50);
      expect(p.docNumber.length).toBeLessThanOrEqual(21);
      expect(p.docNumber).toMatch(/^AC-[A-Z2-7]{16}$/);
    }
    expect(new Set(plan.map((p) => p.docNumber)).size).toBe(120);
    // Another tenant with identical lines gets different ids.
    const other = planPostings({ tenantId: 't2', lines: ledger, accounts: m, realm: USD_REALM, mode: 'detailed' });
    expect(other[0]!.docNumber).not.toBe(plan[0]!.docNumber);
  });

  it('drops lines that net to zero and skips entries that net to nothing', () => {
    const m = mapping();
    const lines = [
      line('e1', 0, 'receivable', 'Stripe Receivables', 1000n),
      line('e1', 1, 'deferred_revenue', 'Deferred Revenue', -1000n),
      line('e2', 0, 'deferred_revenue', 'Deferred Revenue', 1000n),
      line('e2', 1, 'revenue', 'Revenue', -1000n),
      line('e3', 0, 'revenue', 'Revenue', 1000n),
      line('e3', 1, 'receivable', 'Stripe Receivables', -1000n),
    ];
    expect(planPostings({ tenantId: 't1', lines, accounts: m, realm: USD_REALM })).toEqual([]);
    const partial = planPostings({ tenantId: 't1', lines: lines.slice(0, 4), accounts: m, realm: USD_REALM });
    expect(partial).toHaveLength(1);
    expect(partial[0]!.lines.map((l) => [l.accountId, l.postingType, l.amount_minor])).toEqual([
      [m.get(mappingKey('receivable', 'Stripe Receivables'))!.id, 'Debit', 1000n],
      [m.get(mappingKey('revenue', 'Revenue'))!.id, 'Credit', 1000n],
    ]);
  });

  it('splits entries beyond the line limit into balanced parts that keep account totals', () => {
    const lines: LedgerLine[] = [];
    for (let i = 0; i < 30; i++) {
      lines.push(line(`e${i}`, 0, 'receivable', 'Stripe Receivables', BigInt(1000 + i), { customer: `cus_${i}` }));
      lines.push(line(`e${i}`, 1, 'revenue', 'Revenue', BigInt(-(1000 + i))));
    }
    const m = mapping({ 'Stripe Receivables': { id: '7', accountType: 'Accounts Receivable' } });
    const customers = new Map(Array.from({ length: 30 }, (_, i) => [`cus_${i}`, `c${i}`]));
    const plan = planPostings({ tenantId: 't1', lines, accounts: m, customers, realm: USD_REALM, maxLines: 8 });
    expect(plan.length).toBeGreaterThan(1);
    for (const p of plan) {
      expect(p.lines.length).toBeLessThanOrEqual(8);
      const net = p.lines.reduce((a, l) => a + (l.postingType === 'Debit' ? l.amount_minor : -l.amount_minor), 0n);
      expect(net).toBe(0n);
      expect(p.part.count).toBe(plan.length);
      for (const l of p.lines) if (l.accountId === '7') expect(l.customerId).toMatch(/^c\d+$/);
    }
    expect(plannedTotals(plan)).toEqual(ledgerTotals(lines, m));
    expect(new Set(plan.map((p) => p.docNumber)).size).toBe(plan.length);
  });

  it('splitBalanced refuses unbalanced input', () => {
    const l = (amount: bigint, id: string) => ({
      accountId: id,
      accountType: 'Bank',
      amount,
      labels: new Set<string>(),
    });
    expect(() => splitBalanced([l(5n, 'a'), l(-3n, 'b'), l(1n, 'c'), l(-1n, 'd'), l(1n, 'e')], 4)).toThrow(/balance/);
  });

  it('requires customers on Accounts Receivable lines and mapped accounts everywhere', () => {
    const lines = [
      line('e1', 0, 'receivable', 'Stripe Receivables', 500n, { customer: 'cus_X' }),
      line('e1', 1, 'revenue', 'Revenue', -500n),
    ];
    const m = mapping({ 'Stripe Receivables': { id: '7', accountType: 'Accounts Receivable' } });
    expect(() => planPostings({ tenantId: 't', lines, accounts: m, realm: USD_REALM })).toThrow(/customers/);
    const ok = planPostings({
      tenantId: 't',
      lines,
      accounts: m,
      customers: new Map([['cus_X', '58']]),
      realm: USD_REALM,
    });
    const je = toQboJournalEntry(ok[0]!);
    expect(
      je.Line.find((x) => x.JournalEntryLineDetail.AccountRef.value === '7')!.JournalEntryLineDetail.Entity,
    ).toEqual({ Type: 'Customer', EntityRef: { value: '58' } });
    const partial = new Map(m);
    partial.delete(mappingKey('revenue', 'Revenue'));
    expect(() =>
      planPostings({
        tenantId: 't',
        lines,
        accounts: partial,
        customers: new Map([['cus_X', '58']]),
        realm: USD_REALM,
      }),
    ).toThrow(/not mapped/);
    expect(() =>
      planPostings({
        tenantId: 't',
        lines: lines.slice(0, 1),
        accounts: m,
        customers: new Map([['cus_X', '58']]),
        realm: USD_REALM,
      }),
    ).toThrow(/balance/);
  });

  it('converts amounts exactly per currency and refuses amounts a JSON number would change', () => {
    expect(minorToQboAmount(12345n, currencyOf('usd'))).toBe(123.45);
    expect(minorToQboAmount(5n, currencyOf('usd'))).toBe(0.05);
    expect(minorToQboAmount(12345n, currencyOf('jpy'))).toBe(12345);
    expect(minorToQboAmount(12345n, currencyOf('kwd'))).toBe(12.345);
    expect(() => minorToQboAmount(10n ** 16n, currencyOf('usd'))).toThrow(/significant digits/);
    expect(qboAmountToMinor(10.5, currencyOf('usd'))).toBe(1050n);
    expect(qboAmountToMinor(0.07, currencyOf('usd'))).toBe(7n);
    expect(() => qboAmountToMinor(0.001, currencyOf('usd'))).toThrow();
  });

  it('sets CurrencyRef and ExchangeRate for multicurrency realms and refuses foreign currency otherwise', () => {
    const lines = [
      line('e1', 0, 'cash_clearing', 'Stripe Balance', 1000n, { currency: currencyOf('eur') }),
      line('e1', 1, 'revenue', 'Revenue', -1000n, { currency: currencyOf('eur') }),
    ];
    const m = mapping();
    expect(() => planPostings({ tenantId: 't', lines, accounts: m, realm: USD_REALM })).toThrow(/multicurrency/);
    const plan = planPostings({
      tenantId: 't',
      lines,
      accounts: m,
      realm: { homeCurrency: 'USD', multicurrency: true },
      exchangeRate: () => '1.0825',
    });
    const je = toQboJournalEntry(plan[0]!);
    expect(je.CurrencyRef).toEqual({ value: 'EUR' });
    expect(je.ExchangeRate).toBe(1.0825);
    const home = planPostings({
      tenantId: 't',
      lines: lines.map((l) => ({ ...l, currency: currencyOf('usd') })),
      accounts: m,
      realm: { homeCurrency: 'USD', multicurrency: true },
    });
    expect(toQboJournalEntry(home[0]!).CurrencyRef).toEqual({ value: 'USD' });
    expect(toQboJournalEntry(home[0]!).ExchangeRate).toBeUndefined();
    expect(
      toQboJournalEntry(
        planPostings({
          tenantId: 't',
          lines: lines.map((l) => ({ ...l, currency: currencyOf('usd') })),
          accounts: m,
          realm: USD_REALM,
        })[0]!,
      ).CurrencyRef,
    ).toBeUndefined();
  });

  it('hashes lines independently of order but sensitive to amounts', () => {
    const a = { accountId: '1', postingType: 'Debit' as const, amount_minor: 100n };
    const b = { accountId: '2', postingType: 'Credit' as const, amount_minor: 100n };
    expect(linesHash([a, b])).toBe(linesHash([b, a]));
    expect(linesHash([a, b])).not.toBe(linesHash([{ ...a, amount_minor: 101n }, b]));
  });
});

describe('posting planner properties', () => {
  it('for any balanced ledger and line limit: parts balance, respect the limit, and keep every account total', async () => {
    const fc = await import('fast-check');
    const roles: [AccountRole, string][] = [
      ['receivable', 'Stripe Receivables'],
      ['deferred_revenue', 'Deferred Revenue'],
      ['tax_liability', 'Sales Tax Payable'],
      ['revenue', 'Revenue'],
      ['revenue', 'Revenue - Enterprise'],
      ['cash_clearing', 'Stripe Balance'],
      ['fees', 'Stripe Fees'],
    ];
    const entryArb = fc.array(
      fc.tuple(fc.integer({ min: 0, max: roles.length - 1 }), fc.bigInt({ min: -100000n, max: 100000n })),
      { minLength: 1, maxLength: 6 },
    );
    fc.assert(
      fc.property(
        fc.array(entryArb, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 4, max: 12 }),
        fc.constantFrom<'summary' | 'detailed'>('summary', 'detailed'),
        (entries, maxLines, mode) => {
          const lines: LedgerLine[] = [];
          entries.forEach((legs, e) => {
            let sum = 0n;
            legs.forEach(([r, amt], i) => {
              lines.push(line(`e${e}`, i, roles[r]![0], roles[r]![1], amt));
              sum += amt;
            });
            // Balance each entry with a last leg on the bank account.
            lines.push(line(`e${e}`, legs.length, 'cash_clearing', 'Stripe Balance', -sum));
          });
          const m = mapping();
          // Give each distinct account its own id so the line limit is actually exercised.
          const plan = planPostings({ tenantId: 'p', lines, accounts: m, realm: USD_REALM, mode, maxLines });
          for (const p of plan) {
            expect(p.lines.length).toBeLessThanOrEqual(maxLines);
            expect(
              p.lines.reduce((a, l) => a + (l.postingType === 'Debit' ? l.amount_minor : -l.amount_minor), 0n),
            ).toBe(0n);
            expect(p.lines.every((l) => l.amount_minor > 0n)).toBe(true);
          }
          expect(plannedTotals(plan)).toEqual(ledgerTotals(lines, m));
          expect(new Set(plan.map((p) => p.requestId)).size).toBe(plan.length);
        },
      ),
      { numRuns: 200, seed: 20261121 },
    );
  });
});
